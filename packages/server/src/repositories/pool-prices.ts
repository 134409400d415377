import type { Executor, Tx } from '../db/executor.ts';

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

export interface StagedPrice {
  client_id: string;
  agent_id: string;
  reporter_role: 'PRIMARY' | 'REPLICA' | null;
  region: string | null;
  availability_zone: string;
  instance_type: string;
  product_description: string;
  spot_price: number;
  observed_at: Date;
}

/**
 * Staging upsert, one row per pool and time across all agents of the tenant: the first report
 * stands, except that a PRIMARY's report replaces one by a REPLICA (or of unknown role).
 * `rows` must hold one row per key (PostgreSQL updates a row at most once per statement).
 * Returns how many rows were written (new or replaced).
 */
export async function stagePrices(tx: Tx, rows: StagedPrice[]): Promise<number> {
  if (rows.length === 0) return 0;
  const written = await tx
    .insertInto('price_snapshots')
    .values(rows)
    .onConflict((oc) =>
      oc
        .columns(['client_id', 'instance_type', 'availability_zone', 'product_description', 'observed_at'])
        .doUpdateSet((eb) => ({
          agent_id: eb.ref('excluded.agent_id'),
          reporter_role: eb.ref('excluded.reporter_role'),
          region: eb.ref('excluded.region'),
          spot_price: eb.ref('excluded.spot_price'),
          received_at: eb.ref('excluded.received_at'),
        }))
        .where('excluded.reporter_role', '=', 'PRIMARY')
        .where('price_snapshots.reporter_role', 'is distinct from', 'PRIMARY'),
    )
    .returning('id')
    .execute();
  return written.length;
}

/** Raw staging rows older than `before` (the 7-day window); consolidated rows are kept. */
export async function deleteStagedBefore(tx: Tx, before: Date): Promise<number> {
  const r = await tx.deleteFrom('price_snapshots').where('observed_at', '<', before).executeTakeFirst();
  return Number(r.numDeletedRows);
}

/** The role of the instance an agent process runs on (its token is bound to it), or null. */
export async function reporterRole(
  db: Executor,
  agentId: string,
  instanceId: string | null,
): Promise<'PRIMARY' | 'REPLICA' | null> {
  if (!instanceId) return null;
  const row = await db
    .selectFrom('instances')
    .select('role')
    .where('id', '=', instanceId)
    .where('agent_id', '=', agentId)
    .executeTakeFirst();
  return row?.role === 'PRIMARY' || row?.role === 'REPLICA' ? row.role : null;
}
