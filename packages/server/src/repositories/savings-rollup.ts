import { sql } from 'kysely';
import type { Executor, Tx } from '../db/executor.ts';
import { SAVINGS_ROLLUP_LOCK_KEY } from '../db/migrations/010_savings_rollup.ts';
import type { HourSummary, UnknownOndemand, UnknownSpotPrice } from '../domain/savings.ts';

/**
 * The savings rollup's rows (migration 010). Triggers remove the hours a change affects; the
 * job computes missing hours without holding any lock and stores them only if no change it
 * could not see has landed since: every removal is recorded with its transaction id, and an
 * id not visible in the snapshot the job read under means the job's inputs may be stale.
 */

const HOUR = 3_600_000;
const ROLLUP_STEP_LOCK_KEY = 7_311_121;
/** Rows per INSERT (PostgreSQL allows 65,535 bind parameters a statement). */
const INSERT_BATCH = 5_000;

/** Serialises the rollup's steps (see SavingsRollup.rollClient); false when another holds it. */
export async function tryRollupStepLock(tx: Tx): Promise<boolean> {
  const r = await sql<{
    ok: boolean;
  }>`SELECT pg_try_advisory_xact_lock(${ROLLUP_STEP_LOCK_KEY}) AS ok`.execute(tx);
  return r.rows[0]?.ok === true;
}

/** The snapshot this transaction's next reads see at least (PostgreSQL's pg_snapshot, as text). */
export async function currentSnapshot(tx: Tx): Promise<string> {
  const r = await sql<{ snap: string }>`SELECT pg_current_snapshot()::text AS snap`.execute(tx);
  return r.rows[0]!.snap;
}

/** Clients with at least one instance that ran: the ones the rollup covers. */
export async function listClientsWithRuns(db: Executor): Promise<string[]> {
  const rows = await db
    .selectFrom('clients as c')
    .select('c.id')
    .where(({ exists, selectFrom }) =>
      exists(
        selectFrom('instances as i')
          .select('i.id')
          .whereRef('i.client_id', '=', 'c.id')
          .where('i.launch_confirmed_at', 'is not', null),
      ),
    )
    .orderBy('c.id')
    .execute();
  return rows.map((r) => r.id);
}

/** When the client's first run began (no hour before it has anything to store), or null. */
export async function firstLaunchOf(db: Executor, clientId: string): Promise<number | null> {
  const r = await db
    .selectFrom('instances')
    .select((eb) => eb.fn.min('launch_confirmed_at').as('first'))
    .where('client_id', '=', clientId)
    .executeTakeFirst();
  return r?.first == null ? null : new Date(r.first).getTime();
}

/** Hour starts (epoch ms) in [from, to) that have no stored row, oldest first, at most `limit`. */
export async function listMissingHours(
  db: Executor,
  clientId: string,
  from: Date,
  to: Date,
  limit: number,
): Promise<number[]> {
  if (to.getTime() <= from.getTime()) return [];
  const r = await sql<{ t: number }>`
    SELECT (extract(epoch from h) * 1000)::float8 AS t
    FROM generate_series(${from}::timestamptz, ${new Date(to.getTime() - HOUR)}::timestamptz, interval '1 hour') h
    WHERE NOT EXISTS (SELECT 1 FROM savings_hours s WHERE s.client_id = ${clientId} AND s.hour = h)
    ORDER BY h LIMIT ${limit}`.execute(db);
  return r.rows.map((x) => x.t);
}

/**
 * Stored hours in [from, to), oldest first, without their unknowns; those come summed over the
 * whole span (what a window reports is their sum, and summing in SQL keeps a month of them off
 * the wire).
 */
export async function listStoredHours(
  db: Executor,
  clientId: string,
  from: Date,
  to: Date,
): Promise<{
  hours: HourSummary[];
  unknownOndemand: UnknownOndemand[];
  unknownSpotPrice: UnknownSpotPrice[];
}> {
  const [rows, od, spot] = await Promise.all([
    db
      .selectFrom('savings_hours')
      .select([
        sql<number>`(extract(epoch from hour) * 1000)::float8`.as('t'),
        'spot_cost',
        'ondemand_cost',
        'unknown_ondemand_spend',
        'costed',
      ])
      .where('client_id', '=', clientId)
      .where('hour', '>=', from)
      .where('hour', '<', to)
      .orderBy('hour')
      .execute(),
    db
      .selectFrom('savings_hour_unknown_ondemand')
      .select(['region', 'instance_type', 'market'])
      .select((eb) => [
        eb.fn.sum<number>('hours').as('hours'),
        sql<number | null>`CASE WHEN bool_or(spend IS NULL) THEN NULL ELSE sum(spend) END`.as('spend'),
      ])
      .where('client_id', '=', clientId)
      .where('hour', '>=', from)
      .where('hour', '<', to)
      .groupBy(['region', 'instance_type', 'market'])
      .execute(),
    db
      .selectFrom('savings_hour_unknown_spot')
      .select(['instance_type', 'availability_zone'])
      .select((eb) => eb.fn.sum<number>('hours').as('hours'))
      .where('client_id', '=', clientId)
      .where('hour', '>=', from)
      .where('hour', '<', to)
      .groupBy(['instance_type', 'availability_zone'])
      .execute(),
  ]);
  return {
    hours: rows.map((r) => ({
      hour: r.t,
      spot_cost: r.spot_cost,
      ondemand_cost: r.ondemand_cost,
      unknown_ondemand_spend: r.unknown_ondemand_spend,
      costed: r.costed,
      unknown_ondemand: [],
      unknown_spot_price: [],
    })),
    unknownOndemand: od.map((u) => ({
      region: u.region,
      instance_type: u.instance_type,
      market: u.market === 'on-demand' ? 'on-demand' : 'spot',
      hours: Number(u.hours),
      spend: u.spend === null ? null : Number(u.spend),
    })),
    unknownSpotPrice: spot.map((u) => ({ ...u, hours: Number(u.hours) })),
  };
}

/**
 * Stores computed hours unless a change the computation could not see affects them. Takes the
 * rollup lock exclusively (writers hold it shared from their trigger to their commit), so every
 * change made before this point is committed and visible here, and every later one waits and
 * then removes what this stores. Returns how many hours were stored.
 */
export async function storeHours(
  tx: Tx,
  clientId: string,
  snapshot: string,
  hours: readonly HourSummary[],
  computedAt: Date,
): Promise<number> {
  if (hours.length === 0) return 0;
  await sql`SELECT pg_advisory_xact_lock(${SAVINGS_ROLLUP_LOCK_KEY})`.execute(tx);
  const unseen = await sql<{ from_hour: Date | null }>`
    SELECT min(from_hour) AS from_hour FROM savings_invalidations
    WHERE (client_id = ${clientId} OR client_id IS NULL)
      AND NOT pg_visible_in_snapshot(xid, ${snapshot}::pg_snapshot)`.execute(tx);
  const stale = unseen.rows[0]?.from_hour;
  const staleFrom = stale == null ? Number.POSITIVE_INFINITY : new Date(stale).getTime();
  const keep = hours.filter((h) => h.hour < staleFrom);
  if (keep.length === 0) return 0;
  const rows = await tx
    .insertInto('savings_hours')
    .values(
      keep.map((h) => ({
        client_id: clientId,
        hour: new Date(h.hour),
        spot_cost: h.spot_cost,
        ondemand_cost: h.ondemand_cost,
        unknown_ondemand_spend: h.unknown_ondemand_spend,
        costed: h.costed,
        computed_at: computedAt,
      })),
    )
    .onConflict((oc) => oc.columns(['client_id', 'hour']).doNothing())
    .returning(sql<number>`(extract(epoch from hour) * 1000)::float8`.as('t'))
    .execute();
  // Only the hours this call inserted get their unknowns (a row already there has its own).
  const inserted = new Set(rows.map((r) => r.t));
  const mine = keep.filter((h) => inserted.has(h.hour));
  const od = mine.flatMap((h) =>
    h.unknown_ondemand.map((u) => ({ client_id: clientId, hour: new Date(h.hour), ...u })),
  );
  const spot = mine.flatMap((h) =>
    h.unknown_spot_price.map((u) => ({ client_id: clientId, hour: new Date(h.hour), ...u })),
  );
  for (let i = 0; i < od.length; i += INSERT_BATCH)
    await tx
      .insertInto('savings_hour_unknown_ondemand')
      .values(od.slice(i, i + INSERT_BATCH))
      .execute();
  for (let i = 0; i < spot.length; i += INSERT_BATCH)
    await tx
      .insertInto('savings_hour_unknown_spot')
      .values(spot.slice(i, i + INSERT_BATCH))
      .execute();
  return mine.length;
}

/** Removal records every later job will see (committed before `snapshot`) are no longer needed. */
export async function pruneInvalidations(tx: Tx, snapshot: string): Promise<number> {
  const r =
    await sql`DELETE FROM savings_invalidations WHERE pg_visible_in_snapshot(xid, ${snapshot}::pg_snapshot)`.execute(
      tx,
    );
  return Number(r.numAffectedRows ?? 0);
}
