import type { Selectable } from 'kysely';
import type { Executor, Tx } from '../db/executor.ts';
import type { DecisionsTable } from '../db/schema.ts';

export type DecisionRow = Selectable<DecisionsTable>;

export async function insertDecision(
  tx: Tx,
  row: {
    id: string;
    client_id: string;
    agent_id: string;
    policy: string;
    model_id: string | null;
    fallback: 'error' | 'timeout' | 'contract' | null;
    valid: boolean;
    error: string | null;
    input: unknown;
    output: unknown;
    action: string;
    latency_ms: number;
    switch_id: string | null;
    created_at: Date;
  },
): Promise<DecisionRow> {
  return tx
    .insertInto('decisions')
    .values({ ...row, input: JSON.stringify(row.input), output: JSON.stringify(row.output) })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function listDecisions(
  db: Executor,
  clientId: string,
  q: { agentId?: string; limit: number },
): Promise<DecisionRow[]> {
  let query = db.selectFrom('decisions').selectAll().where('client_id', '=', clientId);
  if (q.agentId) query = query.where('agent_id', '=', q.agentId);
  return query.orderBy('created_at', 'desc').orderBy('id').limit(q.limit).execute();
}

/** A pool's reported price changes since `since` (plus the one in force then), oldest first. */
export async function priceHistory(
  db: Executor,
  clientId: string,
  pool: { instance_type: string; availability_zone: string },
  since: Date,
  limit = 200,
): Promise<Array<{ at: Date; price: number }>> {
  const base = db
    .selectFrom('price_snapshots')
    .select(['observed_at', 'spot_price'])
    .where('client_id', '=', clientId)
    .where('instance_type', '=', pool.instance_type)
    .where('availability_zone', '=', pool.availability_zone);
  const recent = await base
    .where('observed_at', '>', since)
    .orderBy('observed_at', 'desc')
    .limit(limit)
    .execute();
  const before =
    recent.length < limit
      ? await base.where('observed_at', '<=', since).orderBy('observed_at', 'desc').limit(1).execute()
      : [];
  const points: Array<{ at: Date; price: number }> = [];
  for (const r of [...recent.reverse(), ...before].sort((a, b) => +a.observed_at - +b.observed_at)) {
    const price = Number(r.spot_price);
    // Changes only: the same price reported again (or by another agent) is no new point.
    if (points.length > 0 && points[points.length - 1]!.price === price) continue;
    points.push({ at: new Date(r.observed_at), price });
  }
  return points;
}
