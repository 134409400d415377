import { parseBootstrapUserData } from '@spot/contract';
import { createEc2Client, Ec2Adapter, type Ec2Port } from './aws/ec2-adapter.ts';
import { CommandRunner } from './commands/command-runner.ts';
import type { CommandContext } from './commands/context.ts';
import { type Config, type Pool, timings } from './config/config.ts';
import { type InstanceIdentity, readIdentity } from './imds/identity.ts';
import { ImdsClient } from './imds/imds-client.ts';
import { runCommandPoll } from './loops/command-poll.ts';
import { heartbeatTask } from './loops/heartbeat.ts';
import { interruptionTask } from './loops/interruption-monitor.ts';
import { pricingTask } from './loops/pricing-reporter.ts';
import { reconcileTask } from './loops/reconcile.ts';
import { runLoop } from './loops/run-loop.ts';
import { Outbox } from './outbox/outbox.ts';
import { ensureRegistered } from './register.ts';
import { AgentApi, type Report } from './server-client/agent-api.ts';
import { Journal } from './state-store/journal.ts';
import { StateStore } from './state-store/state-store.ts';
import { withRetry } from './util/backoff.ts';
import type { Logger } from './util/logger.ts';

/**
 * The composition root: builds every piece from the config and wires them together. The
 * only place that knows them all.
 */
export interface RunningAgent {
  agentId: string;
  /** Stop taking commands, finish in-flight ones (bounded), flush the outbox, stop. */
  stop(reason: string): Promise<void>;
  /** Settles when every loop has ended. */
  done: Promise<void>;
}

export async function startAgent(
  config: Config,
  log: Logger,
  opts: { signal?: AbortSignal; ec2?: Ec2Port } = {},
): Promise<RunningAgent> {
  const t = timings(config);
  const startedAt = Date.now();
  const stopLoops = new AbortController();
  const hardStop = new AbortController();
  if (opts.signal) opts.signal.addEventListener('abort', () => stopLoops.abort(), { once: true });

  const store = new StateStore(config.SPOT_AGENT_STATE_DIR);
  await store.init();

  const imds = new ImdsClient({ endpoint: config.AWS_EC2_METADATA_SERVICE_ENDPOINT });
  // IMDS can be slow to answer right after boot: a few patient tries before giving up.
  const identity: InstanceIdentity = await withRetry(() => readIdentity(imds), {
    retries: 5,
    baseMs: 500,
    capMs: 5_000,
    isRetryable: () => true,
    signal: stopLoops.signal,
    onRetry: (err, attempt) =>
      log.warn({ attempt, err: (err as Error).message }, 'IMDS identity not available yet'),
  });
  const region = config.AWS_REGION ?? identity.region;

  const api = new AgentApi(config.SPOT_SERVER_URL);
  const { state, reused } = await ensureRegistered({
    config,
    identity,
    store,
    api,
    log,
    signal: stopLoops.signal,
    userData: async () => {
      const text = await imds.get('user-data');
      return text ? parseBootstrapUserData(text) : null;
    },
  });
  const agentLog = log.child({ agent_id: state.agent_id });
  agentLog.info(
    {
      logical_id: state.logical_id,
      cloud_instance_id: identity.instanceId,
      instance_id: state.instance_id,
      reused_identity: reused,
    },
    'agent registered',
  );

  const journal = new Journal(await store.loadJournal());
  // Our own host is watched like a launched instance: its reclaim is reported as external.
  if (state.instance_id && !journal.trackedInstance(state.instance_id) && !reused)
    journal.track(state.instance_id, identity.instanceId, 'running', new Date());
  const saveJournal = () => store.saveJournal(journal);
  await saveJournal();

  const outbox = await Outbox.open({
    dir: store.outboxDir,
    send: (report, id, signal) => api.post(report, id, signal),
    log: agentLog,
    backoff: t.outboxBackoff,
  });
  outbox.start();
  const report = (r: Report) => outbox.enqueue(r);

  const ec2 = opts.ec2 ?? new Ec2Adapter(createEc2Client(region));
  const ctx: CommandContext = {
    ec2,
    report,
    journal,
    saveJournal,
    log: agentLog,
    imageId: config.SPOT_IMAGE_ID,
    logicalId: state.logical_id,
    serverUrl: config.SPOT_SERVER_URL,
    ownCloudInstanceId: identity.instanceId,
    confirmPollMs: t.confirmPollMs,
    launchTimeoutMs: t.launchTimeoutMs,
    terminateTimeoutMs: t.terminateTimeoutMs,
    now: () => new Date(),
    signal: hardStop.signal,
  };
  // Warm the SDK (credentials, endpoint, connection) now: a replica's first AWS call is
  // its promotion's cut-over, and a cold client there added seconds of downtime (bench).
  void ec2
    .describeInstances([identity.instanceId])
    .catch((err: Error) => agentLog.debug({ err: err.message }, 'EC2 warm-up call failed'));
  const runner = new CommandRunner(ctx, journal, agentLog);
  await runner.resume();

  const ownPool: Pool = { instanceType: identity.instanceType, availabilityZone: identity.availabilityZone };
  const pools = [...config.SPOT_POOLS];
  if (
    !pools.some(
      (p) => p.instanceType === ownPool.instanceType && p.availabilityZone === ownPool.availabilityZone,
    )
  )
    pools.push(ownPool);

  const signal = stopLoops.signal;
  const loops = [
    runLoop({
      name: 'heartbeat',
      intervalMs: t.heartbeatMs,
      signal,
      log: agentLog,
      task: heartbeatTask(api, identity, () => runner.inflightCount, startedAt),
    }),
    runCommandPoll({
      api,
      waitSeconds: t.longPollSeconds,
      pollMs: t.commandPollMs,
      signal,
      log: agentLog,
      accept: (commands) => runner.accept(commands),
    }),
    runLoop({
      name: 'interruption monitor',
      intervalMs: t.interruptionPollMs,
      signal,
      log: agentLog,
      task: interruptionTask({
        imds,
        identity,
        ownInstanceId: () => state.instance_id,
        report,
        log: agentLog,
      }),
    }),
    runLoop({
      name: 'pricing reporter',
      intervalMs: t.pricingMs,
      signal,
      log: agentLog,
      task: pricingTask({ ec2, pools, region, report }),
    }),
    runLoop({
      name: 'reconcile',
      intervalMs: t.reconcileMs,
      signal,
      log: agentLog,
      task: reconcileTask({ ec2, journal, saveJournal, report, log: agentLog }),
    }),
  ];
  const done = Promise.allSettled(loops).then(() => undefined);

  let stopping: Promise<void> | null = null;
  const stop = (reason: string) => {
    stopping ??= (async () => {
      agentLog.info({ reason, inflight: runner.inflightCount }, 'stopping: no new commands');
      stopLoops.abort();
      const drained = await runner.drain(t.shutdownGraceMs);
      if (!drained) {
        agentLog.warn(
          { inflight: runner.inflightCount },
          'in-flight commands did not finish in time; they resume at next start',
        );
        hardStop.abort();
        await runner.drain(5_000);
      }
      await done;
      const flushed = await outbox.flush(5_000);
      if (!flushed)
        agentLog.warn({ pending: outbox.size }, 'outbox not empty at exit; delivered at next start');
      await outbox.close();
      await saveJournal();
      agentLog.info({ reason }, 'agent stopped');
    })();
    return stopping;
  };
  return { agentId: state.agent_id, stop, done };
}
