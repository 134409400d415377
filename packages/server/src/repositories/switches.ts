import type { Insertable, Selectable, Updateable } from 'kysely';
import type { Executor, Tx } from '../db/executor.ts';
import type { SwitchesTable } from '../db/schema.ts';
import { isUuid } from './ids.ts';

export type SwitchRow = Selectable<SwitchesTable>;

export async function insertSwitch(tx: Tx, values: Insertable<SwitchesTable>): Promise<SwitchRow> {
  return tx.insertInto('switches').values(values).returningAll().executeTakeFirstOrThrow();
}

/** Row lock: one writer per switch at a time (the process manager's steps are serialised). */
export async function lockSwitch(tx: Tx, id: string): Promise<SwitchRow | undefined> {
  if (!isUuid(id)) return undefined;
  return tx.selectFrom('switches').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
}

/** Writes a step the process manager decided; the version check turns a lost update into an error. */
export async function updateSwitch(
  tx: Tx,
  row: SwitchRow,
  patch: Updateable<SwitchesTable>,
): Promise<SwitchRow | undefined> {
  return tx
    .updateTable('switches')
    .set({ ...patch, version: row.version + 1 })
    .where('id', '=', row.id)
    .where('version', '=', row.version)
    .returningAll()
    .executeTakeFirst();
}

export async function findOpenSwitchForAgent(db: Executor, agentId: string): Promise<SwitchRow | undefined> {
  return db
    .selectFrom('switches')
    .selectAll()
    .where('agent_id', '=', agentId)
    .where('status', '=', 'IN_PROGRESS')
    .executeTakeFirst();
}

export async function findOpenSwitchByTarget(
  db: Executor,
  instanceId: string,
): Promise<SwitchRow | undefined> {
  return db
    .selectFrom('switches')
    .selectAll()
    .where('to_instance_id', '=', instanceId)
    .where('status', '=', 'IN_PROGRESS')
    .executeTakeFirst();
}

export async function findSwitchByPromoteCommand(
  db: Executor,
  commandId: string,
): Promise<SwitchRow | undefined> {
  return db.selectFrom('switches').selectAll().where('promote_command_id', '=', commandId).executeTakeFirst();
}

export async function listStaleSwitches(db: Executor, before: Date): Promise<SwitchRow[]> {
  return db
    .selectFrom('switches')
    .selectAll()
    .where('status', '=', 'IN_PROGRESS')
    .where('requested_at', '<', before)
    .limit(200)
    .execute();
}

export async function listSwitches(
  db: Executor,
  clientId: string,
  q: { agentId?: string; limit: number; before?: string },
): Promise<SwitchRow[]> {
  let query = db.selectFrom('switches').selectAll().where('client_id', '=', clientId);
  if (q.agentId) query = query.where('agent_id', '=', q.agentId);
  if (q.before) query = query.where('requested_at', '<', new Date(q.before));
  return query.orderBy('requested_at', 'desc').limit(q.limit).execute();
}

export async function listSwitchOutcomesSince(db: Executor, clientId: string, since: Date) {
  return db
    .selectFrom('switches')
    .select(['trigger', 'status', 'downtime_seconds'])
    .where('client_id', '=', clientId)
    .where('requested_at', '>=', since)
    .execute();
}

/**
 * Workloads serving from the on-demand instance a fallback switch put there (still their
 * RUNNING primary) since before `cutoff`: candidates to return to spot. One agent's with `agentId`.
 */
export async function listReturnableFallbacks(
  db: Executor,
  cutoff: Date,
  agentId?: string,
): Promise<Array<{ agent_id: string; to_instance_id: string | null }>> {
  let q = db
    .selectFrom('switches as s')
    .innerJoin('instances as i', 'i.id', 's.to_instance_id')
    .select(['s.agent_id', 's.to_instance_id'])
    .where('s.trigger', '=', 'fallback')
    .where('s.status', '=', 'COMPLETED')
    .where('s.completed_at', '<', cutoff)
    .where('i.role', '=', 'PRIMARY')
    .where('i.status', '=', 'RUNNING')
    .where('i.market', '=', 'on-demand');
  if (agentId) q = q.where('s.agent_id', '=', agentId);
  return q.orderBy('s.completed_at').limit(100).execute();
}
