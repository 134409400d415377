/**
 * Savings against on-demand, pure. Spot prices are a step function per pool (a price holds
 * until the next observation); each instance is billed per second over the time it ran.
 *
 * An instance whose on-demand price is unknown still counts in what was spent; it is left out
 * of the comparison (there is nothing to compare with) and listed, never priced at 0. A spot
 * instance whose pool has no price at all cannot be costed: it is listed too.
 */
export interface PricePoint {
  t: number; // epoch ms
  price: number; // USD per hour
}

export interface RunInterval {
  /** The workload (agent) the instance served; per-agent figures group by it. */
  agentId: string;
  /** Key of the pool's price series (see poolKey). */
  pool: string;
  instanceType: string;
  region: string;
  availabilityZone: string;
  start: number;
  end: number;
  /** USD per hour on demand in the region; null when the catalogue does not know it. */
  ondemandPrice: number | null;
  market: 'spot' | 'on-demand';
}

export interface HourBucket {
  hour: number;
  /** Everything spent in the hour (runs whose own price is known). */
  spot_cost: number;
  /** The on-demand equivalent of the runs whose on-demand price is known. */
  ondemand_cost: number;
  /** The part of spot_cost spent by runs without a known on-demand price (not compared). */
  unknown_ondemand_spend: number;
}

export interface UnknownOndemand {
  instance_type: string;
  region: string;
  market: 'spot' | 'on-demand';
  hours: number;
  /** What those hours cost (null: on-demand market, so its own price is the unknown one). */
  spend: number | null;
}

export interface UnknownSpotPrice {
  instance_type: string;
  availability_zone: string;
  hours: number;
}

/** A window's figures without its hourly series (what the per-agent list shows). */
export interface SavingsTotals {
  /** The first hour with a costed spend (where the window's charted hours start), or null. */
  first_costed_hour: number | null;
  total_spot_cost: number;
  total_ondemand_cost: number;
  total_savings: number;
  /** Rates at `now` over the runs still going (USD per hour). */
  current_spend_per_hour: number;
  current_saving_per_hour: number;
  monthly_projection: number;
  yearly_projection: number;
  unknown_ondemand: UnknownOndemand[];
  unknown_spot_price: UnknownSpotPrice[];
}

export interface SavingsSummary extends SavingsTotals {
  hourly: Array<HourBucket & { savings: number; cumulative_savings: number }>;
}

const HOUR = 3_600_000;
/** The usual cloud billing conventions: a month is 730 hours, a year 8,760. */
export const HOURS_PER_MONTH = 730;
export const HOURS_PER_YEAR = 8_760;

export const poolKey = (type: string, az: string) => `${type}|${az}`;

/** The price in force at `t`: the last point at or before it, else the first known one. */
export function priceAt(points: readonly PricePoint[], t: number): number | null {
  if (points.length === 0) return null;
  let price = points[0]!.price;
  for (const p of points) {
    if (p.t > t) break;
    price = p.price;
  }
  return price;
}

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

/**
 * A pool's step-function price, prepared once for many questions: the running integral at
 * every point, so the cost of any interval is two binary searches — O(log n) — instead of a
 * scan of the series. Summing a 30-day window hour by hour for every run scanned each pool's
 * series once per hour per run (hours × points), which at fleet scale took minutes.
 * Same conventions as stepCost: before the first point the first price holds; of points at
 * the same instant, the last one wins.
 */
export class PriceIntegral {
  private readonly ts: Float64Array;
  private readonly prices: Float64Array;
  /** cum[i]: USD·ms/h from ts[0] to ts[i]. */
  private readonly cum: Float64Array;

  constructor(points: readonly PricePoint[]) {
    const n = points.length;
    this.ts = new Float64Array(n);
    this.prices = new Float64Array(n);
    this.cum = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      this.ts[i] = points[i]!.t;
      this.prices[i] = points[i]!.price;
      if (i > 0) this.cum[i] = this.cum[i - 1]! + this.prices[i - 1]! * (this.ts[i]! - this.ts[i - 1]!);
    }
  }

  get empty(): boolean {
    return this.ts.length === 0;
  }

  /** Time of the first point, or null without points. */
  get firstT(): number | null {
    return this.ts.length === 0 ? null : this.ts[0]!;
  }

  /** Index of the last point at or before t, or -1 when t precedes every point. */
  private lastAtOrBefore(t: number): number {
    let lo = 0;
    let hi = this.ts.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ts[mid]! <= t) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  /** The integral from the first point to t (negative before it, at the first price). */
  private at(t: number): number {
    const k = this.lastAtOrBefore(t);
    if (k < 0) return this.prices[0]! * (t - this.ts[0]!);
    return this.cum[k]! + this.prices[k]! * (t - this.ts[k]!);
  }

  /** The price in force at t (as priceAt), or null without points. */
  priceAt(t: number): number | null {
    if (this.empty) return null;
    return this.prices[Math.max(0, this.lastAtOrBefore(t))]!;
  }

  /** Cost of running from start to end (as stepCost), or null without points. */
  cost(start: number, end: number): number | null {
    if (end <= start) return 0;
    if (this.empty) return null;
    return (this.at(end) - this.at(start)) / HOUR;
  }
}

/** What a run cost from `from` to `to`: the spot step function, or its on-demand price. */
export function runCost(
  run: RunInterval,
  points: readonly PricePoint[] | PriceIntegral,
  from = run.start,
  to = run.end,
): number | null {
  if (run.market === 'on-demand') {
    return run.ondemandPrice === null ? null : (run.ondemandPrice * Math.max(0, to - from)) / HOUR;
  }
  return points instanceof PriceIntegral ? points.cost(from, to) : stepCost(points, from, to);
}

/**
 * Integrals already built for a map of prices: per-agent figures summarise each agent's runs
 * against the same map, and a pool's integral is built once for all of them. Keyed weakly by
 * the map, which its readers do not change.
 */
const builtFor = new WeakMap<ReadonlyMap<string, readonly PricePoint[]>, Map<string, PriceIntegral>>();

/** One PriceIntegral per pool, built on first use. */
export function integrals(
  prices: ReadonlyMap<string, readonly PricePoint[]>,
): (pool: string) => PriceIntegral {
  let built = builtFor.get(prices);
  if (!built) {
    built = new Map();
    builtFor.set(prices, built);
  }
  const cache = built;
  return (pool) => {
    let i = cache.get(pool);
    if (!i) {
      i = new PriceIntegral(prices.get(pool) ?? []);
      cache.set(pool, i);
    }
    return i;
  };
}

/**
 * One clock hour of savings: its bucket and what in it could not be compared or costed. Hours
 * are independent of each other, so a finished hour can be computed once and stored
 * (the savings rollup) and a window is the combination of its hours.
 */
export interface HourSummary extends HourBucket {
  /** Some run's spend in the hour is known (an hour of only unknowns is not charted). */
  costed: boolean;
  unknown_ondemand: UnknownOndemand[];
  unknown_spot_price: UnknownSpotPrice[];
}

/** An hour in which nothing ran. */
export const emptyHour = (hour: number): HourSummary => ({
  hour,
  spot_cost: 0,
  ondemand_cost: 0,
  unknown_ondemand_spend: 0,
  costed: false,
  unknown_ondemand: [],
  unknown_spot_price: [],
});

/**
 * Splits each run at hour boundaries and sums, per hour, the spend and its on-demand
 * equivalent, listing the hours that cannot be compared (no on-demand price) or costed (a
 * spot pool with no price yet). A pool's first price stands for the part of its hour before
 * it, never for earlier hours: those are unknown. That keeps every hour a function of the
 * prices up to its end, which is what lets a finished hour be stored and only a later price
 * for that hour (or before it) change it.
 */
export function hourSummaries(
  runs: readonly RunInterval[],
  prices: ReadonlyMap<string, readonly PricePoint[]>,
): HourSummary[] {
  const hours = new Map<number, HourSummary>();
  const integralOf = integrals(prices);
  for (const run of runs) {
    const points = integralOf(run.pool);
    for (let h = Math.floor(run.start / HOUR) * HOUR; h < run.end; h += HOUR) {
      const from = Math.max(run.start, h);
      const to = Math.min(run.end, h + HOUR);
      if (to <= from) continue;
      const spend =
        run.market === 'spot' && (points.firstT === null || points.firstT >= to)
          ? null
          : runCost(run, points, from, to);
      const b = hours.get(h) ?? emptyHour(h);
      hours.set(h, b);
      if (spend === null && run.market === 'spot') addUnknownSpot(b.unknown_spot_price, run, to - from);
      if (run.ondemandPrice === null) addUnknownOndemand(b.unknown_ondemand, run, to - from, spend);
      if (spend === null) continue; // listed, never guessed
      b.costed = true;
      b.spot_cost += spend;
      if (run.ondemandPrice === null) b.unknown_ondemand_spend += spend;
      else b.ondemand_cost += (run.ondemandPrice * (to - from)) / HOUR;
    }
  }
  return [...hours.values()].sort((a, b) => a.hour - b.hour);
}

function addUnknownSpot(list: UnknownSpotPrice[], run: RunInterval, ms: number) {
  let u = list.find(
    (x) => x.instance_type === run.instanceType && x.availability_zone === run.availabilityZone,
  );
  if (!u) {
    u = { instance_type: run.instanceType, availability_zone: run.availabilityZone, hours: 0 };
    list.push(u);
  }
  u.hours += ms / HOUR;
}

function addUnknownOndemand(list: UnknownOndemand[], run: RunInterval, ms: number, spend: number | null) {
  let u = list.find(
    (x) => x.instance_type === run.instanceType && x.region === run.region && x.market === run.market,
  );
  if (!u) {
    u = {
      instance_type: run.instanceType,
      region: run.region,
      market: run.market,
      hours: 0,
      spend: run.market === 'spot' ? 0 : null,
    };
    list.push(u);
  }
  u.hours += ms / HOUR;
  if (u.spend !== null && spend !== null) u.spend += spend;
}

/** Spend and its on-demand equivalent per hour (the buckets of hourSummaries that were costed). */
export function hourlyCosts(
  runs: readonly RunInterval[],
  prices: ReadonlyMap<string, readonly PricePoint[]>,
): HourBucket[] {
  return hourSummaries(runs, prices)
    .filter((h) => h.costed)
    .map(({ hour, spot_cost, ondemand_cost, unknown_ondemand_spend }) => ({
      hour,
      spot_cost,
      ondemand_cost,
      unknown_ondemand_spend,
    }));
}

/** The saving of one hour: on-demand equivalent minus what the compared runs spent. */
export const bucketSaving = (b: HourBucket) => b.ondemand_cost - (b.spot_cost - b.unknown_ondemand_spend);

export interface CurrentRates {
  /** USD per hour spent by the runs still going at `now`. */
  spend: number;
  /** USD per hour saved by those of them with a known on-demand price. */
  saving: number;
}

/** A run ending at `now` or later is still going: it makes the current rate. */
export function currentRates(
  runs: readonly RunInterval[],
  prices: ReadonlyMap<string, readonly PricePoint[]>,
  now: number,
): CurrentRates {
  const integralOf = integrals(prices);
  let spend = 0;
  let saving = 0;
  for (const run of runs) {
    if (run.end < now) continue;
    const price = run.market === 'on-demand' ? run.ondemandPrice : integralOf(run.pool).priceAt(now);
    if (price === null) continue;
    spend += price;
    if (run.ondemandPrice !== null) saving += run.ondemandPrice - price;
  }
  return { spend, saving };
}

/**
 * A window's summary from its hours (computed now or stored), in any order and possibly
 * split (an hour given in parts is summed), and the current rates.
 */
export function combineHours(parts: readonly HourSummary[], rates: CurrentRates): SavingsSummary {
  const byHour = new Map<number, HourSummary>();
  for (const p of parts) {
    const b = byHour.get(p.hour) ?? emptyHour(p.hour);
    byHour.set(p.hour, b);
    b.spot_cost += p.spot_cost;
    b.ondemand_cost += p.ondemand_cost;
    b.unknown_ondemand_spend += p.unknown_ondemand_spend;
    b.costed ||= p.costed;
  }
  let cumulative = 0;
  let spend = 0;
  let ondemand = 0;
  const hourly = [...byHour.values()]
    .filter((b) => b.costed)
    .sort((a, b) => a.hour - b.hour)
    .map(({ hour, spot_cost, ondemand_cost, unknown_ondemand_spend }) => {
      const bucket = { hour, spot_cost, ondemand_cost, unknown_ondemand_spend };
      const savings = bucketSaving(bucket);
      cumulative += savings;
      spend += spot_cost;
      ondemand += ondemand_cost;
      return { ...bucket, savings, cumulative_savings: cumulative };
    });
  return {
    hourly,
    first_costed_hour: hourly[0]?.hour ?? null,
    total_spot_cost: spend,
    total_ondemand_cost: ondemand,
    total_savings: cumulative,
    ...projected(rates),
    ...mergedUnknowns(parts),
  };
}

/**
 * The same figures as combineHours without building the hourly series: the per-agent list
 * combines a few parts for each of thousands of agents, and the series it never shows was
 * most of its time. A part that is not costed carries no cost (hourSummaries adds a spend
 * only where it marks the hour costed), and a bucket's saving is linear in its fields, so
 * the totals are sums over the parts.
 */
export function combineTotals(parts: readonly HourSummary[], rates: CurrentRates): SavingsTotals {
  let first: number | null = null;
  const sum = { hour: 0, spot_cost: 0, ondemand_cost: 0, unknown_ondemand_spend: 0 };
  let unknowns = false;
  for (const p of parts) {
    sum.spot_cost += p.spot_cost;
    sum.ondemand_cost += p.ondemand_cost;
    sum.unknown_ondemand_spend += p.unknown_ondemand_spend;
    if (p.costed && (first === null || p.hour < first)) first = p.hour;
    unknowns ||= p.unknown_ondemand.length > 0 || p.unknown_spot_price.length > 0;
  }
  return {
    first_costed_hour: first,
    total_spot_cost: sum.spot_cost,
    total_ondemand_cost: sum.ondemand_cost,
    total_savings: bucketSaving(sum),
    ...projected(rates),
    ...(unknowns ? mergedUnknowns(parts) : { unknown_ondemand: [], unknown_spot_price: [] }),
  };
}

function projected(rates: CurrentRates) {
  return {
    current_spend_per_hour: rates.spend,
    current_saving_per_hour: rates.saving,
    monthly_projection: rates.saving * HOURS_PER_MONTH,
    yearly_projection: rates.saving * HOURS_PER_YEAR,
  };
}

/** The parts' unknowns summed by type (and region, market) or pool, sorted by that key. */
function mergedUnknowns(parts: readonly HourSummary[]) {
  const unknownOd = new Map<string, UnknownOndemand>();
  const unknownSpot = new Map<string, UnknownSpotPrice>();
  for (const p of parts) {
    for (const u of p.unknown_ondemand) {
      const key = `${u.region}|${u.instance_type}|${u.market}`;
      const acc = unknownOd.get(key);
      if (!acc) unknownOd.set(key, { ...u });
      else {
        acc.hours += u.hours;
        acc.spend = acc.spend === null || u.spend === null ? acc.spend : acc.spend + u.spend;
      }
    }
    for (const u of p.unknown_spot_price) {
      const key = poolKey(u.instance_type, u.availability_zone);
      const acc = unknownSpot.get(key);
      if (!acc) unknownSpot.set(key, { ...u });
      else acc.hours += u.hours;
    }
  }
  // Sorted, so an answer does not depend on the order its parts were read in.
  return { unknown_ondemand: sortedValues(unknownOd), unknown_spot_price: sortedValues(unknownSpot) };
}

function sortedValues<T>(byKey: Map<string, T>): T[] {
  return [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);
}

/** Hourly, cumulative and projected savings of some runs (clipped to the window already). */
export function summarise(
  runs: readonly RunInterval[],
  prices: ReadonlyMap<string, readonly PricePoint[]>,
  now: number,
): SavingsSummary {
  return combineHours(hourSummaries(runs, prices), currentRates(runs, prices, now));
}
