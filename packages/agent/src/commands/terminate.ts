import { type Command, TerminateInstanceMetadata } from '@spot/contract';
import { TAG_INSTANCE_ID } from '../aws/ec2-adapter.ts';
import { awsFailure, isNotFound } from '../aws/errors.ts';
import type { CommandContext } from './context.ts';
import { waitForState } from './wait-for-state.ts';

/**
 * TERMINATE_INSTANCE: TerminateInstances, poll until terminated, confirm
 * (instance-terminated, source agent), then report the result. TERMINATED is only ever
 * claimed after EC2 says so (DESIGN §3 invariant 2).
 */
export async function executeTerminate(command: Command, ctx: CommandContext): Promise<void> {
  const parsed = TerminateInstanceMetadata.safeParse(command.metadata);
  if (!parsed.success) {
    await result(ctx, command, false, `bad TERMINATE_INSTANCE metadata: ${parsed.error.issues[0]?.message}`, {
      error_code: 'InvalidCommand',
    });
    return;
  }
  const m = parsed.data;
  const log = ctx.log.child({ command_id: command.id, instance_id: m.instance_id });

  let cloudId = m.cloud_instance_id ?? ctx.journal.trackedInstance(m.instance_id)?.cloud_instance_id ?? null;
  if (!cloudId) {
    // The server never learned the cloud id (e.g. the launch result was still on its way):
    // find it by our tag rather than guess.
    try {
      const found = await ctx.ec2.describeTagged({ [TAG_INSTANCE_ID]: m.instance_id });
      cloudId = found.find((i) => i.state !== 'terminated')?.instanceId ?? null;
    } catch (err) {
      const f = awsFailure(err);
      await result(ctx, command, false, `could not look the instance up: ${f.message}`, {
        error_code: f.code,
      });
      return;
    }
  }
  if (!cloudId) {
    log.info('no EC2 instance carries this instance id: nothing to terminate');
    await confirm(ctx, command, m.instance_id, undefined);
    return;
  }

  // Mark it ours before asking AWS, so the reconcile loop never mistakes it for a reclaim.
  ctx.journal.track(m.instance_id, cloudId, 'terminating', ctx.now());
  await ctx.saveJournal();
  try {
    await ctx.ec2.terminateInstance(cloudId);
  } catch (err) {
    if (!isNotFound(err)) {
      const f = awsFailure(err);
      log.warn({ error_code: f.code, err: f.message }, 'TerminateInstances failed');
      ctx.journal.track(m.instance_id, cloudId, 'running', ctx.now());
      await result(ctx, command, false, `TerminateInstances failed: ${f.message}`, {
        error_code: f.code,
        cloud_instance_id: cloudId,
      });
      return;
    }
  }
  log.info({ cloud_instance_id: cloudId }, 'TerminateInstances accepted; waiting for terminated');

  const waited = await waitForState(ctx.ec2, cloudId, 'terminated', {
    pollMs: ctx.confirmPollMs,
    timeoutMs: ctx.terminateTimeoutMs,
    signal: ctx.signal,
    onError: (err) => log.warn({ err: awsFailure(err).message }, 'DescribeInstances failed while confirming'),
  });
  if (waited.outcome === 'reached') {
    await confirm(ctx, command, m.instance_id, cloudId);
    log.info({ cloud_instance_id: cloudId }, 'instance terminated: termination confirmed');
    return;
  }
  if (waited.outcome === 'aborted') throw new Error('aborted');
  // The executor stops waiting: if EC2 finishes later, the reconcile loop confirms it.
  ctx.journal.track(m.instance_id, cloudId, 'unconfirmed', ctx.now());
  await ctx.saveJournal();
  await result(
    ctx,
    command,
    false,
    `instance ${cloudId} not terminated after ${Math.round(ctx.terminateTimeoutMs / 1000)} s (last state ${waited.outcome === 'timeout' ? waited.lastState : waited.state})`,
    { error_code: 'TerminateTimeout', cloud_instance_id: cloudId },
  );
}

async function confirm(
  ctx: CommandContext,
  command: Command,
  instanceId: string,
  cloudId: string | undefined,
) {
  await ctx.report({
    kind: 'instance-terminated',
    body: {
      instance_id: instanceId,
      ...(cloudId ? { cloud_instance_id: cloudId } : {}),
      state: 'terminated',
      source: 'agent',
      confirmed_at: ctx.now().toISOString(),
    },
  });
  ctx.journal.untrack(instanceId);
  await result(ctx, command, true, 'instance terminated', cloudId ? { cloud_instance_id: cloudId } : {});
}

async function result(
  ctx: CommandContext,
  command: Command,
  success: boolean,
  message: string,
  extra: { error_code?: string; cloud_instance_id?: string },
) {
  await ctx.report({
    kind: 'command-result',
    commandId: command.id,
    body: { success, message: message.slice(0, 2000), result: extra },
  });
  await ctx.saveJournal();
}
