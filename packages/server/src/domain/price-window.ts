import { PriceUpdatedData, type StreamEventType } from '@spot/contract';
import { assertNever } from './errors.ts';

/**
 * A client's price series over a time window, held so that the dashboard's next read of the
 * same window answers from memory: the window only moves forward in time (points leave at
 * its start) and new points arrive only with a PRICE_UPDATED event naming their pool. Pure:
 * the service (held-price-series.ts) reads the rows and the events; this decides the page.
 *
 * Pools are in the order the database walks them, (instance type, zone) under the database's
 * collation, which JavaScript's string order need not match: nothing here compares two pools
 * by name, only by their place in `pools`.
 */

/** A point as the series read gives it (repositories/price-series.ts): ISO time text, price. */
export interface WindowPoint {
  instance_type: string;
  availability_zone: string;
  region: string | null;
  t: string;
  spot_price: number;
}

export interface PoolRef {
  instance_type: string;
  availability_zone: string;
}

/** One pool's whole window from `since`: its times ascending and its points' JSON as one buffer. */
export interface HeldPool extends PoolRef {
  /** The region of its first point (or its zone without the letter), as the answer shows it. */
  region: string;
  times: string[];
  /** The points' JSON (`{"t":…,"price":…}`), comma-separated, in time order, as UTF-8 bytes. */
  json: Buffer;
  /** Where point i starts in `json` (a byte offset). */
  starts: number[];
}

export interface HeldPriceWindow {
  /** The start of the window the pools were read for (ISO text, as `times`). */
  since: string;
  /** Every pool with a point since `since`, in walk order, each whole — or the first ones of them, the last maybe cut short. */
  pools: HeldPool[];
  /** True when `pools` are all of them; false when more pools may follow the last one. */
  complete: boolean;
}

export const poolKey = (p: PoolRef): string => `${p.instance_type}\u0000${p.availability_zone}`;

/** Groups rows already in (pool, time) order into pools. */
export function heldPoolsOf(rows: readonly WindowPoint[]): HeldPool[] {
  const pools: HeldPool[] = [];
  let cur: HeldPool | undefined;
  let parts: string[] = [];
  let at = 0;
  const close = () => {
    if (cur) cur.json = Buffer.from(parts.join(','));
  };
  for (const r of rows) {
    if (!cur || cur.instance_type !== r.instance_type || cur.availability_zone !== r.availability_zone) {
      close();
      cur = {
        instance_type: r.instance_type,
        availability_zone: r.availability_zone,
        region: r.region ?? r.availability_zone.slice(0, -1),
        times: [],
        json: EMPTY,
        starts: [],
      };
      pools.push(cur);
      parts = [];
      at = 0;
    }
    const point = JSON.stringify({ t: r.t, price: r.spot_price });
    cur.times.push(r.t);
    cur.starts.push(at);
    parts.push(point);
    at += Buffer.byteLength(point) + 1;
  }
  close();
  return pools;
}

const EMPTY = Buffer.alloc(0);

/**
 * The held window of a read that asked for at most `limit` rows and got `rows`. When the
 * limit was reached the last pool may be cut short and more pools may follow: such a window
 * never answers a page that ends after its pools (pageOf), so the short pool can only be the
 * one that passes the cap, which it passes whole too.
 */
export function windowOf(since: string, rows: readonly WindowPoint[], limit: number): HeldPriceWindow {
  return { since, pools: heldPoolsOf(rows), complete: rows.length < limit };
}

/** The first index of `times` (ascending ISO text) at or after `since`. */
function firstFrom(times: readonly string[], since: string): number {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (times[mid]! < since) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** A page of the window: each pool with the index of its first point in the page. */
export interface PricePage {
  pools: Array<{ pool: HeldPool; from: number }>;
  truncated: boolean;
  next: PoolRef | null;
}

/**
 * The page GET /api/client/prices answers for the window from `since` (not before the held
 * window's start): whole pools in walk order while their points total at most `cap`; the pool
 * that would pass it starts the next page. 'one-pool-over-cap' when the first pool alone
 * holds more than `cap` (its newest points are read instead); undefined when the held pools
 * cannot tell (points left the window and the pools after the held ones were not read).
 */
export function pageOf(
  held: HeldPriceWindow,
  since: string,
  cap: number,
): PricePage | 'one-pool-over-cap' | undefined {
  if (since < held.since) return undefined;
  const page: PricePage['pools'] = [];
  let total = 0;
  for (const pool of held.pools) {
    const from = firstFrom(pool.times, since);
    const n = pool.times.length - from;
    if (n === 0) continue;
    if (total + n > cap) {
      const last = page[page.length - 1];
      if (!last) return 'one-pool-over-cap';
      return { pools: page, truncated: true, next: ref(last.pool) };
    }
    total += n;
    page.push({ pool, from });
  }
  return held.complete ? { pools: page, truncated: false, next: null } : undefined;
}

const ref = (p: PoolRef): PoolRef => ({
  instance_type: p.instance_type,
  availability_zone: p.availability_zone,
});

/**
 * The held window with these pools read again from its start (an empty read leaves the pool
 * out). Only pools already held: where a new pool falls in the walk order is the database's
 * to say, so a new pool means reading the window again.
 */
export function withPoolsReplaced(
  held: HeldPriceWindow,
  fresh: ReadonlyMap<string, HeldPool | null>,
): HeldPriceWindow {
  const pools: HeldPool[] = [];
  for (const p of held.pools) {
    const k = poolKey(p);
    if (!fresh.has(k)) pools.push(p);
    else {
      const f = fresh.get(k);
      if (f && f.times.length > 0) pools.push(f);
    }
  }
  return { since: held.since, pools, complete: held.complete };
}

/**
 * The page as GET /api/client/prices answers it, byte for byte what JSON.stringify writes for
 * the same PriceResponse: each pool's points are a slice of its held bytes, not copied again
 * until the one concatenation.
 */
export function renderPricePage(
  page: PricePage,
  ondemand: (pool: HeldPool, index: number) => number | null,
): Buffer {
  const parts: Buffer[] = [OPEN];
  for (const [i, { pool, from }] of page.pools.entries()) {
    const head = JSON.stringify({
      instance_type: pool.instance_type,
      availability_zone: pool.availability_zone,
      region: pool.region,
      ondemand_price: ondemand(pool, i),
    });
    parts.push(Buffer.from(`${i > 0 ? ',' : ''}${head.slice(0, -1)},"points":[`));
    parts.push(pool.json.subarray(pool.starts[from]));
    parts.push(POOL_END);
  }
  parts.push(Buffer.from(`],"truncated":${page.truncated},"next":${JSON.stringify(page.next)}}`));
  return Buffer.concat(parts);
}

const OPEN = Buffer.from('{"pools":[');
const POOL_END = Buffer.from(']}');

/** What a held window costs in memory, roughly (its bytes, its times as strings, the arrays). */
export function heldBytes(held: HeldPriceWindow): number {
  let n = 0;
  for (const p of held.pools) n += p.json.byteLength + p.times.length * (24 * 2 + 16 + 8) + 200;
  return n;
}

/**
 * The pools whose stored points these events say changed, or undefined when one cannot be
 * told (the window is then read again). Every write of price snapshots appends PRICE_UPDATED
 * for each pool of the report in the same transaction (notice-service.ts); the only other
 * writer, the staging retention, deletes points older than any window held. Exhaustive: a
 * new event type has to say whether it changes the price series.
 */
export function poolsChangedBy(
  events: ReadonlyArray<{ type: StreamEventType; data: unknown }>,
): PoolRef[] | undefined {
  const changed = new Map<string, PoolRef>();
  for (const e of events) {
    switch (e.type) {
      case 'PRICE_UPDATED': {
        const parsed = PriceUpdatedData.safeParse(e.data);
        if (!parsed.success) return undefined;
        changed.set(poolKey(parsed.data), ref(parsed.data));
        break;
      }
      case 'INSTANCE_LAUNCHING':
      case 'INSTANCE_RUNNING':
      case 'INSTANCE_PROMOTING':
      case 'INSTANCE_TERMINATING':
      case 'INSTANCE_TERMINATED':
      case 'INSTANCE_OFFLINE':
      case 'INSTANCE_FAILED':
      case 'INSTANCE_UPDATED':
      case 'AGENT_STATUS_CHANGED':
      case 'COMMAND_EXECUTED':
      case 'EMERGENCY_EVENT':
      case 'SWITCH_STARTED':
      case 'SWITCH_COMPLETED':
      case 'SWITCH_FAILED':
      case 'DECISION_MADE':
      case 'NOTIFICATION':
      case 'HEARTBEAT':
        break;
      default:
        return assertNever(e.type);
    }
  }
  return [...changed.values()];
}
