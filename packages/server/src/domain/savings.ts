/**
 * Savings against on-demand, pure. Spot prices are a step function per pool (a price holds
 * until the next observation); each instance is billed per second over the time it ran.
 */
export interface PricePoint {
  t: number; // epoch ms
  price: number; // USD per hour
}

export interface RunInterval {
  pool: string;
  start: number;
  end: number;
  ondemandPrice: number;
  market: 'spot' | 'on-demand';
}

export interface HourBucket {
  hour: number;
  spot_cost: number;
  ondemand_cost: number;
}

const HOUR = 3_600_000;

/** Cost of running from `start` to `end` under a step-function price (points sorted by t). */
export function stepCost(points: readonly PricePoint[], start: number, end: number): number | null {
  if (end <= start) return 0;
  // The price in force at `start` is the last point at or before it; before the first
  // observation we assume the first known price (agents report the last hour on start).
  let idx = -1;
  for (let i = 0; i < points.length && points[i]!.t <= start; i++) idx = i;
  if (points.length === 0) return null;
  let cost = 0;
  let cursor = start;
  let price = points[Math.max(idx, 0)]!.price;
  for (let i = idx + 1; i < points.length && points[i]!.t < end; i++) {
    const p = points[i]!;
    if (p.t > cursor) {
      cost += (price * (p.t - cursor)) / HOUR;
      cursor = p.t;
    }
    price = p.price;
  }
  cost += (price * (end - cursor)) / HOUR;
  return cost;
}

/** Splits each run at hour boundaries and sums spot and on-demand cost per hour. */
export function hourlyCosts(
  runs: readonly RunInterval[],
  prices: ReadonlyMap<string, PricePoint[]>,
): HourBucket[] {
  const buckets = new Map<number, HourBucket>();
  for (const run of runs) {
    const points = prices.get(run.pool) ?? [];
    for (let h = Math.floor(run.start / HOUR) * HOUR; h < run.end; h += HOUR) {
      const from = Math.max(run.start, h);
      const to = Math.min(run.end, h + HOUR);
      const od = (run.ondemandPrice * (to - from)) / HOUR;
      const spot = run.market === 'on-demand' ? od : stepCost(points, from, to);
      if (spot === null) continue; // no price known for this pool: leave it out rather than guess
      const b = buckets.get(h) ?? { hour: h, spot_cost: 0, ondemand_cost: 0 };
      b.spot_cost += spot;
      b.ondemand_cost += od;
      buckets.set(h, b);
    }
  }
  return [...buckets.values()].sort((a, b) => a.hour - b.hour);
}
