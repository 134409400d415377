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
/** Up to two days, a span's unknowns are summed from its rows; longer, from running totals. */
const SHORT_SPAN_MS = 48 * HOUR;

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
 * whole span (what a window reports is their sum): a short span sums its rows, a long one
 * reads running totals (a month of a fleet without some prices is tens of thousands of rows,
 * its totals a few hundred index probes).
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
  const [rows, [od, spot]] = await Promise.all([
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
    to.getTime() - from.getTime() <= SHORT_SPAN_MS
      ? unknownsFromRows(db, clientId, from, to)
      : unknownsFromTotals(db, clientId, from, to),
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

interface UnknownOdRow {
  region: string;
  instance_type: string;
  market: string;
  hours: number;
  spend: number | null;
}
interface UnknownSpotRow {
  instance_type: string;
  availability_zone: string;
  hours: number;
}

/**
 * A long span's unknowns: per type or pool (walked down the key index, one probe each), its
 * running total at the span's last row less the one before the span; only those with a row in
 * the span.
 */
function unknownsFromTotals(
  db: Executor,
  clientId: string,
  from: Date,
  to: Date,
): Promise<[UnknownOdRow[], UnknownSpotRow[]]> {
  return Promise.all([
    sql<{ region: string; instance_type: string; market: string; hours: number; spend: number | null }>`
      WITH RECURSIVE keys AS (
        (SELECT region, instance_type, market FROM savings_hour_unknown_ondemand
         WHERE client_id = ${clientId} ORDER BY region, instance_type, market LIMIT 1)
        UNION ALL
        SELECT n.region, n.instance_type, n.market FROM keys k CROSS JOIN LATERAL (
          SELECT s.region, s.instance_type, s.market FROM savings_hour_unknown_ondemand s
          WHERE s.client_id = ${clientId} AND (s.region, s.instance_type, s.market) > (k.region, k.instance_type, k.market)
          ORDER BY s.region, s.instance_type, s.market LIMIT 1) n)
      SELECT k.region, k.instance_type, k.market, e.cum_hours - coalesce(b.cum_hours, 0) AS hours,
        CASE WHEN e.cum_null_spend - coalesce(b.cum_null_spend, 0) > 0 THEN NULL
             ELSE e.cum_spend - coalesce(b.cum_spend, 0) END AS spend
      FROM keys k
      CROSS JOIN LATERAL (
        SELECT s.hour, s.cum_hours, s.cum_spend, s.cum_null_spend FROM savings_hour_unknown_ondemand s
        WHERE s.client_id = ${clientId} AND s.region = k.region AND s.instance_type = k.instance_type
          AND s.market = k.market AND s.hour < ${to}
        ORDER BY s.hour DESC LIMIT 1) e
      LEFT JOIN LATERAL (
        SELECT s.cum_hours, s.cum_spend, s.cum_null_spend FROM savings_hour_unknown_ondemand s
        WHERE s.client_id = ${clientId} AND s.region = k.region AND s.instance_type = k.instance_type
          AND s.market = k.market AND s.hour < ${from}
        ORDER BY s.hour DESC LIMIT 1) b ON true
      WHERE e.hour >= ${from}`
      .execute(db)
      .then((r) => r.rows),
    sql<{ instance_type: string; availability_zone: string; hours: number }>`
      WITH RECURSIVE keys AS (
        (SELECT instance_type, availability_zone FROM savings_hour_unknown_spot
         WHERE client_id = ${clientId} ORDER BY instance_type, availability_zone LIMIT 1)
        UNION ALL
        SELECT n.instance_type, n.availability_zone FROM keys k CROSS JOIN LATERAL (
          SELECT s.instance_type, s.availability_zone FROM savings_hour_unknown_spot s
          WHERE s.client_id = ${clientId} AND (s.instance_type, s.availability_zone) > (k.instance_type, k.availability_zone)
          ORDER BY s.instance_type, s.availability_zone LIMIT 1) n)
      SELECT k.instance_type, k.availability_zone, e.cum_hours - coalesce(b.cum_hours, 0) AS hours
      FROM keys k
      CROSS JOIN LATERAL (
        SELECT s.hour, s.cum_hours FROM savings_hour_unknown_spot s
        WHERE s.client_id = ${clientId} AND s.instance_type = k.instance_type
          AND s.availability_zone = k.availability_zone AND s.hour < ${to}
        ORDER BY s.hour DESC LIMIT 1) e
      LEFT JOIN LATERAL (
        SELECT s.cum_hours FROM savings_hour_unknown_spot s
        WHERE s.client_id = ${clientId} AND s.instance_type = k.instance_type
          AND s.availability_zone = k.availability_zone AND s.hour < ${from}
        ORDER BY s.hour DESC LIMIT 1) b ON true
      WHERE e.hour >= ${from}`
      .execute(db)
      .then((r) => r.rows),
  ]);
}

/** A short span's unknowns: its rows summed (fewer rows than a long span's probes). */
function unknownsFromRows(
  db: Executor,
  clientId: string,
  from: Date,
  to: Date,
): Promise<[UnknownOdRow[], UnknownSpotRow[]]> {
  return Promise.all([
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
  // Running totals are filled in by one statement per table below.
  const od = mine.flatMap((h) =>
    h.unknown_ondemand.map((u) => ({
      client_id: clientId,
      hour: new Date(h.hour),
      ...u,
      cum_hours: 0,
      cum_spend: 0,
      cum_null_spend: 0,
    })),
  );
  const spot = mine.flatMap((h) =>
    h.unknown_spot_price.map((u) => ({ client_id: clientId, hour: new Date(h.hour), ...u, cum_hours: 0 })),
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
  if (mine.length > 0) await updateRunningTotals(tx, clientId, new Date(mine[0]!.hour));
  return mine.length;
}

/**
 * Sets the running totals of the client's unknown rows from `from` on: each type's or pool's
 * total before `from` plus its rows' sum up to each hour. The job appends hours at the end, so
 * these are the rows just inserted; were hours ever inserted before stored ones, the later
 * rows are brought up to date by the same statement.
 */
async function updateRunningTotals(tx: Tx, clientId: string, from: Date): Promise<void> {
  await sql`
    UPDATE savings_hour_unknown_spot u SET cum_hours = x.cum
    FROM (
      SELECT s.instance_type, s.availability_zone, s.hour,
        coalesce(b.cum_hours, 0)
          + sum(s.hours) OVER (PARTITION BY s.instance_type, s.availability_zone ORDER BY s.hour) AS cum
      FROM savings_hour_unknown_spot s
      LEFT JOIN LATERAL (
        SELECT p.cum_hours FROM savings_hour_unknown_spot p
        WHERE p.client_id = s.client_id AND p.instance_type = s.instance_type
          AND p.availability_zone = s.availability_zone AND p.hour < ${from}
        ORDER BY p.hour DESC LIMIT 1) b ON true
      WHERE s.client_id = ${clientId} AND s.hour >= ${from}) x
    WHERE u.client_id = ${clientId} AND u.instance_type = x.instance_type
      AND u.availability_zone = x.availability_zone AND u.hour = x.hour`.execute(tx);
  await sql`
    UPDATE savings_hour_unknown_ondemand u
    SET cum_hours = x.cum_hours, cum_spend = x.cum_spend, cum_null_spend = x.cum_null_spend
    FROM (
      SELECT s.region, s.instance_type, s.market, s.hour,
        coalesce(b.cum_hours, 0) + sum(s.hours) OVER w AS cum_hours,
        coalesce(b.cum_spend, 0) + sum(coalesce(s.spend, 0)) OVER w AS cum_spend,
        coalesce(b.cum_null_spend, 0) + sum(CASE WHEN s.spend IS NULL THEN 1 ELSE 0 END) OVER w AS cum_null_spend
      FROM savings_hour_unknown_ondemand s
      LEFT JOIN LATERAL (
        SELECT p.cum_hours, p.cum_spend, p.cum_null_spend FROM savings_hour_unknown_ondemand p
        WHERE p.client_id = s.client_id AND p.region = s.region AND p.instance_type = s.instance_type
          AND p.market = s.market AND p.hour < ${from}
        ORDER BY p.hour DESC LIMIT 1) b ON true
      WHERE s.client_id = ${clientId} AND s.hour >= ${from}
      WINDOW w AS (PARTITION BY s.region, s.instance_type, s.market ORDER BY s.hour)) x
    WHERE u.client_id = ${clientId} AND u.region = x.region AND u.instance_type = x.instance_type
      AND u.market = x.market AND u.hour = x.hour`.execute(tx);
}

/** Removal records every later job will see (committed before `snapshot`) are no longer needed. */
export async function pruneInvalidations(tx: Tx, snapshot: string): Promise<number> {
  const r =
    await sql`DELETE FROM savings_invalidations WHERE pg_visible_in_snapshot(xid, ${snapshot}::pg_snapshot)`.execute(
      tx,
    );
  return Number(r.numAffectedRows ?? 0);
}
