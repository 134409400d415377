import type { Command, CommandType } from '@spot/contract';
import { type Selectable, sql } from 'kysely';
import type { Executor, Tx } from '../db/executor.ts';
import type { CommandsTable } from '../db/schema.ts';
import { isoRequired } from '../views/time.ts';
import { isUuid } from './ids.ts';

export const COMMANDS_CHANNEL = 'spot_commands';
export type CommandRow = Selectable<CommandsTable>;

/** Queues a command and wakes the agent's long-poll (NOTIFY fires at commit, on every replica). */
export async function insertCommand(
  tx: Tx,
  c: {
    id: string;
    client_id: string;
    agent_id: string;
    instance_id: string | null;
    command_type: CommandType;
    priority: number;
    request_id: string;
    metadata: Record<string, unknown>;
    expires_at: Date;
    /** Only the agent process on this instance may run it (while that instance lives). */
    executor_instance_id?: string | null;
  },
): Promise<CommandRow> {
  const row = await tx
    .insertInto('commands')
    .values({ ...c, metadata: JSON.stringify(c.metadata) })
    .returningAll()
    .executeTakeFirstOrThrow();
  await sql`SELECT pg_notify(${COMMANDS_CHANNEL}, ${c.agent_id})`.execute(tx);
  return row;
}

/**
 * Hands an agent its next commands, highest priority first, and marks them delivered.
 * `SKIP LOCKED` lets concurrent polls (replicas, a restarted agent) never get the same
 * command twice; a delivered command whose lease ran out is handed out again. `now` is the
 * server's clock (ServiceContext.now): delivery time and lease cutoff both come from it.
 */
export async function claimCommands(
  db: Executor,
  agentId: string,
  leaseMs: number,
  limit: number,
  now: Date,
  /** The instance the polling process runs on (null: unknown). */
  callerInstanceId: string | null = null,
): Promise<CommandRow[]> {
  const leaseCutoff = new Date(now.getTime() - leaseMs);
  // A command aimed at one process (executor_instance_id) goes to that process only, while
  // its instance lives; once it is gone, any process of the workload may take it over.
  const rows = await sql<CommandRow>`
    UPDATE commands SET status = 'delivered', delivered_at = ${now}, delivery_count = delivery_count + 1
    -- The claim's commit does not wait for the WAL flush: a crash can lose only the
    -- 'delivered' mark, and the command is then handed out again (as after a lease runs out).
    -- Local to this statement's own transaction: callers run it outside any other.
    FROM (SELECT set_config('synchronous_commit', 'off', true)) AS async_commit
    WHERE id IN (
      SELECT c.id FROM commands c
      WHERE c.agent_id = ${agentId}
        AND (c.status = 'pending' OR (c.status = 'delivered' AND c.delivered_at < ${leaseCutoff}))
        AND c.expires_at > ${now}
        AND (
          c.executor_instance_id IS NULL
          OR c.executor_instance_id = ${callerInstanceId}
          OR NOT EXISTS (
            SELECT 1 FROM instances e
            WHERE e.id = c.executor_instance_id AND e.status IN ('LAUNCHING', 'RUNNING', 'PROMOTING')
          )
        )
      ORDER BY c.priority DESC, c.created_at
      LIMIT ${limit}
      FOR UPDATE OF c SKIP LOCKED
    )
    RETURNING commands.*`.execute(db);
  return rows.rows.sort(
    (a, b) => b.priority - a.priority || +new Date(a.created_at) - +new Date(b.created_at),
  );
}

export async function lockCommand(
  tx: Tx,
  agentId: string,
  commandId: string,
): Promise<CommandRow | undefined> {
  if (!isUuid(commandId)) return undefined;
  return tx
    .selectFrom('commands')
    .selectAll()
    .where('id', '=', commandId)
    .where('agent_id', '=', agentId)
    .forUpdate()
    .executeTakeFirst();
}

export async function completeCommand(
  tx: Tx,
  id: string,
  status: 'succeeded' | 'failed',
  message: string | null,
  result: unknown,
): Promise<void> {
  await tx
    .updateTable('commands')
    .set({
      status,
      message,
      result: result === undefined ? null : JSON.stringify(result),
      completed_at: new Date(),
      // A launch's one-time join token is not kept once the command has ended.
      metadata: sql`metadata - 'join_token'`,
    })
    .where('id', '=', id)
    .execute();
}

export async function countOpenCommands(db: Executor, agentId: string): Promise<number> {
  const row = await db
    .selectFrom('commands')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('agent_id', '=', agentId)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

export async function expireCommands(db: Executor, now: Date): Promise<number> {
  const res = await db
    .updateTable('commands')
    .set({ status: 'expired', completed_at: now, metadata: sql`metadata - 'join_token'` })
    .where('status', 'in', ['pending', 'delivered'])
    .where('expires_at', '<', now)
    .executeTakeFirst();
  return Number(res.numUpdatedRows);
}

export function toCommandJson(row: CommandRow): Command {
  return {
    id: row.id,
    command_type: row.command_type as CommandType,
    priority: row.priority,
    request_id: row.request_id,
    metadata: (row.metadata as Record<string, unknown>) ?? {},
    created_at: isoRequired(row.created_at),
  };
}
