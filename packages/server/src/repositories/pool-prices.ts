import type { Executor } from '../db/executor.ts';

/** The latest spot price our agents reported for a pool (staging tier), or null. */
export async function latestSpotPrice(
  db: Executor,
  clientId: string,
  instanceType: string,
  availabilityZone: string | null,
): Promise<number | null> {
  if (!availabilityZone) return null;
  const row = await db
    .selectFrom('price_snapshots')
    .select('spot_price')
    .where('client_id', '=', clientId)
    .where('instance_type', '=', instanceType)
    .where('availability_zone', '=', availabilityZone)
    .orderBy('observed_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row ? Number(row.spot_price) : null;
}

export async function ondemandPrice(
  db: Executor,
  region: string | null,
  instanceType: string,
): Promise<number | null> {
  if (!region) return null;
  const row = await db
    .selectFrom('ondemand_prices')
    .select('price')
    .where('region', '=', region)
    .where('instance_type', '=', instanceType)
    .executeTakeFirst();
  return row ? Number(row.price) : null;
}

/** What a pool costs per hour in its market: spot as last reported, on-demand at list price. */
export async function poolPrice(
  db: Executor,
  clientId: string,
  pool: { instance_type: string; availability_zone: string | null; market: string; region: string | null },
): Promise<number | null> {
  return pool.market === 'on-demand'
    ? ondemandPrice(db, pool.region, pool.instance_type)
    : latestSpotPrice(db, clientId, pool.instance_type, pool.availability_zone);
}
