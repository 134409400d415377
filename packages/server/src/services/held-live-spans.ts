import type { Executor } from '../db/executor.ts';
import { type PricePoint, poolKey } from '../domain/savings.ts';
import { type PoolOfPrices, savingsInputsChangedBy } from '../domain/savings-inputs.ts';
import { latestClientEventSeq, readClientEventsAfter } from '../repositories/events-outbox.ts';
import { listPricePointsForSpans, listRunsInSpans } from '../repositories/savings.ts';
import { ByteBoundedLru } from './byte-bounded-lru.ts';
import { pricesOf, type RunRow, runsOfSpan, type SpanRuns } from './savings-window.ts';
import { FORWARD_EVENTS_MAX } from './seq-stamped-cache.ts';

/** Room for the held spans of the busiest tenants (1,225 runs and 2,125 points: ~0.5 MB). */
const HELD_BYTES = 32 * 1024 * 1024;
const ROW_BYTES = 400;
const POINT_BYTES = 48;
/** A held span's runs and points are read open-ended and cut at each answer's `now`. */
const OPEN_END = new Date('9999-01-01T00:00:00Z');
const OPEN_END_MS = OPEN_END.getTime();
const NO_ONDEMAND: ReadonlyMap<string, number> = new Map();

export type LiveSpanSource = 'held' | 'events' | 'table';

interface Held {
  /** The client's latest event seq when the span was last known current. */
  seq: number;
  /** When it was read whole (events are kept long enough to bring it forward for a while). */
  builtAt: number;
  /** The runs that ran at or after the span's start, whenever they end. */
  rows: RunRow[];
  /** Their spot pools' points from the last one before the span's start on. */
  prices: Map<string, PricePoint[]>;
  /** The pools read (a pool without any point has no entry in `prices`). */
  pools: Set<string>;
  /** The latest point held: a point after an answer's `now` must not count in it. */
  lastT: number;
}

/** A pool's key in the price maps (the savings maths' own). */
const keyOf = (p: PoolOfPrices) => poolKey(p.instance_type, p.availability_zone);

/**
 * The live span of savings windows — the hours since the rollup last stored one — held per
 * client between answers while it is current. Sound for the held instance list's reasons
 * (seq-stamped-cache.ts): the client's latest event seq is probed first; instances change
 * only with an INSTANCE_* event and price snapshots are written only with a PRICE_UPDATED
 * event per pool, each in the writing transaction, and seqs commit in order. So a span read
 * after the probe saw N is current until a later seq; then the events in between say what to
 * read again (the runs, if an instance changed; the points of the pools named). Time passing
 * needs no read: runs and points are held open-ended and each answer cuts them at its `now`.
 * The on-demand list is the caller's, read with every answer. One change comes without an
 * event: the staging retention deleting points older than 7 days. A pool with no report for
 * that long may keep, in a held span, its last point before the span's start for up to the
 * forwarding time after a fresh read would no longer find it: the price it was, where a fresh
 * read would let the span's first point stand for it.
 */
export class HeldLiveSpans {
  private readonly held = new ByteBoundedLru<Held>(HELD_BYTES);

  constructor(
    private readonly now: () => Date,
    /** How long after a whole read the events may still be all there (event retention). */
    private readonly forwardForMs: number,
    /** Counts each answer by where it came from (a Prometheus counter). */
    private readonly answered: (from: LiveSpanSource) => void = () => {},
  ) {}

  /** The client's runs and prices over [sinceMs, nowMs). */
  async span(
    db: Executor,
    clientId: string,
    sinceMs: number,
    nowMs: number,
    ondemand: Promise<ReadonlyMap<string, number>>,
  ): Promise<SpanRuns> {
    const key = `${clientId}|${sinceMs}`;
    // The probe first and alone: whatever is read after it is at least as new.
    const seq = await latestClientEventSeq(db, clientId);
    let from: LiveSpanSource = 'held';
    let held = this.held.get(key);
    if (held && held.seq !== seq) {
      held = await this.forward(db, clientId, sinceMs, held, seq);
      from = 'events';
    }
    if (!held) {
      held = await this.read(db, clientId, sinceMs, seq);
      from = 'table';
    }
    let points = 0;
    for (const list of held.prices.values()) points += list.length;
    this.held.set(key, held, held.rows.length * ROW_BYTES + points * POINT_BYTES);
    this.answered(from);
    const { span } = runsOfSpan(held.rows, sinceMs, nowMs, await ondemand);
    span.prices = held.lastT > nowMs ? pointsUntil(held.prices, nowMs) : held.prices;
    return span;
  }

  private async read(db: Executor, clientId: string, sinceMs: number, seq: number): Promise<Held> {
    const rows = await listRunsInSpans(db, clientId, [{ since: new Date(sinceMs), now: OPEN_END }]);
    const pools = runsOfSpan(rows, sinceMs, OPEN_END_MS, NO_ONDEMAND).pools;
    const prices = pricesOf(await this.points(db, clientId, sinceMs, pools));
    return {
      seq,
      builtAt: this.now().getTime(),
      rows,
      prices,
      pools: new Set(pools.map(keyOf)),
      lastT: lastOf(prices),
    };
  }

  /** The held span brought to `seq`, or undefined when it has to be read again whole. */
  private async forward(
    db: Executor,
    clientId: string,
    sinceMs: number,
    held: Held,
    seq: number,
  ): Promise<Held | undefined> {
    if (held.seq > seq || this.now().getTime() - held.builtAt >= this.forwardForMs) return undefined;
    const events = await readClientEventsAfter(db, clientId, held.seq, FORWARD_EVENTS_MAX + 1);
    if (events.length > FORWARD_EVENTS_MAX) return undefined;
    const changes = savingsInputsChangedBy(events.filter((e) => e.seq <= seq));
    if (!changes) return undefined;
    const rows = changes.runs
      ? await listRunsInSpans(db, clientId, [{ since: new Date(sinceMs), now: OPEN_END }])
      : held.rows;
    const changed = new Set(changes.pools.map(keyOf));
    // The pools the runs need whose points changed, or that were not read (a run new to them).
    const reread = runsOfSpan(rows, sinceMs, OPEN_END_MS, NO_ONDEMAND).pools.filter(
      (p) => changed.has(keyOf(p)) || !held.pools.has(keyOf(p)),
    );
    if (reread.length === 0) return { ...held, seq, rows };
    const prices = new Map(held.prices);
    for (const p of reread) prices.delete(keyOf(p));
    for (const [k, list] of pricesOf(await this.points(db, clientId, sinceMs, reread))) prices.set(k, list);
    return {
      seq,
      builtAt: held.builtAt,
      rows,
      prices,
      pools: new Set([...held.pools, ...reread.map(keyOf)]),
      lastT: lastOf(prices),
    };
  }

  private points(db: Executor, clientId: string, sinceMs: number, pools: readonly PoolOfPrices[]) {
    return listPricePointsForSpans(
      db,
      clientId,
      pools.map((p) => ({ ...p, span: 0 })),
      [{ since: new Date(sinceMs), now: OPEN_END }],
    );
  }
}

function lastOf(prices: ReadonlyMap<string, readonly PricePoint[]>): number {
  let last = Number.NEGATIVE_INFINITY;
  for (const list of prices.values()) if (list.length > 0) last = Math.max(last, list[list.length - 1]!.t);
  return last;
}

/** The points at or before `t` (a reported time ahead of the clock is not yet in force). */
function pointsUntil(prices: ReadonlyMap<string, PricePoint[]>, t: number): Map<string, PricePoint[]> {
  const out = new Map<string, PricePoint[]>();
  for (const [k, list] of prices) {
    const kept = list.filter((p) => p.t <= t);
    if (kept.length > 0) out.set(k, kept);
  }
  return out;
}
