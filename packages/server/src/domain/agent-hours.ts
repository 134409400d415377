import type { ReplicaPeriod } from './replica-periods.ts';
import {
  type HourSummary,
  hourSummaries,
  integrals,
  type PricePoint,
  type RunInterval,
  runCost,
  type UnknownOndemand,
  type UnknownSpotPrice,
} from './savings.ts';

/**
 * Savings per agent and clock hour, pure: what the rollup stores per agent so that a fleet's
 * per-agent figures over a month are sums of stored rows rather than every price point of it.
 */

const HOUR = 3_600_000;

/**
 * One agent's hour: its savings hour and what its standing replicas cost in it. Which runs were
 * standing replicas is decided when the hour is computed (roles and switches then); a later
 * promotion ends the replica period after the hour, so it does not change a stored hour.
 */
export interface AgentHour extends HourSummary {
  agentId: string;
  /** What the agent's standing replicas cost in the hour (the known part). */
  replica_cost: number;
  /** Some replica's cost in the hour is unknown (its pool had no price yet). */
  replica_unknown: boolean;
}

/**
 * Replica cost per agent and hour. An hour piece of a spot run whose pool has no price up to
 * the piece's end is unknown (null), as an hour's spend is in hourSummaries: never guessed.
 */
export function replicaHourCosts(
  periods: readonly ReplicaPeriod[],
  prices: ReadonlyMap<string, readonly PricePoint[]>,
): Map<string, Map<number, number | null>> {
  const integralOf = integrals(prices);
  const out = new Map<string, Map<number, number | null>>();
  for (const { run, end } of periods) {
    const points = integralOf(run.pool);
    let hours = out.get(run.agentId);
    if (!hours) {
      hours = new Map();
      out.set(run.agentId, hours);
    }
    for (let h = Math.floor(run.start / HOUR) * HOUR; h < end; h += HOUR) {
      const from = Math.max(run.start, h);
      const to = Math.min(end, h + HOUR);
      if (to <= from) continue;
      const cost =
        run.market === 'spot' && (points.firstT === null || points.firstT >= to)
          ? null
          : runCost(run, points, from, to);
      const was = hours.get(h);
      hours.set(h, was === null || cost === null ? null : (was ?? 0) + cost);
    }
  }
  return out;
}

/** What some replica periods cost in all (null when some hour of them is unknown). */
export function replicaCost(
  periods: readonly ReplicaPeriod[],
  prices: ReadonlyMap<string, readonly PricePoint[]>,
): number | null {
  let total: number | null = 0;
  for (const hours of replicaHourCosts(periods, prices).values())
    for (const c of hours.values()) total = total === null || c === null ? null : total + c;
  return total;
}

/** Every agent's hours over some runs (each agent's runs summed apart), with replica costs. */
export function agentHourSummaries(
  runs: readonly RunInterval[],
  prices: ReadonlyMap<string, readonly PricePoint[]>,
  periods: readonly ReplicaPeriod[],
): AgentHour[] {
  const replicas = replicaHourCosts(periods, prices);
  const out: AgentHour[] = [];
  for (const [agentId, list] of groupBy(runs, (r) => r.agentId)) {
    const replica = replicas.get(agentId);
    for (const h of hourSummaries(list, prices)) {
      const c = replica?.get(h.hour);
      out.push({ ...h, agentId, replica_cost: c ?? 0, replica_unknown: c === null });
    }
  }
  return out;
}

/** An agent's stored hours of a window, summed (the rollup's per-agent read). */
export interface AgentSums {
  spot_cost: number;
  ondemand_cost: number;
  unknown_ondemand_spend: number;
  /** The first stored hour in which some of its spend was known, or null. */
  first_costed: number | null;
  replica_cost: number;
  replica_unknown: boolean;
  unknown_ondemand: UnknownOndemand[];
  unknown_spot_price: UnknownSpotPrice[];
}

/**
 * Stored sums as one part for combineHours: totals add up over hours, and the first costed
 * hour is where the window's charted hours start (per-agent rows report no hourly series).
 */
export function sumsAsPart(s: AgentSums): HourSummary {
  return {
    hour: s.first_costed ?? 0,
    spot_cost: s.spot_cost,
    ondemand_cost: s.ondemand_cost,
    unknown_ondemand_spend: s.unknown_ondemand_spend,
    costed: s.first_costed !== null,
    unknown_ondemand: s.unknown_ondemand,
    unknown_spot_price: s.unknown_spot_price,
  };
}

export function groupBy<T>(xs: readonly T[], key: (x: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const x of xs) {
    const k = key(x);
    const list = out.get(k);
    if (list) list.push(x);
    else out.set(k, [x]);
  }
  return out;
}
