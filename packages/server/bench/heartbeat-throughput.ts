import { type ChildProcess, spawn } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { benchDatabase } from './bench-db.ts';
import { line, summarize } from './stats.ts';

const ADMIN = 'bench-admin-token-0123456789';
const AGENTS = 500;
const STEP_SECONDS = 4;

/**
 * Heartbeats one server process sustains. The server runs as its own process (as in
 * production), the load generator here: keep-alive connections, each agent with its own
 * token, concurrency raised step by step; we report each step and the best rate whose p99
 * stays within 20 ms.
 */
export async function runHeartbeatBench(): Promise<void> {
  const testDb = await benchDatabase();
  const port = 18_000 + Math.floor(Math.random() * 1000);
  const server = spawn(
    process.execPath,
    [fileURLToPath(new URL('../bin/spot-optimizer.js', import.meta.url)), 'serve'],
    {
      env: {
        ...process.env,
        ...testDb.env,
        PORT: String(port),
        ADMIN_TOKEN: ADMIN,
        LOG_LEVEL: 'warn',
        DB_POOL_SIZE: '16',
        RATE_LIMIT_PER_MINUTE: '1000000',
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  try {
    const base = `http://127.0.0.1:${port}`;
    await waitHealthy(base, server);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
    const client = await post(agent, base, '/api/admin/clients', ADMIN, { name: 'bench' });
    const agents: Array<{ agent_id: string; agent_token: string }> = [];
    for (let i = 0; i < AGENTS; i++) {
      agents.push(await post(agent, base, '/api/agents/register', client.token, { logical_id: `hb-${i}` }));
    }
    let best: { rate: number; p99: number } | null = null;
    for (const concurrency of [8, 16, 32, 48, 64]) {
      const samples: number[] = [];
      const until = performance.now() + STEP_SECONDS * 1000;
      let next = 0;
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (performance.now() < until) {
            const a = agents[next++ % agents.length]!;
            const t0 = performance.now();
            await post(agent, base, `/api/agents/${a.agent_id}/heartbeat`, a.agent_token, {
              uptime_seconds: 1,
            });
            samples.push(performance.now() - t0);
          }
        }),
      );
      const s = summarize(samples);
      const rate = samples.length / STEP_SECONDS;
      line(`heartbeats, concurrency ${concurrency}: ${Math.round(rate)}/s`, s);
      if (s.p99 <= 20 && (!best || rate > best.rate)) best = { rate, p99: s.p99 };
    }
    console.log(
      best
        ? `  heartbeats/s with p99 ≤ 20 ms: ${Math.round(best.rate)}/s (p99 ${best.p99.toFixed(1)} ms)   target ≥ 5,000/s on PostgreSQL`
        : '  heartbeats/s with p99 ≤ 20 ms: none of the steps stayed within 20 ms',
    );
    agent.destroy();
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
    await testDb.dispose();
  }
}

async function waitHealthy(base: string, proc: ChildProcess): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (proc.exitCode !== null) throw new Error('server exited');
    try {
      if ((await fetch(`${base}/health`)).ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('server did not start');
}

function post(agent: http.Agent, base: string, path: string, token: string, body: unknown): Promise<any> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${base}${path}`,
      {
        method: 'POST',
        agent,
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          if ((res.statusCode ?? 500) >= 300) reject(new Error(`${path}: ${res.statusCode} ${text}`));
          else resolve(JSON.parse(text));
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}
