import { randomUUID } from 'node:crypto';
import {
  CommandPriority,
  type CommandResultRequest,
  type CommandResultResponse,
  type ConfirmationResponse,
  type EventSource,
  type InstanceLaunchedRequest,
  type InstanceTerminatedRequest,
  type LaunchRequest,
  type LaunchResponse,
  PromoteReplicaMetadata,
  type TerminateInstanceMetadata,
  type TerminateResponse,
  type TransitionReason,
} from '@spot/contract';
import type { Tx } from '../db/executor.ts';
import { DomainError, notFound } from '../domain/errors.ts';
import { isLegal } from '../domain/state-machine.ts';
import { lockAgentRow } from '../repositories/agents.ts';
import { writeAudit } from '../repositories/audit.ts';
import { completeCommand, insertCommand, lockCommand } from '../repositories/commands.ts';
import { appendEvent } from '../repositories/events-outbox.ts';
import { isUuid } from '../repositories/ids.ts';
import type { InstanceRow } from '../repositories/instances.ts';
import {
  findLiveProcessInstance,
  findPrimary,
  insertInstance,
  lockInstance,
  updateInstance,
} from '../repositories/instances.ts';
import { insertLifecycleEvent } from '../repositories/lifecycle-events.ts';
import { toInstanceJson } from '../views/instance.ts';
import { iso, isoRequired } from '../views/time.ts';
import type { ServiceContext } from './context.ts';
import type { EmergencyResponder } from './emergency-responder.ts';
import { launchManagedInstance } from './managed-launch.ts';
import type { SwitchCoordinator } from './switch-coordinator.ts';
import { applyTransition } from './transition.ts';
import { inTransaction } from './unit-of-work.ts';

const UNIQUE_VIOLATION = '23505';
/** EC2 errors that say a pool has no spot capacity now: the pool is avoided for a while. */
const CAPACITY_ERRORS = new Set([
  'InsufficientInstanceCapacity',
  'InsufficientCapacity',
  'SpotMaxPriceTooLow',
  'MaxSpotInstanceCountExceeded',
]);

/** Launch, terminate and their confirmations: every step is one transaction. */
export class LifecycleService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly switches: SwitchCoordinator,
    private readonly emergencies: EmergencyResponder,
  ) {}

  private tx<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return inTransaction(this.ctx, fn);
  }

  async launch(
    clientId: string,
    req: LaunchRequest,
    requestId: string,
    actor: string,
    /** Writes the idempotent answer in the launch's transaction (http/idempotency.ts). */
    recordAnswer?: (tx: Tx, body: LaunchResponse) => Promise<void>,
  ): Promise<LaunchResponse> {
    const now = this.ctx.now();
    try {
      return await this.tx(async (tx) => {
        const agent = await tx
          .selectFrom('agents')
          .selectAll()
          .where('id', '=', req.agent_id)
          .where('client_id', '=', clientId)
          // Serialises launches per agent (one PRIMARY). NO KEY: a concurrent terminate that
          // already holds the outbox lock must still pass its FK check on this agent row, or
          // the two deadlock (found by test/property on PostgreSQL).
          .forNoKeyUpdate()
          .executeTakeFirst();
        if (!agent) throw notFound('agent', req.agent_id);
        const { row, command } = await launchManagedInstance(tx, this.ctx, {
          clientId,
          agent,
          role: req.role,
          market: req.market ?? 'spot',
          instanceType: req.instance_type,
          availabilityZone: req.availability_zone ?? null,
          region: req.region ?? agent.region,
          priority: CommandPriority.CRITICAL,
          requestId,
          source: 'backend',
          reason: 'manual',
          metadata: { actor },
          at: now,
        });
        const answer: LaunchResponse = {
          instance_id: row.id,
          status: 'LAUNCHING',
          launch_requested_at: isoRequired(now),
          command_id: command.id,
        };
        await recordAnswer?.(tx, answer);
        return answer;
      });
    } catch (err) {
      if ((err as { code?: string }).code === UNIQUE_VIOLATION) {
        throw new DomainError('CONFLICT', 'a concurrent request created the same primary or command');
      }
      throw err;
    }
  }

  async terminate(
    clientId: string,
    instanceId: string,
    reasonText: string | undefined,
    requestId: string,
    actor: string,
    /** Writes the idempotent answer in the terminate's transaction (http/idempotency.ts). */
    recordAnswer?: (tx: Tx, body: TerminateResponse) => Promise<void>,
  ): Promise<TerminateResponse> {
    const now = this.ctx.now();
    return this.tx(async (tx) => {
      const peek = isUuid(instanceId)
        ? await tx.selectFrom('instances').select('agent_id').where('id', '=', instanceId).executeTakeFirst()
        : undefined;
      if (peek) await lockAgentRow(tx, peek.agent_id);
      const locked = await lockInstance(tx, instanceId);
      if (!locked || locked.client_id !== clientId) throw notFound('instance', instanceId);
      const { decision, row } = await applyTransition(
        tx,
        locked,
        {
          type: 'request_terminate',
          at: now,
          source: 'backend',
          reason: 'manual',
          detail: reasonText ?? null,
        },
        actor,
      );
      let commandId: string | null = null;
      if (decision.kind === 'apply') {
        // Not the victim's own process if another one lives: it would not see the end.
        const executor = await findLiveProcessInstance(tx, row.agent_id, row.id, null);
        const metadata: TerminateInstanceMetadata = {
          instance_id: row.id,
          cloud_instance_id: row.cloud_instance_id,
          reason: reasonText ?? 'manual',
        };
        const cmd = await insertCommand(tx, {
          id: randomUUID(),
          client_id: clientId,
          agent_id: row.agent_id,
          instance_id: row.id,
          command_type: 'TERMINATE_INSTANCE',
          priority: CommandPriority.CRITICAL,
          request_id: requestId,
          metadata,
          expires_at: new Date(now.getTime() + this.ctx.timings.commandTtlMs),
          executor_instance_id: executor,
        });
        commandId = cmd.id;
      }
      const answer: TerminateResponse = {
        instance_id: row.id,
        status: 'TERMINATING',
        termination_requested_at: iso(row.termination_requested_at) ?? isoRequired(now),
        command_id: commandId,
      };
      await recordAnswer?.(tx, answer);
      return answer;
    });
  }

  async confirmLaunched(agentId: string, req: InstanceLaunchedRequest): Promise<ConfirmationResponse> {
    const now = this.ctx.now();
    return this.tx(async (tx) => {
      await lockAgentRow(tx, agentId);
      const locked = await lockInstance(tx, req.instance_id);
      if (!locked || locked.agent_id !== agentId) throw notFound('instance', req.instance_id);
      const { decision, row } = await applyTransition(
        tx,
        locked,
        { type: 'confirm_launch', cloud_instance_id: req.cloud_instance_id, at: now, source: 'agent' },
        `agent:${agentId}`,
      );
      if (decision.kind === 'apply') await this.switches.onInstanceChanged(tx, row.id);
      return { instance_id: row.id, status: row.status, outcome: outcomeOf(decision.kind) };
    });
  }

  async confirmTerminated(
    agentId: string,
    req: InstanceTerminatedRequest,
    via: 'agent' | 'eventbridge' = 'agent',
  ): Promise<ConfirmationResponse> {
    const now = this.ctx.now();
    const external = req.source === 'external';
    return this.tx(async (tx) => {
      await lockAgentRow(tx, agentId);
      const locked = await lockInstance(tx, req.instance_id);
      if (!locked || locked.agent_id !== agentId) throw notFound('instance', req.instance_id);
      if (
        req.cloud_instance_id &&
        locked.cloud_instance_id &&
        req.cloud_instance_id !== locked.cloud_instance_id
      ) {
        throw new DomainError('CONFLICT', 'cloud_instance_id does not match the instance', {
          expected: locked.cloud_instance_id,
        });
      }
      const { decision, row } = await applyTransition(
        tx,
        locked,
        {
          type: 'confirm_terminate',
          at: now,
          source: external ? 'external' : 'agent',
          cloud_instance_id: req.cloud_instance_id ?? null,
          method:
            via === 'eventbridge' ? 'eventbridge' : external ? 'spot_interruption_notice' : 'agent_aws_poll',
        },
        `agent:${agentId}`,
      );
      if (decision.kind === 'apply') {
        await this.switches.onInstanceChanged(tx, row.id);
        // AWS took the workload's primary: keep the workload alive (a no-op when a notice was answered).
        if (external) await this.emergencies.onPrimaryLost(tx, row);
      }
      return { instance_id: row.id, status: row.status, outcome: outcomeOf(decision.kind) };
    });
  }

  /**
   * An agent's report on a command. A failed launch fails its instance (with the AWS error
   * code); a successful RunInstances records the cloud id while the instance still launches.
   */
  async commandResult(
    agentId: string,
    commandId: string,
    body: CommandResultRequest,
  ): Promise<CommandResultResponse> {
    const now = this.ctx.now();
    return this.tx(async (tx) => {
      await lockAgentRow(tx, agentId);
      const cmd = await lockCommand(tx, agentId, commandId);
      if (!cmd) throw notFound('command', commandId);
      if (cmd.status === 'succeeded' || cmd.status === 'failed') {
        return { command_id: cmd.id, status: cmd.status as 'succeeded' | 'failed', duplicate: true };
      }
      const status: 'succeeded' | 'failed' = body.success ? 'succeeded' : 'failed';
      await completeCommand(tx, cmd.id, status, body.message ?? null, body.result);
      const actor = `agent:${agentId}`;
      const errorCode =
        body.result?.error_code ??
        (cmd.command_type === 'LAUNCH_INSTANCE' ? 'LaunchFailed' : 'TerminateFailed');

      if (cmd.instance_id) {
        const locked = await lockInstance(tx, cmd.instance_id);
        if (locked && cmd.command_type === 'LAUNCH_INSTANCE') {
          const cloudId = body.result?.cloud_instance_id;
          if (!body.success) {
            await applyTransition(
              tx,
              locked,
              {
                type: 'fail_launch',
                error_code: errorCode,
                message: body.message ?? null,
                at: now,
                source: 'agent',
                reason: 'launch_error',
              },
              actor,
            );
            if (CAPACITY_ERRORS.has(errorCode)) await this.emergencies.markUnavailable(tx, locked, errorCode);
            await this.switches.onInstanceChanged(tx, locked.id);
          } else if (cloudId && !locked.cloud_instance_id) {
            // Not a status change: the dashboard learns the cloud id while LAUNCHING.
            const updated = await updateInstance(
              tx,
              locked.id,
              locked.version,
              { cloud_instance_id: cloudId },
              now,
            );
            if (updated)
              await appendEvent(tx, locked.client_id, 'INSTANCE_UPDATED', { ...toInstanceJson(updated) });
          }
        } else if (locked && cmd.command_type === 'TERMINATE_INSTANCE' && !body.success) {
          await applyTransition(
            tx,
            locked,
            {
              type: 'fail_terminate',
              error_code: errorCode,
              message: body.message ?? null,
              at: now,
              source: 'agent',
            },
            actor,
          );
        }
      }
      if (cmd.command_type === 'PROMOTE_REPLICA') {
        const m = PromoteReplicaMetadata.safeParse(cmd.metadata);
        if (m.success) {
          await this.switches.onPromoteResult(tx, m.data.switch_id, {
            success: body.success,
            errorCode: body.result?.error_code ?? 'PromoteFailed',
            message: body.message ?? null,
            cutoverStartedAt: dateOrNull(body.result?.cutover_started_at),
            cutoverCompletedAt: dateOrNull(body.result?.cutover_completed_at),
          });
        }
      }
      await appendEvent(tx, cmd.client_id, 'COMMAND_EXECUTED', {
        command_id: cmd.id,
        agent_id: agentId,
        instance_id: cmd.instance_id,
        command_type: cmd.command_type,
        success: body.success,
        message: body.message ?? null,
        ...(body.success ? {} : { error_code: errorCode }),
      });
      return { command_id: cmd.id, status, duplicate: false };
    });
  }
}

const dateOrNull = (s: string | undefined) => (s ? new Date(s) : null);

function outcomeOf(kind: 'apply' | 'duplicate' | 'late'): ConfirmationResponse['outcome'] {
  return kind === 'apply' ? 'applied' : kind;
}

/**
 * A new instance enters the lifecycle here, and only here: LAUNCHING, with its
 * LAUNCH_REQUESTED lifecycle event, INSTANCE_LAUNCHING event and audit entry. The role is
 * PRIMARY when the agent has none (unless asked otherwise); a second PRIMARY is refused.
 */
export async function insertLaunchingInstance(
  tx: Tx,
  p: {
    clientId: string;
    agentId: string;
    logicalId: string;
    role: 'PRIMARY' | 'REPLICA' | undefined;
    market: 'spot' | 'on-demand';
    instanceType: string;
    availabilityZone: string | null;
    region: string | null;
    cloudInstanceId: string | null;
    source: EventSource;
    reason: TransitionReason | null;
    metadata: Record<string, unknown>;
    at: Date;
  },
): Promise<InstanceRow> {
  const to = isLegal('request_launch', null);
  if (to !== 'LAUNCHING') throw new Error('state machine lost request_launch');
  const hasPrimary = Boolean(await findPrimary(tx, p.agentId));
  const role = p.role ?? (hasPrimary ? 'REPLICA' : 'PRIMARY');
  if (role === 'PRIMARY' && hasPrimary) {
    throw new DomainError('CONFLICT', `agent ${p.logicalId} already has a primary instance`);
  }
  const row = await insertInstance(tx, {
    id: randomUUID(),
    client_id: p.clientId,
    agent_id: p.agentId,
    status: to,
    role,
    market: p.market,
    cloud_instance_id: p.cloudInstanceId,
    instance_type: p.instanceType,
    availability_zone: p.availabilityZone,
    region: p.region,
    launch_requested_at: p.at,
    status_changed_at: p.at,
    created_at: p.at,
    updated_at: p.at,
  });
  await insertLifecycleEvent(tx, {
    instance_id: row.id,
    client_id: p.clientId,
    event_type: 'LAUNCH_REQUESTED',
    from_status: null,
    to_status: to,
    source: p.source,
    reason: p.reason,
    confirmation_method: null,
    cloud_instance_id: p.cloudInstanceId,
    metadata: { instance_type: p.instanceType, availability_zone: p.availabilityZone, ...p.metadata },
    at: p.at,
  });
  await appendEvent(tx, p.clientId, 'INSTANCE_LAUNCHING', { ...toInstanceJson(row) });
  await writeAudit(tx, {
    actor: String(p.metadata.actor ?? p.source),
    action: 'request_launch',
    entity_type: 'instance',
    entity_id: row.id,
    before: null,
    after: { status: to, role, version: row.version },
  });
  return row;
}
