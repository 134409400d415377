import { sql } from 'kysely';
import type { Executor, Tx } from '../db/executor.ts';

/**
 * Pools recently interrupted or out of capacity: kept out of every choice for a TTL, for
 * every agent of the client (Karpenter's "unavailable offerings", 3 minutes by default).
 */
export async function markPoolUnavailable(
  tx: Tx,
  p: { clientId: string; instanceType: string; availabilityZone: string; until: Date; reason: string },
): Promise<void> {
  await tx
    .insertInto('unavailable_pools')
    .values({
      client_id: p.clientId,
      instance_type: p.instanceType,
      availability_zone: p.availabilityZone,
      until: p.until,
      reason: p.reason,
    })
    .onConflict((oc) =>
      oc.columns(['client_id', 'instance_type', 'availability_zone']).doUpdateSet({
        until: sql`GREATEST(unavailable_pools.until, excluded.until)`,
        reason: sql`excluded.reason`,
      }),
    )
    .execute();
}

/** "type@az" keys of the client's pools unavailable at `now`. */
export async function unavailablePoolKeys(db: Executor, clientId: string, now: Date): Promise<Set<string>> {
  const rows = await db
    .selectFrom('unavailable_pools')
    .select(['instance_type', 'availability_zone'])
    .where('client_id', '=', clientId)
    .where('until', '>', now)
    .execute();
  return new Set(rows.map((r) => `${r.instance_type}@${r.availability_zone}`));
}
