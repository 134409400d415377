import type { Executor } from '../db/executor.ts';
import { median } from '../domain/roi.ts';
import { type PricePoint, poolKey, type RunInterval } from '../domain/savings.ts';
import {
  listOndemandPrices,
  listPricePointsForSpans,
  listRecentLaunchSeconds,
  listRunsInSpans,
  listSwitchesInWindow,
  listSwitchesTargeting,
  type PoolId,
  type TimeSpan,
} from '../repositories/savings.ts';

export type RunRow = Awaited<ReturnType<typeof listRunsInSpans>>[number];

/** A span of time of one client (or one of its agents): [since, now). */
export interface SavingsSpan extends TimeSpan {
  clientId: string;
  agentId?: string;
}

/** The runs and prices of a span, read from the raw tables. */
export interface SpanRuns {
  /** rows[i] is the row of runs[i]. */
  rows: RunRow[];
  /** The runs clipped to the span; one still going runs until the span's end. */
  runs: RunInterval[];
  runOf: Map<string, RunInterval>;
  /** Each spot run's pool: its last point before the span and its points inside it. */
  prices: Map<string, PricePoint[]>;
}

/** A span's runs and prices with its switches (what per-agent savings and ROI need). */
export interface SpanData extends SpanRuns {
  switches: Awaited<ReturnType<typeof listSwitchesInWindow>>;
  targeting: Awaited<ReturnType<typeof listSwitchesTargeting>>;
  bootSeconds: number;
}

/**
 * Reads the runs and prices of several spans of one client together: one query for the runs
 * that overlap any of them, one for every span's price points (the maths is in
 * domain/savings.ts). `ondemand` is the on-demand list when the caller has it read already.
 */
export async function loadSpans(
  db: Executor,
  clientId: string,
  spans: readonly TimeSpan[],
  opts: { agentId?: string; ondemand?: Promise<Map<string, number>> } = {},
): Promise<SpanRuns[]> {
  const [rows, od] = await Promise.all([
    listRunsInSpans(db, clientId, spans, opts.agentId),
    opts.ondemand ?? listOndemandPrices(db),
  ]);
  const out: SpanRuns[] = [];
  const wanted: Array<PoolId & { span: number }> = [];
  spans.forEach((w, k) => {
    const { span, pools } = runsOfSpan(rows, w.since.getTime(), w.now.getTime(), od);
    out.push(span);
    for (const p of pools) wanted.push({ ...p, span: k });
  });
  const points = await listPricePointsForSpans(db, clientId, wanted, spans);
  out.forEach((span, k) => {
    span.prices = pricesOf(points.filter((p) => p.span === k));
  });
  return out;
}

/**
 * A span's runs from rows read for it or for more (pure): those that ran in [since, now),
 * clipped to it, and the spot pools whose prices they need. The span's price map is empty.
 */
export function runsOfSpan(
  rows: readonly RunRow[],
  sinceMs: number,
  nowMs: number,
  od: ReadonlyMap<string, number>,
): { span: SpanRuns; pools: PoolId[] } {
  const span: SpanRuns = { rows: [], runs: [], runOf: new Map(), prices: new Map() };
  const pools = new Map<string, PoolId>();
  for (const r of rows) {
    if (!r.availability_zone) continue;
    const end = r.terminated ?? Number.POSITIVE_INFINITY;
    if (r.launched >= nowMs || end <= sinceMs) continue; // it ran in another span
    const region = r.region ?? r.availability_zone.slice(0, -1);
    const market = r.market === 'on-demand' ? 'on-demand' : 'spot';
    const run: RunInterval = {
      agentId: r.agent_id,
      pool: poolKey(r.instance_type, r.availability_zone),
      instanceType: r.instance_type,
      region,
      availabilityZone: r.availability_zone,
      start: Math.max(sinceMs, r.launched),
      end: Math.min(nowMs, end),
      ondemandPrice: od.get(`${region}|${r.instance_type}`) ?? null,
      market,
    };
    span.rows.push(r);
    span.runs.push(run);
    span.runOf.set(r.id, run);
    if (market === 'spot')
      pools.set(run.pool, { instance_type: r.instance_type, availability_zone: r.availability_zone });
  }
  return { span, pools: [...pools.values()] };
}

/** Price rows as each pool's points in time order. */
export function pricesOf(
  rows: ReadonlyArray<PoolId & { t: number; spot_price: number }>,
): Map<string, PricePoint[]> {
  const prices = new Map<string, PricePoint[]>();
  for (const p of rows) {
    const key = poolKey(p.instance_type, p.availability_zone);
    const list = prices.get(key);
    if (list) list.push({ t: p.t, price: p.spot_price });
    else prices.set(key, [{ t: p.t, price: p.spot_price }]);
  }
  for (const list of prices.values()) list.sort((a, b) => a.t - b.t);
  return prices;
}

/**
 * The part of a span read earlier that starts at `since` (inside it): its runs clipped to start
 * there, those that ended before it left out. The price map is the span's own: points before
 * `since` do not change a cost from `since` on (the last one at or before it is the price in
 * force; domain/savings.ts), and keeping the map keeps its built integrals.
 */
export function spanFrom(span: SpanRuns, since: number): SpanRuns {
  const out: SpanRuns = { rows: [], runs: [], runOf: new Map(), prices: span.prices };
  span.rows.forEach((row, i) => {
    const run = span.runs[i]!;
    if (run.end <= since) return;
    const clipped = run.start >= since ? run : { ...run, start: since };
    out.rows.push(row);
    out.runs.push(clipped);
    out.runOf.set(row.id, clipped);
  });
  return out;
}

/** Reads one span with its switches, the launches' boot time and the replica periods' switches. */
export async function loadSpan(
  db: Executor,
  w: SavingsSpan,
  opts: { defaultBootSeconds: number },
): Promise<SpanData> {
  const [[runs], switches, launchSecs] = await Promise.all([
    loadSpans(db, w.clientId, [w], { agentId: w.agentId }),
    listSwitchesInWindow(db, w.clientId, w.since, w.agentId),
    listRecentLaunchSeconds(db, w.clientId),
  ]);
  const targeting = await listSwitchesTargeting(db, w.clientId, [...runs!.runOf.keys()]);
  return {
    ...runs!,
    switches,
    targeting,
    bootSeconds: median(launchSecs) ?? opts.defaultBootSeconds,
  };
}
