import type { InterruptionView, PriceResponse } from '@spot/contract';
import { iso, isoRequired } from '../views/time.ts';
import type { ServiceContext } from './context.ts';

const poolKey = (type: string, az: string) => `${type}|${az}`;

/** Read models for the dashboard: price series, interruptions (savings: SavingsService). */
export class InsightService {
  constructor(private readonly ctx: ServiceContext) {}

  async prices(clientId: string, hours: number, type?: string, az?: string): Promise<PriceResponse> {
    const since = new Date(this.ctx.now().getTime() - hours * 3_600_000);
    let q = this.ctx.db.kysely
      .selectFrom('price_snapshots')
      .select(['instance_type', 'availability_zone', 'region', 'observed_at', 'spot_price'])
      .distinctOn(['instance_type', 'availability_zone', 'observed_at'])
      .where('client_id', '=', clientId)
      .where('observed_at', '>=', since);
    if (type) q = q.where('instance_type', '=', type);
    if (az) q = q.where('availability_zone', '=', az);
    const rows = await q
      .orderBy('instance_type')
      .orderBy('availability_zone')
      .orderBy('observed_at')
      .limit(200_000)
      .execute();
    const od = await this.ondemandPrices();
    const pools = new Map<string, PriceResponse['pools'][number]>();
    for (const r of rows) {
      const key = poolKey(r.instance_type, r.availability_zone);
      let pool = pools.get(key);
      if (!pool) {
        const region = r.region ?? r.availability_zone.slice(0, -1);
        pool = {
          instance_type: r.instance_type,
          availability_zone: r.availability_zone,
          region,
          ondemand_price: od.get(`${region}|${r.instance_type}`) ?? null,
          points: [],
        };
        pools.set(key, pool);
      }
      pool.points.push({ t: isoRequired(r.observed_at), price: r.spot_price });
    }
    return { pools: [...pools.values()] };
  }

  private async ondemandPrices(): Promise<Map<string, number>> {
    const rows = await this.ctx.db.kysely.selectFrom('ondemand_prices').selectAll().execute();
    return new Map(rows.map((r) => [`${r.region}|${r.instance_type}`, r.price]));
  }

  async interruptions(clientId: string, activeOnly: boolean): Promise<InterruptionView[]> {
    let q = this.ctx.db.kysely
      .selectFrom('interruptions')
      .leftJoin('instances', 'instances.id', 'interruptions.instance_id')
      .selectAll('interruptions')
      .select('instances.status as instance_status')
      .where('interruptions.client_id', '=', clientId);
    if (activeOnly) {
      q = q.where((eb) =>
        eb.or([
          eb('instances.status', 'is', null),
          eb('instances.status', 'not in', ['TERMINATED', 'FAILED']),
        ]),
      );
    }
    const rows = await q.orderBy('interruptions.received_at', 'desc').limit(500).execute();
    return rows.map((r) => ({
      interruption_id: r.id,
      kind: r.kind,
      agent_id: r.agent_id,
      instance_id: r.instance_id,
      cloud_instance_id: r.cloud_instance_id,
      action: r.action,
      deadline: iso(r.deadline),
      detected_at: isoRequired(r.detected_at),
      received_at: isoRequired(r.received_at),
      response: r.response,
      outcome: r.outcome,
      sources: (r.sources as string[]) ?? [],
      switch_id: r.switch_id,
      response_detail: r.response_detail,
      serving_after_seconds: r.serving_after_seconds == null ? null : Number(r.serving_after_seconds),
      responded_at: iso(r.responded_at),
      resolved_at: iso(r.resolved_at),
    }));
  }
}
