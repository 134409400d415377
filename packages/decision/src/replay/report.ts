// The replay's result, in the shape the issue publishes (`--json`), with its zod schema so
// tests and consumers validate the same thing.
import { z } from 'zod';
import type { Outcome } from './cost.ts';
import type { Market } from './market.ts';

export const PolicyResultSchema = z.object({
  name: z.string(),
  cost_usd: z.number(),
  savings_vs_ondemand_pct: z.number(),
  captured_oracle_pct: z.number().nullable(),
  regret_pct: z.number().nullable(),
  switches: z.number().int().nonnegative(),
  interruptions: z.number().int().nonnegative(),
  downtime_seconds: z.number().nonnegative(),
});

export const ReplayResultSchema = z.object({
  window: z.object({ from: z.string(), to: z.string() }),
  pools: z.array(z.string()),
  ondemand_cost_usd: z.number(),
  policies: z.array(PolicyResultSchema),
});

export type PolicyResult = z.infer<typeof PolicyResultSchema>;
export type ReplayResult = z.infer<typeof ReplayResultSchema>;

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

export function policyResult(
  name: string,
  o: Outcome,
  ondemandCost: number,
  oracleCost: number,
): PolicyResult {
  const capturable = ondemandCost - oracleCost;
  return {
    name,
    cost_usd: round(o.costUsd, 6),
    savings_vs_ondemand_pct: round((100 * (ondemandCost - o.costUsd)) / ondemandCost, 4),
    // Undefined ratios (an oracle with no saving, or costing nothing) are null rather than ±Infinity.
    captured_oracle_pct: capturable > 0 ? round((100 * (ondemandCost - o.costUsd)) / capturable, 4) : null,
    regret_pct: oracleCost > 0 ? round((100 * (o.costUsd - oracleCost)) / oracleCost, 4) : null,
    switches: o.switches,
    interruptions: o.interruptions,
    downtime_seconds: o.downtimeSeconds,
  };
}

export function isoSeconds(t: number): string {
  return new Date(t * 1000).toISOString().replace('.000Z', 'Z');
}

export function replayResult(
  m: Market,
  runs: readonly { name: string; outcome: Outcome }[],
  oracleCost: number,
): ReplayResult {
  return {
    window: { from: isoSeconds(m.from), to: isoSeconds(m.to) },
    pools: [...m.pools],
    ondemand_cost_usd: round(m.ondemandCostUsd, 6),
    policies: runs.map((r) => policyResult(r.name, r.outcome, m.ondemandCostUsd, oracleCost)),
  };
}
