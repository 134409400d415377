import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema.ts';

/** A query runner: the database itself or an open transaction. Repositories accept either. */
export type Executor = Kysely<Database> | Transaction<Database>;
export type Tx = Transaction<Database>;
