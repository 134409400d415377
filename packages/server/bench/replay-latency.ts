import { EventBus } from '../src/services/event-bus.ts';
import { startTestServer } from '../test/support/server.ts';
import { runAbPair } from './ab-pairs.ts';
import { benchDatabase } from './bench-db.ts';
import { percentile } from './stats.ts';

const MISSED = 100;

/**
 * A subscriber resuming after Last-Event-ID, `MISSED` events behind (a dashboard after a
 * network blip; a thousand of them after a deploy): the process's event bus answers from its
 * replay ring, beside a second bus on the same database whose ring holds one event, so it
 * reads the outbox as every resume did before the ring. Interleaved blocks; the subscribe call
 * until the missed events are handed over, without HTTP.
 */
export async function runReplayBench(): Promise<void> {
  const testDb = await benchDatabase();
  const t = await startTestServer({ testDb });
  const outboxOnly = new EventBus(t.server.ctx.db, (err) => console.error(err), 1);
  try {
    await outboxOnly.start();
    const tenant = await t.newTenant('bench-replay');
    // Another tenant's traffic in between, as on a shared server.
    const other = await t.newTenant('bench-replay-other');
    const [a, b] = await Promise.all([tenant.registerAgent('r-1'), other.registerAgent('o-1')]);
    for (let i = 0; i < 150; i++) {
      await tenant.launch(a.agent_id);
      await other.launch(b.agent_id);
    }
    const seqs = await seqsOf(t.server.bus, tenant.clientId);
    const afterSeq = seqs.at(-MISSED - 1)!;
    const resume = (bus: EventBus) => async () => {
      let got = 0;
      const unsubscribe = await bus.subscribe(tenant.clientId, afterSeq, () => {
        got++;
      });
      unsubscribe();
      if (got !== MISSED) throw new Error(`resume handed over ${got} events, not ${MISSED}`);
    };
    const r = await runAbPair(
      { label: 'resume', ours: resume(t.server.bus), peer: resume(outboxOnly) },
      20_000,
    );
    const fmt = (xs: number[]) => {
      const s = [...xs].sort((x, y) => x - y);
      const tail = s.length >= 1000 ? `p99 ${percentile(s, 99).toFixed(3)}` : `max ${s.at(-1)!.toFixed(3)}`;
      return `p50 ${percentile(s, 50).toFixed(3)} ${tail} ms`;
    };
    console.log(`\n# resume after Last-Event-ID, ${MISSED} events missed (${testDb.kind})`);
    console.log(`  from the replay ring (ours)      ${fmt(r.ours)}  (n=${r.ours.length})`);
    console.log(`  from the outbox (before the ring) ${fmt(r.peer)}  (n=${r.peer.length})`);
    console.log(`  ratio ring / outbox: median of per-block p50 ratios ×${r.ratio.toFixed(3)}`);
    console.log(
      `  resumes answered: ring ${t.server.bus.replays.ring} / outbox ${t.server.bus.replays.outbox} (ours), ring ${outboxOnly.replays.ring} / outbox ${outboxOnly.replays.outbox} (the other bus)`,
    );
  } finally {
    await outboxOnly.stop();
    await t.close();
  }
}

/** The tenant's event sequence numbers so far, oldest first (read through a resume from 0). */
async function seqsOf(bus: EventBus, clientId: string): Promise<number[]> {
  const seqs: number[] = [];
  const unsubscribe = await bus.subscribe(clientId, 0, (e) => {
    if (e.seq !== undefined) seqs.push(e.seq);
  });
  unsubscribe();
  return seqs;
}
