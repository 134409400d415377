import type { EventBridgeEnvelope, EventBridgeResponse } from '@spot/contract';
import { hashToken } from '../auth/tokens.ts';
import { DomainError } from '../domain/errors.ts';
import type { ServiceContext } from './context.ts';
import type { LifecycleService } from './lifecycle-service.ts';
import type { NoticeService } from './notice-service.ts';

/** Spot's two-minute warning: EventBridge's `time` is when the warning was issued. */
const NOTICE_SECONDS = 120;

/**
 * EventBridge as a second source of interruption signals (issue 9): each envelope is mapped
 * onto the same service calls an agent's report makes, tagged with its source, so a notice
 * seen by both the agent's IMDS monitor and EventBridge yields one response.
 */
export class EventBridgeService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly notices: NoticeService,
    private readonly lifecycle: LifecycleService,
  ) {}

  async setSecret(clientId: string, secret: string): Promise<void> {
    const res = await this.ctx.db.kysely
      .updateTable('clients')
      .set({ eventbridge_secret_hash: hashToken(secret) })
      .where('id', '=', clientId)
      .executeTakeFirst()
      .catch((err: { code?: string }) => {
        if (err.code === '23505')
          throw new DomainError('CONFLICT', 'another client already uses this secret');
        throw err;
      });
    if (Number(res.numUpdatedRows) === 0) throw new DomainError('NOT_FOUND', `client ${clientId} not found`);
  }

  async clientForSecret(secret: string | undefined): Promise<string> {
    const refused = () => new DomainError('UNAUTHORIZED', 'missing or unknown EventBridge secret');
    if (!secret || secret.length < 24 || secret.length > 200) throw refused();
    const row = await this.ctx.db.kysely
      .selectFrom('clients')
      .select('id')
      .where('eventbridge_secret_hash', '=', hashToken(secret))
      .executeTakeFirst();
    if (!row) throw refused();
    return row.id;
  }

  async deliver(clientId: string, e: EventBridgeEnvelope): Promise<EventBridgeResponse> {
    const cloudId = e.detail['instance-id'];
    const inst = await this.ctx.db.kysely
      .selectFrom('instances')
      .select(['id', 'agent_id', 'status'])
      .where('client_id', '=', clientId)
      .where('cloud_instance_id', '=', cloudId)
      .orderBy('created_at', 'desc')
      .executeTakeFirst();
    if (!inst) return { accepted: false, detail: `instance ${cloudId} is not one of ours: ignored` };
    const agent = { agentId: inst.agent_id, clientId };
    const time = new Date(e.time);
    switch (e['detail-type']) {
      case 'EC2 Spot Instance Interruption Warning': {
        const r = await this.notices.terminationNotice(
          agent,
          {
            cloud_instance_id: cloudId,
            instance_id: inst.id,
            action: e.detail['instance-action'],
            time: new Date(time.getTime() + NOTICE_SECONDS * 1000).toISOString(),
            detected_at: time.toISOString(),
          },
          'eventbridge',
        );
        return {
          accepted: true,
          detail: r.duplicate ? 'known notice: source added' : 'notice recorded',
          interruption_id: r.interruption_id,
        };
      }
      case 'EC2 Instance Rebalance Recommendation': {
        const r = await this.notices.rebalanceNotice(
          agent,
          {
            cloud_instance_id: cloudId,
            instance_id: inst.id,
            notice_time: time.toISOString(),
            detected_at: time.toISOString(),
          },
          'eventbridge',
        );
        return {
          accepted: true,
          detail: r.duplicate ? 'known recommendation: source added' : 'recommendation recorded',
          interruption_id: r.interruption_id,
        };
      }
      case 'EC2 Instance State-change Notification': {
        const state = e.detail.state;
        if (state !== 'shutting-down' && state !== 'terminated')
          return { accepted: false, detail: `state ${state}: nothing to do` };
        const r = await this.lifecycle.confirmTerminated(
          inst.agent_id,
          { instance_id: inst.id, cloud_instance_id: cloudId, state: 'terminated', source: 'external' },
          'eventbridge',
        );
        return { accepted: true, detail: `termination ${r.outcome}` };
      }
      default: {
        const never: never = e;
        throw new Error(`unhandled EventBridge event ${JSON.stringify(never)}`);
      }
    }
  }
}
