import { startTestServer } from '../test/support/server.ts';
import { benchDatabase } from './bench-db.ts';
import { interleave, machineLine, ratioLine, type SideResult, sideLine, sleep } from './interleave.ts';
import { startBareLongPoll, startBarePgQueue } from './longpoll-peers.ts';
import { summarize, wallMs } from './stats.ts';

const SEEDS_POLL_MS = 5000;
const TRIALS = Number(process.env.BENCH_COMMAND_TRIALS ?? 1000);
const BLOCK = 50;
const WARMUP = 30;
/** The poll is parked before the launch is sent. */
const PARK_MS = 5;

/**
 * Launch request (with an Idempotency-Key, as the dashboard sends it) → the long-polling agent
 * has the command, over real HTTP, beside two peers measured interleaved in the same run: a
 * bare HTTP long-poll answered from memory (the HTTP floor) and a bare `BEGIN; INSERT; NOTIFY;
 * COMMIT` whose listening connection then claims the row (the database floor of this design).
 * Then the seeds' design (the agent asks every 5 s), for scale.
 */
export async function runCommandBench(seedSamples = 40): Promise<void> {
  const testDb = await benchDatabase();
  const t = await startTestServer({ listen: true, testDb });
  const pgPeer = await startBarePgQueue(testDb.env.DATABASE_URL);
  try {
    const tenant = await t.newTenant();
    const agent = await tenant.registerAgent('bench');
    const agentHeaders = { authorization: `Bearer ${agent.agent_token}` };
    const launch = () =>
      fetch(`${t.url}/api/client/instances/launch`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${tenant.token}`,
          'content-type': 'application/json',
          'idempotency-key': crypto.randomUUID(),
        },
        body: JSON.stringify({ agent_id: agent.agent_id, instance_type: 't3.medium', role: 'REPLICA' }),
      });
    const ours = async (): Promise<number> => {
      const polling = fetch(`${t.url}/api/agents/${agent.agent_id}/pending-commands?wait=25`, {
        headers: agentHeaders,
      }).then((r) => r.json());
      await sleep(PARK_MS);
      const t0 = wallMs();
      const sent = launch();
      const got = (await polling) as { commands: unknown[] };
      const took = wallMs() - t0;
      const res = await sent;
      if (res.status !== 202 || got.commands.length !== 1) throw new Error('long-poll returned no command');
      return took;
    };
    // The bare server hands out the very body our server answered with.
    const sample = (await (async () => {
      const polling = fetch(`${t.url}/api/agents/${agent.agent_id}/pending-commands?wait=25`, {
        headers: agentHeaders,
      }).then((r) => r.json());
      await sleep(PARK_MS);
      await launch();
      return polling;
    })()) as { commands: unknown[] };
    const bare = await startBareLongPoll(JSON.stringify(sample.commands[0]));
    const bareHttp = async (): Promise<number> => {
      const polling = fetch(`${bare.url}/poll`).then((r) => r.json());
      await sleep(PARK_MS);
      const t0 = wallMs();
      const sent = fetch(`${bare.url}/launch`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': crypto.randomUUID() },
        body: JSON.stringify({ agent_id: agent.agent_id, instance_type: 't3.medium', role: 'REPLICA' }),
      });
      const got = (await polling) as { commands: unknown[] };
      const took = wallMs() - t0;
      await (await sent).text();
      if (got.commands.length !== 1) throw new Error('bare long-poll returned no command');
      return took;
    };
    for (let i = 0; i < WARMUP; i++) {
      await ours();
      await bareHttp();
      await pgPeer.trial();
    }
    const blockOf = (one: () => Promise<number>) => async () => {
      const out: number[] = [];
      for (let i = 0; i < BLOCK; i++) out.push(await one());
      return out;
    };
    const cpu0 = process.cpuUsage();
    const wall0 = performance.now();
    const [o, h, p] = (await interleave(
      [
        { name: 'ours', block: blockOf(ours) },
        { name: 'bare http', block: blockOf(bareHttp) },
        { name: 'bare pg', block: blockOf(() => pgPeer.trial()) },
      ],
      Math.ceil(TRIALS / BLOCK),
    )) as [SideResult, SideResult, SideResult];
    const cpu = process.cpuUsage(cpu0);
    const wall = performance.now() - wall0;
    await bare.close();
    sideLine('launch (Idempotency-Key) → agent has command (ours)', o.samples, 'p99 ≤ 15 ms');
    sideLine('bare HTTP long-poll answered from memory (peer)', h.samples);
    sideLine(
      `bare ${testDb.kind === 'postgres' ? 'pg' : 'PGlite'} BEGIN/INSERT/NOTIFY/COMMIT → claimed (peer)`,
      p.samples,
    );
    ratioLine('ours / bare HTTP long-poll', o, h);
    ratioLine('ours / bare database queue', o, p);
    machineLine('long-poll run', cpu, wall);

    // The seeds' design: each agent polls every 5 s at its own phase; the launch lands at a
    // random point of that cycle. Many agents in parallel keep the run to ~10 s.
    const agents = await Promise.all(
      Array.from({ length: seedSamples }, (_, i) => tenant.registerAgent(`poller-${i}`)),
    );
    const results = await Promise.all(
      agents.map(async (a) => {
        const phase = Math.random() * SEEDS_POLL_MS;
        const hdrs = { authorization: `Bearer ${a.agent_token}` };
        const start = wallMs();
        let t0 = 0;
        setTimeout(async () => {
          t0 = wallMs();
          await fetch(`${t.url}/api/client/instances/launch`, {
            method: 'POST',
            headers: { authorization: `Bearer ${tenant.token}`, 'content-type': 'application/json' },
            body: JSON.stringify({ agent_id: a.agent_id, instance_type: 't3.medium', role: 'REPLICA' }),
          });
        }, phase);
        for (let k = 1; ; k++) {
          await sleep(start + k * SEEDS_POLL_MS - wallMs());
          const r = (await (
            await fetch(`${t.url}/api/agents/${a.agent_id}/pending-commands?wait=0`, { headers: hdrs })
          ).json()) as { commands: unknown[] };
          if (r.commands.length > 0) return wallMs() - t0;
        }
      }),
    );
    sideLine('launch request → agent has command (seeds: 5 s poll)', results);
    const oursS = summarize(o.samples);
    console.log(`  ratio seeds/ours: p50 ×${(summarize(results).p50 / oursS.p50).toFixed(0)}`);
  } finally {
    await pgPeer.close();
    await t.close();
  }
}
