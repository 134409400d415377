import { sql } from 'kysely';
import type { Executor } from '../db/executor.ts';

/**
 * The canonical tier's reads, a fixed number of queries for any number of pools: the pools
 * travel as two arrays (type, zone) unnested into a join, so each pool is an index range scan
 * on price_snapshots (client_id, instance_type, availability_zone, observed_at).
 */
export interface PoolRef {
  instance_type: string;
  availability_zone: string;
}

const arrays = (pools: PoolRef[]) => ({
  types: pools.map((p) => p.instance_type),
  zones: pools.map((p) => p.availability_zone),
});

/** Every staging point of the pools observed after `since`, by pool then time. */
export async function pricePointsSince(
  db: Executor,
  clientId: string,
  pools: PoolRef[],
  since: Date,
): Promise<Array<PoolRef & { observed_at: Date; spot_price: number }>> {
  if (pools.length === 0) return [];
  const { types, zones } = arrays(pools);
  const r = await sql<PoolRef & { observed_at: Date; spot_price: number }>`
    SELECT p.instance_type, p.availability_zone, s.observed_at, s.spot_price
    FROM unnest(${types}::text[], ${zones}::text[]) AS p(instance_type, availability_zone)
    JOIN price_snapshots s ON s.client_id = ${clientId}
      AND s.instance_type = p.instance_type AND s.availability_zone = p.availability_zone
      AND s.observed_at > ${since}
    ORDER BY p.instance_type, p.availability_zone, s.observed_at`.execute(db);
  return r.rows;
}

/** Each pool's price in force at `at` (its latest point at or before it), when it has one. */
export async function pricesInForceAt(
  db: Executor,
  clientId: string,
  pools: PoolRef[],
  at: Date,
): Promise<Array<PoolRef & { observed_at: Date; spot_price: number }>> {
  if (pools.length === 0) return [];
  const { types, zones } = arrays(pools);
  const r = await sql<PoolRef & { observed_at: Date; spot_price: number }>`
    SELECT p.instance_type, p.availability_zone, s.observed_at, s.spot_price
    FROM unnest(${types}::text[], ${zones}::text[]) AS p(instance_type, availability_zone)
    CROSS JOIN LATERAL (
      SELECT observed_at, spot_price FROM price_snapshots
      WHERE client_id = ${clientId} AND instance_type = p.instance_type
        AND availability_zone = p.availability_zone AND observed_at <= ${at}
      ORDER BY observed_at DESC LIMIT 1
    ) s`.execute(db);
  return r.rows;
}

/** Termination notices our fleet received in each pool since `since`: how many, and the latest. */
export async function interruptionsByPool(
  db: Executor,
  clientId: string,
  pools: PoolRef[],
  since: Date,
): Promise<Array<PoolRef & { n: number | string; last_at: Date }>> {
  if (pools.length === 0) return [];
  const { types, zones } = arrays(pools);
  const r = await sql<PoolRef & { n: number | string; last_at: Date }>`
    SELECT i.instance_type, i.availability_zone, count(*) AS n, max(x.detected_at) AS last_at
    FROM interruptions x
    JOIN instances i ON i.id = x.instance_id
    JOIN unnest(${types}::text[], ${zones}::text[]) AS p(instance_type, availability_zone)
      ON p.instance_type = i.instance_type AND p.availability_zone = i.availability_zone
    WHERE x.client_id = ${clientId} AND x.kind = 'termination_notice' AND x.detected_at > ${since}
    GROUP BY i.instance_type, i.availability_zone`.execute(db);
  return r.rows;
}

/** On-demand list prices of these types, by region. */
export async function ondemandPricesFor(
  db: Executor,
  regions: string[],
  types: string[],
): Promise<Array<{ region: string; instance_type: string; price: number }>> {
  if (regions.length === 0 || types.length === 0) return [];
  return db
    .selectFrom('ondemand_prices')
    .select(['region', 'instance_type', 'price'])
    .where('region', 'in', regions)
    .where('instance_type', 'in', types)
    .execute();
}
