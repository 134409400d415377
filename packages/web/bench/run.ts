/**
 * Dashboard benchmark (`npm run bench`): with 1,000 instances in the list, in headless
 * Chromium against the real server, measures
 *   - click on Launch (dialog submit) → LAUNCHING badge painted (optimistic path), and
 *   - the agent's confirmation (POST instance-launched) → RUNNING badge painted (server → SSE → store → DOM),
 * plus frame times while scrolling the 1,000-row list. Figures only; nothing asserted.
 */
import type { Command } from '@spot/contract';
import {
  call,
  cloudId,
  confirmLaunch,
  createClient,
  launch,
  pendingCommands,
  registerAgent,
} from './lib/api';
import { launchChromium } from './lib/browser';
import { buildDashboard } from './lib/build';
import { startFront } from './lib/front';
import { installPaintProbe } from './lib/paint-probe';
import { startServer } from './lib/server';
import { percentile, pool, summary } from './lib/stats';

const FLEET = Number(process.env.WEB_BENCH_FLEET ?? 1000);
const ROUNDS = Number(process.env.WEB_BENCH_ROUNDS ?? 30);
const db = process.env.TEST_DB === 'postgres' ? 'PostgreSQL' : 'PGlite';

const dist = await buildDashboard();
const srv = await startServer();
const front = await startFront(srv.url, dist);
const chrome = await launchChromium();
try {
  const client = await createClient(srv.url, srv.adminToken, 'bench');
  const agents = await Promise.all(
    Array.from({ length: 10 }, (_, i) => registerAgent(srv.url, client.token, `svc-${i + 1}`)),
  );
  const seedStart = performance.now();
  await pool(
    Array.from({ length: FLEET }, (_, i) => i),
    16,
    async (i) => {
      const a = agents[i % agents.length]!;
      const r = await launch(
        srv.url,
        client.token,
        a.agentId,
        i % 2 ? 't3.medium' : 'm5.large',
        'us-east-1a',
      );
      await confirmLaunch(srv.url, a, r.instance_id, cloudId(0x100000 + i));
    },
  );
  const seedMs = performance.now() - seedStart;
  // The seeded LAUNCH_INSTANCE commands are not part of the rounds: drain them.
  for (const a of agents) while ((await pendingCommands(srv.url, a)).commands.length > 0);

  const page = await chrome.browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('pageerror', (e) => console.error('page error:', e.message));
  // tsx compiles the functions handed to page.evaluate with esbuild's keepNames helper.
  await page.addInitScript('window.__name = (f) => f');
  const t0 = Date.now();
  await page.goto(front.url);
  await page.fill('[data-testid=token-input]', client.token);
  await page.click('[data-testid=sign-in]');
  await page.waitForSelector(`text=${FLEET} instances`, { timeout: 60_000 });
  const firstRenderMs = Date.now() - t0;
  await page.waitForSelector('[data-testid=link-state][data-state=connected]');
  await page.evaluate(installPaintProbe);
  // Freshest state change on top, so the row being measured is on screen among the 1,000.
  await page.click('.thead button:has-text("In state")');

  const agent = agents[0]!;
  const launchMs: number[] = [];
  const runningMs: number[] = [];
  const postMs: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    await page.click('[data-testid=launch-button]');
    await page.waitForSelector('[data-testid=launch-dialog]');
    await page.selectOption('[data-testid=launch-dialog] select >> nth=0', agent.agentId);
    await page.evaluate(() => (window as any).__probe.arm('pending-launching'));
    await page.click('[data-testid=launch-submit]');
    launchMs.push(
      await page.evaluate(
        async () => (await (window as any).__probe.pending) - (window as any).__probe.clickAt,
      ),
    );

    // The agent's side: the command it would receive, then the server-confirmed LAUNCHING row.
    let cmd: Command | undefined;
    while (!cmd) {
      cmd = (await pendingCommands(srv.url, agent)).commands.find(
        (c) => c.command_type === 'LAUNCH_INSTANCE',
      );
    }
    const instanceId = String(cmd.metadata.instance_id);
    await page.waitForSelector(`[data-instance-id="${instanceId}"][data-status=LAUNCHING]`);

    const r = await page.evaluate(
      async ({ instanceId, agentId, token, cid }) => {
        const probe = (window as any).__probe;
        probe.arm('status', instanceId, 'RUNNING');
        const start = performance.now();
        const res = await fetch(`/api/agents/${agentId}/instance-launched`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ instance_id: instanceId, cloud_instance_id: cid, state: 'running' }),
        });
        const answered = performance.now();
        if (!res.ok) throw new Error(`confirm failed: ${res.status}`);
        const painted = await probe.pending;
        return { total: painted - start, post: answered - start };
      },
      { instanceId, agentId: agent.agentId, token: agent.token, cid: cloudId(0x200000 + round) },
    );
    runningMs.push(r.total);
    postMs.push(r.post);
  }

  // Baseline: frame intervals of the same page standing still (what this headless, GPU-less Chromium gives).
  const idle: number[] = await page.evaluate(
    () =>
      new Promise<number[]>((resolve) => {
        const out: number[] = [];
        let last = performance.now();
        const step = () => {
          const now = performance.now();
          out.push(now - last);
          last = now;
          if (out.length < 60) requestAnimationFrame(step);
          else resolve(out.slice(1));
        };
        requestAnimationFrame(step);
      }),
  );
  // Scrolling the 1,000 rows: frame intervals while the list moves 40 px per frame (a brisk
  // mouse-wheel scroll) and 400 px per frame (dragging the scrollbar: every frame is new rows).
  const scrollFrames = (px: number): Promise<number[]> =>
    page.evaluate(
      (px) =>
        new Promise<number[]>((resolve) => {
          const el = document.querySelector('[data-testid=instances-scroll]') as HTMLElement;
          const out: number[] = [];
          let last = performance.now();
          let n = 0;
          const step = () => {
            const now = performance.now();
            out.push(now - last);
            last = now;
            el.scrollTop = (el.scrollTop + px) % (el.scrollHeight - el.clientHeight);
            if (++n < 150) requestAnimationFrame(step);
            else resolve(out.slice(1));
          };
          requestAnimationFrame(step);
        }),
      px,
    );
  const wheel = await scrollFrames(40);
  const drag = await scrollFrames(400);
  await page.screenshot({ path: `${process.env.WEB_BENCH_SCREENSHOT ?? '/tmp/spot-web-bench.png'}` });

  const listed = await call<{ instances: unknown[] }>(srv.url, '/api/client/instances', client.token);
  console.log(
    `\n== dashboard (${db}, headless Chromium, ${listed.instances.length} active instances in the list) ==`,
  );
  console.log(`seed ${FLEET} launched+confirmed instances through the API: ${(seedMs / 1000).toFixed(1)} s`);
  console.log(`sign-in → ${FLEET}-row list rendered: ${firstRenderMs} ms`);
  console.log(`click Launch → LAUNCHING painted (optimistic):   ${summary(launchMs)}`);
  console.log(`agent confirmation POST → RUNNING painted:        ${summary(runningMs)}`);
  console.log(`  of which the POST round trip:                   ${summary(postMs)}`);
  for (const [label, frames] of [
    ['40 px/frame', wheel],
    ['400 px/frame', drag],
  ] as const) {
    const long = frames.filter((f) => f > 50).length;
    console.log(
      `scroll frames, ${label}: p50 ${percentile(frames, 50).toFixed(1)} ms  p99 ${percentile(frames, 99).toFixed(1)} ms  max ${Math.max(...frames).toFixed(1)} ms  (${long}/${frames.length} frames > 50 ms)`,
    );
  }
  console.log(
    `idle frames (baseline, same page): p50 ${percentile(idle, 50).toFixed(1)} ms  p99 ${percentile(idle, 99).toFixed(1)} ms`,
  );
  console.log(
    `ratio: RUNNING painted p99 vs the seeds' 5 s polling refresh: ${(5000 / percentile(runningMs, 99)).toFixed(0)}× sooner`,
  );
} finally {
  await chrome.close();
  await front.close();
  await srv.stop();
}
