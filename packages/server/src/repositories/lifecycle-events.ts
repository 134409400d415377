import type { LifecycleEvent } from '@spot/contract';
import type { Executor, Tx } from '../db/executor.ts';
import type { LifecycleRecord } from '../domain/state-machine.ts';
import { isoRequired } from '../views/time.ts';

export async function insertLifecycleEvent(
  tx: Tx,
  e: LifecycleRecord & {
    instance_id: string;
    client_id: string;
    from_status: string | null;
    to_status: string | null;
    at: Date;
  },
): Promise<number> {
  const row = await tx
    .insertInto('lifecycle_events')
    .values({
      instance_id: e.instance_id,
      client_id: e.client_id,
      event_type: e.event_type,
      from_status: e.from_status,
      to_status: e.to_status,
      source: e.source,
      reason: e.reason,
      confirmation_method: e.confirmation_method,
      cloud_instance_id: e.cloud_instance_id,
      metadata: e.metadata ? JSON.stringify(e.metadata) : null,
      created_at: e.at,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export async function listLifecycleEvents(db: Executor, instanceId: string): Promise<LifecycleEvent[]> {
  const rows = await db
    .selectFrom('lifecycle_events')
    .selectAll()
    .where('instance_id', '=', instanceId)
    .orderBy('id')
    .execute();
  return rows.map((r) => ({
    event_id: r.id,
    instance_id: r.instance_id,
    event_type: r.event_type as LifecycleEvent['event_type'],
    from_status: r.from_status as LifecycleEvent['from_status'],
    to_status: r.to_status as LifecycleEvent['to_status'],
    source: r.source as LifecycleEvent['source'],
    reason: r.reason as LifecycleEvent['reason'],
    confirmation_method: r.confirmation_method as LifecycleEvent['confirmation_method'],
    cloud_instance_id: r.cloud_instance_id,
    metadata: (r.metadata as Record<string, unknown> | null) ?? null,
    created_at: isoRequired(r.created_at),
  }));
}
