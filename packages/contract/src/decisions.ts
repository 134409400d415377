import { z } from 'zod';
import { AvailabilityZone, Id, InstanceType, Timestamp } from './common.ts';
import { Market } from './enums.ts';
import { AgentMode, SwitchStatus, SwitchTrigger } from './switching.ts';

/**
 * The decision engine's one interface (issue 10): what it is given and what it answers, both
 * checked on every call. An input or output that fails these schemas never reaches a policy
 * or a switch: the decision is "stay", and the violation is logged and counted.
 */

const Price = z.number().nonnegative().max(10_000).describe('USD per hour');

export const DecisionPricePoint = z.object({ at: Timestamp, price: Price });
export type DecisionPricePoint = z.infer<typeof DecisionPricePoint>;

const history = z
  .array(DecisionPricePoint)
  .max(500)
  .describe('price changes over the lookback window, oldest first (the price holds until the next point)');

/** What a decision knows about one candidate pool. */
export const DecisionPoolFacts = z.object({
  instance_type: InstanceType,
  availability_zone: AvailabilityZone,
  /** Latest reported spot price; null when none was reported. */
  spot_price: Price.nullable(),
  /** On-demand list price of the type in the region; null when unknown. */
  ondemand_price: Price.nullable(),
  /** In the unavailable-pool memory (interrupted or out of capacity recently): never a target. */
  unavailable: z.boolean(),
  /** Coefficient of variation (standard deviation / mean) of the prices in `history`; null below 2 points. */
  volatility: z.number().nonnegative().nullable(),
  history,
  /** Seconds (cloud time) since the pool's price last changed; a lower bound when unchanged in `history`'s window. */
  seconds_since_change: z.number().nonnegative().nullable().optional(),
  /** Termination notices our fleet received in this pool in the last 30 days. */
  interruptions_seen: z.number().int().nonnegative().optional(),
  /** When the latest of them was detected; null when none. */
  last_interruption_at: Timestamp.nullable().optional(),
  /** AWS Spot Advisor interruption-frequency bucket of the type in the region (0 = <5 % … 4 = >20 % a month): a prior; null when unknown. */
  advisor_bucket: z.number().int().min(0).max(4).nullable().optional(),
});
export type DecisionPoolFacts = z.infer<typeof DecisionPoolFacts>;

const ascending = (points: DecisionPricePoint[]) =>
  points.every((p, i) => i === 0 || Date.parse(points[i - 1]!.at) <= Date.parse(p.at));

export const DecisionInput = z
  .object({
    agent_id: Id,
    now: Timestamp,
    /** Server time runs this many times faster than the cloud's (SPOT_TIME_SCALE); durations are in cloud seconds. */
    time_scale: z.number().positive().max(10_000),
    config: z.object({
      mode: AgentMode,
      min_savings_percent: z.number().min(0).max(100),
    }),
    /** Where the workload runs now (its RUNNING primary). */
    current: z.object({
      instance_type: InstanceType,
      availability_zone: AvailabilityZone.nullable(),
      market: Market,
      price: Price.nullable(),
      ondemand_price: Price.nullable(),
      history,
    }),
    candidates: z.array(DecisionPoolFacts).max(64),
    recent_switches: z
      .array(z.object({ at: Timestamp, trigger: SwitchTrigger, status: SwitchStatus }))
      .max(50),
    recent_interruptions: z
      .array(
        z.object({
          at: Timestamp,
          kind: z.enum(['termination_notice', 'rebalance_recommendation']),
        }),
      )
      .max(50),
    settings: z.object({
      /** No voluntary switch sooner than this after the agent's previous switch (any trigger). */
      min_switch_interval_seconds: z.number().min(0),
      /** A target's saving must have lasted this long in the price history (a brief dip never moves). */
      confirm_seconds: z.number().min(0),
      /** Seconds both instances are billed during a switch (its cost). */
      overlap_seconds: z.number().min(0),
      /** A saving of at least this % of the current price is urgent (priority 50, else 25). */
      urgent_saving_percent: z.number().min(0).max(100),
    }),
  })
  .superRefine((v, ctx) => {
    if (!ascending(v.current.history))
      ctx.addIssue({ code: 'custom', message: 'current.history not ascending' });
    const seen = new Set<string>();
    v.candidates.forEach((c, i) => {
      const key = `${c.instance_type}@${c.availability_zone}`;
      if (seen.has(key))
        ctx.addIssue({ code: 'custom', path: ['candidates', i], message: `duplicate pool ${key}` });
      seen.add(key);
      if (!ascending(c.history))
        ctx.addIssue({ code: 'custom', path: ['candidates', i, 'history'], message: 'not ascending' });
    });
  });
export type DecisionInput = z.infer<typeof DecisionInput>;

export const DecisionTarget = z.object({ instance_type: InstanceType, availability_zone: AvailabilityZone });

const common = {
  /** 0..1: how sure the engine is that this answer is right. */
  confidence: z.number().min(0).max(1),
  reason: z.string().min(1).max(300),
};

export const DecisionOutput = z.discriminatedUnion('action', [
  z.object({
    action: z.literal('stay'),
    target: z.null(),
    expected_saving_per_hour: z.literal(0),
    urgent: z.literal(false),
    ...common,
  }),
  z.object({
    action: z.literal('switch'),
    target: DecisionTarget,
    /** USD per hour saved by the move, at the prices now (current − target). */
    expected_saving_per_hour: z.number().positive(),
    urgent: z.boolean(),
    ...common,
  }),
]);
export type DecisionOutput = z.infer<typeof DecisionOutput>;

/** Why a model's decision was answered by the rules instead: it threw, was too slow, or broke the contract. */
export const ModelFallbackReason = z.enum(['error', 'timeout', 'contract']);
export type ModelFallbackReason = z.infer<typeof ModelFallbackReason>;

/** A recorded decision as the API and the stream show it. */
export const DecisionView = z.object({
  decision_id: z.string(),
  agent_id: z.string(),
  /** The engine that answered: `rules`, or `model:NAME@vVERSION`. */
  policy: z.string(),
  /** The model asked for this decision (an active model), whether or not it answered. */
  model_id: z.string().nullable(),
  /** Why the rules answered instead of the model asked (`error`, `timeout`, `contract`); null otherwise. */
  fallback: ModelFallbackReason.nullable(),
  /** False when the input or the output broke the contract (the decision is then "stay"). */
  valid: z.boolean(),
  error: z.string().nullable(),
  output: DecisionOutput,
  /** The input as given to the engine (a DecisionInput when valid). */
  input: z.record(z.string(), z.unknown()),
  latency_ms: z.number(),
  /** The switch ordered by this decision, if any. */
  switch_id: z.string().nullable(),
  created_at: Timestamp,
});
export type DecisionView = z.infer<typeof DecisionView>;

export const DecisionList = z.object({ decisions: z.array(DecisionView) });
export type DecisionList = z.infer<typeof DecisionList>;

export const DecisionListQuery = z.object({
  agent_id: Id.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

/** DECISION_MADE on the stream: the answer without its (large) input. */
export const DecisionMadeData = DecisionView.omit({ input: true });
export type DecisionMadeData = z.infer<typeof DecisionMadeData>;
