import type { Selectable } from 'kysely';
import type { Executor, Tx } from '../db/executor.ts';
import type { AgentConfigsTable } from '../db/schema.ts';

export type AgentConfigRow = Selectable<AgentConfigsTable>;

/** Every agent has a config row from its creation (defaults: observe, no candidates). */
export async function ensureAgentConfig(tx: Tx, agentId: string): Promise<void> {
  await tx
    .insertInto('agent_configs')
    .values({ agent_id: agentId })
    .onConflict((oc) => oc.column('agent_id').doNothing())
    .execute();
}

export async function getAgentConfig(db: Executor, agentId: string): Promise<AgentConfigRow | undefined> {
  return db.selectFrom('agent_configs').selectAll().where('agent_id', '=', agentId).executeTakeFirst();
}

/** Optimistic lock: the write lands only on the version the caller read. */
export async function updateAgentConfig(
  tx: Tx,
  agentId: string,
  expectedVersion: number,
  values: {
    mode: string;
    candidate_pools: unknown;
    min_savings_percent: number;
    on_rebalance: string;
    on_demand_fallback: boolean;
    elastic_ip_allocation_id: string | null;
  },
  at: Date,
): Promise<AgentConfigRow | undefined> {
  return tx
    .updateTable('agent_configs')
    .set({
      ...values,
      candidate_pools: JSON.stringify(values.candidate_pools),
      version: expectedVersion + 1,
      updated_at: at,
    })
    .where('agent_id', '=', agentId)
    .where('version', '=', expectedVersion)
    .returningAll()
    .executeTakeFirst();
}

export async function listAgentsInMode(db: Executor, mode: string): Promise<AgentConfigRow[]> {
  return db.selectFrom('agent_configs').selectAll().where('mode', '=', mode).limit(1000).execute();
}
