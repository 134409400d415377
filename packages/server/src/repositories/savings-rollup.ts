import { sql } from 'kysely';
import type { Executor, Tx } from '../db/executor.ts';
import { SAVINGS_ROLLUP_LOCK_KEY } from '../db/migrations/010_savings_rollup.ts';
import type { AgentHour } from '../domain/agent-hours.ts';
import type { HourSummary, UnknownOndemand, UnknownSpotPrice } from '../domain/savings.ts';
import { addHour, emptyTotals, parseTotals, unknownsBetween } from '../domain/unknown-totals.ts';
import { epochMs } from './epoch-ms.ts';
import { insertAgentHours, rollDays } from './savings-agent-hours.ts';
import {
  toUnknownOndemand,
  toUnknownSpot,
  type UnknownOdRow,
  type UnknownSpotRow,
} from './savings-unknown-rows.ts';

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
/** Totals rows per INSERT: each holds every type and pool a client ever lacked a price for. */
const TOTALS_BATCH = 100;

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
    SELECT ${epochMs('h')} AS t
    FROM generate_series(${from}::timestamptz, ${new Date(to.getTime() - HOUR)}::timestamptz, interval '1 hour') h
    WHERE NOT EXISTS (SELECT 1 FROM savings_hours s WHERE s.client_id = ${clientId} AND s.hour = h)
    ORDER BY h LIMIT ${limit}`.execute(db);
  return r.rows.map((x) => x.t);
}

/**
 * What stands stored of [from, to), as one string: how many hours, how many with agent rows,
 * and the highest number a store gave them (migration 015). Stored hours change only by being
 * removed (migration 010's triggers, whenever an input of theirs changes) and stored again,
 * or by losing their agent rows (pruneAgentRows). A removal lowers the count; a store numbers
 * above every hour stored before it, so it raises the highest number: an unchanged stamp
 * means every hour of the span, and every raw input of a stored hour, is as it was.
 * `first` is the span's earliest stored hour (epoch ms), or null when none is.
 */
export async function storedSpanStamp(
  db: Executor,
  clientId: string,
  from: Date,
  to: Date,
): Promise<{ stamp: string; first: number | null }> {
  const r = await sql<{ n: number; a: number; top: string | null; first: number | null }>`
    SELECT count(*)::int AS n, count(*) FILTER (WHERE per_agent)::int AS a, max(stored_seq)::text AS top,
      ${epochMs<number | null>(sql`min(hour)`)} AS first
    FROM savings_hours WHERE client_id = ${clientId} AND hour >= ${from} AND hour < ${to}`.execute(db);
  const row = r.rows[0]!;
  return { stamp: `${row.n}/${row.a}/${row.top ?? 0}`, first: row.first };
}

/**
 * Stored hours in [from, to), oldest first, without their unknowns; those come summed over the
 * whole span (what a window reports is their sum), from the running totals at the span's last
 * stored hour less those before it (domain/unknown-totals.ts): two rows however long the span.
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
  const [rows, unknowns] = await Promise.all([
    db
      .selectFrom('savings_hours')
      .select([epochMs('hour').as('t'), 'spot_cost', 'ondemand_cost', 'unknown_ondemand_spend', 'costed'])
      .where('client_id', '=', clientId)
      .where('hour', '>=', from)
      .where('hour', '<', to)
      .orderBy('hour')
      .execute(),
    unknownsOfSpan(db, clientId, from, to),
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
    ...unknowns,
  };
}

type SpanUnknowns = { unknownOndemand: UnknownOndemand[]; unknownSpotPrice: UnknownSpotPrice[] };

/**
 * The unknowns of the stored hours in [from, to): the totals at the last stored hour before
 * `to` less those at the last one before `from`. Hours stored before migration 011 have no
 * totals until the job's next pass; a span that needs them sums its per-hour rows instead.
 */
async function unknownsOfSpan(db: Executor, clientId: string, from: Date, to: Date): Promise<SpanUnknowns> {
  const r = await sql<{ edge: 'end' | 'before'; t: number; ondemand: unknown; spot: unknown }>`
    (SELECT 'end' AS edge, ${epochMs('h.hour')} AS t, u.ondemand, u.spot
     FROM savings_hours h
     LEFT JOIN savings_unknown_totals u ON u.client_id = h.client_id AND u.hour = h.hour
     WHERE h.client_id = ${clientId} AND h.hour < ${to} ORDER BY h.hour DESC LIMIT 1)
    UNION ALL
    (SELECT 'before' AS edge, ${epochMs('h.hour')} AS t, u.ondemand, u.spot
     FROM savings_hours h
     LEFT JOIN savings_unknown_totals u ON u.client_id = h.client_id AND u.hour = h.hour
     WHERE h.client_id = ${clientId} AND h.hour < ${from} ORDER BY h.hour DESC LIMIT 1)`.execute(db);
  const end = r.rows.find((x) => x.edge === 'end');
  if (!end || end.t < from.getTime()) return { unknownOndemand: [], unknownSpotPrice: [] };
  const before = r.rows.find((x) => x.edge === 'before');
  const endTotals = parseTotals(end.ondemand, end.spot);
  const beforeTotals = before ? parseTotals(before.ondemand, before.spot) : emptyTotals();
  if (endTotals && beforeTotals) return unknownsBetween(endTotals, beforeTotals);
  const [od, spot] = await unknownsFromRows(db, clientId, from, to);
  return {
    unknownOndemand: od.map(toUnknownOndemand),
    unknownSpotPrice: spot.map(toUnknownSpot),
  };
}

/** A span's unknowns from its per-hour rows, summed (while its totals are not written yet). */
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
 * Stores computed hours, with their agents' rows, unless a change the computation could not see
 * affects them. Takes the rollup lock exclusively (writers hold it shared from their trigger to
 * their commit), so every change made before this point is committed and visible here, and
 * every later one waits and then removes what this stores. Then writes the running totals of every stored hour that has
 * none yet. Returns how many hours were stored.
 */
export async function storeHours(
  tx: Tx,
  clientId: string,
  snapshot: string,
  hours: readonly HourSummary[],
  agentHours: readonly AgentHour[],
  computedAt: Date,
): Promise<number> {
  const stored = await insertHours(tx, clientId, snapshot, hours, agentHours, computedAt);
  await writeMissingTotals(tx, clientId);
  return stored;
}

async function insertHours(
  tx: Tx,
  clientId: string,
  snapshot: string,
  hours: readonly HourSummary[],
  agentHours: readonly AgentHour[],
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
    .returning(epochMs('hour').as('t'))
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
  // Their agents' rows, in the same transaction (a per-agent read counts them with the hour),
  // and the sums of the days these hours complete.
  await insertAgentHours(
    tx,
    clientId,
    agentHours.filter((a) => inserted.has(a.hour)),
  );
  await rollDays(
    tx,
    clientId,
    mine.map((h) => h.hour),
  );
  return mine.length;
}

/**
 * Writes the running totals of the client's stored hours from the first one without them on:
 * the hours just inserted (the job appends at the end, so usually nothing after them), every
 * later hour when one was inserted before stored ones, and hours stored before migration 011.
 * Under the rollup lock, so no writer removes an hour while its totals are written.
 */
async function writeMissingTotals(tx: Tx, clientId: string): Promise<void> {
  const first = await firstHourWithoutTotals(tx, clientId);
  if (first === null) return;
  await sql`SELECT pg_advisory_xact_lock(${SAVINGS_ROLLUP_LOCK_KEY})`.execute(tx);
  const prior = await tx
    .selectFrom('savings_unknown_totals')
    .select(['ondemand', 'spot'])
    .where('client_id', '=', clientId)
    .where('hour', '<', new Date(first))
    .orderBy('hour', 'desc')
    .limit(1)
    .executeTakeFirst();
  // Totals that do not read back as totals are written again from the first stored hour.
  const base = prior ? parseTotals(prior.ondemand, prior.spot) : emptyTotals();
  const from = new Date(base ? first : 0);
  const [hours, od, spot] = await Promise.all([
    tx
      .selectFrom('savings_hours')
      .select(epochMs('hour').as('t'))
      .where('client_id', '=', clientId)
      .where('hour', '>=', from)
      .orderBy('hour')
      .execute(),
    tx
      .selectFrom('savings_hour_unknown_ondemand')
      .select([epochMs('hour').as('t'), 'region', 'instance_type', 'market', 'hours', 'spend'])
      .where('client_id', '=', clientId)
      .where('hour', '>=', from)
      .execute(),
    tx
      .selectFrom('savings_hour_unknown_spot')
      .select([epochMs('hour').as('t'), 'instance_type', 'availability_zone', 'hours'])
      .where('client_id', '=', clientId)
      .where('hour', '>=', from)
      .execute(),
  ]);
  const own = new Map<
    number,
    { unknown_ondemand: UnknownOndemand[]; unknown_spot_price: UnknownSpotPrice[] }
  >();
  const ownOf = (t: number) => {
    let o = own.get(t);
    if (!o) {
      o = { unknown_ondemand: [], unknown_spot_price: [] };
      own.set(t, o);
    }
    return o;
  };
  for (const u of od) ownOf(u.t).unknown_ondemand.push(toUnknownOndemand(u));
  for (const u of spot) ownOf(u.t).unknown_spot_price.push(toUnknownSpot(u));
  let totals = base ?? emptyTotals();
  const rows: Array<{ client_id: string; hour: Date; ondemand: string; spot: string }> = [];
  for (const { t } of hours) {
    const o = own.get(t);
    if (o) totals = addHour(totals, o);
    rows.push({
      client_id: clientId,
      hour: new Date(t),
      ondemand: JSON.stringify(totals.ondemand),
      spot: JSON.stringify(totals.spot),
    });
  }
  for (let i = 0; i < rows.length; i += TOTALS_BATCH)
    await tx
      .insertInto('savings_unknown_totals')
      .values(rows.slice(i, i + TOTALS_BATCH))
      .onConflict((oc) =>
        oc.columns(['client_id', 'hour']).doUpdateSet((eb) => ({
          ondemand: eb.ref('excluded.ondemand'),
          spot: eb.ref('excluded.spot'),
        })),
      )
      .execute();
}

/** The client's first stored hour (epoch ms) that has no running totals, or null. */
async function firstHourWithoutTotals(db: Executor, clientId: string): Promise<number | null> {
  const r = await db
    .selectFrom('savings_hours as h')
    .select(epochMs<number | null>(sql`min(h.hour)`).as('t'))
    .where('h.client_id', '=', clientId)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('savings_unknown_totals as u')
            .select('u.hour')
            .whereRef('u.client_id', '=', 'h.client_id')
            .whereRef('u.hour', '=', 'h.hour'),
        ),
      ),
    )
    .executeTakeFirst();
  return r?.t ?? null;
}

/** Removal records every later job will see (committed before `snapshot`) are no longer needed. */
export async function pruneInvalidations(tx: Tx, snapshot: string): Promise<number> {
  const r =
    await sql`DELETE FROM savings_invalidations WHERE pg_visible_in_snapshot(xid, ${snapshot}::pg_snapshot)`.execute(
      tx,
    );
  return Number(r.numAffectedRows ?? 0);
}
