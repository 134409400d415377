import type { Tx } from '../db/executor.ts';
import { isUuid } from './ids.ts';

/**
 * Locks a workload's agent row for the rest of the transaction. Every transaction that may
 * touch several rows of one workload (instances, switches, interruptions) takes this lock
 * FIRST, so they all lock in one order — agent, then its rows, then (at commit) the outbox —
 * and none can deadlock another. NO KEY: rows referencing the agent can still be inserted.
 */
export async function lockAgentRow(tx: Tx, agentId: string) {
  if (!isUuid(agentId)) return undefined;
  return tx.selectFrom('agents').selectAll().where('id', '=', agentId).forNoKeyUpdate().executeTakeFirst();
}
