import { sql } from 'kysely';
import type { Executor } from '../db/executor.ts';
import { epochMs } from './epoch-ms.ts';

/** The reads behind savings and ROI, each bounded by the window. */

/** A span of time [since, now). */
export interface TimeSpan {
  since: Date;
  now: Date;
}

/**
 * Instances of the client (or one agent) that ran at some point in one of the spans, each once.
 * Times come as epoch milliseconds (a float, not a Date parsed per row).
 */
export async function listRunsInSpans(
  db: Executor,
  clientId: string,
  spans: readonly TimeSpan[],
  agentId?: string,
) {
  if (spans.length === 0) return [];
  const since = new Date(Math.min(...spans.map((s) => s.since.getTime())));
  const ended = sql<Date>`coalesce(termination_confirmed_at, 'infinity'::timestamptz)`;
  let q = db
    .selectFrom('instances')
    .select([
      'id',
      'agent_id',
      'role',
      'instance_type',
      'availability_zone',
      'region',
      'market',
      epochMs('launch_confirmed_at').as('launched'),
      epochMs<number | null>('termination_confirmed_at').as('terminated'),
    ])
    .where('client_id', '=', clientId)
    .where('launch_confirmed_at', 'is not', null)
    // Still running, or ended after the earliest span opened: one range of index
    // instances_client_runs (migration 010), which holds every column read here.
    .where(ended, '>', since)
    .where((eb) =>
      eb.or(spans.map((s) => eb.and([eb('launch_confirmed_at', '<', s.now), eb(ended, '>', s.since)]))),
    );
  if (agentId) q = q.where('agent_id', '=', agentId);
  return q.execute();
}

export interface PoolId {
  instance_type: string;
  availability_zone: string;
}

/**
 * The price rows that can affect some pools over some spans (`span` indexes `spans`): per pool
 * and span, the pool's last point before the span (the price in force when it opens) plus its
 * points inside it. Both use the (client_id, instance_type, availability_zone, observed_at)
 * index, and rows come pool by pool in time order, as that index holds them. A 30-day span can
 * hold millions of rows, so the time comes as epoch milliseconds (a float, not a Date).
 */
export async function listPricePointsForSpans(
  db: Executor,
  clientId: string,
  wanted: ReadonlyArray<PoolId & { span: number }>,
  spans: readonly TimeSpan[],
): Promise<Array<PoolId & { span: number; t: number; spot_price: number }>> {
  if (wanted.length === 0) return [];
  // In one statement, each an index-only range of the covering pool/time index (a list of
  // pools as a tuple IN costs more to plan than to run).
  const r = await sql<PoolId & { span: number; t: number; spot_price: number }>`
    SELECT p.instance_type, p.availability_zone, p.span, x.t, x.spot_price
    FROM unnest(${wanted.map((p) => p.instance_type)}::text[], ${wanted.map((p) => p.availability_zone)}::text[],
      ${wanted.map((p) => p.span)}::int[], ${wanted.map((p) => spans[p.span]!.since)}::timestamptz[],
      ${wanted.map((p) => spans[p.span]!.now)}::timestamptz[])
      AS p(instance_type, availability_zone, span, since, until)
    CROSS JOIN LATERAL (
      (SELECT ${epochMs('s.observed_at')} AS t, s.spot_price
       FROM price_snapshots s
       WHERE s.client_id = ${clientId} AND s.instance_type = p.instance_type
         AND s.availability_zone = p.availability_zone AND s.observed_at < p.since
       ORDER BY s.observed_at DESC LIMIT 1)
      UNION ALL
      (SELECT ${epochMs('s.observed_at')} AS t, s.spot_price
       FROM price_snapshots s
       WHERE s.client_id = ${clientId} AND s.instance_type = p.instance_type
         AND s.availability_zone = p.availability_zone AND s.observed_at >= p.since AND s.observed_at <= p.until
       ORDER BY s.observed_at)) x`.execute(db);
  return r.rows;
}

export async function listOndemandPrices(db: Executor): Promise<Map<string, number>> {
  const rows = await db.selectFrom('ondemand_prices').select(['region', 'instance_type', 'price']).execute();
  return new Map(rows.map((r) => [`${r.region}|${r.instance_type}`, r.price]));
}

/** Switches requested in the window (their impact), newest first. */
export async function listSwitchesInWindow(db: Executor, clientId: string, since: Date, agentId?: string) {
  let q = db
    .selectFrom('switches')
    .select([
      'id',
      'agent_id',
      'trigger',
      'status',
      'requested_at',
      'completed_at',
      'from_instance_type',
      'from_availability_zone',
      'from_market',
      'to_instance_type',
      'to_availability_zone',
      'to_market',
      'to_instance_id',
      'target_launched_by_switch',
      'from_price',
      'to_price',
      'downtime_seconds',
    ])
    .where('client_id', '=', clientId)
    .where('requested_at', '>=', since);
  if (agentId) q = q.where('agent_id', '=', agentId);
  return q.orderBy('requested_at', 'desc').limit(2000).execute();
}

/** Switches that promoted or launched these instances, whenever they ran (replica periods). */
export async function listSwitchesTargeting(db: Executor, clientId: string, instanceIds: readonly string[]) {
  if (instanceIds.length === 0) return [];
  return (
    db
      .selectFrom('switches')
      .select(['to_instance_id', 'target_launched_by_switch', 'status', 'completed_at'])
      .where('client_id', '=', clientId)
      // One array parameter: a window's thousands of ids as an IN list cost more to bind and
      // plan than the lookup itself.
      .where(sql<boolean>`to_instance_id = ANY(${instanceIds}::uuid[])`)
      .execute()
  );
}

/** Measured launch times (request → confirmed) of the client's latest launches. */
export async function listRecentLaunchSeconds(
  db: Executor,
  clientId: string,
  limit = 200,
): Promise<number[]> {
  const rows = await db
    .selectFrom('instances')
    .select('launch_duration_seconds')
    .where('client_id', '=', clientId)
    .where('launch_duration_seconds', 'is not', null)
    .orderBy('launch_confirmed_at', 'desc')
    .limit(limit)
    .execute();
  return rows.map((r) => Number(r.launch_duration_seconds));
}

export async function findAgentOfClient(db: Executor, clientId: string, agentId: string) {
  return db
    .selectFrom('agents')
    .select(['id', 'logical_id'])
    .where('client_id', '=', clientId)
    .where('id', '=', agentId)
    .executeTakeFirst();
}

export async function listAgentsOfClient(db: Executor, clientId: string) {
  return db
    .selectFrom('agents')
    .select(['id', 'logical_id'])
    .where('client_id', '=', clientId)
    .orderBy('logical_id')
    .execute();
}
