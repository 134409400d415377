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
