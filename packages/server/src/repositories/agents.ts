import { sql } from 'kysely';
import type { Executor, Tx } from '../db/executor.ts';
import { isUuid } from './ids.ts';
import { isoText } from './iso-text.ts';

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

/**
 * A client's agents by logical id, each with its number of live instances (not TERMINATED
 * or FAILED). The counts come from one aggregate over the client's non-terminated instances
 * (index instances_client_active), joined once — not a subquery per agent, which at 1,000
 * agents made 1,000 bitmap scans.
 */
export async function listAgentsWithActiveCounts(db: Executor, clientId: string) {
  return (
    db
      .selectFrom('agents')
      .leftJoin(
        (eb) =>
          eb
            .selectFrom('instances')
            .select(['agent_id', sql<number>`count(*)::int`.as('n')])
            .where('client_id', '=', clientId)
            .where('status', 'not in', ['TERMINATED', 'FAILED'])
            .groupBy('agent_id')
            .as('live'),
        (join) => join.onRef('live.agent_id', '=', 'agents.id'),
      )
      // What the list shows, timestamps as ISO text (a fleet is a thousand rows and more).
      .select([
        'agents.id',
        'agents.logical_id',
        'agents.status',
        'agents.instance_type',
        'agents.availability_zone',
        'agents.region',
        'agents.cloud_instance_id',
        isoText('agents.last_heartbeat_at').as('last_heartbeat_at'),
        isoText('agents.created_at').as('created_at'),
        sql<number>`coalesce(live.n, 0)`.as('active_instances'),
      ])
      .where('agents.client_id', '=', clientId)
      .orderBy('agents.logical_id')
      .execute()
  );
}
