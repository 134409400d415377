import type { Executor } from '../db/executor.ts';
import { median } from '../domain/roi.ts';
import { type PricePoint, poolKey, type RunInterval } from '../domain/savings.ts';
import {
  listOndemandPrices,
  listPricePointsForWindow,
  listRecentLaunchSeconds,
  listRunsInWindow,
  listSwitchesInWindow,
  listSwitchesTargeting,
} from '../repositories/savings.ts';

export type RunRow = Awaited<ReturnType<typeof listRunsInWindow>>[number];

/** A span of time of one client (or one of its agents): [since, now). */
export interface SavingsSpan {
  clientId: string;
  since: Date;
  now: Date;
  agentId?: string;
}

/** The runs, prices and switches of a span, read from the raw tables. */
export interface SpanData {
  rows: RunRow[];
  /** The runs clipped to the span; one still going runs until the span's end. */
  runs: RunInterval[];
  runOf: Map<string, RunInterval>;
  /** Each spot run's pool: its last point before the span and its points inside it. */
  prices: Map<string, PricePoint[]>;
  switches: Awaited<ReturnType<typeof listSwitchesInWindow>>;
  targeting: Awaited<ReturnType<typeof listSwitchesTargeting>>;
  bootSeconds: number;
}

/** Reads what the savings of a span are computed from (the maths is in domain/savings.ts). */
export async function loadSpan(
  db: Executor,
  w: SavingsSpan,
  opts: {
    switches: boolean;
    defaultBootSeconds: number;
    /** The on-demand list when the caller reads it once for several spans. */
    ondemand?: Promise<Map<string, number>>;
  },
): Promise<SpanData> {
  const [rows, od, switches, launchSecs] = await Promise.all([
    listRunsInWindow(db, w.clientId, w.since, w.now, w.agentId),
    opts.ondemand ?? listOndemandPrices(db),
    opts.switches ? listSwitchesInWindow(db, w.clientId, w.since, w.agentId) : Promise.resolve([]),
    opts.switches ? listRecentLaunchSeconds(db, w.clientId) : Promise.resolve([]),
  ]);
  const runs: RunInterval[] = [];
  const runOf = new Map<string, RunInterval>();
  const pools = new Map<string, { instance_type: string; availability_zone: string }>();
  const sinceMs = w.since.getTime();
  const nowMs = w.now.getTime();
  for (const r of rows) {
    if (!r.availability_zone || !r.launch_confirmed_at) continue;
    const region = r.region ?? r.availability_zone.slice(0, -1);
    const market = r.market === 'on-demand' ? 'on-demand' : 'spot';
    const end = r.termination_confirmed_at ? new Date(r.termination_confirmed_at).getTime() : nowMs;
    const run: RunInterval = {
      agentId: r.agent_id,
      pool: poolKey(r.instance_type, r.availability_zone),
      instanceType: r.instance_type,
      region,
      availabilityZone: r.availability_zone,
      start: Math.max(sinceMs, new Date(r.launch_confirmed_at).getTime()),
      end: Math.min(nowMs, end),
      ondemandPrice: od.get(`${region}|${r.instance_type}`) ?? null,
      market,
    };
    runs.push(run);
    runOf.set(r.id, run);
    if (market === 'spot')
      pools.set(run.pool, { instance_type: r.instance_type, availability_zone: r.availability_zone });
  }
  const [points, targeting] = await Promise.all([
    listPricePointsForWindow(db, w.clientId, [...pools.values()], w.since, w.now),
    opts.switches ? listSwitchesTargeting(db, w.clientId, [...runOf.keys()]) : Promise.resolve([]),
  ]);
  const prices = new Map<string, PricePoint[]>();
  for (const p of points) {
    const key = poolKey(p.instance_type, p.availability_zone);
    const list = prices.get(key) ?? [];
    list.push({ t: p.t, price: p.spot_price });
    prices.set(key, list);
  }
  for (const list of prices.values()) list.sort((a, b) => a.t - b.t);
  return {
    rows,
    runs,
    runOf,
    prices,
    switches,
    targeting,
    bootSeconds: median(launchSecs) ?? opts.defaultBootSeconds,
  };
}
