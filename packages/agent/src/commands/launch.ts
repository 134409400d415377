import { buildBootstrapUserData, type Command, LaunchInstanceMetadata } from '@spot/contract';
import { awsFailure } from '../aws/errors.ts';
import type { CommandContext } from './context.ts';
import { waitForState } from './wait-for-state.ts';

/**
 * LAUNCH_INSTANCE: RunInstances (ClientToken = the command's request id), poll until
 * running, then confirm (instance-launched) and report the result. The result is sent at
 * the END, not right after RunInstances, so that a confirmation timeout or an instance that
 * dies while booting still ends as a failed result — and a FAILED instance on the server —
 * instead of a success followed by silence.
 */
export async function executeLaunch(command: Command, ctx: CommandContext): Promise<void> {
  const parsed = LaunchInstanceMetadata.safeParse(command.metadata);
  if (!parsed.success) {
    await fail(
      ctx,
      command,
      'InvalidCommand',
      `bad LAUNCH_INSTANCE metadata: ${parsed.error.issues[0]?.message}`,
    );
    return;
  }
  const m = parsed.data;
  const log = ctx.log.child({ command_id: command.id, instance_id: m.instance_id });

  let cloudId: string;
  try {
    cloudId = await ctx.ec2.runInstance({
      instanceType: m.instance_type,
      availabilityZone: m.availability_zone ?? null,
      market: m.market,
      imageId: ctx.imageId,
      clientToken: command.request_id,
      logicalId: m.logical_id || ctx.logicalId,
      instanceId: m.instance_id,
      // The new instance runs its own agent, which joins this workload with the token.
      ...(m.join_token
        ? {
            userData: buildBootstrapUserData({
              serverUrl: ctx.serverUrl,
              joinToken: m.join_token,
              logicalId: m.logical_id || ctx.logicalId,
            }),
          }
        : {}),
    });
  } catch (err) {
    const f = awsFailure(err);
    log.warn({ error_code: f.code, err: f.message }, 'RunInstances failed');
    await fail(ctx, command, f.code, `RunInstances failed: ${f.message}`);
    return;
  }
  log.info({ cloud_instance_id: cloudId }, 'RunInstances accepted; waiting for running');
  ctx.journal.track(m.instance_id, cloudId, 'launching', ctx.now());
  await ctx.saveJournal();

  const waited = await waitForState(ctx.ec2, cloudId, 'running', {
    pollMs: ctx.confirmPollMs,
    timeoutMs: ctx.launchTimeoutMs,
    signal: ctx.signal,
    onError: (err) => log.warn({ err: awsFailure(err).message }, 'DescribeInstances failed while confirming'),
  });

  switch (waited.outcome) {
    case 'reached': {
      ctx.journal.track(m.instance_id, cloudId, 'running', ctx.now());
      await ctx.report({
        kind: 'instance-launched',
        body: {
          instance_id: m.instance_id,
          cloud_instance_id: cloudId,
          state: 'running',
          instance_type: m.instance_type,
          ...(waited.view?.availabilityZone ? { availability_zone: waited.view.availabilityZone } : {}),
          confirmed_at: ctx.now().toISOString(),
        },
      });
      await ctx.report({
        kind: 'command-result',
        commandId: command.id,
        body: { success: true, message: 'instance running', result: { cloud_instance_id: cloudId } },
      });
      await ctx.saveJournal();
      log.info({ cloud_instance_id: cloudId }, 'instance running: launch confirmed');
      return;
    }
    case 'failed': {
      ctx.journal.untrack(m.instance_id);
      const code = waited.reason ?? 'InstanceTerminatedDuringLaunch';
      await fail(ctx, command, code, `instance ${cloudId} went ${waited.state} while launching`, cloudId);
      return;
    }
    case 'timeout': {
      // Do not leave a half-launched instance running (and billing) unseen: terminate it.
      try {
        await ctx.ec2.terminateInstance(cloudId);
      } catch (err) {
        log.warn({ err: awsFailure(err).message }, 'could not terminate the instance that timed out');
      }
      ctx.journal.untrack(m.instance_id);
      await fail(
        ctx,
        command,
        'LaunchTimeout',
        `instance ${cloudId} not running after ${Math.round(ctx.launchTimeoutMs / 1000)} s (last state ${waited.lastState ?? 'unknown'})`,
        cloudId,
      );
      return;
    }
    case 'aborted':
      // Shutting down: the command stays "running" in the journal and resumes at next start.
      throw new Error('aborted');
  }
}

async function fail(ctx: CommandContext, command: Command, code: string, message: string, cloudId?: string) {
  await ctx.report({
    kind: 'command-result',
    commandId: command.id,
    body: {
      success: false,
      message: message.slice(0, 2000),
      result: { error_code: code, ...(cloudId ? { cloud_instance_id: cloudId } : {}) },
    },
  });
  await ctx.saveJournal();
}
