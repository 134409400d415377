import { z } from 'zod';
import { Id, Timestamp } from './common.ts';

/**
 * Savings against on-demand and what switches and replicas are worth. Money is USD; rates are
 * USD per hour. Projections extend the current rate: a month is 730 hours, a year 8,760.
 */
const Hours = z.coerce
  .number()
  .int()
  .min(1)
  .max(24 * 90)
  .default(24 * 30)
  .describe('Window: the last this many hours (default 720, at most 2,160)');

export const SavingsQuery = z.object({ hours: Hours });
export type SavingsQuery = z.infer<typeof SavingsQuery>;

export const AgentSavingsQuery = z.object({
  hours: Hours,
  downtime_usd_per_hour: z.coerce
    .number()
    .min(0)
    .max(10_000_000)
    .optional()
    .describe('Value of one hour of downtime for replica ROI (default: server DOWNTIME_COST_USD_PER_HOUR)'),
});
export type AgentSavingsQuery = z.infer<typeof AgentSavingsQuery>;

export const UnknownOndemand = z
  .object({
    instance_type: z.string(),
    region: z.string(),
    market: z.enum(['spot', 'on-demand']),
    hours: z.number(),
    /** What those hours cost (counted in total_spot_cost); null when unknown too (on-demand market). */
    spend: z.number().nullable(),
  })
  .describe('Instances with no known on-demand price: counted in spend, not compared');

export const UnknownSpotPrice = z
  .object({ instance_type: z.string(), availability_zone: z.string(), hours: z.number() })
  .describe('Spot instances whose pool has no reported price: their cost is unknown');

const SavingsFigures = {
  currency: z.literal('USD'),
  window_hours: z.number(),
  window_start: Timestamp,
  since: Timestamp.nullable(),
  /** Everything spent in the window (including instances without an on-demand price). */
  total_spot_cost: z.number(),
  /** On-demand equivalent of the instances whose on-demand price is known. */
  total_ondemand_cost: z.number(),
  total_savings: z.number(),
  savings_pct: z.number().nullable(),
  current_spend_per_hour: z.number(),
  current_saving_per_hour: z.number(),
  monthly_projection: z.number(),
  yearly_projection: z.number(),
  unknown_ondemand: z.array(UnknownOndemand),
  unknown_spot_price: z.array(UnknownSpotPrice),
};

export const SavingsHour = z.object({
  hour: Timestamp,
  spot_cost: z.number(),
  ondemand_cost: z.number(),
  /** Part of spot_cost spent by instances with no known on-demand price (not in savings). */
  unknown_ondemand_spend: z.number(),
  savings: z.number(),
  cumulative_savings: z.number(),
});

export const SavingsResponse = z.object({ ...SavingsFigures, hourly: z.array(SavingsHour) });
export type SavingsResponse = z.infer<typeof SavingsResponse>;

export const ReplicaRoi = z.object({
  /** What the agent's replicas were billed in the window; null when a replica's price is unknown. */
  replica_cost: z.number().nullable(),
  /** Ready replicas promoted for an interruption (termination notice or rebalance) in the window. */
  promotions: z.number().int(),
  promotions_unmeasured: z.number().int(),
  /** Replacement boot time assumed (median of measured launches, else the server default). */
  boot_seconds: z.number(),
  downtime_avoided_seconds: z.number(),
  downtime_usd_per_hour: z.number(),
  value_of_downtime_avoided: z.number(),
  net: z.number().nullable(),
  roi: z.number().nullable(),
  break_even_usd_per_hour: z.number().nullable(),
});
export type ReplicaRoi = z.infer<typeof ReplicaRoi>;

export const SwitchImpact = z.object({
  switch_id: Id,
  trigger: z.string(),
  status: z.string(),
  requested_at: Timestamp,
  from: z.object({
    instance_type: z.string().nullable(),
    availability_zone: z.string().nullable(),
    market: z.string().nullable(),
  }),
  to: z.object({ instance_type: z.string(), availability_zone: z.string().nullable(), market: z.string() }),
  /** USD per hour at the switch time, source and target pools. */
  price_before: z.number().nullable(),
  price_after: z.number().nullable(),
  saving_per_hour: z.number().nullable(),
  /** saving_per_hour as a % of price_before. */
  saving_pct: z.number().nullable(),
  /** saving_per_hour held for 730 hours. */
  monthly_projection: z.number().nullable(),
});
export type SwitchImpact = z.infer<typeof SwitchImpact>;

export const AgentSavingsRow = z.object({
  agent_id: Id,
  logical_id: z.string(),
  ...SavingsFigures,
  replica_roi: ReplicaRoi,
});
export type AgentSavingsRow = z.infer<typeof AgentSavingsRow>;

export const AgentSavingsList = z.object({ agents: z.array(AgentSavingsRow) });
export type AgentSavingsList = z.infer<typeof AgentSavingsList>;

export const AgentSavingsDetail = AgentSavingsRow.extend({
  hourly: z.array(SavingsHour),
  /** Switches requested in the window, newest first. */
  switches: z.array(SwitchImpact),
});
export type AgentSavingsDetail = z.infer<typeof AgentSavingsDetail>;
