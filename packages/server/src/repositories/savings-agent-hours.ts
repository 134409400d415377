import { sql } from 'kysely';
import type { Executor, Tx } from '../db/executor.ts';
import type { AgentHour, AgentSums } from '../domain/agent-hours.ts';
import { epochMs } from './epoch-ms.ts';
import { toUnknownOndemand, toUnknownSpot } from './savings-unknown-rows.ts';

/**
 * The rollup's per-agent rows (migration 012): one per agent that ran something in a stored
 * client hour, written with the hour (repositories/savings-rollup.ts insertHours) and removed
 * with it (ON DELETE CASCADE from savings_hours).
 */

/** Rows per INSERT; each column goes as one array parameter, so the bind limit does not apply. */
const INSERT_BATCH = 20_000;

/** Writes the agents' rows of some client hours (hours this transaction has just inserted). */
export async function insertAgentHours(tx: Tx, clientId: string, rows: readonly AgentHour[]): Promise<void> {
  for (let i = 0; i < rows.length; i += INSERT_BATCH) {
    const b = rows.slice(i, i + INSERT_BATCH);
    await sql`
      INSERT INTO savings_agent_hours (client_id, hour, agent_id, spot_cost, ondemand_cost,
        unknown_ondemand_spend, costed, replica_cost, replica_unknown)
      SELECT ${clientId}, * FROM unnest(${b.map((r) => new Date(r.hour))}::timestamptz[],
        ${b.map((r) => r.agentId)}::uuid[], ${b.map((r) => r.spot_cost)}::float8[],
        ${b.map((r) => r.ondemand_cost)}::float8[], ${b.map((r) => r.unknown_ondemand_spend)}::float8[],
        ${b.map((r) => r.costed)}::bool[], ${b.map((r) => r.replica_cost)}::float8[],
        ${b.map((r) => r.replica_unknown)}::bool[])`.execute(tx);
  }
  const od = rows.flatMap((r) => r.unknown_ondemand.map((u) => ({ ...u, hour: r.hour, agentId: r.agentId })));
  for (let i = 0; i < od.length; i += INSERT_BATCH) {
    const b = od.slice(i, i + INSERT_BATCH);
    await sql`
      INSERT INTO savings_agent_unknown_ondemand (client_id, hour, agent_id, region, instance_type, market,
        hours, spend)
      SELECT ${clientId}, * FROM unnest(${b.map((u) => new Date(u.hour))}::timestamptz[],
        ${b.map((u) => u.agentId)}::uuid[], ${b.map((u) => u.region)}::text[],
        ${b.map((u) => u.instance_type)}::text[], ${b.map((u) => u.market)}::text[],
        ${b.map((u) => u.hours)}::float8[], ${b.map((u) => u.spend)}::float8[])`.execute(tx);
  }
  const spot = rows.flatMap((r) =>
    r.unknown_spot_price.map((u) => ({ ...u, hour: r.hour, agentId: r.agentId })),
  );
  for (let i = 0; i < spot.length; i += INSERT_BATCH) {
    const b = spot.slice(i, i + INSERT_BATCH);
    await sql`
      INSERT INTO savings_agent_unknown_spot (client_id, hour, agent_id, instance_type, availability_zone, hours)
      SELECT ${clientId}, * FROM unnest(${b.map((u) => new Date(u.hour))}::timestamptz[],
        ${b.map((u) => u.agentId)}::uuid[], ${b.map((u) => u.instance_type)}::text[],
        ${b.map((u) => u.availability_zone)}::text[], ${b.map((u) => u.hours)}::float8[])`.execute(tx);
  }
}

const DAY_SQL = "interval '1 day'";
/** The UTC day an hour falls in. */
const dayOf = (col: string) => `date_bin(${DAY_SQL}, ${col}, timestamptz '1970-01-01 00:00:00+00')`;

/**
 * Sums the agents' rows of every UTC day among `hours` (epoch ms, just inserted) whose 24 hours
 * are now stored with their agents (savings_days, savings_agent_days). Returns the days rolled.
 */
export async function rollDays(tx: Tx, clientId: string, hours: readonly number[]): Promise<number> {
  const DAY = 86_400_000;
  const days = [...new Set(hours.map((h) => Math.floor(h / DAY) * DAY))].map((d) => new Date(d));
  if (days.length === 0) return 0;
  const whole = await sql<{ day: Date }>`
    INSERT INTO savings_days (client_id, day, last_hour)
    SELECT ${clientId}, d, d + interval '23 hours' FROM unnest(${days}::timestamptz[]) AS d
    WHERE (SELECT count(*) FROM savings_hours s
           WHERE s.client_id = ${clientId} AND s.hour >= d AND s.hour < d + ${sql.raw(DAY_SQL)} AND s.per_agent) = 24
    ON CONFLICT DO NOTHING
    RETURNING day`.execute(tx);
  if (whole.rows.length === 0) return 0;
  const rolled = whole.rows.map((r) => new Date(r.day));
  // The rolled days' rows: one index range over them, then only those days.
  const lo = new Date(Math.min(...rolled.map((d) => d.getTime())));
  const hi = new Date(Math.max(...rolled.map((d) => d.getTime())) + DAY);
  const inDays = (alias: string) =>
    sql`${sql.raw(alias)}.client_id = ${clientId} AND ${sql.raw(alias)}.hour >= ${lo} AND ${sql.raw(alias)}.hour < ${hi}
      AND ${sql.raw(dayOf(`${alias}.hour`))} = ANY(${rolled}::timestamptz[])`;
  await sql`
    INSERT INTO savings_agent_days (client_id, day, agent_id, spot_cost, ondemand_cost, unknown_ondemand_spend,
      first_costed, replica_cost, replica_unknown)
    SELECT ${clientId}, ${sql.raw(dayOf('h.hour'))}, h.agent_id, sum(h.spot_cost), sum(h.ondemand_cost),
      sum(h.unknown_ondemand_spend), min(h.hour) FILTER (WHERE h.costed), sum(h.replica_cost),
      bool_or(h.replica_unknown)
    FROM savings_agent_hours h WHERE ${inDays('h')} GROUP BY 2, 3`.execute(tx);
  await sql`
    INSERT INTO savings_agent_day_unknown_ondemand (client_id, day, agent_id, region, instance_type, market, hours,
      spend)
    SELECT ${clientId}, ${sql.raw(dayOf('u.hour'))}, u.agent_id, u.region, u.instance_type, u.market, sum(u.hours),
      CASE WHEN bool_or(u.spend IS NULL) THEN NULL ELSE sum(u.spend) END
    FROM savings_agent_unknown_ondemand u WHERE ${inDays('u')} GROUP BY 2, 3, 4, 5, 6`.execute(tx);
  await sql`
    INSERT INTO savings_agent_day_unknown_spot (client_id, day, agent_id, instance_type, availability_zone, hours)
    SELECT ${clientId}, ${sql.raw(dayOf('u.hour'))}, u.agent_id, u.instance_type, u.availability_zone, sum(u.hours)
    FROM savings_agent_unknown_spot u WHERE ${inDays('u')} GROUP BY 2, 3, 4, 5`.execute(tx);
  return rolled.length;
}
interface SumsRow {
  agent_id: string | null;
  hours: number[] | null;
  spot_cost: number | null;
  ondemand_cost: number | null;
  unknown_ondemand_spend: number | null;
  first_costed: number | null;
  replica_cost: number | null;
  replica_unknown: boolean | null;
  /** [region, instance_type, market, hours, spend] per type. */
  unknown_ondemand: Array<[string, string, string, number, number | null]> | null;
  /** [instance_type, availability_zone, hours] per pool. */
  unknown_spot: Array<[string, string, number]> | null;
}

/**
 * Per agent, its stored hours in [from, to) summed, with the stored hours that have agent rows
 * (the rest of the window is computed from the raw tables). Whole days come from the day rows,
 * the other hours from the hour rows. One statement, so the hours and the sums come from the
 * same snapshot: a store or removal between two reads would count an hour twice or not at all.
 */
export async function agentSumsOfSpan(
  db: Executor,
  clientId: string,
  from: Date,
  to: Date,
): Promise<{ hours: number[]; sums: Map<string, AgentSums> }> {
  const r = await agentSumsQuery(clientId, from, to).execute(db);
  let hours: number[] = [];
  const sums = new Map<string, AgentSums>();
  for (const row of r.rows) {
    if (row.agent_id === null) {
      hours = (row.hours ?? []).map(Number);
      continue;
    }
    sums.set(row.agent_id, {
      spot_cost: Number(row.spot_cost),
      ondemand_cost: Number(row.ondemand_cost),
      unknown_ondemand_spend: Number(row.unknown_ondemand_spend),
      first_costed: row.first_costed === null ? null : Number(row.first_costed),
      replica_cost: Number(row.replica_cost),
      replica_unknown: row.replica_unknown === true,
      unknown_ondemand: (row.unknown_ondemand ?? []).map(([region, instance_type, market, h, spend]) =>
        toUnknownOndemand({ region, instance_type, market, hours: h, spend }),
      ),
      unknown_spot_price: (row.unknown_spot ?? []).map(([instance_type, availability_zone, h]) =>
        toUnknownSpot({ instance_type, availability_zone, hours: h }),
      ),
    });
  }
  return { hours, sums };
}

/** The statement of agentSumsOfSpan (the bench runs it through a bare pg client as its peer). */
export function agentSumsQuery(clientId: string, from: Date, to: Date) {
  // Hour rows outside the rolled days: before the first, after the last, and (only when some
  // day between is not rolled) those of the days between that are not. Each is an index range
  // whose bounds the database computes once (the rolled days' range, `b`).
  const hourRows = (table: string, cols: string) => sql`
      SELECT ${sql.raw(cols)} FROM ${sql.raw(table)}
      WHERE client_id = ${clientId} AND hour >= ${from} AND hour < (SELECT lo FROM b)
      UNION ALL
      SELECT ${sql.raw(cols)} FROM ${sql.raw(table)}
      WHERE client_id = ${clientId} AND hour >= (SELECT hi FROM b) AND hour < ${to}
      UNION ALL
      SELECT ${sql.raw(cols)} FROM ${sql.raw(table)}
      WHERE (SELECT holes FROM b) AND client_id = ${clientId} AND hour >= (SELECT lo FROM b)
        AND hour < (SELECT hi FROM b) AND ${sql.raw(dayOf('hour'))} NOT IN (SELECT day FROM rd)`;
  // Day rows exist only for rolled days (their FK), so the whole days in the span are a range.
  const lastDay = new Date(to.getTime() - 86_400_000);
  const dayRows = (alias: string) => sql`
      ${sql.raw(alias)}.client_id = ${clientId} AND ${sql.raw(alias)}.day >= ${from}
        AND ${sql.raw(alias)}.day <= ${lastDay}`;
  return sql<SumsRow>`
    WITH rd AS (
      SELECT day FROM savings_days
      WHERE client_id = ${clientId} AND day >= ${from} AND day <= ${lastDay}),
    b AS (
      SELECT coalesce(min(day), ${to}) AS lo, coalesce(max(day) + ${sql.raw(DAY_SQL)}, ${to}) AS hi,
        count(*) < extract(epoch from coalesce(max(day) + ${sql.raw(DAY_SQL)}, ${to}) - coalesce(min(day), ${to})) / 86400
          AS holes
      FROM rd),
    ah AS (
      SELECT agent_id, sum(spot_cost) AS spot_cost, sum(ondemand_cost) AS ondemand_cost,
        sum(unknown_ondemand_spend) AS unknown_ondemand_spend,
        ${epochMs<number | null>(sql`min(first_costed)`)} AS first_costed,
        sum(replica_cost) AS replica_cost, bool_or(replica_unknown) AS replica_unknown
      FROM (${hourRows(
        'savings_agent_hours',
        'agent_id, spot_cost, ondemand_cost, unknown_ondemand_spend, CASE WHEN costed THEN hour END AS first_costed, replica_cost, replica_unknown',
      )}
        UNION ALL
        SELECT agent_id, spot_cost, ondemand_cost, unknown_ondemand_spend, first_costed, replica_cost, replica_unknown
        FROM savings_agent_days d WHERE ${dayRows('d')}) x
      GROUP BY agent_id),
    uo AS (
      SELECT agent_id, json_agg(json_build_array(region, instance_type, market, hours, spend)) AS list
      FROM (SELECT agent_id, region, instance_type, market, sum(hours) AS hours,
              CASE WHEN bool_or(spend IS NULL) THEN NULL ELSE sum(spend) END AS spend
            FROM (${hourRows('savings_agent_unknown_ondemand', 'agent_id, region, instance_type, market, hours, spend')}
              UNION ALL
              SELECT agent_id, region, instance_type, market, hours, spend
              FROM savings_agent_day_unknown_ondemand d WHERE ${dayRows('d')}) y
            GROUP BY agent_id, region, instance_type, market) x
      GROUP BY agent_id),
    us AS (
      SELECT agent_id, json_agg(json_build_array(instance_type, availability_zone, hours)) AS list
      FROM (SELECT agent_id, instance_type, availability_zone, sum(hours) AS hours
            FROM (${hourRows('savings_agent_unknown_spot', 'agent_id, instance_type, availability_zone, hours')}
              UNION ALL
              SELECT agent_id, instance_type, availability_zone, hours
              FROM savings_agent_day_unknown_spot d WHERE ${dayRows('d')}) y
            GROUP BY agent_id, instance_type, availability_zone) x
      GROUP BY agent_id)
    SELECT NULL::uuid AS agent_id,
      (SELECT array_agg(${epochMs('hour')} ORDER BY hour) FROM savings_hours
       WHERE client_id = ${clientId} AND hour >= ${from} AND hour < ${to} AND per_agent) AS hours,
      NULL::float8 AS spot_cost, NULL::float8 AS ondemand_cost, NULL::float8 AS unknown_ondemand_spend,
      NULL::float8 AS first_costed, NULL::float8 AS replica_cost, NULL::bool AS replica_unknown,
      NULL::json AS unknown_ondemand, NULL::json AS unknown_spot
    UNION ALL
    SELECT ah.agent_id, NULL, ah.spot_cost, ah.ondemand_cost, ah.unknown_ondemand_spend, ah.first_costed,
      ah.replica_cost, ah.replica_unknown, uo.list, us.list
    FROM ah LEFT JOIN uo USING (agent_id) LEFT JOIN us USING (agent_id)`;
}

/**
 * Drops the client's per-agent rows of hours before `before` (older than any window the API
 * allows: 1,000 agents write 8.8 million hour rows a year). The hours stay, marked as having
 * no agent rows, so a window that ever reached them would compute them from the raw tables
 * rather than read zeros. Returns the hour rows dropped.
 */
export async function pruneAgentRows(tx: Tx, clientId: string, before: Date): Promise<number> {
  await tx.deleteFrom('savings_days').where('client_id', '=', clientId).where('day', '<', before).execute();
  const r = await tx
    .deleteFrom('savings_agent_hours')
    .where('client_id', '=', clientId)
    .where('hour', '<', before)
    .executeTakeFirst();
  await tx
    .updateTable('savings_hours')
    .set({ per_agent: false })
    .where('client_id', '=', clientId)
    .where('hour', '<', before)
    .where('per_agent', '=', true)
    .execute();
  return Number(r.numDeletedRows);
}
