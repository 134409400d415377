import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startTestServer } from '../test/support/server.ts';
import { benchDatabase } from './bench-db.ts';
import { line, summarize, wallMs } from './stats.ts';

/**
 * State change committed → SSE client has the event. The server runs here; the SSE clients
 * run in a child process (so their parsing does not slow the server's event loop). t0 is
 * taken when the launch transaction has committed (the service call returned); t1 when a
 * client's socket delivered the frame.
 */
export async function sseLatency(clients: number, events: number): Promise<ReturnType<typeof summarize>> {
  const testDb = await benchDatabase();
  const t = await startTestServer({ listen: true, testDb, env: { SSE_HEARTBEAT_SECONDS: '3600' } });
  try {
    const tenant = await t.newTenant();
    const agent = await tenant.registerAgent('bench');
    // Clients are spread over a few processes, as 1,000 dashboards would be over machines;
    // one process reading 1,000 sockets would mostly measure its own queue.
    const procs = Math.min(Number(process.env.BENCH_SSE_PROCS ?? 2), clients);
    const children = Array.from({ length: procs }, (_, i) =>
      fork(
        fileURLToPath(new URL('./sse-clients.ts', import.meta.url)),
        [
          `${t.url}/api/events/stream/${tenant.clientId}`,
          tenant.token,
          String(Math.floor(clients / procs) + (i < clients % procs ? 1 : 0)),
        ],
        { execArgv: ['--import', 'tsx'] },
      ),
    );
    await Promise.all(
      children.map(
        (c) =>
          new Promise<void>((resolve) => c.on('message', (m: { ready?: boolean }) => m.ready && resolve())),
      ),
    );
    await new Promise((r) => setTimeout(r, 300));
    // t0 is the moment the transaction's COMMIT returned: the composition root's post-commit
    // hook, wrapped here, runs right then.
    const sent = new Map<string, number>();
    const publish = t.server.ctx.publishCommitted!;
    t.server.ctx.publishCommitted = (events) => {
      const at = wallMs();
      for (const e of events) if (e.type === 'INSTANCE_LAUNCHING') sent.set(String(e.data.instance_id), at);
      publish(events);
    };
    for (let i = 0; i < events; i++) {
      await t.server.lifecycle.launch(
        tenant.clientId,
        { agent_id: agent.agent_id, instance_type: 't3.medium', role: 'REPLICA', market: 'spot' },
        `bench-${i}`,
        'bench',
      );
      await new Promise((r) => setTimeout(r, 15));
    }
    await new Promise((r) => setTimeout(r, 500));
    const reports = await Promise.all(
      children.map(
        (c) =>
          new Promise<Array<[string, number]>>((resolve) => {
            c.on('message', (m: { received?: Array<[string, number]> }) => m.received && resolve(m.received));
            c.send({ report: true });
          }),
      ),
    );
    const report = reports.flat();
    const latencies = report.filter(([id]) => sent.has(id)).map(([id, at]) => at - sent.get(id)!);
    const expected = clients * events;
    if (latencies.length !== expected) console.log(`  ! ${expected - latencies.length} deliveries missing`);
    return summarize(latencies);
  } finally {
    await t.close();
  }
}

export async function runSseBench(): Promise<void> {
  line('commit → SSE client has event, 1 client', await sseLatency(1, 300), 'p99 ≤ 10 ms');
  line('commit → SSE client has event, 1,000 clients', await sseLatency(1000, 100), 'p99 ≤ 10 ms');
}
