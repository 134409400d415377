import type { Db } from './database.ts';

/**
 * When a group-commit batch (heartbeats, agent-token lookups) is written: on the next turn of
 * the event loop, not from the first caller's callback, so every request already read in this
 * I/O phase joins the batch. PGlite runs a query synchronously: a flush started from the first
 * caller held the loop and every batch was one item (measured with `npm run bench`).
 *
 * At most a few flushes run at once: on PostgreSQL enough to use the pool, few enough that
 * batches grow under load; on PGlite one, since it is one connection and a second flush would
 * only wait for the first while the next batch could be gathering.
 */
export class BatchFlusher {
  private inFlight = 0;
  private scheduled = false;
  private readonly maxInFlight: number;

  /** `flushOnce` takes the waiting batch and settles its callers itself; it never throws. */
  constructor(
    db: Db,
    private readonly hasWork: () => boolean,
    private readonly flushOnce: () => Promise<void>,
  ) {
    this.maxInFlight = db.kind === 'pglite' ? 1 : 4;
  }

  /** Something joined the batch: make sure a flush will take it. */
  request(): void {
    if (this.scheduled || this.inFlight >= this.maxInFlight) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.run();
    });
  }

  private async run(): Promise<void> {
    if (!this.hasWork()) return;
    this.inFlight++;
    try {
      await this.flushOnce();
    } finally {
      this.inFlight--;
      if (this.hasWork()) this.request();
    }
  }
}
