import type { Selectable, Updateable } from 'kysely';
import { sql } from 'kysely';
import type { Executor, Tx } from '../db/executor.ts';
import type { InterruptionsTable } from '../db/schema.ts';

export type InterruptionRow = Selectable<InterruptionsTable>;

export async function lockInterruption(tx: Tx, id: string): Promise<InterruptionRow | undefined> {
  return tx.selectFrom('interruptions').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
}

export async function updateInterruption(
  tx: Tx,
  id: string,
  patch: Updateable<InterruptionsTable>,
): Promise<InterruptionRow | undefined> {
  return tx.updateTable('interruptions').set(patch).where('id', '=', id).returningAll().executeTakeFirst();
}

/** Adds a reporting source (agent, eventbridge, …) to a signal already recorded; true when it was new. */
export async function addInterruptionSource(tx: Tx, id: string, source: string): Promise<boolean> {
  const res = await tx
    .updateTable('interruptions')
    .set({ sources: sql`sources || to_jsonb(${source}::text)` })
    .where('id', '=', id)
    .where(sql<boolean>`NOT (sources ? ${source})`)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

export async function findInterruption(
  db: Executor,
  cloudInstanceId: string,
  kind: 'termination_notice' | 'rebalance_recommendation',
): Promise<InterruptionRow | undefined> {
  return db
    .selectFrom('interruptions')
    .selectAll()
    .where('cloud_instance_id', '=', cloudInstanceId)
    .where('kind', '=', kind)
    .executeTakeFirst();
}

/** Instances of an agent with a termination notice: doomed, never a target or a stand-by. */
export async function noticedInstanceIds(db: Executor, agentId: string): Promise<Set<string>> {
  const rows = await db
    .selectFrom('interruptions')
    .select('instance_id')
    .where('agent_id', '=', agentId)
    .where('kind', '=', 'termination_notice')
    .where('instance_id', 'is not', null)
    .execute();
  return new Set(rows.map((r) => r.instance_id!));
}

export async function countPrewarmsSince(db: Executor, since: Date, agentId?: string): Promise<number> {
  let q = db
    .selectFrom('interruptions')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('replica_instance_id', 'is not', null)
    .where('kind', '=', 'rebalance_recommendation')
    .where('responded_at', '>', since);
  if (agentId) q = q.where('agent_id', '=', agentId);
  return Number((await q.executeTakeFirst())?.n ?? 0);
}

export async function countSwitchesOfInterruption(db: Executor, interruptionId: string): Promise<number> {
  const row = await db
    .selectFrom('switches')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('interruption_id', '=', interruptionId)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}
