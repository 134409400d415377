import type { Insertable, Selectable } from 'kysely';
import type { Executor, Tx } from '../db/executor.ts';
import type { InstancesTable } from '../db/schema.ts';
import type { InstancePatch } from '../domain/state-machine.ts';
import { isUuid } from './ids.ts';
import { isoText } from './iso-text.ts';

export type InstanceRow = Selectable<InstancesTable>;

/** The row's timestamps that the API shows. */
export const INSTANCE_TIMES = [
  'launch_requested_at',
  'launch_confirmed_at',
  'termination_requested_at',
  'termination_confirmed_at',
  'status_changed_at',
  'created_at',
] as const;
export type InstanceTimeColumn = (typeof INSTANCE_TIMES)[number];

/**
 * An instance row as a list reads it (listColumns): the columns the API shows, the timestamps
 * already written as ISO 8601 UTC text by the database, so a list of thousands parses and formats
 * no dates (views/instance.ts isoRowToInstanceJson).
 */
export type InstanceIsoRow = Omit<InstanceRow, InstanceTimeColumn | 'client_id' | 'updated_at'> & {
  [K in InstanceTimeColumn]: string | null;
};

/**
 * Every caller of insertInstance and updateInstance appends an event for the instance's
 * client in the same transaction: the dashboard's stream shows every change, and the cached
 * active list (services/instance-queries.ts activeJson) and the savings windows' held live
 * span (services/held-live-spans.ts) are only as fresh as that rule.
 */
export async function insertInstance(tx: Tx, values: Insertable<InstancesTable>): Promise<InstanceRow> {
  return tx.insertInto('instances').values(values).returningAll().executeTakeFirstOrThrow();
}

/**
 * Row lock for the rest of the transaction: changes to one instance are serialised (invariant 6).
 * FOR NO KEY UPDATE, not FOR UPDATE: it still excludes every other locker, but lets other
 * transactions insert rows that reference this one (their foreign-key check takes KEY SHARE).
 * With FOR UPDATE, a transaction holding the outbox lock and inserting such a row deadlocked
 * against one holding this lock and waiting for the outbox lock.
 */
export async function lockInstance(tx: Tx, id: string): Promise<InstanceRow | undefined> {
  if (!isUuid(id)) return undefined;
  return tx.selectFrom('instances').selectAll().where('id', '=', id).forNoKeyUpdate().executeTakeFirst();
}

/**
 * Writes a decided patch. The version check is belt and braces on top of the row lock:
 * it turns any path that forgot the lock into a loud VERSION_CONFLICT instead of a lost update.
 */
export async function updateInstance(
  tx: Tx,
  id: string,
  expectedVersion: number,
  patch: InstancePatch,
  at: Date,
): Promise<InstanceRow | undefined> {
  return tx
    .updateTable('instances')
    .set({
      ...patch,
      ...(patch.status ? { status_changed_at: at } : {}),
      updated_at: at,
      version: expectedVersion + 1,
    })
    .where('id', '=', id)
    .where('version', '=', expectedVersion)
    .returningAll()
    .executeTakeFirst();
}

export async function getInstance(
  db: Executor,
  clientId: string,
  id: string,
): Promise<InstanceRow | undefined> {
  return db
    .selectFrom('instances')
    .selectAll()
    .where('id', '=', id)
    .where('client_id', '=', clientId)
    .executeTakeFirst();
}

/**
 * What a list shows of each instance, its timestamps written as ISO text by the database: the
 * instance list of a fleet is thousands of rows, and parsing and formatting their dates was
 * most of its time.
 */
function listColumns(db: Executor) {
  return db
    .selectFrom('instances')
    .select([
      'id',
      'agent_id',
      'status',
      'role',
      'market',
      'cloud_instance_id',
      'instance_type',
      'availability_zone',
      'region',
      'launch_duration_seconds',
      'termination_duration_seconds',
      'termination_reason',
      'error_code',
      'error_message',
      'version',
      ...INSTANCE_TIMES.map((c) => isoText(`instances.${c}`).as(c)),
    ]);
}

export async function listActiveInstances(db: Executor, clientId: string): Promise<InstanceIsoRow[]> {
  return (
    listColumns(db)
      .where('client_id', '=', clientId)
      .where('status', '<>', 'TERMINATED')
      // The table's column, not the text of the same name.
      .orderBy('instances.created_at', 'desc')
      .execute() as Promise<InstanceIsoRow[]>
  );
}

export async function listTerminatedInstances(
  db: Executor,
  clientId: string,
  limit: number,
  before?: string,
): Promise<InstanceIsoRow[]> {
  let q = listColumns(db).where('client_id', '=', clientId).where('status', '=', 'TERMINATED');
  if (before) q = q.where('instances.termination_confirmed_at', '<', new Date(before));
  return q.orderBy('instances.termination_confirmed_at', 'desc').limit(limit).execute() as Promise<
    InstanceIsoRow[]
  >;
}

export async function findPrimary(tx: Executor, agentId: string): Promise<InstanceRow | undefined> {
  return tx
    .selectFrom('instances')
    .selectAll()
    .where('agent_id', '=', agentId)
    .where('role', '=', 'PRIMARY')
    .where('status', 'not in', ['TERMINATED', 'FAILED'])
    .executeTakeFirst();
}

export async function findByCloudId(
  db: Executor,
  agentId: string,
  cloudInstanceId: string,
): Promise<InstanceRow | undefined> {
  return db
    .selectFrom('instances')
    .selectAll()
    .where('agent_id', '=', agentId)
    .where('cloud_instance_id', '=', cloudInstanceId)
    .orderBy('created_at', 'desc')
    .executeTakeFirst();
}

/** Instances stuck in a transitional state since before `before`. */
export async function listStuck(
  db: Executor,
  status: 'LAUNCHING' | 'TERMINATING',
  before: Date,
): Promise<InstanceRow[]> {
  return db
    .selectFrom('instances')
    .selectAll()
    .where('status', '=', status)
    .where('status_changed_at', '<', before)
    .limit(500)
    .execute();
}

export async function listAgentInstancesIn(
  db: Executor,
  agentId: string,
  statuses: string[],
): Promise<InstanceRow[]> {
  return db
    .selectFrom('instances')
    .selectAll()
    .where('agent_id', '=', agentId)
    .where('status', 'in', statuses)
    .execute();
}

/** Whether the agent process on this instance has joined (holds a token bound to it). */
export async function hasJoinedProcess(db: Executor, instanceId: string): Promise<boolean> {
  const row = await db
    .selectFrom('agent_tokens')
    .select('token_hash')
    .where('instance_id', '=', instanceId)
    .limit(1)
    .executeTakeFirst();
  return Boolean(row);
}

/**
 * A live instance of the agent, other than `excludeId`, whose own agent process can run a
 * command (it joined or registered from it): `preferred` when it qualifies, else the primary,
 * else any. Null when there is none: then any process of the agent may take the command.
 */
export async function findLiveProcessInstance(
  db: Executor,
  agentId: string,
  excludeId: string,
  preferred: string | null,
): Promise<string | null> {
  const rows = await db
    .selectFrom('instances')
    .innerJoin('agent_tokens', 'agent_tokens.instance_id', 'instances.id')
    .select(['instances.id', 'instances.role'])
    .where('instances.agent_id', '=', agentId)
    .where('instances.id', '<>', excludeId)
    .where('instances.status', 'in', ['RUNNING', 'PROMOTING'])
    .execute();
  if (preferred && rows.some((r) => r.id === preferred)) return preferred;
  // A ZOMBIE is on its way out: its agent is the last choice.
  return (
    rows.find((r) => r.role === 'PRIMARY')?.id ??
    rows.find((r) => r.role === 'REPLICA')?.id ??
    rows[0]?.id ??
    null
  );
}
