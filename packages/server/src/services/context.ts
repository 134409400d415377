import type { Logger } from 'pino';
import type { Timings } from '../config.ts';
import type { Db } from '../db/database.ts';

/** What every service needs, wired once in the composition root (app/create-server.ts). */
export interface ServiceContext {
  db: Db;
  timings: Timings;
  log: Logger;
  now: () => Date;
}
