import type { Tx } from '../db/executor.ts';

/** Who changed what, with the state before and after. Written in the change's transaction. */
export async function writeAudit(
  tx: Tx,
  entry: {
    actor: string;
    action: string;
    entity_type: string;
    entity_id: string;
    before: unknown;
    after: unknown;
  },
): Promise<void> {
  await tx
    .insertInto('audit_log')
    .values({
      actor: entry.actor,
      action: entry.action,
      entity_type: entry.entity_type,
      entity_id: entry.entity_id,
      before: entry.before === undefined ? null : JSON.stringify(entry.before),
      after: entry.after === undefined ? null : JSON.stringify(entry.after),
    })
    .execute();
}
