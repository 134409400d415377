// Turns price series and a window into the replay's grid: decision points × options, with
// each option's price and availability on each segment [t_k, t_k+1). Every price change of a
// candidate pool is a decision point, so prices are constant on a segment and the cost model
// reduces to sums over the grid. Pure: no I/O.
import type { OptionInfo } from '../policy/types.ts';
import { type OnDemandTable, onDemandKey, type PoolSeries } from '../prices/types.ts';

export interface Market {
  readonly from: number;
  readonly to: number;
  readonly options: readonly OptionInfo[];
  /** Spot pool keys, in option order (they come first). */
  readonly pools: readonly string[];
  /** Decision points, epoch seconds, strictly increasing; times[0] === from. */
  readonly times: Float64Array;
  /** Seconds each segment lasts (the last one ends at `to`). */
  readonly durations: Float64Array;
  /** Row-major K × O, USD/h; NaN where a pool has no price yet. */
  readonly prices: Float64Array;
  /** Row-major K × O; 1 where the option can be held. */
  readonly available: Uint8Array;
  /** The cheapest candidate type's on-demand price over the whole window. */
  readonly ondemandCostUsd: number;
}

export class MarketError extends Error {
  override name = 'MarketError';
}

export interface MarketInput {
  readonly series: readonly PoolSeries[];
  readonly onDemand: OnDemandTable;
  readonly from: number;
  readonly to: number;
}

/** Index of the last time ≤ t, or -1. */
function floorIndex(times: readonly number[], t: number): number {
  let lo = 0;
  let hi = times.length - 1;
  let ans = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (times[mid]! <= t) {
      ans = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return ans;
}

export function buildMarket({ series, onDemand, from, to }: MarketInput): Market {
  if (!(to > from)) throw new MarketError('the window is empty: --to must be after --from');
  if (series.length === 0) throw new MarketError('no candidate pools');
  const sorted = [...series].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const options: OptionInfo[] = [];
  const odTypes = new Map<string, OptionInfo>();
  for (const s of sorted) {
    const od = onDemand.get(onDemandKey(s.region, s.instanceType));
    // Availability is defined against on-demand, so a pool without a list price cannot be replayed.
    if (od === undefined) throw new MarketError(`no on-demand price for ${s.instanceType} in ${s.region}`);
    options.push({
      id: s.key,
      kind: 'spot',
      instanceType: s.instanceType,
      region: s.region,
      az: s.az,
      ondemandPrice: od,
    });
    const odKey = onDemandKey(s.region, s.instanceType);
    if (!odTypes.has(odKey)) {
      odTypes.set(odKey, {
        id: `${s.instanceType}@ondemand`,
        kind: 'ondemand',
        instanceType: s.instanceType,
        region: s.region,
        az: null,
        ondemandPrice: od,
      });
    }
  }
  const odOptions = [...odTypes.values()];
  if (new Set(odOptions.map((o) => o.id)).size !== odOptions.length) {
    throw new MarketError('one instance type appears in two regions; replay one region at a time');
  }
  options.push(...odOptions);

  // Decision points: the window start and every row time of a candidate pool inside the window.
  const points = new Set<number>([from]);
  for (const s of sorted) {
    for (let i = Math.max(0, floorIndex(s.times, from)); i < s.times.length; i++) {
      const t = s.times[i]!;
      if (t >= to) break;
      if (t > from) points.add(t);
    }
  }
  const times = Float64Array.from(points).sort();
  const K = times.length;
  const O = options.length;
  const durations = new Float64Array(K);
  for (let k = 0; k < K; k++) durations[k] = (k + 1 < K ? times[k + 1]! : to) - times[k]!;

  const prices = new Float64Array(K * O);
  const available = new Uint8Array(K * O);
  sorted.forEach((s, o) => {
    const od = options[o]!.ondemandPrice;
    let i = floorIndex(s.times, from);
    for (let k = 0; k < K; k++) {
      const t = times[k]!;
      while (i + 1 < s.times.length && s.times[i + 1]! <= t) i++;
      const p = i >= 0 ? s.prices[i]! : Number.NaN;
      prices[k * O + o] = p;
      available[k * O + o] = p < od ? 1 : 0; // NaN < od is false: no price yet, not available
    }
  });
  for (let o = sorted.length; o < O; o++) {
    for (let k = 0; k < K; k++) {
      prices[k * O + o] = options[o]!.ondemandPrice;
      available[k * O + o] = 1;
    }
  }
  const cheapestOd = Math.min(...odOptions.map((o) => o.ondemandPrice));
  return {
    from,
    to,
    options,
    pools: sorted.map((s) => s.key),
    times,
    durations,
    prices,
    available,
    ondemandCostUsd: (cheapestOd * (to - from)) / 3600,
  };
}
