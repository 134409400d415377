import { sql } from 'kysely';
import type { Executor } from '../db/executor.ts';
import { isoText } from './iso-text.ts';

/** A point as the API shows it: its time as ISO text written by the database (no Date per point). */
export interface PricePointRow {
  instance_type: string;
  availability_zone: string;
  region: string | null;
  t: string;
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
  const inWindow = (alias: string) => sql`
    SELECT DISTINCT ON (s.observed_at) s.instance_type, s.availability_zone, s.region,
      ${isoText('s.observed_at')} AS t, s.spot_price
    FROM price_snapshots s
    WHERE s.client_id = ${clientId}
      AND s.instance_type = ${sql.ref(`${alias}.instance_type`)}
      AND s.availability_zone = ${sql.ref(`${alias}.availability_zone`)}
      AND s.observed_at >= ${since}
    ORDER BY s.observed_at`;
  const { instance_type: type, availability_zone: az, after } = filter;
  if (type && az) {
    // One pool: its window is one index range, no walk (the cursor compared as the index orders).
    const rows = await sql<PricePointRow>`
      SELECT pts.* FROM (SELECT ${type}::text AS instance_type, ${az}::text AS availability_zone) one
      CROSS JOIN LATERAL (${inWindow('one')}) pts
      ${after ? sql`WHERE (one.instance_type, one.availability_zone) > (${after.instance_type}::text, ${after.availability_zone}::text)` : sql``}
      LIMIT ${limit}`.execute(db);
    return rows.rows;
  }
  // The next pool strictly after (t, z) in index order. A type filter narrows the index
  // prefix; a zone filter is applied to the pools walked, not in the probe (there it would
  // scan every other zone's entries between two matches).
  const nextPool = (after?: { t: unknown; z: unknown }) => sql`
    SELECT s.instance_type, s.availability_zone FROM price_snapshots s
    WHERE s.client_id = ${clientId}${type ? sql` AND s.instance_type = ${type}` : sql``}${
      after ? sql` AND (s.instance_type, s.availability_zone) > (${after.t}, ${after.z})` : sql``
    }
    ORDER BY s.instance_type, s.availability_zone
    LIMIT 1`;
  const start = after ? { t: after.instance_type, z: after.availability_zone } : undefined;
  const rows = await sql<PricePointRow>`
    WITH RECURSIVE pools AS (
      (${nextPool(start)})
      UNION ALL
      SELECT n.instance_type, n.availability_zone FROM pools p
      CROSS JOIN LATERAL (${nextPool({ t: sql.ref('p.instance_type'), z: sql.ref('p.availability_zone') })}) n
    )
    SELECT pts.* FROM pools
    CROSS JOIN LATERAL (${inWindow('pools')}) pts
    ${az ? sql`WHERE pools.availability_zone = ${az}` : sql``}
    LIMIT ${limit}`.execute(db);
  return rows.rows;
}

/**
 * The windows since `since` of these pools, in the order given, each in time order, at most
 * `limit` rows in all (a held window's changed pools read again).
 */
export async function listPoolWindows(
  db: Executor,
  clientId: string,
  since: Date,
  pools: readonly PoolRef[],
  limit: number,
): Promise<PricePointRow[]> {
  if (pools.length === 0) return [];
  const rows = await sql<PricePointRow>`
    SELECT pts.* FROM unnest(${pools.map((p) => p.instance_type)}::text[],
      ${pools.map((p) => p.availability_zone)}::text[]) WITH ORDINALITY AS p(instance_type, availability_zone, ord)
    CROSS JOIN LATERAL (
      SELECT DISTINCT ON (s.observed_at) s.instance_type, s.availability_zone, s.region,
        ${isoText('s.observed_at')} AS t, s.spot_price, s.observed_at
      FROM price_snapshots s
      WHERE s.client_id = ${clientId} AND s.instance_type = p.instance_type
        AND s.availability_zone = p.availability_zone AND s.observed_at >= ${since}
      ORDER BY s.observed_at) pts
    ORDER BY p.ord, pts.observed_at
    LIMIT ${limit}`.execute(db);
  return rows.rows.map(({ instance_type, availability_zone, region, t, spot_price }) => ({
    instance_type,
    availability_zone,
    region,
    t,
    spot_price,
  }));
}

/**
 * How many of `pools` the walk of listPricePoints meets after `after` (all, without it) and
 * before `before`, in the database's order of (instance type, zone) — its collation's, which
 * JavaScript's string order need not match.
 */
export async function countPoolsBetween(
  db: Executor,
  pools: readonly PoolRef[],
  after: PoolRef | undefined,
  before: PoolRef,
): Promise<number> {
  if (pools.length === 0) return 0;
  const row = await sql<{ n: number }>`
    SELECT count(*)::int AS n FROM unnest(${pools.map((p) => p.instance_type)}::text[],
      ${pools.map((p) => p.availability_zone)}::text[]) AS p(instance_type, availability_zone)
    WHERE (p.instance_type, p.availability_zone) < (${before.instance_type}::text, ${before.availability_zone}::text)
    ${after ? sql`AND (p.instance_type, p.availability_zone) > (${after.instance_type}::text, ${after.availability_zone}::text)` : sql``}`.execute(
    db,
  );
  return row.rows[0]?.n ?? 0;
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
    .select(['instance_type', 'availability_zone', 'region', isoText('observed_at').as('t'), 'spot_price'])
    .distinctOn('observed_at')
    .where('client_id', '=', clientId)
    .where('instance_type', '=', pool.instance_type)
    .where('availability_zone', '=', pool.availability_zone)
    .where('observed_at', '>=', since)
    .orderBy('observed_at', 'desc')
    .limit(limit)
    .execute();
  return (rows as PricePointRow[]).reverse();
}
