import { AvailabilityZone, InstanceType, Name } from '@spot/contract';
import { z } from 'zod';

/**
 * Agent configuration, parsed ONCE at start from the environment and command-line flags
 * (flags win) and passed down. Nothing else in the agent reads process.env, except the AWS
 * SDK, which reads the standard AWS settings (AWS_ENDPOINT_URL_EC2, credentials) itself.
 */

export class ConfigError extends Error {}

/** A candidate pool "c5.large:us-east-1a". */
export interface Pool {
  instanceType: string;
  availabilityZone: string;
}

export function parsePools(text: string): Pool[] {
  const pools: Pool[] = [];
  for (const raw of text.split(',')) {
    const item = raw.trim();
    if (!item) continue;
    const [type, az, ...rest] = item.split(':');
    if (!type || !az || rest.length > 0) throw new Error(`"${item}" is not instance_type:availability_zone`);
    const t = InstanceType.safeParse(type);
    if (!t.success) throw new Error(`"${type}" is not an instance type such as c5.large`);
    const a = AvailabilityZone.safeParse(az);
    if (!a.success) throw new Error(`"${az}" is not an availability zone such as us-east-1a`);
    if (!pools.some((p) => p.instanceType === type && p.availabilityZone === az))
      pools.push({ instanceType: type, availabilityZone: az });
  }
  return pools;
}

const seconds = (def: number) => z.coerce.number().positive().default(def);
const nonNegativeSeconds = (def: number) => z.coerce.number().min(0).default(def);

const pools = z.string().transform((text, ctx) => {
  try {
    return parsePools(text);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});

export const ConfigSchema = z.object({
  SPOT_SERVER_URL: z
    .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' })
    .transform((u) => u.replace(/\/+$/, '')),
  /** Needed only for the first registration; never logged. */
  SPOT_CLIENT_TOKEN: z.string().min(8, 'must be at least 8 characters').optional(),
  /**
   * One-time token to join an existing workload (set by the user data of an instance the
   * product launched); never logged. Without it the agent also looks in IMDS user-data.
   */
  SPOT_JOIN_TOKEN: z.string().min(20, 'must be at least 20 characters').optional(),
  SPOT_LOGICAL_ID: Name.optional(),
  SPOT_POOLS: pools.default([]),
  SPOT_AGENT_STATE_DIR: z.string().min(1).default('./.spot-agent'),
  SPOT_IMAGE_ID: z
    .string()
    .regex(/^ami-[0-9a-f]+$/, 'must be an AMI id such as ami-0abcdef1234567890')
    .default('ami-0c02fb55956c7d316'),
  SPOT_HEARTBEAT_SECONDS: seconds(60),
  /** IMDS is local and cheap: 1 s keeps notice → server well inside 1.5 s (the termination handler polls every 2 s). */
  SPOT_INTERRUPTION_POLL_SECONDS: seconds(1),
  SPOT_PRICING_SECONDS: seconds(60),
  SPOT_RECONCILE_SECONDS: seconds(30),
  SPOT_CONFIRM_POLL_SECONDS: seconds(5),
  SPOT_LAUNCH_TIMEOUT_SECONDS: seconds(300),
  SPOT_TERMINATE_TIMEOUT_SECONDS: seconds(180),
  /** Long-poll wait on pending-commands; 0 turns it into plain polling (the seeds' design). */
  SPOT_LONG_POLL_SECONDS: z.coerce.number().min(0).max(60).default(25),
  /** Pause between polls when SPOT_LONG_POLL_SECONDS is 0 (the seeds polled every 5-30 s). */
  SPOT_COMMAND_POLL_SECONDS: nonNegativeSeconds(5),
  /** How long SIGTERM waits for in-flight commands before leaving them to the next start. */
  SPOT_SHUTDOWN_GRACE_SECONDS: seconds(30),
  /** Divides every interval and timeout above (same meaning as the server's). */
  SPOT_TIME_SCALE: z.coerce.number().positive().default(1),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  AWS_REGION: z
    .string()
    .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be a region such as us-east-1')
    .optional(),
  AWS_EC2_METADATA_SERVICE_ENDPOINT: z
    .url({ protocol: /^https?$/, error: 'must be an http:// URL' })
    .default('http://169.254.169.254')
    .transform((u) => u.replace(/\/+$/, '')),
});

export type Config = z.infer<typeof ConfigSchema>;

/** Command-line flags and the variables they stand for. */
export const FLAGS = {
  server: 'SPOT_SERVER_URL',
  'client-token': 'SPOT_CLIENT_TOKEN',
  'logical-id': 'SPOT_LOGICAL_ID',
  pools: 'SPOT_POOLS',
  'state-dir': 'SPOT_AGENT_STATE_DIR',
  'image-id': 'SPOT_IMAGE_ID',
  'log-level': 'LOG_LEVEL',
} as const;

export type Flags = Partial<Record<keyof typeof FLAGS, string>>;

export function loadConfig(env: Record<string, string | undefined>, flags: Flags = {}): Config {
  const merged: Record<string, string> = {};
  // Empty strings mean "unset", as shells often export them that way.
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v !== '') merged[k] = v;
  for (const [flag, variable] of Object.entries(FLAGS)) {
    const v = flags[flag as keyof Flags];
    if (v !== undefined && v !== '') merged[variable] = v;
  }
  const parsed = ConfigSchema.safeParse(merged);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => {
      const name = String(i.path[0] ?? '');
      const flag = Object.entries(FLAGS).find(([, v]) => v === name)?.[0];
      return `  ${name}${flag ? ` (--${flag})` : ''}: ${i.message}`;
    });
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

/** Scaled durations in milliseconds, derived once. */
export function timings(config: Config) {
  const ms = (s: number) => Math.max(1, Math.round((s * 1000) / config.SPOT_TIME_SCALE));
  return {
    heartbeatMs: ms(config.SPOT_HEARTBEAT_SECONDS),
    interruptionPollMs: ms(config.SPOT_INTERRUPTION_POLL_SECONDS),
    pricingMs: ms(config.SPOT_PRICING_SECONDS),
    reconcileMs: ms(config.SPOT_RECONCILE_SECONDS),
    confirmPollMs: ms(config.SPOT_CONFIRM_POLL_SECONDS),
    launchTimeoutMs: ms(config.SPOT_LAUNCH_TIMEOUT_SECONDS),
    terminateTimeoutMs: ms(config.SPOT_TERMINATE_TIMEOUT_SECONDS),
    /**
     * The server's `wait`, NOT scaled: it is not a delay (the server answers the moment a
     * command is queued), only how long an idle request stays open. 0 = plain polling.
     */
    longPollSeconds: Math.round(config.SPOT_LONG_POLL_SECONDS),
    commandPollMs: config.SPOT_COMMAND_POLL_SECONDS === 0 ? 0 : ms(config.SPOT_COMMAND_POLL_SECONDS),
    shutdownGraceMs: ms(config.SPOT_SHUTDOWN_GRACE_SECONDS),
    /**
     * Outbox retry backoff: the longest wait between attempts bounds how late a confirmation
     * lands once the server is back (10 s, scaled like every interval: a sped-up demo or test
     * is not left waiting a real 30 s after a restart).
     */
    outboxBackoff: { baseMs: ms(0.25), capMs: ms(10) },
  };
}
export type Timings = ReturnType<typeof timings>;
