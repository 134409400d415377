import { parseArgs } from 'node:util';
import { ConfigError, FLAGS, type Flags, loadConfig } from './config/config.ts';
import { startAgent } from './main.ts';
import { ServerError } from './server-client/http.ts';
import { createLogger } from './util/logger.ts';
import { AGENT_VERSION } from './version.ts';

const USAGE = `spot-agent [options]

The Spot Optimizer agent, run on each EC2 instance. Options (each also an environment variable):
  --server URL            SPOT_SERVER_URL        the Spot Optimizer server
  --client-token TOKEN    SPOT_CLIENT_TOKEN      first registration only (prefer the variable)
  --logical-id NAME       SPOT_LOGICAL_ID        the workload, e.g. web-1 (default: the instance id)
  --pools LIST            SPOT_POOLS             candidate pools, e.g. c5.large:us-east-1a,m5.large:us-east-1b
  --state-dir DIR         SPOT_AGENT_STATE_DIR   identity, journal and outbox (default ./.spot-agent)
  --image-id AMI          SPOT_IMAGE_ID          image for launched instances
  --log-level LEVEL       LOG_LEVEL
Intervals: SPOT_HEARTBEAT_SECONDS, SPOT_INTERRUPTION_POLL_SECONDS, SPOT_PRICING_SECONDS,
SPOT_RECONCILE_SECONDS, SPOT_CONFIRM_POLL_SECONDS, SPOT_LAUNCH_TIMEOUT_SECONDS,
SPOT_TERMINATE_TIMEOUT_SECONDS, SPOT_LONG_POLL_SECONDS, SPOT_COMMAND_POLL_SECONDS,
SPOT_SHUTDOWN_GRACE_SECONDS; SPOT_TIME_SCALE divides them all.
AWS: AWS_REGION (else from IMDS), AWS_ENDPOINT_URL_EC2, AWS_EC2_METADATA_SERVICE_ENDPOINT,
credentials from the default chain.`;

async function main(): Promise<number> {
  let values: Flags & { help?: boolean; version?: boolean };
  try {
    const options = Object.fromEntries(Object.keys(FLAGS).map((f) => [f, { type: 'string' as const }]));
    values = parseArgs({
      options: { ...options, help: { type: 'boolean', short: 'h' }, version: { type: 'boolean' } },
      strict: true,
      allowPositionals: false,
    }).values as typeof values;
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (values.version) {
    console.log(AGENT_VERSION);
    return 0;
  }
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(process.env, values);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      return 2;
    }
    throw err;
  }
  const log = createLogger(config.LOG_LEVEL);
  const abort = new AbortController();
  let stopAgent: ((reason: string) => Promise<void>) | null = null;
  const onSignal = (signal: string) => {
    abort.abort();
    if (stopAgent) void stopAgent(signal).then(() => process.exit(0));
    else process.exit(0); // still starting: nothing in flight yet
  };
  process.once('SIGTERM', () => onSignal('SIGTERM'));
  process.once('SIGINT', () => onSignal('SIGINT'));
  try {
    const agent = await startAgent(config, log, { signal: abort.signal });
    stopAgent = agent.stop;
  } catch (err) {
    if (abort.signal.aborted) return 0;
    if (err instanceof ConfigError) {
      console.error(err.message);
      return 2;
    }
    if (err instanceof ServerError && (err.status === 401 || err.status === 403)) {
      console.error(`the server refused the credentials (${err.code}): check SPOT_CLIENT_TOKEN`);
      return 2;
    }
    log.fatal({ err: (err as Error).message }, 'agent could not start');
    return 1;
  }
  return -1;
}

main().then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
