import { randomUUID } from 'node:crypto';
import { CommandPriority, type EmergencyEventData } from '@spot/contract';
import { sql } from 'kysely';
import type { Tx } from '../db/executor.ts';
import {
  decideRebalance,
  decideTermination,
  outcomeOf,
  type PoolKey,
  type TerminationResponse,
} from '../domain/emergency-policy.ts';
import { getAgentConfig } from '../repositories/agent-configs.ts';
import { appendEvent } from '../repositories/events-outbox.ts';
import type { InstanceRow } from '../repositories/instances.ts';
import { listAgentInstancesIn, lockInstance } from '../repositories/instances.ts';
import {
  countPrewarmsSince,
  countSwitchesOfInterruption,
  type InterruptionRow,
  lockInterruption,
  noticedInstanceIds,
  updateInterruption,
} from '../repositories/interruptions.ts';
import { findOpenSwitchForAgent, type SwitchRow } from '../repositories/switches.ts';
import { markPoolUnavailable } from '../repositories/unavailable-pools.ts';
import { iso, isoRequired } from '../views/time.ts';
import type { ServiceContext } from './context.ts';
import { launchManagedInstance } from './managed-launch.ts';
import { candidateFacts } from './pool-facts.ts';
import type { SwitchCoordinator } from './switch-coordinator.ts';

/** Serialises rebalance pre-warm decisions so the fleet-wide cap holds under concurrency. */
const REBALANCE_CAP_LOCK_KEY = 7_311_201;

/** Emergency responses stop trying after this many switches for one interruption. */
const MAX_ATTEMPTS = 4;

/**
 * Acts on interruption signals within AWS's two-minute window (issue 9, DESIGN §4, §8):
 * gathers the facts, asks the pure policy (domain/emergency-policy.ts), and has the switch
 * process manager carry out the answer — a promotion, a replacement, an on-demand fallback —
 * recording on the interruption what was done and, when the switch ends, how it ended.
 */
export class EmergencyResponder {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly switches: SwitchCoordinator,
  ) {}

  /** The pool interrupted or refused capacity: keep every agent of the client out of it for a while. */
  async markUnavailable(tx: Tx, inst: InstanceRow, reason: string): Promise<void> {
    if (!inst.availability_zone || inst.market !== 'spot') return;
    await markPoolUnavailable(tx, {
      clientId: inst.client_id,
      instanceType: inst.instance_type,
      availabilityZone: inst.availability_zone,
      until: new Date(this.ctx.now().getTime() + this.ctx.timings.unavailablePoolTtlMs),
      reason,
    });
  }

  async onTerminationNotice(tx: Tx, interruptionId: string): Promise<void> {
    const intr = await lockInterruption(tx, interruptionId);
    if (!intr?.instance_id) return;
    const inst = await lockInstance(tx, intr.instance_id);
    if (!inst) return;
    await this.markUnavailable(tx, inst, 'interrupted');
    await this.respondToTermination(tx, intr, inst);
  }

  private async respondToTermination(tx: Tx, intr: InterruptionRow, inst: InstanceRow): Promise<void> {
    const now = this.ctx.now();
    const agent = await tx
      .selectFrom('agents')
      .selectAll()
      .where('id', '=', inst.agent_id)
      .forNoKeyUpdate()
      .executeTakeFirstOrThrow();
    const config = await getAgentConfig(tx, agent.id);
    const open = await findOpenSwitchForAgent(tx, agent.id);
    const doomed = await noticedInstanceIds(tx, agent.id);
    const replicas = (await listAgentInstancesIn(tx, agent.id, ['RUNNING']))
      .filter((r) => r.role === 'REPLICA' && !doomed.has(r.id))
      .map((r) => r.id);
    const pool: PoolKey | null = inst.availability_zone
      ? { instance_type: inst.instance_type, availability_zone: inst.availability_zone }
      : null;
    const decision = decideTermination({
      role: inst.role as 'PRIMARY' | 'REPLICA' | 'ZOMBIE',
      mode: (config?.mode ?? 'observe') as 'observe',
      onDemandFallback: config?.on_demand_fallback ?? false,
      pool,
      instanceType: inst.instance_type,
      runningReplicaIds: replicas,
      openSwitch: open
        ? {
            id: open.id,
            fromThisInstance: open.from_instance_id === inst.id,
            targetIsThisInstance: open.to_instance_id === inst.id,
          }
        : null,
      candidates: await candidateFacts(tx, {
        clientId: inst.client_id,
        config,
        instanceType: inst.instance_type,
        region: inst.region ?? agent.region,
        now,
      }),
    });
    await this.act(tx, intr, inst, agent, decision);
  }

  private async act(
    tx: Tx,
    intr: InterruptionRow,
    inst: InstanceRow,
    agent: { id: string; logical_id: string; region: string | null },
    d: TerminationResponse,
  ): Promise<void> {
    const now = this.ctx.now();
    const start = (
      target: Parameters<SwitchCoordinator['start']>[1]['target'],
      trigger: 'termination_notice' | 'fallback',
    ) =>
      this.switches.start(tx, {
        clientId: inst.client_id,
        agent,
        trigger,
        source: inst,
        target,
        priority: CommandPriority.CRITICAL,
        reason: `interruption ${intr.id}`,
        requestId: `emergency:${randomUUID()}`,
        actor: 'system:emergency',
        interruptionId: intr.id,
      });
    let patch: Parameters<typeof updateInterruption>[2];
    switch (d.kind) {
      case 'promote_replica': {
        const replica = await lockInstance(tx, d.replicaId);
        if (!replica) return;
        const { row } = await start({ kind: 'replica', instance: replica }, 'termination_notice');
        patch = { response: 'promoted_replica', switch_id: row.id };
        break;
      }
      case 'launch_replacement': {
        const { row } = await start(
          {
            kind: 'launch',
            instanceType: d.pool.instance_type,
            availabilityZone: d.pool.availability_zone,
            market: d.market,
          },
          d.trigger,
        );
        patch = {
          response: d.market === 'on-demand' ? 'on_demand_fallback' : 'replacement_launched',
          switch_id: row.id,
        };
        break;
      }
      case 'follow_switch': {
        await tx
          .updateTable('switches')
          .set({ interruption_id: intr.id })
          .where('id', '=', d.switchId)
          .execute();
        const sw = await tx
          .selectFrom('switches')
          .selectAll()
          .where('id', '=', d.switchId)
          .executeTakeFirstOrThrow();
        patch = {
          response: sw.target_launched_by_switch ? 'replacement_launched' : 'promoted_replica',
          switch_id: d.switchId,
        };
        break;
      }
      case 'replace_replica': {
        const { row } = await launchManagedInstance(tx, this.ctx, {
          clientId: inst.client_id,
          agent,
          role: 'REPLICA',
          market: 'spot',
          instanceType: d.pool.instance_type,
          availabilityZone: d.pool.availability_zone,
          region: inst.region ?? agent.region,
          priority: CommandPriority.CRITICAL,
          requestId: `emergency:${randomUUID()}`,
          source: 'backend',
          reason: 'emergency',
          metadata: { actor: 'system:emergency', interruption_id: intr.id },
          at: now,
        });
        patch = { response: 'replacement_launched', replica_instance_id: row.id };
        break;
      }
      case 'abort_switch': {
        // Its failure reaches onSwitchEnded, which answers the primary's own interruption again.
        await this.switches.abort(
          tx,
          d.switchId,
          'TargetInterrupted',
          `replica ${inst.id} got a termination notice`,
        );
        patch = { response: 'none' };
        break;
      }
      case 'none':
        patch = { response: 'none', response_detail: d.why };
        this.ctx.log.info({ interruption_id: intr.id, why: d.why }, 'interruption: no response');
        break;
      default: {
        const never: never = d;
        throw new Error(`unhandled response ${JSON.stringify(never)}`);
      }
    }
    const updated = await updateInterruption(tx, intr.id, {
      // A new answer (a retry, or a replica that became primary) starts with no outcome.
      outcome: null,
      response_detail: null,
      ...patch,
      responded_at: intr.responded_at ?? now,
      ...(d.kind === 'none' && !intr.switch_id ? { outcome: 'failed' as const } : {}),
    });
    this.ctx.log.info(
      { interruption_id: intr.id, agent_id: agent.id, response: patch.response, decision: d.kind },
      'interruption response',
    );
    if (updated) await this.publish(tx, updated);
  }

  async onRebalance(tx: Tx, interruptionId: string): Promise<void> {
    const intr = await lockInterruption(tx, interruptionId);
    if (!intr?.instance_id) return;
    const inst = await lockInstance(tx, intr.instance_id);
    if (!inst) return;
    const now = this.ctx.now();
    const agent = await tx
      .selectFrom('agents')
      .selectAll()
      .where('id', '=', inst.agent_id)
      .forNoKeyUpdate()
      .executeTakeFirstOrThrow();
    const config = await getAgentConfig(tx, agent.id);
    const live = await listAgentInstancesIn(tx, agent.id, ['LAUNCHING', 'RUNNING']);
    const t = this.ctx.timings;
    // The fleet-wide cap counts other agents' pre-warms: concurrent storms must see each
    // other's, so these decisions take turns (after the agent lock, as every path does).
    await sql`SELECT pg_advisory_xact_lock(${REBALANCE_CAP_LOCK_KEY})`.execute(tx);
    const decision = decideRebalance({
      role: inst.role as 'PRIMARY',
      onRebalance: (config?.on_rebalance ?? 'mark') as 'mark',
      pool: inst.availability_zone
        ? { instance_type: inst.instance_type, availability_zone: inst.availability_zone }
        : null,
      hasLiveReplica: live.some((i) => i.role === 'REPLICA'),
      openSwitch: Boolean(await findOpenSwitchForAgent(tx, agent.id)),
      agentCoolingDown:
        (await countPrewarmsSince(tx, new Date(now.getTime() - t.rebalanceCooldownMs), agent.id)) > 0,
      fleetCapReached:
        (await countPrewarmsSince(tx, new Date(now.getTime() - t.rebalanceCapWindowMs))) >=
        t.rebalanceReplicasPerMinute,
      candidates: await candidateFacts(tx, {
        clientId: inst.client_id,
        config,
        instanceType: inst.instance_type,
        region: inst.region ?? agent.region,
        now,
      }),
    });
    let patch: Parameters<typeof updateInterruption>[2];
    switch (decision.kind) {
      case 'prewarm_replica': {
        const { row } = await launchManagedInstance(tx, this.ctx, {
          clientId: inst.client_id,
          agent,
          role: 'REPLICA',
          market: 'spot',
          instanceType: decision.pool.instance_type,
          availabilityZone: decision.pool.availability_zone,
          region: inst.region ?? agent.region,
          priority: CommandPriority.CRITICAL,
          requestId: `rebalance:${randomUUID()}`,
          source: 'backend',
          reason: 'emergency',
          metadata: { actor: 'system:rebalance', interruption_id: intr.id },
          at: now,
        });
        patch = { response: 'replica_prewarmed', replica_instance_id: row.id };
        break;
      }
      case 'mark':
        patch = { response: 'marked' };
        break;
      case 'none':
        patch = {
          response: decision.why.startsWith('rate limited') ? 'rate_limited' : 'none',
          response_detail: decision.why,
        };
        this.ctx.log.info({ interruption_id: intr.id, why: decision.why }, 'rebalance: no replica');
        break;
      default: {
        const never: never = decision;
        throw new Error(`unhandled rebalance response ${JSON.stringify(never)}`);
      }
    }
    const updated = await updateInterruption(tx, intr.id, { ...patch, responded_at: now });
    if (updated) await this.publish(tx, updated);
  }

  /**
   * AWS took a PRIMARY nobody had answered for (no notice reached us, or it came too late):
   * the workload is down — respond as to a notice, with no deadline left.
   */
  async onPrimaryLost(tx: Tx, inst: InstanceRow): Promise<void> {
    if (inst.role !== 'PRIMARY' || !inst.cloud_instance_id) return;
    const existing = await tx
      .selectFrom('interruptions')
      .select(['id', 'response'])
      .where('cloud_instance_id', '=', inst.cloud_instance_id)
      .where('kind', '=', 'termination_notice')
      .executeTakeFirst();
    // Answered already (a promotion or replacement is under way). A notice that got no
    // response because this instance was a replica then — promoted since — is answered now.
    if (existing?.response && existing.response !== 'none') return;
    const now = this.ctx.now();
    let id = existing?.id;
    if (!id) {
      id = randomUUID();
      await tx
        .insertInto('interruptions')
        .values({
          id,
          client_id: inst.client_id,
          agent_id: inst.agent_id,
          instance_id: inst.id,
          cloud_instance_id: inst.cloud_instance_id,
          kind: 'termination_notice',
          action: 'terminate',
          notice_time: null,
          deadline: now,
          detected_at: now,
          received_at: now,
          sources: JSON.stringify(['reclaim']),
        })
        .onConflict((oc) => oc.columns(['cloud_instance_id', 'kind']).doNothing())
        .execute();
    }
    await this.markUnavailable(tx, inst, 'reclaimed');
    const intr = await lockInterruption(tx, id);
    if (intr) await this.respondToTermination(tx, intr, inst);
  }

  /**
   * A switch ended: the interruption it answered learns its outcome; an emergency switch that
   * failed is retried elsewhere while the workload still has no healthy primary.
   */
  async onSwitchEnded(tx: Tx, sw: SwitchRow): Promise<void> {
    if (!sw.interruption_id) return;
    const intr = await lockInterruption(tx, sw.interruption_id);
    if (!intr) return;
    const completed = sw.status === 'COMPLETED';
    const servingAt = completed ? (sw.cutover_completed_at ?? sw.completed_at) : null;
    if (completed) {
      const updated = await updateInterruption(tx, intr.id, {
        switch_id: sw.id,
        outcome: outcomeOf({ completed, servingAt, deadline: intr.deadline }),
        resolved_at: sw.completed_at,
        serving_after_seconds: servingAt
          ? Math.max(0, (servingAt.getTime() - intr.detected_at.getTime()) / 1000)
          : null,
      });
      if (updated) await this.publish(tx, updated);
      return;
    }
    const source = intr.instance_id ? await lockInstance(tx, intr.instance_id) : undefined;
    const stillNeeded =
      source && source.role === 'PRIMARY' && (await countSwitchesOfInterruption(tx, intr.id)) < MAX_ATTEMPTS;
    if (stillNeeded) {
      await this.respondToTermination(tx, intr, source);
      return;
    }
    const updated = await updateInterruption(tx, intr.id, {
      outcome: 'failed',
      resolved_at: sw.completed_at,
    });
    if (updated) await this.publish(tx, updated);
  }

  async publishById(tx: Tx, id: string): Promise<void> {
    const intr = await lockInterruption(tx, id);
    if (intr) await this.publish(tx, intr);
  }

  /** The dashboard's emergency alert follows the response live: the same event, updated. */
  async publish(tx: Tx, intr: InterruptionRow): Promise<void> {
    const data: EmergencyEventData = {
      interruption_id: intr.id,
      kind: intr.kind,
      agent_id: intr.agent_id,
      instance_id: intr.instance_id,
      cloud_instance_id: intr.cloud_instance_id,
      deadline: iso(intr.deadline),
      detected_at: isoRequired(intr.detected_at),
      response: intr.response,
      outcome: intr.outcome,
      switch_id: intr.switch_id,
      sources: (intr.sources as string[]) ?? [],
      response_detail: intr.response_detail,
      serving_after_seconds: intr.serving_after_seconds == null ? null : Number(intr.serving_after_seconds),
    };
    await appendEvent(tx, intr.client_id, 'EMERGENCY_EVENT', data);
  }
}
