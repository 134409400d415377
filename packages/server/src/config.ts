import { z } from 'zod';

/**
 * Server configuration, parsed once from the environment at start and passed down.
 * Nothing else in the server reads process.env.
 */
const seconds = (def: number) => z.coerce.number().positive().default(def);

export const ConfigSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().default('127.0.0.1'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .optional(),
  SPOT_DATA_DIR: z.string().default('./data'),
  ADMIN_TOKEN: z.string().min(16, 'ADMIN_TOKEN must be at least 16 characters').optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DB_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  /** Heartbeats an agent may miss before it is offline: timeout = interval × missed. */
  AGENT_HEARTBEAT_INTERVAL_SECONDS: seconds(60),
  AGENT_MISSED_HEARTBEATS: z.coerce.number().int().min(1).default(3),
  LAUNCH_TIMEOUT_SECONDS: seconds(300),
  TERMINATE_TIMEOUT_SECONDS: seconds(180),
  /** A delivered command without a result is delivered again after this lease. */
  COMMAND_LEASE_SECONDS: seconds(600),
  COMMAND_TTL_SECONDS: seconds(3600),
  /** A switch not completed within this time is failed (the old primary keeps serving). */
  SWITCH_TIMEOUT_SECONDS: seconds(900),
  /** A ZOMBIE (former primary) not yet terminating after this long is terminated by a job. */
  ZOMBIE_GRACE_SECONDS: seconds(60),
  /** A pool that interrupted an instance or refused capacity is avoided this long (Karpenter: 3 min). */
  UNAVAILABLE_POOL_TTL_SECONDS: seconds(180),
  /** on_rebalance "replica": at most one pre-warmed replica per agent per this many seconds. */
  REBALANCE_REPLICA_COOLDOWN_SECONDS: seconds(600),
  /** on_rebalance "replica": fleet-wide cap on pre-warmed replicas per minute. */
  REBALANCE_REPLICAS_PER_MINUTE: z.coerce.number().int().min(0).default(10),
  /** A replica pre-warmed for a rebalance not followed by a notice is retired after this. */
  REBALANCE_REPLICA_TTL_SECONDS: seconds(1800),
  /** An on-demand fallback returns to spot no sooner than this after it began serving. */
  RETURN_TO_SPOT_MIN_SECONDS: seconds(600),
  /** auto_switch: how often the decision engine is asked about each workload (also on a candidate's price change). */
  DECISION_INTERVAL_SECONDS: seconds(300),
  /** auto_switch: no decision-ordered switch sooner than this after the workload's previous switch. */
  DECISION_MIN_SWITCH_INTERVAL_SECONDS: seconds(1800),
  /** auto_switch: a cheaper pool's saving must have lasted this long before a workload moves there. */
  DECISION_CONFIRM_SECONDS: seconds(600),
  /** auto_switch: a saving of at least this % of the current price is ordered at priority 50 (else 25). */
  DECISION_URGENT_SAVING_PERCENT: z.coerce.number().min(0).max(100).default(30),
  /**
   * Replica ROI: what one hour of a workload's downtime is assumed to cost, USD (a request may
   * give its own with ?downtime_usd_per_hour=). An assumption the operator owns, not a measurement.
   */
  DOWNTIME_COST_USD_PER_HOUR: z.coerce.number().min(0).default(100),
  /** Replica ROI: a replacement's boot time until the fleet has measured launches of its own. */
  REPLACEMENT_BOOT_SECONDS: seconds(120),
  /** Pricing: how often staging is consolidated (the job; an admin can also ask at POST /api/admin/pricing/consolidate). */
  PRICE_CONSOLIDATION_INTERVAL_SECONDS: seconds(43_200),
  /** Pricing: two consecutive points of a pool further apart than this are a gap (filled by interpolation). */
  PRICE_GAP_SECONDS: seconds(86_400),
  /** Pricing: canonical features (what decisions read) are cached this long, per pool; a report for the pool clears it. */
  CANONICAL_CACHE_TTL_SECONDS: seconds(5),
  /** auto_switch: an active model's answer slower than this (real milliseconds) falls back to the rules. */
  DECISION_MODEL_TIMEOUT_MS: z.coerce.number().int().min(1).max(10_000).default(50),
  /** How long a server process caches which model is active (real seconds): another process's activation is seen within this. */
  MODEL_REFRESH_SECONDS: z.coerce.number().min(0).max(3600).default(5),
  SSE_HEARTBEAT_SECONDS: seconds(30),
  EVENT_RETENTION_HOURS: seconds(72),
  /** How often the scheduled jobs look for offline agents and stuck transitions. */
  JOB_INTERVAL_SECONDS: seconds(5),
  /** Divides every timeout and interval above: 60 makes a 5-minute launch timeout 5 s (demo, tests). */
  SPOT_TIME_SCALE: z.coerce.number().positive().default(1),
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(12_000),
  BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).default(1_048_576),
  SESSION_TTL_HOURS: seconds(12),
  /** Serve the dashboard from this folder when it exists. */
  WEB_DIST_DIR: z.string().optional(),
});

export type Config = z.infer<typeof ConfigSchema>;

export class ConfigError extends Error {}

export function loadConfig(env: Record<string, string | undefined>): Config {
  // Empty strings mean "unset", as shells often export them that way.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = ConfigSchema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

/** Scaled durations in milliseconds, derived once. */
export function timings(config: Config) {
  const ms = (s: number) => Math.max(1, Math.round((s * 1000) / config.SPOT_TIME_SCALE));
  return {
    heartbeatTimeoutMs: ms(config.AGENT_HEARTBEAT_INTERVAL_SECONDS * config.AGENT_MISSED_HEARTBEATS),
    launchTimeoutMs: ms(config.LAUNCH_TIMEOUT_SECONDS),
    terminateTimeoutMs: ms(config.TERMINATE_TIMEOUT_SECONDS),
    commandLeaseMs: ms(config.COMMAND_LEASE_SECONDS),
    commandTtlMs: ms(config.COMMAND_TTL_SECONDS),
    switchTimeoutMs: ms(config.SWITCH_TIMEOUT_SECONDS),
    zombieGraceMs: ms(config.ZOMBIE_GRACE_SECONDS),
    unavailablePoolTtlMs: ms(config.UNAVAILABLE_POOL_TTL_SECONDS),
    rebalanceCooldownMs: ms(config.REBALANCE_REPLICA_COOLDOWN_SECONDS),
    rebalanceReplicasPerMinute: config.REBALANCE_REPLICAS_PER_MINUTE,
    /** The "minute" of that cap, scaled like every interval. */
    rebalanceCapWindowMs: ms(60),
    rebalanceReplicaTtlMs: ms(config.REBALANCE_REPLICA_TTL_SECONDS),
    returnToSpotMinMs: ms(config.RETURN_TO_SPOT_MIN_SECONDS),
    sseHeartbeatMs: ms(config.SSE_HEARTBEAT_SECONDS),
    decisionIntervalMs: ms(config.DECISION_INTERVAL_SECONDS),
    /** The engine's own durations are in the cloud's seconds: it is told the scale and converts. */
    decision: {
      timeScale: config.SPOT_TIME_SCALE,
      minSwitchIntervalSeconds: config.DECISION_MIN_SWITCH_INTERVAL_SECONDS,
      confirmSeconds: config.DECISION_CONFIRM_SECONDS,
      urgentSavingPercent: config.DECISION_URGENT_SAVING_PERCENT,
    },
    pricing: {
      consolidationIntervalMs: ms(config.PRICE_CONSOLIDATION_INTERVAL_SECONDS),
      gapMs: ms(config.PRICE_GAP_SECONDS),
      /** Interpolated points inside a gap are an hour (cloud time) apart. */
      stepMs: ms(3600),
      /** Real time: the cache saves queries, it does not follow the cloud's clock. */
      canonicalTtlMs: config.CANONICAL_CACHE_TTL_SECONDS * 1000,
    },
    eventRetentionMs: config.EVENT_RETENTION_HOURS * 3_600_000,
    jobIntervalMs: ms(config.JOB_INTERVAL_SECONDS),
    sessionTtlMs: config.SESSION_TTL_HOURS * 3_600_000,
  };
}
export type Timings = ReturnType<typeof timings>;
