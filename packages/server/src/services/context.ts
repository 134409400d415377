import type { Logger } from 'pino';
import type { Timings } from '../config.ts';
import type { Db } from '../db/database.ts';
import type { StoredEvent } from '../repositories/events-outbox.ts';

/** What every service needs, wired once in the composition root (app/create-server.ts). */
export interface ServiceContext {
  db: Db;
  timings: Timings;
  log: Logger;
  now: () => Date;
  /** Set by the composition root once the event bus exists: the post-commit fast path. */
  publishCommitted?: (events: StoredEvent[]) => void;
}
