import type { Tx } from '../db/executor.ts';
import { flushAppended, takeAppended } from '../repositories/events-outbox.ts';
import type { ServiceContext } from './context.ts';

/**
 * Runs `fn` in one transaction; once it has committed, hands the real-time events it
 * appended to the local event bus (the fast path). Rolled-back work publishes nothing.
 */
export async function inTransaction<T>(ctx: ServiceContext, fn: (tx: Tx) => Promise<T>): Promise<T> {
  let used: Tx | undefined;
  const result = await ctx.db.kysely.transaction().execute(async (tx) => {
    used = tx;
    const value = await fn(tx);
    // The outbox is written last, so its lock is the last one taken (see appendEvent).
    await flushAppended(tx);
    return value;
  });
  if (used) {
    const events = takeAppended(used);
    if (events.length > 0) ctx.publishCommitted?.(events);
  }
  return result;
}
