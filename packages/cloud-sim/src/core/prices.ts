// Spot price replay: each pool (instance type × AZ) is a step function built from a trace. A trace is
// shifted so that its first timestamp lands on the simulator's start; a price holds until the pool's
// next row. A pool whose first row comes later than its file's first row is back-filled with its first
// price from the start; after the last row the last price holds.

import type { SpotPriceRow } from './price-csv.ts';
import type { SyntheticTrace } from './synthetic-prices.ts';

export interface PriceStep {
  at: number;
  price: number;
}

export interface SpotPool {
  instanceType: string;
  az: string;
  productDescription: string;
  steps: PriceStep[];
  /** Set for a SYNTHETIC pool (no trace): its steps are generated on demand. */
  synthetic?: SyntheticTrace;
}

/** How far ahead `firstTimeWhere` looks into an unbounded synthetic trace (simulated). */
const SYNTHETIC_LOOKAHEAD_MS = 366 * 86_400_000;

export interface PriceRecord {
  instanceType: string;
  az: string;
  productDescription: string;
  price: number;
  at: number;
}

export interface HistoryQuery {
  instanceTypes?: string[];
  azs?: string[];
  productDescriptions?: string[];
  /** Any further test on a pool, applied before its records are made (a filter on type or zone). */
  pool?: (pool: { instanceType: string; az: string; productDescription: string }) => boolean;
  start: number;
  end: number;
}

export const poolKey = (instanceType: string, az: string) => `${instanceType}|${az}`;

export class PriceBook {
  private readonly pools = new Map<string, SpotPool>();

  /**
   * @param traces one row list per file; each file is shifted on its own so its first row is `simStart`.
   * Only Linux/UNIX rows are kept (the simulator models one product), rows of other regions are dropped.
   */
  constructor(traces: { source: string; rows: SpotPriceRow[] }[], region: string, simStart: number) {
    for (const { source, rows } of traces) {
      const kept = rows.filter((r) => r.region === region && r.productDescription.startsWith('Linux/UNIX'));
      if (kept.length === 0) continue;
      const first = Math.min(...kept.map((r) => r.at));
      const offset = simStart - first;
      const fresh = new Map<string, SpotPool>();
      for (const r of kept) {
        const key = poolKey(r.instanceType, r.az);
        if (this.pools.has(key))
          throw new Error(`${source}: pool ${r.instanceType} in ${r.az} is already loaded from another file`);
        let pool = fresh.get(key);
        if (!pool) {
          pool = {
            instanceType: r.instanceType,
            az: r.az,
            productDescription: r.productDescription,
            steps: [],
          };
          fresh.set(key, pool);
        }
        pool.steps.push({ at: r.at + offset, price: r.price });
      }
      for (const [key, pool] of fresh) {
        pool.steps.sort((a, b) => a.at - b.at);
        // Back-fill a pool that starts later than its file: its first price holds from the start, and
        // history reports it from there, so priceAt and DescribeSpotPriceHistory always agree.
        if (pool.steps[0]!.at > simStart) pool.steps.unshift({ at: simStart, price: pool.steps[0]!.price });
        this.pools.set(key, pool);
      }
    }
  }

  get size(): number {
    return this.pools.size;
  }

  list(): SpotPool[] {
    return [...this.pools.values()];
  }

  has(instanceType: string, az: string): boolean {
    return this.pools.has(poolKey(instanceType, az));
  }

  /** Whether the pool's prices are synthetic (generated) rather than from a trace. */
  isSynthetic(instanceType: string, az: string): boolean {
    return this.pools.get(poolKey(instanceType, az))?.synthetic !== undefined;
  }

  /** Adds a SYNTHETIC pool (a pool with a trace is never replaced). */
  addSynthetic(trace: SyntheticTrace, instanceType: string, az: string): void {
    const key = poolKey(instanceType, az);
    if (this.pools.has(key)) return;
    this.pools.set(key, {
      instanceType,
      az,
      productDescription: 'Linux/UNIX',
      steps: trace.steps,
      synthetic: trace,
    });
  }

  /** The pool's steps, a synthetic one generated at least up to `t`. */
  private stepsUpTo(pool: SpotPool, t: number): PriceStep[] {
    pool.synthetic?.extendTo(t);
    return pool.steps;
  }

  /** Index of the step in force at `t` (-1 before the first step). */
  private indexAt(steps: PriceStep[], t: number): number {
    let lo = 0;
    let hi = steps.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (steps[mid]!.at <= t) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  priceAt(instanceType: string, az: string, t: number): number | undefined {
    const pool = this.pools.get(poolKey(instanceType, az));
    if (!pool) return undefined;
    const steps = this.stepsUpTo(pool, t);
    const i = this.indexAt(steps, t);
    return steps[Math.max(i, 0)]!.price;
  }

  /** The price steps of one pool overlapping [from, to]: used for billing by the second. */
  segments(
    instanceType: string,
    az: string,
    from: number,
    to: number,
  ): { from: number; to: number; price: number }[] {
    const pool = this.pools.get(poolKey(instanceType, az));
    if (!pool || to <= from) return [];
    const steps = this.stepsUpTo(pool, to);
    const out: { from: number; to: number; price: number }[] = [];
    let i = Math.max(this.indexAt(steps, from), 0);
    let cursor = from;
    while (cursor < to) {
      const next = steps[i + 1];
      const end = next && next.at < to ? next.at : to;
      if (end > cursor) out.push({ from: cursor, to: end, price: steps[i]!.price });
      cursor = end;
      i++;
      if (!next) break;
    }
    return out;
  }

  /**
   * First time ≥ `from` at which `hit(price)` holds (undefined if never within the trace; a synthetic
   * trace is searched a year ahead). `hit` must be monotone — a higher price never un-hits — so a
   * synthetic pool whose ceiling does not hit is answered without generating anything.
   */
  firstTimeWhere(
    instanceType: string,
    az: string,
    from: number,
    hit: (price: number) => boolean,
  ): number | undefined {
    const pool = this.pools.get(poolKey(instanceType, az));
    if (!pool) return undefined;
    if (pool.synthetic && !hit(pool.synthetic.ceiling)) return undefined;
    const steps = this.stepsUpTo(pool, pool.synthetic ? from + SYNTHETIC_LOOKAHEAD_MS : from);
    const i = this.indexAt(steps, from);
    if (hit(steps[Math.max(i, 0)]!.price)) return from;
    for (let j = i + 1; j < steps.length; j++) {
      if (hit(steps[j]!.price)) return steps[j]!.at;
    }
    return undefined;
  }

  /**
   * Price history like DescribeSpotPriceHistory: the changes inside (start, end] plus, per pool, the
   * record in force at `start` (EC2 returns "the last price change before the start time"). Newest first.
   */
  history(q: HistoryQuery): PriceRecord[] {
    const out: PriceRecord[] = [];
    for (const pool of this.pools.values()) {
      if (q.instanceTypes && !q.instanceTypes.includes(pool.instanceType)) continue;
      if (q.azs && !q.azs.includes(pool.az)) continue;
      if (q.productDescriptions && !q.productDescriptions.includes(pool.productDescription)) continue;
      if (q.pool && !q.pool(pool)) continue;
      const steps = this.stepsUpTo(pool, q.end);
      const startIdx = this.indexAt(steps, q.start);
      for (let j = Math.max(startIdx, 0); j < steps.length; j++) {
        const s = steps[j]!;
        if (s.at > q.end) break;
        out.push({
          instanceType: pool.instanceType,
          az: pool.az,
          productDescription: pool.productDescription,
          price: s.price,
          at: s.at,
        });
      }
    }
    return out.sort(
      (a, b) => b.at - a.at || a.instanceType.localeCompare(b.instanceType) || a.az.localeCompare(b.az),
    );
  }
}
