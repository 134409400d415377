import { type Kysely, sql } from 'kysely';

/**
 * Dashboard reads at fleet scale (issue 11). Price series are read pool by pool down the
 * (client, type, zone, time) index (repositories/price-series.ts); carrying the price and
 * region in the index makes each pool's window an index-only range, instead of one heap
 * page per point — reports arrive in time order across every pool, so a pool's points lie
 * scattered over the table. It replaces price_snapshots_pool_time (same key columns), which
 * every other reader of price_snapshots used the same way.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE INDEX price_snapshots_pool_time_covering
      ON price_snapshots (client_id, instance_type, availability_zone, observed_at) INCLUDE (spot_price, region);
    DROP INDEX price_snapshots_pool_time;
  `.execute(db);
}
