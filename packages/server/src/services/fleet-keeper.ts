import { randomUUID } from 'node:crypto';
import { CommandPriority } from '@spot/contract';
import type { Tx } from '../db/executor.ts';
import { chooseSpotPool } from '../domain/emergency-policy.ts';
import { type AgentConfigRow, getAgentConfig, listAgentsInMode } from '../repositories/agent-configs.ts';
import { lockAgentRow } from '../repositories/agents.ts';
import { listAgentInstancesIn, lockInstance } from '../repositories/instances.ts';
import { noticedInstanceIds, updateInterruption } from '../repositories/interruptions.ts';
import {
  findOpenSwitchForAgent,
  listReturnableFallbacks,
  listStaleSwitches,
} from '../repositories/switches.ts';
import type { ServiceContext } from './context.ts';
import type { EmergencyResponder } from './emergency-responder.ts';
import { launchManagedInstance } from './managed-launch.ts';
import { candidateFacts } from './pool-facts.ts';
import { priorityOf, type SwitchCoordinator } from './switch-coordinator.ts';

/**
 * The scheduled upkeep of moving workloads: stuck switches are failed, former primaries
 * that outlived their termination are terminated, and manual_replica workloads keep
 * exactly one replica. Each runs in a job's transaction (jobs/catalog.ts).
 */
export class FleetKeeper {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly switches: SwitchCoordinator,
    private readonly emergencies?: EmergencyResponder,
  ) {}

  async failStuckSwitches(tx: Tx): Promise<number> {
    const cutoff = new Date(this.ctx.now().getTime() - this.ctx.timings.switchTimeoutMs);
    let n = 0;
    for (const sw of await listStaleSwitches(tx, cutoff)) {
      await lockAgentRow(tx, sw.agent_id);
      if (await this.switches.timeOut(tx, sw.id)) n++;
    }
    return n;
  }

  /** A ZOMBIE still RUNNING/OFFLINE past the grace period (its terminate was lost or failed). */
  async reapZombies(tx: Tx): Promise<number> {
    const cutoff = new Date(this.ctx.now().getTime() - this.ctx.timings.zombieGraceMs);
    const rows = await tx
      .selectFrom('instances')
      .select(['id', 'agent_id'])
      .where('role', '=', 'ZOMBIE')
      .where('status', 'in', ['RUNNING', 'OFFLINE'])
      .where('updated_at', '<', cutoff)
      .limit(200)
      .execute();
    let n = 0;
    for (const { id, agent_id } of rows) {
      await lockAgentRow(tx, agent_id);
      const z = await lockInstance(tx, id);
      if (z?.role !== 'ZOMBIE' || !['RUNNING', 'OFFLINE'].includes(z.status)) continue;
      if (
        await this.switches.terminate(
          tx,
          z,
          null,
          'cleanup',
          'zombie outlived its termination',
          'system:zombie-reaper',
        )
      )
        n++;
    }
    return n;
  }

  /** The workloads the replica keeper visits: every manual_replica agent. */
  async replicaWorkloads(tx: Tx): Promise<string[]> {
    return (await listAgentsInMode(tx, 'manual_replica')).map((c) => c.agent_id);
  }

  /** manual_replica: exactly one live replica in a pool other than the primary's, recreated when lost. */
  async keepReplica(tx: Tx, agentId: string): Promise<number> {
    const config = await getAgentConfig(tx, agentId);
    if (config?.mode !== 'manual_replica') return 0;
    const agent = await tx
      .selectFrom('agents')
      .selectAll()
      .where('id', '=', config.agent_id)
      .forNoKeyUpdate()
      .skipLocked()
      .executeTakeFirst();
    if (!agent) return 0;
    // A switch in progress owns the workload's instances until it ends.
    if (await findOpenSwitchForAgent(tx, agent.id)) return 0;
    // An instance with a termination notice is already lost: it does not count as the replica.
    const doomed = await noticedInstanceIds(tx, agent.id);
    const live = (
      await listAgentInstancesIn(tx, agent.id, ['LAUNCHING', 'RUNNING', 'PROMOTING', 'OFFLINE'])
    ).filter((i) => !doomed.has(i.id));
    const primary = live.find((i) => i.role === 'PRIMARY');
    if (primary?.status !== 'RUNNING') return 0;
    const replicas = live.filter((i) => i.role === 'REPLICA').sort((a, b) => +a.created_at - +b.created_at);
    if (replicas.length > 1) {
      // Keep the oldest live one; retire the others.
      let n = 0;
      for (const extra of replicas.slice(1)) {
        const locked = await lockInstance(tx, extra.id);
        if (
          locked &&
          (await this.switches.terminate(
            tx,
            locked,
            primary.id,
            'cleanup',
            'surplus replica',
            'system:replica-keeper',
          ))
        )
          n++;
      }
      return n;
    }
    if (replicas.length === 1) return 0;
    const pool = await this.pickReplicaPool(tx, agent.client_id, config, primary);
    if (!pool) return 0;
    await launchManagedInstance(tx, this.ctx, {
      clientId: agent.client_id,
      agent,
      role: 'REPLICA',
      market: 'spot',
      instanceType: pool.instance_type,
      availabilityZone: pool.availability_zone,
      region: primary.region ?? agent.region,
      priority: CommandPriority.DECISION_URGENT,
      requestId: randomUUID(),
      source: 'backend',
      reason: 'manual',
      metadata: { actor: 'system:replica-keeper', mode: 'manual_replica' },
      at: this.ctx.now(),
    });
    return 1;
  }

  /**
   * A replica pre-warmed for a rebalance recommendation that no termination notice followed
   * is retired after its TTL (unless the workload keeps a replica anyway: manual_replica).
   */
  async retireRebalanceReplicas(tx: Tx): Promise<number> {
    const cutoff = new Date(this.ctx.now().getTime() - this.ctx.timings.rebalanceReplicaTtlMs);
    const rows = await tx
      .selectFrom('interruptions as r')
      .innerJoin('agent_configs as c', 'c.agent_id', 'r.agent_id')
      .select(['r.id', 'r.replica_instance_id', 'r.cloud_instance_id', 'r.instance_id'])
      .where('r.kind', '=', 'rebalance_recommendation')
      .where('r.replica_instance_id', 'is not', null)
      .where('r.outcome', 'is', null)
      .where('r.responded_at', '<', cutoff)
      .where('c.mode', '<>', 'manual_replica')
      .limit(100)
      .execute();
    let n = 0;
    for (const r of rows) {
      const noticed = await tx
        .selectFrom('interruptions')
        .select('id')
        .where('cloud_instance_id', '=', r.cloud_instance_id)
        .where('kind', '=', 'termination_notice')
        .executeTakeFirst();
      if (noticed) continue;
      const owner = await tx
        .selectFrom('instances')
        .select('agent_id')
        .where('id', '=', r.replica_instance_id!)
        .executeTakeFirst();
      if (owner) await lockAgentRow(tx, owner.agent_id);
      const replica = await lockInstance(tx, r.replica_instance_id!);
      if (replica?.role === 'REPLICA' && replica.status === 'RUNNING') {
        await this.switches.terminate(
          tx,
          replica,
          r.instance_id,
          'cleanup',
          'rebalance replica not needed',
          'system:rebalance',
        );
        n++;
      }
      const retired = await updateInterruption(tx, r.id, {
        outcome: 'replica_retired',
        resolved_at: this.ctx.now(),
      });
      if (retired) await this.emergencies?.publish(tx, retired);
    }
    return n;
  }

  /**
   * A workload that fell back to on-demand goes back to spot once an acceptable spot pool is
   * there again, no sooner than the configured minimum time on on-demand.
   */
  async onDemandFallbacks(tx: Tx): Promise<string[]> {
    const cutoff = new Date(this.ctx.now().getTime() - this.ctx.timings.returnToSpotMinMs);
    const fallbacks = await listReturnableFallbacks(tx, cutoff);
    return fallbacks.map((f) => f.agent_id);
  }

  /** One workload on on-demand after a fallback: back to spot when an acceptable pool is there again. */
  async returnOneToSpot(tx: Tx, agentId: string): Promise<boolean> {
    const cutoff = new Date(this.ctx.now().getTime() - this.ctx.timings.returnToSpotMinMs);
    const [f] = await listReturnableFallbacks(tx, cutoff, agentId);
    if (!f) return false;
    const agent = await tx
      .selectFrom('agents')
      .selectAll()
      .where('id', '=', f.agent_id)
      .forNoKeyUpdate()
      .skipLocked()
      .executeTakeFirst();
    if (!agent || (await findOpenSwitchForAgent(tx, agent.id))) return false;
    const primary = await lockInstance(tx, f.to_instance_id!);
    if (primary?.role !== 'PRIMARY' || primary.status !== 'RUNNING') return false;
    const config = await getAgentConfig(tx, agent.id);
    const pool = chooseSpotPool(
      await candidateFacts(tx, {
        clientId: agent.client_id,
        config,
        instanceType: primary.instance_type,
        region: primary.region ?? agent.region,
        now: this.ctx.now(),
      }),
      null,
    );
    if (!pool) return false;
    await this.switches.start(tx, {
      clientId: agent.client_id,
      agent,
      trigger: 'return_to_spot',
      source: primary,
      target: {
        kind: 'launch',
        instanceType: pool.instance_type,
        availabilityZone: pool.availability_zone,
        market: 'spot',
      },
      priority: priorityOf('return_to_spot'),
      reason: 'spot capacity is back',
      requestId: randomUUID(),
      actor: 'system:return-to-spot',
    });
    return true;
  }

  /**
   * Where the replica goes: the same choice an emergency makes (chooseSpotPool over the
   * candidate facts) — cheapest acceptable pool other than the primary's, never one in the
   * unavailable memory (a hand-rolled cheapest-price loop here used to ignore that memory).
   */
  private async pickReplicaPool(
    tx: Tx,
    clientId: string,
    config: AgentConfigRow,
    primary: { instance_type: string; availability_zone: string | null; region: string | null },
  ): Promise<{ instance_type: string; availability_zone: string } | null> {
    // Only the configured candidates: a replica in an unconfigured pool is not what was asked for.
    if (((config.candidate_pools as unknown[]) ?? []).length === 0) return null;
    const facts = await candidateFacts(tx, {
      clientId,
      config,
      instanceType: primary.instance_type,
      region: primary.region,
      now: this.ctx.now(),
    });
    const leaving = primary.availability_zone
      ? { instance_type: primary.instance_type, availability_zone: primary.availability_zone }
      : null;
    return chooseSpotPool(facts, leaving);
  }
}
