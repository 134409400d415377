import { type Command, PromoteReplicaMetadata } from '@spot/contract';
import { awsFailure } from '../aws/errors.ts';
import { withRetry } from '../util/backoff.ts';
import type { CommandContext } from './context.ts';

/**
 * PROMOTE_REPLICA, run by the agent on the replica being promoted: the cut-over (DESIGN §9).
 * With an Elastic IP it moves the address to its own instance (AssociateAddress with
 * AllowReassociation: one call, so the address never points at nothing), and reports when
 * the move started and ended; the server records the promotion only after this report.
 */
/** Moments AWS may get past on a second try; anything else (bad id, wrong state) will not. */
const RETRYABLE = new Set(['RequestLimitExceeded', 'Unavailable', 'InternalError', 'ServiceUnavailable']);

export async function executePromote(command: Command, ctx: CommandContext): Promise<void> {
  const parsed = PromoteReplicaMetadata.safeParse(command.metadata);
  if (!parsed.success) {
    await fail(
      ctx,
      command,
      'InvalidCommand',
      `bad PROMOTE_REPLICA metadata: ${parsed.error.issues[0]?.message}`,
    );
    return;
  }
  const m = parsed.data;
  const log = ctx.log.child({ command_id: command.id, switch_id: m.switch_id });
  if (m.cloud_instance_id !== ctx.ownCloudInstanceId) {
    // Only the new primary's own agent cuts over to itself (a stale or misrouted command).
    await fail(
      ctx,
      command,
      'NotTheTarget',
      `this agent runs on ${ctx.ownCloudInstanceId}, not ${m.cloud_instance_id}`,
    );
    return;
  }
  const startedAt = ctx.now();
  let associationId: string | null = null;
  if (m.elastic_ip_allocation_id) {
    const allocationId = m.elastic_ip_allocation_id;
    try {
      // Throttling and 5xx are retried by the SDK; a few more tries cover a flaky moment.
      associationId = await withRetry(() => ctx.ec2.associateAddress(allocationId, m.cloud_instance_id), {
        retries: 2,
        baseMs: 100,
        capMs: 1_000,
        isRetryable: (err) => RETRYABLE.has(awsFailure(err).code),
        ...(ctx.signal ? { signal: ctx.signal } : {}),
      });
    } catch (err) {
      const f = awsFailure(err);
      log.warn({ error_code: f.code, err: f.message }, 'AssociateAddress failed: promotion not done');
      await fail(ctx, command, f.code, `AssociateAddress failed: ${f.message}`);
      return;
    }
  }
  const completedAt = ctx.now();
  log.info(
    { elastic_ip: m.elastic_ip_allocation_id, ms: completedAt.getTime() - startedAt.getTime() },
    'cut-over done: this instance serves the workload',
  );
  await ctx.report({
    kind: 'command-result',
    commandId: command.id,
    body: {
      success: true,
      message: m.elastic_ip_allocation_id ? `address ${m.elastic_ip_allocation_id} moved here` : 'promoted',
      result: {
        cloud_instance_id: m.cloud_instance_id,
        cutover_started_at: startedAt.toISOString(),
        cutover_completed_at: completedAt.toISOString(),
        ...(associationId ? { association_id: associationId } : {}),
      },
    },
  });
}

async function fail(ctx: CommandContext, command: Command, code: string, message: string) {
  await ctx.report({
    kind: 'command-result',
    commandId: command.id,
    body: { success: false, message: message.slice(0, 2000), result: { error_code: code } },
  });
}
