import { randomUUID } from 'node:crypto';
import {
  CommandPriority,
  type Market,
  type PromoteReplicaMetadata,
  type SwitchTrigger,
  type TransitionReason,
} from '@spot/contract';
import type { Tx } from '../db/executor.ts';
import { DomainError } from '../domain/errors.ts';
import {
  type SwitchEffect,
  type SwitchEvent,
  type SwitchPhase,
  stepSwitch,
  switchDowntimeSeconds,
} from '../domain/switch-process.ts';
import { getAgentConfig } from '../repositories/agent-configs.ts';
import { writeAudit } from '../repositories/audit.ts';
import { insertCommand } from '../repositories/commands.ts';
import { appendEvent } from '../repositories/events-outbox.ts';
import type { InstanceRow } from '../repositories/instances.ts';
import { findLiveProcessInstance, hasJoinedProcess, lockInstance } from '../repositories/instances.ts';
import { poolPrice } from '../repositories/pool-prices.ts';
import {
  findOpenSwitchByTarget,
  insertSwitch,
  lockSwitch,
  type SwitchRow,
  updateSwitch,
} from '../repositories/switches.ts';
import { toSwitchJson } from '../views/switch.ts';
import type { ServiceContext } from './context.ts';
import { launchManagedInstance } from './managed-launch.ts';
import { applyTransition } from './transition.ts';

/** Why an instance moves, by what started the switch (lifecycle events carry it). */
const REASON: Record<SwitchTrigger, TransitionReason> = {
  manual: 'manual',
  decision: 'cost_optimization',
  rebalance: 'emergency',
  termination_notice: 'emergency',
  fallback: 'emergency',
  return_to_spot: 'cost_optimization',
};

export type SwitchTarget =
  | { kind: 'launch'; instanceType: string; availabilityZone: string | null; market: Market }
  /** A RUNNING replica already in place: the switch goes straight to its promotion. */
  | { kind: 'replica'; instance: InstanceRow };

/**
 * Drives the switch process manager (domain/switch-process.ts): persists each step it
 * decides and carries out its effects, inside the caller's transaction. Every service that
 * learns something a switch waits for (a launch confirmed, an agent joined, a promotion's
 * result, an instance lost, a timeout) hands it here.
 */
export class SwitchCoordinator {
  /** Told when a switch ends (the emergency responder: outcomes and retries). Set once, at wiring. */
  onEnded: ((tx: Tx, row: SwitchRow) => Promise<void>) | null = null;

  constructor(private readonly ctx: ServiceContext) {}

  async start(
    tx: Tx,
    p: {
      clientId: string;
      agent: { id: string; logical_id: string; region: string | null };
      trigger: SwitchTrigger;
      source: InstanceRow | null;
      target: SwitchTarget;
      priority: number;
      reason: string | null;
      requestId: string;
      actor: string;
      /** The interruption this switch answers (its outcome follows the switch's). */
      interruptionId?: string;
    },
  ): Promise<{ row: SwitchRow; commandId: string }> {
    const now = this.ctx.now();
    const id = randomUUID();
    const to =
      p.target.kind === 'launch'
        ? {
            instance_type: p.target.instanceType,
            availability_zone: p.target.availabilityZone,
            market: p.target.market,
          }
        : {
            instance_type: p.target.instance.instance_type,
            availability_zone: p.target.instance.availability_zone,
            market: p.target.instance.market as Market,
          };
    const region = p.source?.region ?? p.agent.region;
    let row = await insertSwitch(tx, {
      id,
      client_id: p.clientId,
      agent_id: p.agent.id,
      trigger: p.trigger,
      status: 'IN_PROGRESS',
      phase: 'launching',
      reason: p.reason,
      from_instance_id: p.source?.id ?? null,
      to_instance_id: p.target.kind === 'replica' ? p.target.instance.id : null,
      target_launched_by_switch: p.target.kind === 'launch',
      from_instance_type: p.source?.instance_type ?? null,
      from_availability_zone: p.source?.availability_zone ?? null,
      from_market: p.source?.market ?? null,
      to_instance_type: to.instance_type,
      to_availability_zone: to.availability_zone,
      to_market: to.market,
      from_price: p.source
        ? await poolPrice(tx, p.clientId, {
            instance_type: p.source.instance_type,
            availability_zone: p.source.availability_zone,
            market: p.source.market,
            region: p.source.region,
          })
        : null,
      to_price: await poolPrice(tx, p.clientId, { ...to, region }),
      requested_at: now,
      interruption_id: p.interruptionId ?? null,
    }).catch((err: { code?: string }) => {
      if (err.code === '23505')
        throw new DomainError('CONFLICT', `a switch of agent ${p.agent.logical_id} is already in progress`);
      throw err;
    });

    let commandId: string;
    if (p.target.kind === 'launch') {
      const { row: target, command } = await launchManagedInstance(tx, this.ctx, {
        clientId: p.clientId,
        agent: p.agent,
        role: 'REPLICA',
        market: p.target.market,
        instanceType: p.target.instanceType,
        availabilityZone: p.target.availabilityZone,
        region,
        priority: p.priority,
        requestId: p.requestId,
        source: 'backend',
        reason: REASON[p.trigger],
        metadata: { actor: p.actor, switch_id: id },
        at: now,
      });
      commandId = command.id;
      row = await this.write(tx, row, { to_instance_id: target.id, launch_command_id: command.id });
      await this.publish(tx, row, 'SWITCH_STARTED');
    } else {
      await this.publish(tx, row, 'SWITCH_STARTED');
      row = await this.advance(tx, row, { type: 'target_ready' });
      commandId = row.promote_command_id ?? '';
    }
    await writeAudit(tx, {
      actor: p.actor,
      action: 'switch_started',
      entity_type: 'switch',
      entity_id: id,
      before: null,
      after: { trigger: p.trigger, to, from_instance_id: p.source?.id ?? null },
    });
    return { row, commandId };
  }

  /**
   * Something happened to an instance (launch confirmed or failed, its agent joined, it was
   * terminated): if an open switch waits on it as its target, tell the process manager.
   * A target a failed switch launched that comes up afterwards is terminated here.
   */
  async onInstanceChanged(tx: Tx, instanceId: string): Promise<void> {
    const open = await findOpenSwitchByTarget(tx, instanceId);
    if (!open) return this.cleanUpOrphanTarget(tx, instanceId);
    const sw = await lockSwitch(tx, open.id);
    if (sw?.status !== 'IN_PROGRESS') return;
    const target = await lockInstance(tx, instanceId);
    if (!target) return;
    if (target.status === 'FAILED' || target.status === 'TERMINATED') {
      await this.advance(tx, sw, {
        type: 'target_failed',
        error_code:
          target.error_code ?? (target.status === 'TERMINATED' ? 'TargetTerminated' : 'TargetFailed'),
        message: target.error_message ?? `target instance ${target.status.toLowerCase()}`,
      });
      return;
    }
    if (sw.phase === 'launching' && target.status === 'RUNNING' && (await hasJoinedProcess(tx, target.id))) {
      await this.advance(tx, sw, { type: 'target_ready' });
    }
  }

  /** The target's agent reported the cut-over (PROMOTE_REPLICA). */
  async onPromoteResult(
    tx: Tx,
    switchId: string,
    r: {
      success: boolean;
      errorCode: string;
      message: string | null;
      cutoverStartedAt: Date | null;
      cutoverCompletedAt: Date | null;
    },
  ): Promise<void> {
    let sw = await lockSwitch(tx, switchId);
    if (sw?.status !== 'IN_PROGRESS') return;
    if (!r.success) {
      await this.advance(tx, sw, { type: 'promote_failed', error_code: r.errorCode, message: r.message });
      return;
    }
    sw = await this.write(tx, sw, {
      cutover_started_at: r.cutoverStartedAt,
      cutover_completed_at: r.cutoverCompletedAt,
    });
    await this.advance(tx, sw, { type: 'promote_succeeded' });
  }

  /** Fails an open switch from outside (its target is going away): cleans up as any failure does. */
  async abort(tx: Tx, switchId: string, errorCode: string, message: string): Promise<void> {
    const sw = await lockSwitch(tx, switchId);
    if (sw?.status !== 'IN_PROGRESS') return;
    await this.advance(tx, sw, { type: 'target_failed', error_code: errorCode, message });
  }

  async timeOut(tx: Tx, switchId: string): Promise<boolean> {
    const sw = await lockSwitch(tx, switchId);
    if (sw?.status !== 'IN_PROGRESS') return false;
    const secs = Math.round(this.ctx.timings.switchTimeoutMs / 1000);
    await this.advance(tx, sw, {
      type: 'timed_out',
      error_code: 'SwitchTimeout',
      message: `not completed within ${secs} s (phase ${sw.phase})`,
    });
    return true;
  }

  /** One step of the process manager: decide, carry out the effects, persist, publish. */
  private async advance(tx: Tx, sw: SwitchRow, event: SwitchEvent): Promise<SwitchRow> {
    const step = stepSwitch(
      { phase: sw.phase as SwitchPhase, targetLaunchedBySwitch: sw.target_launched_by_switch },
      event,
    );
    if (step.kind === 'ignore') {
      this.ctx.log.debug({ switch_id: sw.id, event: event.type, why: step.why }, 'switch event ignored');
      return sw;
    }
    let row = sw;
    const now = this.ctx.now();
    const patch: Parameters<typeof updateSwitch>[2] = {
      phase: step.phase,
      status: step.status,
      ...(step.error ? { error_code: step.error.code, error_message: step.error.message } : {}),
    };
    for (const effect of step.effects) Object.assign(patch, await this.perform(tx, row, effect, now));
    if (step.status !== 'IN_PROGRESS') patch.completed_at = now;
    row = await this.write(tx, row, patch);
    this.ctx.log.info(
      { switch_id: row.id, event: event.type, phase: row.phase, error_code: row.error_code },
      'switch step',
    );
    if (row.status === 'COMPLETED') await this.publish(tx, row, 'SWITCH_COMPLETED');
    if (row.status === 'FAILED') await this.publish(tx, row, 'SWITCH_FAILED');
    if (row.status !== 'IN_PROGRESS') await this.onEnded?.(tx, row);
    return row;
  }

  private async perform(
    tx: Tx,
    sw: SwitchRow,
    effect: SwitchEffect,
    now: Date,
  ): Promise<Parameters<typeof updateSwitch>[2]> {
    const actor = `system:switch:${sw.id}`;
    const reason = REASON[sw.trigger as SwitchTrigger];
    switch (effect.type) {
      case 'request_promotion': {
        const target = sw.to_instance_id ? await lockInstance(tx, sw.to_instance_id) : undefined;
        if (!target?.cloud_instance_id) throw new Error(`switch ${sw.id} has no launched target to promote`);
        await applyTransition(
          tx,
          target,
          { type: 'request_promote', at: now, source: 'backend', reason },
          actor,
          { switch_id: sw.id },
        );
        const source = sw.from_instance_id ? await lockInstance(tx, sw.from_instance_id) : undefined;
        const config = await getAgentConfig(tx, sw.agent_id);
        const metadata: PromoteReplicaMetadata = {
          switch_id: sw.id,
          instance_id: target.id,
          cloud_instance_id: target.cloud_instance_id,
          from_instance_id: source?.id ?? null,
          from_cloud_instance_id: source?.cloud_instance_id ?? null,
          elastic_ip_allocation_id: config?.elastic_ip_allocation_id ?? null,
        };
        const command = await insertCommand(tx, {
          id: randomUUID(),
          client_id: sw.client_id,
          agent_id: sw.agent_id,
          instance_id: target.id,
          command_type: 'PROMOTE_REPLICA',
          priority: priorityOf(sw.trigger as SwitchTrigger),
          request_id: `promote:${sw.id}`,
          metadata,
          expires_at: new Date(now.getTime() + this.ctx.timings.switchTimeoutMs),
          // The cut-over is done by the new primary's own agent (DESIGN §9).
          executor_instance_id: target.id,
        });
        return { promote_command_id: command.id, promoting_at: now };
      }
      case 'complete_cutover': {
        const source = sw.from_instance_id ? await lockInstance(tx, sw.from_instance_id) : undefined;
        // Demote first: the one-PRIMARY index (invariant 4) must never see two.
        if (source && source.role === 'PRIMARY' && source.status !== 'TERMINATED') {
          await applyTransition(
            tx,
            source,
            { type: 'demote', at: now, source: 'backend', switch_id: sw.id },
            actor,
          );
        }
        const target = sw.to_instance_id ? await lockInstance(tx, sw.to_instance_id) : undefined;
        if (!target) throw new Error(`switch ${sw.id} lost its target`);
        await applyTransition(
          tx,
          target,
          { type: 'confirm_promote', at: now, source: 'new_primary_confirmation', switch_id: sw.id },
          actor,
          { switch_id: sw.id },
        );
        const downtime = switchDowntimeSeconds({
          hadSource: Boolean(source),
          sourceEndedAt: source ? servingEndedAt(source) : null,
          cutoverStartedAt: sw.cutover_started_at,
          cutoverCompletedAt: sw.cutover_completed_at,
          promotedAt: now,
        });
        // The former primary is a ZOMBIE now: terminate it, from the new primary's agent.
        const zombie = source ? await lockInstance(tx, source.id) : undefined;
        if (zombie)
          await this.terminate(tx, zombie, target.id, 'cleanup', `replaced by switch ${sw.id}`, actor);
        return { downtime_seconds: downtime === null ? null : Math.round(downtime * 1000) / 1000 };
      }
      case 'abort_promotion': {
        const target = sw.to_instance_id ? await lockInstance(tx, sw.to_instance_id) : undefined;
        if (target?.status === 'PROMOTING') {
          await applyTransition(
            tx,
            target,
            {
              type: 'abort_promote',
              at: now,
              source: 'backend',
              error_code: sw.error_code ?? 'PromoteFailed',
            },
            actor,
          );
        }
        return {};
      }
      case 'terminate_target': {
        const target = sw.to_instance_id ? await lockInstance(tx, sw.to_instance_id) : undefined;
        // Still LAUNCHING: nothing to terminate yet; cleanUpOrphanTarget catches it when it comes up.
        if (target)
          await this.terminate(tx, target, sw.from_instance_id, 'cleanup', `switch ${sw.id} failed`, actor);
        return {};
      }
      default: {
        const never: never = effect;
        throw new Error(`unhandled switch effect ${JSON.stringify(never)}`);
      }
    }
  }

  /** request_terminate + TERMINATE_INSTANCE, aimed at a live process other than the victim's own. */
  async terminate(
    tx: Tx,
    inst: InstanceRow,
    preferredExecutor: string | null,
    reason: TransitionReason,
    detail: string,
    actor: string,
  ): Promise<string | null> {
    if (!['RUNNING', 'OFFLINE', 'FAILED'].includes(inst.status) || !inst.cloud_instance_id) return null;
    const now = this.ctx.now();
    const { decision, row } = await applyTransition(
      tx,
      inst,
      { type: 'request_terminate', at: now, source: 'backend', reason, detail },
      actor,
    );
    if (decision.kind !== 'apply') return null;
    const executor = await findLiveProcessInstance(tx, row.agent_id, row.id, preferredExecutor);
    const cmd = await insertCommand(tx, {
      id: randomUUID(),
      client_id: row.client_id,
      agent_id: row.agent_id,
      instance_id: row.id,
      command_type: 'TERMINATE_INSTANCE',
      priority: CommandPriority.MAINTENANCE,
      request_id: `terminate:${row.id}`,
      metadata: { instance_id: row.id, cloud_instance_id: row.cloud_instance_id, reason: detail },
      expires_at: new Date(now.getTime() + this.ctx.timings.commandTtlMs),
      executor_instance_id: executor,
    });
    return cmd.id;
  }

  private async cleanUpOrphanTarget(tx: Tx, instanceId: string): Promise<void> {
    const failed = await tx
      .selectFrom('switches')
      .select(['id', 'from_instance_id'])
      .where('to_instance_id', '=', instanceId)
      .where('status', '=', 'FAILED')
      .where('target_launched_by_switch', '=', true)
      .executeTakeFirst();
    if (!failed) return;
    const inst = await lockInstance(tx, instanceId);
    if (inst?.status === 'RUNNING' && inst.role === 'REPLICA') {
      await this.terminate(
        tx,
        inst,
        failed.from_instance_id,
        'cleanup',
        `launched by failed switch ${failed.id}`,
        `system:switch:${failed.id}`,
      );
    }
  }

  private async write(tx: Tx, row: SwitchRow, patch: Parameters<typeof updateSwitch>[2]): Promise<SwitchRow> {
    const updated = await updateSwitch(tx, row, patch);
    if (!updated) throw new DomainError('VERSION_CONFLICT', `switch ${row.id} changed concurrently`);
    return updated;
  }

  private async publish(
    tx: Tx,
    row: SwitchRow,
    type: 'SWITCH_STARTED' | 'SWITCH_COMPLETED' | 'SWITCH_FAILED',
  ): Promise<void> {
    await appendEvent(tx, row.client_id, type, toSwitchJson(row));
  }
}

/** When an instance stopped serving, if it has (reclaimed, failed or silent); null while it serves. */
function servingEndedAt(i: InstanceRow): Date | null {
  if (i.status === 'TERMINATED') return i.termination_confirmed_at ?? i.status_changed_at;
  if (i.status === 'FAILED' || i.status === 'OFFLINE') return i.status_changed_at;
  return null;
}

export function priorityOf(trigger: SwitchTrigger): number {
  switch (trigger) {
    case 'manual':
      return CommandPriority.MANUAL;
    case 'termination_notice':
    case 'rebalance':
    case 'fallback':
      return CommandPriority.CRITICAL;
    case 'decision':
      return CommandPriority.DECISION_URGENT;
    case 'return_to_spot':
      return CommandPriority.DECISION_NORMAL;
    default: {
      const never: never = trigger;
      throw new Error(`unknown trigger ${never}`);
    }
  }
}
