import { randomUUID } from 'node:crypto';
import type {
  NoticeResponse,
  PricingReportRequest,
  RebalanceNoticeRequest,
  TerminationNoticeRequest,
} from '@spot/contract';
import { PricePoint } from '@spot/contract';
import type { Tx } from '../db/executor.ts';
import { lockAgentRow } from '../repositories/agents.ts';
import { appendEvent } from '../repositories/events-outbox.ts';
import { findByCloudId, lockInstance } from '../repositories/instances.ts';
import { addInterruptionSource } from '../repositories/interruptions.ts';
import { insertLifecycleEvent } from '../repositories/lifecycle-events.ts';
import { reporterRole, type StagedPrice, stagePrices } from '../repositories/pool-prices.ts';
import { iso, isoRequired } from '../views/time.ts';
import type { ServiceContext } from './context.ts';
import type { EmergencyResponder } from './emergency-responder.ts';
import { inTransaction } from './unit-of-work.ts';

type AgentRef = { agentId: string; clientId: string; instanceId?: string | null };
/** Who reported a signal: the agent's IMDS monitor, or EventBridge (deduplicated across both). */
export type SignalSource = 'agent' | 'eventbridge';

/** Interruption signals and price reports from agents (and EventBridge, through them). */
export class NoticeService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly responder: EmergencyResponder,
  ) {}

  async terminationNotice(
    agent: AgentRef,
    req: TerminationNoticeRequest,
    source: SignalSource = 'agent',
  ): Promise<NoticeResponse> {
    return this.record(agent, source, {
      kind: 'termination_notice',
      cloud_instance_id: req.cloud_instance_id,
      instance_id: req.instance_id,
      action: req.action,
      notice_time: null,
      deadline: new Date(req.time),
      detected_at: req.detected_at ? new Date(req.detected_at) : this.ctx.now(),
    });
  }

  async rebalanceNotice(
    agent: AgentRef,
    req: RebalanceNoticeRequest,
    source: SignalSource = 'agent',
  ): Promise<NoticeResponse> {
    return this.record(agent, source, {
      kind: 'rebalance_recommendation',
      cloud_instance_id: req.cloud_instance_id,
      instance_id: req.instance_id,
      action: null,
      notice_time: new Date(req.notice_time),
      deadline: null,
      detected_at: req.detected_at ? new Date(req.detected_at) : this.ctx.now(),
    });
  }

  /**
   * One interruption record per (cloud instance, kind): the agent re-reports a notice until
   * it is acknowledged, and only the first one raises an EMERGENCY_EVENT.
   */
  private async record(
    agent: AgentRef,
    source: SignalSource,
    n: {
      kind: 'termination_notice' | 'rebalance_recommendation';
      cloud_instance_id: string;
      instance_id: string | undefined;
      action: string | null;
      notice_time: Date | null;
      deadline: Date | null;
      detected_at: Date;
    },
  ): Promise<NoticeResponse> {
    const now = this.ctx.now();
    return inTransaction(this.ctx, async (tx) => {
      await lockAgentRow(tx, agent.agentId);
      const instance = await this.findInstance(tx, agent, n.instance_id, n.cloud_instance_id);
      const id = randomUUID();
      const inserted = await tx
        .insertInto('interruptions')
        .values({
          id,
          client_id: agent.clientId,
          agent_id: agent.agentId,
          instance_id: instance?.id ?? null,
          cloud_instance_id: n.cloud_instance_id,
          kind: n.kind,
          action: n.action,
          notice_time: n.notice_time,
          deadline: n.deadline,
          detected_at: n.detected_at,
          received_at: now,
          sources: JSON.stringify([source]),
        })
        .onConflict((oc) => oc.columns(['cloud_instance_id', 'kind']).doNothing())
        .returning('id')
        .executeTakeFirst();
      if (!inserted) {
        const existing = await tx
          .selectFrom('interruptions')
          .select('id')
          .where('cloud_instance_id', '=', n.cloud_instance_id)
          .where('kind', '=', n.kind)
          .executeTakeFirstOrThrow();
        // The same signal from a second source: one response, both sources on the record.
        if (await addInterruptionSource(tx, existing.id, source))
          await this.responder.publishById(tx, existing.id);
        return { interruption_id: existing.id, duplicate: true };
      }
      if (instance) {
        await insertLifecycleEvent(tx, {
          instance_id: instance.id,
          client_id: agent.clientId,
          event_type: n.kind === 'termination_notice' ? 'INTERRUPTION_NOTICE' : 'REBALANCE_RECOMMENDATION',
          from_status: instance.status,
          to_status: instance.status,
          source: source === 'eventbridge' ? 'external' : 'agent',
          reason: 'spot_interruption',
          confirmation_method: null,
          cloud_instance_id: n.cloud_instance_id,
          metadata: { interruption_id: id, action: n.action, deadline: iso(n.deadline) },
          at: now,
        });
      }
      await appendEvent(tx, agent.clientId, 'EMERGENCY_EVENT', {
        interruption_id: id,
        kind: n.kind,
        agent_id: agent.agentId,
        instance_id: instance?.id ?? null,
        cloud_instance_id: n.cloud_instance_id,
        deadline: iso(n.deadline),
        detected_at: isoRequired(n.detected_at),
        action: n.action,
        sources: [source],
      });
      // Act at once, in the same transaction: the response is as durable as the signal.
      if (n.kind === 'termination_notice') await this.responder.onTerminationNotice(tx, id);
      else await this.responder.onRebalance(tx, id);
      return { interruption_id: id, duplicate: false };
    });
  }

  private async findInstance(tx: Tx, agent: AgentRef, instanceId: string | undefined, cloudId: string) {
    if (instanceId) {
      const row = await lockInstance(tx, instanceId);
      if (row && row.agent_id === agent.agentId) return row;
    }
    return findByCloudId(tx, agent.agentId, cloudId);
  }

  /** Told after a report changed some pool's latest price (auto-switch decides again). Set at wiring. */
  onPriceChanged: (() => void) | null = null;
  /** Told after a report wrote staging rows for these pools (the canonical cache forgets them). Set at wiring. */
  onPoolsReported:
    | ((clientId: string, pools: Array<{ instance_type: string; availability_zone: string }>) => void)
    | null = null;

  /**
   * Stores reported prices in the staging tier, one row per pool and time across the tenant's
   * agents (a PRIMARY's report wins over a REPLICA's), and tells dashboards each pool's latest
   * price. The reporter's role is the role of the instance its token is bound to; for a token
   * bound to no instance, the role the report states.
   */
  async pricingReport(agent: AgentRef, req: PricingReportRequest): Promise<{ accepted: number }> {
    const points = req.prices.map((p) => PricePoint.parse(p));
    let changed = false;
    const result = await inTransaction(this.ctx, async (tx) => {
      const role =
        (await reporterRole(tx, agent.agentId, agent.instanceId ?? null)) ?? req.reporter_role ?? null;
      // One row per key in the statement: a report repeating a point keeps its first copy.
      const unique = new Map<string, StagedPrice>();
      for (const p of points) {
        const row: StagedPrice = {
          client_id: agent.clientId,
          agent_id: agent.agentId,
          reporter_role: role,
          region: p.region ?? null,
          availability_zone: p.availability_zone,
          instance_type: p.instance_type,
          product_description: p.product_description,
          spot_price: p.spot_price,
          observed_at: new Date(p.timestamp),
        };
        const key = `${row.instance_type}|${row.availability_zone}|${row.product_description}|${row.observed_at.getTime()}`;
        if (!unique.has(key)) unique.set(key, row);
      }
      const written = await stagePrices(tx, [...unique.values()]);
      const latest = new Map<string, (typeof points)[number]>();
      for (const p of points) {
        const key = `${p.instance_type}|${p.availability_zone}`;
        const cur = latest.get(key);
        if (!cur || cur.timestamp < p.timestamp) latest.set(key, p);
      }
      if (written > 0 && this.onPriceChanged) {
        // Compared with the price in force before this report (the row just inserted is newer).
        for (const p of latest.values()) {
          const prev = await tx
            .selectFrom('price_snapshots')
            .select('spot_price')
            .where('client_id', '=', agent.clientId)
            .where('instance_type', '=', p.instance_type)
            .where('availability_zone', '=', p.availability_zone)
            .where('observed_at', '<', new Date(p.timestamp))
            .orderBy('observed_at', 'desc')
            .limit(1)
            .executeTakeFirst();
          if (!prev || Number(prev.spot_price) !== p.spot_price) changed = true;
        }
      }
      if (written > 0) {
        for (const p of latest.values()) {
          await appendEvent(tx, agent.clientId, 'PRICE_UPDATED', {
            instance_type: p.instance_type,
            availability_zone: p.availability_zone,
            region: p.region ?? null,
            spot_price: p.spot_price,
            timestamp: new Date(p.timestamp).toISOString(),
          });
        }
      }
      return { accepted: written, latest: [...latest.values()] };
    });
    if (result.accepted > 0) this.onPoolsReported?.(agent.clientId, result.latest);
    if (changed) this.onPriceChanged?.();
    return { accepted: result.accepted };
  }
}
