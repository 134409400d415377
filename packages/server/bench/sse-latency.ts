import { type ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { sseFrame } from '../src/http/routes/events.ts';
import type { StoredEvent } from '../src/repositories/events-outbox.ts';
import { toStreamEvent } from '../src/services/event-bus.ts';
import { startTestServer } from '../test/support/server.ts';
import { benchDatabase } from './bench-db.ts';
import { interleave, machineLine, ratioLine, type SideResult, sideLine, sleep } from './interleave.ts';
import { startBareFanout } from './sse-bare.ts';
import { wallMs } from './stats.ts';

const CLIENTS = Number(process.env.BENCH_SSE_CLIENTS ?? 1000);
const EVENTS = Number(process.env.BENCH_SSE_EVENTS ?? 1000);
const BLOCK = 50;
const WARMUP = 30;
/** A fan-out not complete after this long counts as lost (printed), and the run moves on. */
const GIVE_UP_MS = 3000;

/**
 * Committed → the LAST of 1,000 SSE clients has the event, beside the machine's floor: a bare
 * `node:http` fan-out of the same frame bytes to the same client processes. Blocks of 50
 * events alternate between the two; each event waits until the previous one reached every
 * client (events never overlap). t0 for ours is the moment the launch transaction's COMMIT
 * returned (the post-commit hook); for the peer, the moment before its write loop. The
 * server's own fan-out (the synchronous write to every socket) is reported separately.
 */
export async function runSseBench(): Promise<void> {
  const testDb = await benchDatabase();
  const t = await startTestServer({ listen: true, testDb, env: { SSE_HEARTBEAT_SECONDS: '3600' } });
  const bare = await startBareFanout();
  const children: ChildProcess[] = [];
  try {
    const tenant = await t.newTenant();
    const agent = await tenant.registerAgent('bench');
    // Clients are spread over two processes, as 1,000 dashboards would be over machines; one
    // process reading 2,000 sockets would mostly measure its own queue.
    const procs = Math.min(Number(process.env.BENCH_SSE_PROCS ?? 2), CLIENTS);
    const share = (i: number) => Math.floor(CLIENTS / procs) + (i < CLIENTS % procs ? 1 : 0);
    for (let i = 0; i < procs; i++) {
      const targets = [
        { url: `${t.url}/api/events/stream/${tenant.clientId}`, token: tenant.token, count: share(i) },
        { url: bare.url, token: null, count: share(i) },
      ];
      children.push(
        fork(fileURLToPath(new URL('./sse-clients.ts', import.meta.url)), [JSON.stringify(targets)], {
          execArgv: ['--import', 'tsx'],
        }),
      );
    }
    await Promise.all(
      children.map(
        (c) =>
          new Promise<void>((resolve) => c.on('message', (m: { ready?: boolean }) => m.ready && resolve())),
      ),
    );
    await sleep(300);

    // Per event id: how many client processes reported it complete, and the latest arrival.
    const arrivals = new Map<string, { procs: number; last: number; resolve: () => void }>();
    for (const c of children) {
      c.on('message', (m: { done?: string; last?: number; error?: string }) => {
        if (m.error) console.log(`  ! client: ${m.error}`);
        if (!m.done) return;
        // On PostgreSQL the outbox pump, woken by NOTIFY, can put an event on the wire before
        // the committing request's post-commit hook runs: its reports then come first.
        let a = arrivals.get(m.done);
        if (!a) {
          a = { procs: 0, last: 0, resolve: () => {} };
          arrivals.set(m.done, a);
        }
        a.procs++;
        a.last = Math.max(a.last, m.last!);
        if (a.procs === children.length) a.resolve();
      });
    }
    let lost = 0;
    const awaitAll = async (id: string): Promise<number | null> => {
      let timer: NodeJS.Timeout | undefined;
      const entry = arrivals.get(id)!;
      const done = new Promise<boolean>((resolve) => {
        entry.resolve = () => resolve(true);
        if (entry.procs === children.length) resolve(true);
        timer = setTimeout(() => resolve(false), GIVE_UP_MS);
      });
      const ok = await done;
      clearTimeout(timer);
      arrivals.delete(id);
      if (!ok) lost++;
      return ok ? entry.last : null;
    };
    const expect = (id: string) => {
      if (!arrivals.has(id)) arrivals.set(id, { procs: 0, last: 0, resolve: () => {} });
    };

    // Ours: wrap the composition root's post-commit hook — it runs the moment COMMIT returned.
    const fanoutOurs: number[] = [];
    let committedAt = 0;
    let template: StoredEvent | null = null;
    const publish = t.server.ctx.publishCommitted!;
    let lastId = '';
    t.server.ctx.publishCommitted = (events) => {
      const at = wallMs();
      // Expected before the frames go out, so no client report can arrive unannounced.
      for (const e of events) {
        if (e.type !== 'INSTANCE_LAUNCHING') continue;
        lastId = String(e.data.instance_id);
        expect(lastId);
      }
      publish(events);
      fanoutOurs.push(wallMs() - at);
      committedAt = at;
      template ??= events.find((e) => e.type === 'INSTANCE_LAUNCHING') ?? null;
    };
    let n = 0;
    const ourEvent = async (): Promise<number | null> => {
      await t.server.lifecycle.launch(
        tenant.clientId,
        { agent_id: agent.agent_id, instance_type: 't3.medium', role: 'REPLICA', market: 'spot' },
        `bench-${n++}`,
        'bench',
      );
      const id = lastId;
      const t0 = committedAt;
      const last = await awaitAll(id);
      // Negative in the rare case above (the pump beat the hook): kept as measured.
      return last === null ? null : last - t0;
    };
    // Warm-up (discarded); its first event also gives the frame the peer copies.
    for (let i = 0; i < WARMUP; i++) await ourEvent();
    if (!template) throw new Error('no INSTANCE_LAUNCHING event seen');

    // The peer's frames: our real frame, with a fresh instance id (same length) and a
    // consecutive sequence number — the same bytes on the wire.
    let bareSeq = 1;
    const fanoutBare: number[] = [];
    const bareEvent = async (): Promise<number | null> => {
      const id = randomUUID();
      const e = {
        ...template!,
        seq: template!.seq + bareSeq++,
        data: { ...template!.data, instance_id: id },
      };
      const frame = sseFrame(toStreamEvent(e));
      expect(id);
      const [start, end] = bare.fanout(frame);
      fanoutBare.push(end - start);
      const last = await awaitAll(id);
      return last === null ? null : last - start;
    };
    for (let i = 0; i < WARMUP; i++) await bareEvent();
    fanoutOurs.length = 0;
    fanoutBare.length = 0;

    const blockOf = (one: () => Promise<number | null>) => async () => {
      const out: number[] = [];
      for (let i = 0; i < BLOCK; i++) {
        const v = await one();
        if (v !== null) out.push(v);
        await sleep(2);
      }
      return out;
    };
    const cpu0 = process.cpuUsage();
    const wall0 = performance.now();
    const [ours, peer] = (await interleave(
      [
        { name: 'ours', block: blockOf(ourEvent) },
        { name: 'bare', block: blockOf(bareEvent) },
      ],
      Math.ceil(EVENTS / BLOCK),
    )) as [SideResult, SideResult];
    const cpu = process.cpuUsage(cpu0);
    const wall = performance.now() - wall0;
    const reports = await Promise.all(
      children.map(
        (c) =>
          new Promise<{ outOfOrder: number; incomplete: number }>((resolve) => {
            c.on('message', (m: { outOfOrder?: number; incomplete: number }) => {
              if (m.outOfOrder !== undefined) resolve(m as { outOfOrder: number; incomplete: number });
            });
            c.send({ report: true });
          }),
      ),
    );
    const outOfOrder = reports.reduce((s, r) => s + r.outOfOrder, 0);

    sideLine(`commit → last of ${CLIENTS} SSE clients has event (ours)`, ours.samples, 'p99 ≤ 10 ms');
    sideLine(`bare node:http fan-out → last of ${CLIENTS} clients (peer)`, peer.samples);
    ratioLine('ours / bare fan-out', ours, peer, '≤ 1.5');
    sideLine('  ours: server-side fan-out (hook → all sockets written)', fanoutOurs);
    sideLine('  bare: server-side fan-out (write loop)', fanoutBare);
    if (lost > 0 || outOfOrder > 0)
      console.log(
        `  ! ${lost} fan-outs not complete within ${GIVE_UP_MS / 1000} s (late or lost), ${outOfOrder} sequence gaps on a connection (a gap is a lost event)`,
      );
    else
      console.log(
        `  every client got every event, in sequence (${CLIENTS} clients on each side, ${EVENTS + WARMUP} events each)`,
      );
    machineLine('SSE run', cpu, wall);
  } finally {
    for (const c of children) c.kill();
    await bare.close();
    await t.close();
  }
}
