import { type InterruptionView, PRICE_POINTS_CAP, type PriceResponse } from '@spot/contract';
import {
  listNewestPoolPoints,
  listPricePoints,
  type PoolRef,
  type PricePointRow,
} from '../repositories/price-series.ts';
import { iso, isoRequired } from '../views/time.ts';
import type { ServiceContext } from './context.ts';
import { HeldPriceSeries, type PriceWindowSource } from './held-price-series.ts';

const poolKey = (type: string, az: string) => `${type}|${az}`;

/** Read models for the dashboard: price series, interruptions (savings: SavingsService). */
export class InsightService {
  private readonly held: HeldPriceSeries;

  constructor(
    private readonly ctx: ServiceContext,
    /** Counts price pages answered from held windows, by where they came from. */
    answered: (from: PriceWindowSource) => void = () => {},
  ) {
    this.held = new HeldPriceSeries(ctx, answered);
  }

  /**
   * The price page's JSON: from a held window (held-price-series.ts) for every pool or one
   * instance type's over a window the staging retention cannot shorten, otherwise read. One
   * zone's or one pool's page is read: those are the API's random reads (the dashboard's is
   * every pool), where a held window's first read costs more than it saves (bench: one pool
   * p50 4.2 ms held against 3.1 read).
   */
  async pricesJson(
    clientId: string,
    hours: number,
    type?: string,
    az?: string,
    after?: PoolRef,
  ): Promise<Buffer> {
    if (az === undefined && this.held.holds(hours)) {
      const since = new Date(this.ctx.now().getTime() - hours * 3_600_000);
      const json = await this.held.page(clientId, hours, since, type, after, () => this.ondemandPrices());
      if (json !== undefined) return json;
    }
    return Buffer.from(JSON.stringify(await this.prices(clientId, hours, type, az, after)));
  }

  /**
   * Price series per pool over the last `hours`, bounded at PRICE_POINTS_CAP points: whole
   * pools in (instance type, zone) order while they fit, then `next` to page on from; a
   * single pool larger than the cap answers with its newest points.
   */
  async prices(
    clientId: string,
    hours: number,
    type?: string,
    az?: string,
    after?: PoolRef,
  ): Promise<PriceResponse> {
    const k = this.ctx.db.kysely;
    const since = new Date(this.ctx.now().getTime() - hours * 3_600_000);
    const filter = { instance_type: type, availability_zone: az, ...(after ? { after } : {}) };
    // The on-demand list is read beside the points, not after them.
    let [rows, od] = await Promise.all([
      listPricePoints(k, clientId, since, filter, PRICE_POINTS_CAP + 1),
      this.ondemandPrices(),
    ]);
    let truncated = false;
    let next: PoolRef | null = null;
    if (rows.length > PRICE_POINTS_CAP) {
      truncated = true;
      const last = rows[rows.length - 1]!;
      const partial = (r: PricePointRow) =>
        r.instance_type === last.instance_type && r.availability_zone === last.availability_zone;
      const whole = rows.filter((r) => !partial(r));
      if (whole.length > 0) {
        // The last pool did not fit whole: it starts the next page.
        rows = whole;
        const end = whole[whole.length - 1]!;
        next = { instance_type: end.instance_type, availability_zone: end.availability_zone };
      } else {
        rows = await listNewestPoolPoints(k, clientId, last, since, PRICE_POINTS_CAP);
        next = { instance_type: last.instance_type, availability_zone: last.availability_zone };
      }
    }
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
      pool.points.push({ t: r.t, price: r.spot_price });
    }
    return { pools: [...pools.values()], truncated, next };
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
