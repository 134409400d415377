import {
  type AgentConfig,
  type AgentConfigUpdate,
  CommandPriority,
  type DowntimeAnalytics,
  type ReplicaRequest,
  type ReplicaResponse,
  type SwitchList,
  type SwitchRequest,
  type SwitchStarted,
} from '@spot/contract';
import type { Tx } from '../db/executor.ts';
import { downtimeAnalytics } from '../domain/downtime.ts';
import { DomainError, notFound } from '../domain/errors.ts';
import {
  type AgentConfigRow,
  ensureAgentConfig,
  getAgentConfig,
  updateAgentConfig,
} from '../repositories/agent-configs.ts';
import { writeAudit } from '../repositories/audit.ts';
import { isUuid } from '../repositories/ids.ts';
import { findPrimary, listAgentInstancesIn, lockInstance } from '../repositories/instances.ts';
import { findOpenSwitchForAgent, listSwitches, listSwitchOutcomesSince } from '../repositories/switches.ts';
import { toSwitchJson } from '../views/switch.ts';
import { isoRequired } from '../views/time.ts';
import type { ServiceContext } from './context.ts';
import { launchManagedInstance } from './managed-launch.ts';
import { priorityOf, type SwitchCoordinator, type SwitchTarget } from './switch-coordinator.ts';
import { inTransaction } from './unit-of-work.ts';

/** What operators ask of a workload: its config, a switch, a replica, a promotion, and the record. */
export class SwitchService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly coordinator: SwitchCoordinator,
  ) {}

  private async lockAgent(tx: Tx, clientId: string, agentId: string) {
    if (!isUuid(agentId)) throw notFound('agent', agentId);
    const agent = await tx
      .selectFrom('agents')
      .selectAll()
      .where('id', '=', agentId)
      .where('client_id', '=', clientId)
      .forNoKeyUpdate()
      .executeTakeFirst();
    if (!agent) throw notFound('agent', agentId);
    return agent;
  }

  async getConfig(clientId: string, agentId: string): Promise<AgentConfig> {
    if (!isUuid(agentId)) throw notFound('agent', agentId);
    return inTransaction(this.ctx, async (tx) => {
      await this.lockAgent(tx, clientId, agentId);
      await ensureAgentConfig(tx, agentId);
      const row = await getAgentConfig(tx, agentId);
      return toConfigJson(row!);
    });
  }

  async putConfig(
    clientId: string,
    agentId: string,
    req: AgentConfigUpdate,
    actor: string,
  ): Promise<AgentConfig> {
    const now = this.ctx.now();
    return inTransaction(this.ctx, async (tx) => {
      await this.lockAgent(tx, clientId, agentId);
      await ensureAgentConfig(tx, agentId);
      const before = await getAgentConfig(tx, agentId);
      const updated = await updateAgentConfig(
        tx,
        agentId,
        req.version,
        {
          mode: req.mode,
          candidate_pools: req.candidate_pools,
          min_savings_percent: req.min_savings_percent,
          on_rebalance: req.on_rebalance,
          on_demand_fallback: req.on_demand_fallback,
          elastic_ip_allocation_id: req.elastic_ip_allocation_id ?? null,
        },
        now,
      );
      if (!updated) {
        throw new DomainError(
          'VERSION_CONFLICT',
          `the config changed since version ${req.version} was read; reload it and apply your change again`,
          { expected_version: req.version, current_version: before?.version ?? null },
        );
      }
      await writeAudit(tx, {
        actor,
        action: 'agent_config_updated',
        entity_type: 'agent',
        entity_id: agentId,
        before: before ? toConfigJson(before) : null,
        after: toConfigJson(updated),
      });
      return toConfigJson(updated);
    });
  }

  async switchPool(
    clientId: string,
    agentId: string,
    req: SwitchRequest,
    requestId: string,
    actor: string,
    /** Writes an idempotent request's answer in this transaction (http/idempotency.ts). */
    recordAnswer?: (tx: Tx, body: SwitchStarted) => Promise<void>,
  ): Promise<SwitchStarted> {
    return inTransaction(this.ctx, async (tx) => {
      const agent = await this.lockAgent(tx, clientId, agentId);
      await this.refuseIfSwitching(tx, agentId, agent.logical_id);
      const primary = await findPrimary(tx, agentId);
      if (primary?.status !== 'RUNNING') {
        throw new DomainError(
          'INVALID_TRANSITION',
          `agent ${agent.logical_id} has no RUNNING primary to switch from${primary ? ` (it is ${primary.status})` : ''}`,
        );
      }
      const market = req.market ?? 'spot';
      // A ready replica in the asked pool makes the switch a mere promotion.
      const replicas = await listAgentInstancesIn(tx, agentId, ['RUNNING']);
      const ready = replicas.find(
        (r) =>
          r.role === 'REPLICA' &&
          r.instance_type === req.instance_type &&
          r.market === market &&
          (!req.availability_zone || r.availability_zone === req.availability_zone),
      );
      const target: SwitchTarget = ready
        ? { kind: 'replica', instance: ready }
        : {
            kind: 'launch',
            instanceType: req.instance_type,
            availabilityZone: req.availability_zone ?? null,
            market,
          };
      const { row, commandId } = await this.coordinator.start(tx, {
        clientId,
        agent,
        trigger: 'manual',
        source: primary,
        target,
        priority: priorityOf('manual'),
        reason: req.reason ?? null,
        requestId,
        actor,
      });
      const answer = {
        switch_id: row.id,
        agent_id: agentId,
        status: 'IN_PROGRESS' as const,
        command_id: commandId,
      };
      await recordAnswer?.(tx, answer);
      return answer;
    });
  }

  async addReplica(
    clientId: string,
    agentId: string,
    req: ReplicaRequest,
    requestId: string,
    actor: string,
    recordAnswer?: (tx: Tx, body: ReplicaResponse) => Promise<void>,
  ): Promise<ReplicaResponse> {
    const now = this.ctx.now();
    return inTransaction(this.ctx, async (tx) => {
      const agent = await this.lockAgent(tx, clientId, agentId);
      const { row, command } = await launchManagedInstance(tx, this.ctx, {
        clientId,
        agent,
        role: 'REPLICA',
        market: 'spot',
        instanceType: req.instance_type,
        availabilityZone: req.availability_zone ?? null,
        region: agent.region,
        priority: CommandPriority.MANUAL,
        requestId,
        source: 'backend',
        reason: 'manual',
        metadata: { actor },
        at: now,
      });
      const answer = {
        instance_id: row.id,
        agent_id: agentId,
        status: 'LAUNCHING' as const,
        role: 'REPLICA' as const,
        command_id: command.id,
      };
      await recordAnswer?.(tx, answer);
      return answer;
    });
  }

  async promote(
    clientId: string,
    instanceId: string,
    reason: string | null,
    requestId: string,
    actor: string,
    recordAnswer?: (tx: Tx, body: SwitchStarted) => Promise<void>,
  ): Promise<SwitchStarted> {
    return inTransaction(this.ctx, async (tx) => {
      const peek = isUuid(instanceId)
        ? await tx
            .selectFrom('instances')
            .select(['agent_id', 'client_id'])
            .where('id', '=', instanceId)
            .executeTakeFirst()
        : undefined;
      if (!peek || peek.client_id !== clientId) throw notFound('instance', instanceId);
      // Agent first, then instance: the order every path takes, so none deadlocks.
      const agent = await this.lockAgent(tx, clientId, peek.agent_id);
      const inst = await lockInstance(tx, instanceId);
      if (!inst) throw notFound('instance', instanceId);
      if (inst.role !== 'REPLICA' || inst.status !== 'RUNNING') {
        throw new DomainError(
          'INVALID_TRANSITION',
          `only a RUNNING replica can be promoted; this instance is a ${inst.status} ${inst.role}`,
          { status: inst.status, role: inst.role },
        );
      }
      await this.refuseIfSwitching(tx, agent.id, agent.logical_id);
      const primary = await findPrimary(tx, agent.id);
      const { row, commandId } = await this.coordinator.start(tx, {
        clientId,
        agent,
        trigger: 'manual',
        source: primary ?? null,
        target: { kind: 'replica', instance: inst },
        priority: priorityOf('manual'),
        reason: reason ?? 'promote replica',
        requestId,
        actor,
      });
      const answer = {
        switch_id: row.id,
        agent_id: agent.id,
        status: 'IN_PROGRESS' as const,
        command_id: commandId,
      };
      await recordAnswer?.(tx, answer);
      return answer;
    });
  }

  async list(
    clientId: string,
    q: { agent_id?: string; limit: number; before?: string },
  ): Promise<SwitchList> {
    // A malformed agent id is an unknown one: no switches, not an error.
    if (q.agent_id && !isUuid(q.agent_id)) return { switches: [] };
    const rows = await listSwitches(this.ctx.db.kysely, clientId, {
      ...(q.agent_id ? { agentId: q.agent_id } : {}),
      limit: q.limit,
      ...(q.before ? { before: q.before } : {}),
    });
    return { switches: rows.map(toSwitchJson) };
  }

  async downtime(clientId: string, hours: number): Promise<DowntimeAnalytics> {
    const since = new Date(this.ctx.now().getTime() - hours * 3_600_000);
    const rows = await listSwitchOutcomesSince(this.ctx.db.kysely, clientId, since);
    return downtimeAnalytics(
      hours,
      rows.map((r) => ({
        trigger: r.trigger,
        status: r.status as 'IN_PROGRESS' | 'COMPLETED' | 'FAILED',
        downtime_seconds: r.downtime_seconds == null ? null : Number(r.downtime_seconds),
      })),
    );
  }

  private async refuseIfSwitching(tx: Tx, agentId: string, logicalId: string): Promise<void> {
    const open = await findOpenSwitchForAgent(tx, agentId);
    if (open) {
      throw new DomainError('CONFLICT', `a switch of agent ${logicalId} is already in progress`, {
        switch_id: open.id,
        phase: open.phase,
      });
    }
  }
}

export function toConfigJson(row: AgentConfigRow): AgentConfig {
  return {
    agent_id: row.agent_id,
    mode: row.mode as AgentConfig['mode'],
    candidate_pools: (row.candidate_pools as AgentConfig['candidate_pools']) ?? [],
    min_savings_percent: Number(row.min_savings_percent),
    on_rebalance: row.on_rebalance as AgentConfig['on_rebalance'],
    on_demand_fallback: row.on_demand_fallback,
    elastic_ip_allocation_id: row.elastic_ip_allocation_id,
    version: row.version,
    updated_at: isoRequired(row.updated_at),
  };
}
