import { sql } from 'kysely';
import type { Executor } from '../db/executor.ts';

export interface PricePointRow {
  instance_type: string;
  availability_zone: string;
  region: string | null;
  observed_at: Date;
  spot_price: number;
}

export interface PoolRef {
  instance_type: string;
  availability_zone: string;
}

/**
 * Price points of a client's pools since `since`, one per pool and observation time (agents
 * reporting the same pool give the same AWS timestamps), in (instance type, zone, time)
 * order, at most `limit` rows, starting with the pools after `after`.
 *
 * At millions of snapshots, one scan over the client's rows with `observed_at >= since` as a
 * filter reads every pool's whole history. Instead the pools are walked one by one down the
 * (client_id, instance_type, availability_zone, observed_at) index — a skip scan written as
 * a recursive query, one index probe per pool — and each pool's window is read as an index
 * range. The walk is lazy: under the LIMIT it stops after the pools the answer needs.
 */
export async function listPricePoints(
  db: Executor,
  clientId: string,
  since: Date,
  filter: { instance_type?: string | undefined; availability_zone?: string | undefined; after?: PoolRef },
  limit: number,
): Promise<PricePointRow[]> {
  const poolFilter = sql.join(
    [
      sql`s.client_id = ${clientId}`,
      ...(filter.instance_type ? [sql`s.instance_type = ${filter.instance_type}`] : []),
      ...(filter.availability_zone ? [sql`s.availability_zone = ${filter.availability_zone}`] : []),
    ],
    sql` AND `,
  );
  // The first pool of the client in index order strictly after (t, z), honouring the filters.
  const nextPool = (after?: { t: unknown; z: unknown }) => sql`
    SELECT s.instance_type, s.availability_zone FROM price_snapshots s
    WHERE ${poolFilter}${after ? sql` AND (s.instance_type, s.availability_zone) > (${after.t}, ${after.z})` : sql``}
    ORDER BY s.instance_type, s.availability_zone
    LIMIT 1`;
  const start = filter.after
    ? { t: filter.after.instance_type, z: filter.after.availability_zone }
    : undefined;
  const rows = await sql<PricePointRow>`
    WITH RECURSIVE pools AS (
      (${nextPool(start)})
      UNION ALL
      SELECT n.instance_type, n.availability_zone FROM pools p
      CROSS JOIN LATERAL (${nextPool({ t: sql.ref('p.instance_type'), z: sql.ref('p.availability_zone') })}) n
    )
    SELECT pts.instance_type, pts.availability_zone, pts.region, pts.observed_at, pts.spot_price
    FROM pools
    CROSS JOIN LATERAL (
      SELECT DISTINCT ON (s.observed_at)
        s.instance_type, s.availability_zone, s.region, s.observed_at, s.spot_price
      FROM price_snapshots s
      WHERE s.client_id = ${clientId}
        AND s.instance_type = pools.instance_type
        AND s.availability_zone = pools.availability_zone
        AND s.observed_at >= ${since}
      ORDER BY s.observed_at
    ) pts
    LIMIT ${limit}`.execute(db);
  return rows.rows;
}

/** The newest `limit` points of one pool since `since`, oldest first. */
export async function listNewestPoolPoints(
  db: Executor,
  clientId: string,
  pool: PoolRef,
  since: Date,
  limit: number,
): Promise<PricePointRow[]> {
  const rows = await db
    .selectFrom('price_snapshots')
    .select(['instance_type', 'availability_zone', 'region', 'observed_at', 'spot_price'])
    .distinctOn('observed_at')
    .where('client_id', '=', clientId)
    .where('instance_type', '=', pool.instance_type)
    .where('availability_zone', '=', pool.availability_zone)
    .where('observed_at', '>=', since)
    .orderBy('observed_at', 'desc')
    .limit(limit)
    .execute();
  return rows.reverse();
}
