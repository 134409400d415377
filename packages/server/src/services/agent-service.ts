import { randomUUID } from 'node:crypto';
import type {
  AgentView,
  HeartbeatRequest,
  HeartbeatResponse,
  JoinRequest,
  JoinResponse,
  RegisterRequest,
  RegisterResponse,
} from '@spot/contract';
import { generateToken, hashToken } from '../auth/tokens.ts';
import type { Tx } from '../db/executor.ts';
import { DomainError, notFound } from '../domain/errors.ts';
import { ensureAgentConfig } from '../repositories/agent-configs.ts';
import { listAgentsWithActiveCounts, lockAgentRow } from '../repositories/agents.ts';
import { writeAudit } from '../repositories/audit.ts';
import { countOpenCommands } from '../repositories/commands.ts';
import { appendEvent } from '../repositories/events-outbox.ts';
import { findByCloudId, listAgentInstancesIn, lockInstance } from '../repositories/instances.ts';
import { lockJoinToken, markJoinTokenUsed } from '../repositories/join-tokens.ts';
import { insertLifecycleEvent } from '../repositories/lifecycle-events.ts';
import { iso, isoRequired } from '../views/time.ts';
import type { ServiceContext } from './context.ts';
import { HeartbeatBatcher } from './heartbeat-batcher.ts';
import { insertLaunchingInstance } from './lifecycle-service.ts';
import type { SwitchCoordinator } from './switch-coordinator.ts';
import { applyTransition } from './transition.ts';
import { inTransaction } from './unit-of-work.ts';

/** Agent registration, heartbeats and the online/offline status that follows them. */
export class AgentService {
  private readonly heartbeats: HeartbeatBatcher;

  /**
   * Heartbeats that could not arrive because this server was down are not missed ones:
   * silence counts from this process's start at the earliest. Without it, every restart
   * longer than the timeout flapped the whole fleet OFFLINE → RUNNING (found by the e2e
   * server-restart test once agents' confirmations arrived promptly after the restart).
   */
  private readonly startedAt: Date;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly switches: SwitchCoordinator,
  ) {
    this.heartbeats = new HeartbeatBatcher(ctx.db);
    this.startedAt = ctx.now();
  }

  async register(clientId: string, req: RegisterRequest): Promise<RegisterResponse> {
    const now = this.ctx.now();
    const token = generateToken('agent');
    return inTransaction(this.ctx, async (tx) => {
      const existing = await tx
        .selectFrom('agents')
        .selectAll()
        .where('client_id', '=', clientId)
        .where('logical_id', '=', req.logical_id)
        .forNoKeyUpdate()
        .executeTakeFirst();
      const fields = {
        instance_type: req.instance_type ?? existing?.instance_type ?? null,
        availability_zone: req.availability_zone ?? existing?.availability_zone ?? null,
        region: req.region ?? existing?.region ?? null,
        cloud_instance_id: req.cloud_instance_id ?? existing?.cloud_instance_id ?? null,
        agent_version: req.agent_version ?? existing?.agent_version ?? null,
      };
      // Same logical id → same agent id: the workload's identity survives new instances.
      const agentId = existing?.id ?? randomUUID();
      if (existing) {
        await tx
          .updateTable('agents')
          .set({ ...fields, updated_at: now, last_heartbeat_at: now })
          .where('id', '=', agentId)
          .execute();
        if (existing.status === 'offline')
          await this.setOnline(tx, existing.id, existing.logical_id, clientId, now);
      } else {
        await tx
          .insertInto('agents')
          .values({
            id: agentId,
            client_id: clientId,
            logical_id: req.logical_id,
            status: 'online',
            last_heartbeat_at: now,
            created_at: now,
            updated_at: now,
            ...fields,
          })
          .execute();
        await appendEvent(tx, clientId, 'AGENT_STATUS_CHANGED', {
          agent_id: agentId,
          logical_id: req.logical_id,
          status: 'online',
          previous_status: null,
        });
      }
      if (!existing) await ensureAgentConfig(tx, agentId);
      await writeAudit(tx, {
        actor: `client:${clientId}`,
        action: existing ? 'agent_reregistered' : 'agent_registered',
        entity_type: 'agent',
        entity_id: agentId,
        before: existing ? { ...existing, status: existing.status } : null,
        after: { logical_id: req.logical_id, ...fields },
      });
      let own = req.cloud_instance_id ? await findByCloudId(tx, agentId, req.cloud_instance_id) : undefined;
      if (!own && req.cloud_instance_id && req.instance_type) {
        own = await this.adopt(tx, clientId, agentId, req, now);
      }
      // The token is bound to the instance this process runs on: commands aimed at it
      // (a promotion's cut-over) reach this process only.
      await tx
        .insertInto('agent_tokens')
        .values({ token_hash: hashToken(token), agent_id: agentId, instance_id: own?.id ?? null })
        .execute();
      return {
        agent_id: agentId,
        agent_token: token,
        logical_id: req.logical_id,
        instance_id: own?.id ?? null,
      };
    });
  }

  /**
   * The agent on an instance the product launched joins its workload with the one-time
   * token from its user data: it gets an agent token bound to that instance, and its own
   * view of the instance (IMDS says it runs) confirms the launch if no one did yet. A switch
   * waiting for this target learns that it is ready.
   */
  async join(req: JoinRequest): Promise<JoinResponse> {
    const now = this.ctx.now();
    const token = generateToken('agent');
    return inTransaction(this.ctx, async (tx) => {
      const invalid = () => new DomainError('UNAUTHORIZED', 'join token unknown, already used or expired');
      const jt = await lockJoinToken(tx, hashToken(req.join_token));
      if (!jt || jt.used_at || jt.expires_at.getTime() <= now.getTime()) throw invalid();
      await lockAgentRow(tx, jt.agent_id);
      const inst = await lockInstance(tx, jt.instance_id);
      if (!inst) throw invalid();
      if (inst.cloud_instance_id && inst.cloud_instance_id !== req.cloud_instance_id) {
        throw new DomainError('FORBIDDEN', 'this join token belongs to another instance');
      }
      if (inst.status === 'TERMINATED' || inst.status === 'TERMINATING') {
        throw new DomainError('CONFLICT', `instance ${inst.id} is ${inst.status}`);
      }
      await markJoinTokenUsed(tx, jt.token_hash, now);
      const agent = await tx
        .selectFrom('agents')
        .selectAll()
        .where('id', '=', jt.agent_id)
        .forNoKeyUpdate()
        .executeTakeFirstOrThrow();
      await tx
        .insertInto('agent_tokens')
        .values({ token_hash: hashToken(token), agent_id: agent.id, instance_id: inst.id })
        .execute();
      await tx
        .updateTable('agents')
        .set({ last_heartbeat_at: now, updated_at: now })
        .where('id', '=', agent.id)
        .execute();
      if (agent.status === 'offline')
        await this.setOnline(tx, agent.id, agent.logical_id, agent.client_id, now);
      await insertLifecycleEvent(tx, {
        instance_id: inst.id,
        client_id: inst.client_id,
        event_type: 'AGENT_JOINED',
        from_status: inst.status,
        to_status: inst.status,
        source: 'agent',
        reason: null,
        confirmation_method: 'agent_registration',
        cloud_instance_id: req.cloud_instance_id,
        metadata: { role: inst.role, agent_version: req.agent_version ?? null },
        at: now,
      });
      let row = inst;
      if (inst.status === 'LAUNCHING') {
        ({ row } = await applyTransition(
          tx,
          inst,
          {
            type: 'confirm_launch',
            cloud_instance_id: req.cloud_instance_id,
            at: now,
            source: 'agent',
            method: 'agent_registration',
          },
          `agent:${agent.id}`,
        ));
      }
      await writeAudit(tx, {
        actor: `agent:${agent.id}`,
        action: 'agent_joined',
        entity_type: 'agent',
        entity_id: agent.id,
        before: null,
        after: { instance_id: inst.id, cloud_instance_id: req.cloud_instance_id, role: inst.role },
      });
      await this.switches.onInstanceChanged(tx, inst.id);
      return {
        agent_id: agent.id,
        agent_token: token,
        logical_id: agent.logical_id,
        instance_id: inst.id,
        role: row.role as JoinResponse['role'],
      };
    });
  }

  /**
   * An agent started on an instance we have no record of (bootstrapped by hand, or by an
   * autoscaling group): the instance it runs on joins the lifecycle as an instance of its
   * agent — through LAUNCHING, confirmed by the agent's own IMDS identity — so its
   * interruptions and termination are tracked like any other.
   */
  private async adopt(tx: Tx, clientId: string, agentId: string, req: RegisterRequest, now: Date) {
    const row = await insertLaunchingInstance(tx, {
      clientId,
      agentId,
      logicalId: req.logical_id,
      role: undefined,
      market: req.market ?? 'spot',
      instanceType: req.instance_type!,
      availabilityZone: req.availability_zone ?? null,
      region: req.region ?? null,
      cloudInstanceId: req.cloud_instance_id!,
      source: 'agent',
      reason: null,
      metadata: { actor: `agent:${agentId}`, adopted: true },
      at: now,
    });
    const { row: running } = await applyTransition(
      tx,
      row,
      {
        type: 'confirm_launch',
        cloud_instance_id: req.cloud_instance_id!,
        at: now,
        source: 'agent',
        method: 'agent_registration',
      },
      `agent:${agentId}`,
    );
    return running;
  }

  /**
   * The hot path. An online agent's heartbeat joins a batched UPDATE (HeartbeatBatcher);
   * only an agent coming back from offline takes the transaction that flips it and its
   * instances back, with events.
   */
  async heartbeat(agentId: string, req: HeartbeatRequest): Promise<HeartbeatResponse> {
    const now = this.ctx.now();
    const k = this.ctx.db.kysely;
    const patch = {
      last_heartbeat_at: now,
      ...(req.cloud_instance_id ? { cloud_instance_id: req.cloud_instance_id } : {}),
      ...(req.instance_type ? { instance_type: req.instance_type } : {}),
      ...(req.availability_zone ? { availability_zone: req.availability_zone } : {}),
    };
    const pending = await this.heartbeats.record(agentId, {
      at: now,
      cloud_instance_id: req.cloud_instance_id ?? null,
      instance_type: req.instance_type ?? null,
      availability_zone: req.availability_zone ?? null,
    });
    if (pending !== null) return this.heartbeatAnswer(now, pending);
    await inTransaction(this.ctx, async (tx) => {
      const agent = await tx
        .selectFrom('agents')
        .selectAll()
        .where('id', '=', agentId)
        .forNoKeyUpdate()
        .executeTakeFirst();
      if (!agent) throw notFound('agent', agentId);
      await tx.updateTable('agents').set(patch).where('id', '=', agentId).execute();
      if (agent.status === 'offline')
        await this.setOnline(tx, agentId, agent.logical_id, agent.client_id, now);
    });
    return this.heartbeatAnswer(now, await countOpenCommands(k, agentId));
  }

  private heartbeatAnswer(now: Date, pending: number): HeartbeatResponse {
    return {
      ok: true,
      agent_status: 'online',
      server_time: isoRequired(now),
      pending_commands: Number(pending),
    };
  }

  private async setOnline(
    tx: Tx,
    agentId: string,
    logicalId: string,
    clientId: string,
    now: Date,
  ): Promise<void> {
    await tx
      .updateTable('agents')
      .set({ status: 'online', updated_at: now })
      .where('id', '=', agentId)
      .execute();
    await appendEvent(tx, clientId, 'AGENT_STATUS_CHANGED', {
      agent_id: agentId,
      logical_id: logicalId,
      status: 'online',
      previous_status: 'offline',
    });
    for (const inst of await listAgentInstancesIn(tx, agentId, ['OFFLINE'])) {
      const locked = await lockInstance(tx, inst.id);
      // Listed before the lock: a concurrent writer may have moved it on since.
      if (locked?.status !== 'OFFLINE') continue;
      await applyTransition(tx, locked, { type: 'mark_online', at: now }, 'system:heartbeat');
    }
  }

  /** Marks agents silent for longer than the heartbeat timeout offline, with their RUNNING instances. */
  async markSilentAgentsOffline(tx: Tx): Promise<number> {
    const now = this.ctx.now();
    const cutoff = new Date(now.getTime() - this.ctx.timings.heartbeatTimeoutMs);
    if (cutoff < this.startedAt) return 0;
    const stale = await tx
      .selectFrom('agents')
      .selectAll()
      .where('status', '=', 'online')
      .where('last_heartbeat_at', '<', cutoff)
      .forNoKeyUpdate()
      .skipLocked()
      .limit(500)
      .execute();
    for (const agent of stale) {
      await tx
        .updateTable('agents')
        .set({ status: 'offline', updated_at: now })
        .where('id', '=', agent.id)
        .execute();
      await appendEvent(tx, agent.client_id, 'AGENT_STATUS_CHANGED', {
        agent_id: agent.id,
        logical_id: agent.logical_id,
        status: 'offline',
        previous_status: 'online',
        last_heartbeat_at: iso(agent.last_heartbeat_at),
      });
      for (const inst of await listAgentInstancesIn(tx, agent.id, ['RUNNING'])) {
        const locked = await lockInstance(tx, inst.id);
        // Listed before the lock: a concurrent writer may have moved it on since.
        if (locked?.status !== 'RUNNING') continue;
        await applyTransition(tx, locked, { type: 'mark_offline', at: now }, 'system:heartbeat-monitor');
      }
    }
    return stale.length;
  }

  async list(clientId: string): Promise<AgentView[]> {
    const rows = await listAgentsWithActiveCounts(this.ctx.db.kysely, clientId);
    return rows.map((a) => ({
      agent_id: a.id,
      logical_id: a.logical_id,
      status: a.status,
      last_heartbeat_at: a.last_heartbeat_at,
      instance_type: a.instance_type,
      availability_zone: a.availability_zone,
      region: a.region,
      cloud_instance_id: a.cloud_instance_id,
      active_instances: Number(a.active_instances),
      created_at: a.created_at as string,
    }));
  }
}
