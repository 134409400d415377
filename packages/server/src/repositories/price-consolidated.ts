import { type Selectable, sql } from 'kysely';
import type { Executor, Tx } from '../db/executor.ts';
import type { PricingRunsTable } from '../db/schema.ts';
import type { ConsolidatedPoint } from '../domain/price-consolidation.ts';

export interface StagedPoolRow {
  client_id: string;
  instance_type: string;
  availability_zone: string;
  region: string | null;
  observed_at: Date;
  spot_price: number;
}

/** Staging rows observed since `since`, grouped by pool (tenant, type, zone) and in time order. */
export async function stagedSince(db: Executor, since: Date): Promise<StagedPoolRow[]> {
  return db
    .selectFrom('price_snapshots')
    .select(['client_id', 'instance_type', 'availability_zone', 'region', 'observed_at', 'spot_price'])
    .where('observed_at', '>=', since)
    .orderBy('client_id')
    .orderBy('instance_type')
    .orderBy('availability_zone')
    .orderBy('observed_at')
    .execute();
}

/**
 * Replaces a pool's consolidated points between `from` and `to` (inclusive) with `points`:
 * a run rebuilds what staging still holds and leaves older consolidated history alone.
 */
export async function replaceConsolidated(
  tx: Tx,
  pool: { client_id: string; instance_type: string; availability_zone: string; region: string | null },
  from: Date,
  to: Date,
  points: ConsolidatedPoint[],
  runId: string,
): Promise<number> {
  await tx
    .deleteFrom('price_consolidated')
    .where('client_id', '=', pool.client_id)
    .where('instance_type', '=', pool.instance_type)
    .where('availability_zone', '=', pool.availability_zone)
    .where('at', '>=', from)
    .where('at', '<=', to)
    .execute();
  for (let i = 0; i < points.length; i += 1000) {
    await tx
      .insertInto('price_consolidated')
      .values(
        points.slice(i, i + 1000).map((p) => ({
          ...pool,
          at: new Date(p.at),
          price: p.price,
          flag: p.flag,
          run_id: runId,
        })),
      )
      .execute();
  }
  return points.length;
}

export type PricingRunRow = Selectable<PricingRunsTable>;

export async function insertPricingRun(
  tx: Tx,
  row: { id: string; trigger: string; started_at: Date; window_start: Date },
): Promise<void> {
  await tx.insertInto('pricing_runs').values(row).execute();
}

export async function finishPricingRun(
  tx: Tx,
  id: string,
  values: {
    finished_at: Date;
    pools?: number;
    points_read?: number;
    points_written?: number;
    gaps_found?: number;
    interpolated?: number;
    error?: string | null;
  },
): Promise<PricingRunRow> {
  return tx
    .updateTable('pricing_runs')
    .set(values)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function listPricingRuns(db: Executor, limit: number): Promise<PricingRunRow[]> {
  return db
    .selectFrom('pricing_runs')
    .selectAll()
    .orderBy('started_at', 'desc')
    .orderBy('seq', 'desc')
    .limit(limit)
    .execute();
}

/** Takes a transaction-scoped advisory lock if free (released at commit); false when another holds it. */
export async function tryAdvisoryXactLock(tx: Tx, key: number): Promise<boolean> {
  const got = await sql<{ ok: boolean }>`SELECT pg_try_advisory_xact_lock(${key}) AS ok`.execute(tx);
  return Boolean(got.rows[0]?.ok);
}
