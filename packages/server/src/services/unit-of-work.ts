import type { Tx } from '../db/executor.ts';
import { takeAppended } from '../repositories/events-outbox.ts';
import type { ServiceContext } from './context.ts';

/**
 * Runs `fn` in one transaction; once it has committed, hands the real-time events it
 * appended to the local event bus (the fast path). Rolled-back work publishes nothing.
 */
export async function inTransaction<T>(ctx: ServiceContext, fn: (tx: Tx) => Promise<T>): Promise<T> {
  let used: Tx | undefined;
  const result = await ctx.db.kysely.transaction().execute((tx) => {
    used = tx;
    return fn(tx);
  });
  if (used) {
    const events = takeAppended(used);
    if (events.length > 0) ctx.publishCommitted?.(events);
  }
  return result;
}
