import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { PGliteDialect } from './pglite-dialect.ts';
import type { Database } from './schema.ts';

export type DatabaseKind = 'pglite' | 'postgres';

/** One handle for both engines: the same Kysely queries and SQL run on each. */
export interface Db {
  kind: DatabaseKind;
  kysely: Kysely<Database>;
  /** Subscribe to a NOTIFY channel; the callback also fires (with '') after a reconnect. */
  listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

// pg returns int8 and numeric as strings (PGlite gives numbers): normalise here, once.
// Our bigints are sequence numbers far below 2^53.
pg.types.setTypeParser(20, (v) => Number.parseInt(v, 10));
pg.types.setTypeParser(1700, (v) => Number.parseFloat(v));

export interface OpenOptions {
  databaseUrl?: string | undefined;
  /** PGlite data folder; undefined = in memory. */
  dataDir?: string | undefined;
  /** An already-open PGlite (tests clone a migrated template). */
  pglite?: PGlite;
  poolSize?: number;
  onError?: (err: Error) => void;
}

export async function openDatabase(options: OpenOptions): Promise<Db> {
  if (options.databaseUrl) return openPostgres(options.databaseUrl, options.poolSize ?? 10, options.onError);
  let lite = options.pglite;
  if (!lite) {
    if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
    lite = options.dataDir ? new PGlite(options.dataDir) : new PGlite();
  }
  return openPGlite(lite);
}

async function openPGlite(lite: PGlite): Promise<Db> {
  await lite.waitReady;
  const kysely = new Kysely<Database>({ dialect: new PGliteDialect(lite) });
  return {
    kind: 'pglite',
    kysely,
    async listen(channel, onNotify) {
      const unlisten = await lite.listen(channel, onNotify);
      return async () => {
        await unlisten();
      };
    },
    async close() {
      await kysely.destroy();
      if (!lite.closed) await lite.close();
    },
  };
}

async function openPostgres(url: string, poolSize: number, onError?: (err: Error) => void): Promise<Db> {
  const pool = new pg.Pool({ connectionString: url, max: poolSize });
  pool.on('error', (err) => onError?.(err));
  const kysely = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  await kysely.selectNoFrom((eb) => eb.lit(1).as('ok')).execute();

  // One dedicated connection carries every LISTEN; it reconnects on failure and then
  // pokes every subscriber so they re-read what they might have missed.
  const handlers = new Map<string, Set<(payload: string) => void>>();
  let listener: pg.Client | null = null;
  let closed = false;

  async function connectListener(): Promise<void> {
    const client = new pg.Client({ connectionString: url });
    client.on('notification', (msg) => {
      for (const h of handlers.get(msg.channel) ?? []) h(msg.payload ?? '');
    });
    client.on('error', (err) => {
      onError?.(err);
      if (listener === client) listener = null;
      client.end().catch(() => {});
      if (!closed) setTimeout(() => void reconnect(), 500).unref();
    });
    await client.connect();
    for (const channel of handlers.keys()) await client.query(`LISTEN ${quoteIdent(channel)}`);
    listener = client;
  }
  async function reconnect(): Promise<void> {
    if (closed || listener) return;
    try {
      await connectListener();
      for (const set of handlers.values()) for (const h of set) h('');
    } catch (err) {
      onError?.(err as Error);
      if (!closed) setTimeout(() => void reconnect(), 1000).unref();
    }
  }
  await connectListener();

  return {
    kind: 'postgres',
    kysely,
    async listen(channel, onNotify) {
      let set = handlers.get(channel);
      if (!set) {
        set = new Set();
        handlers.set(channel, set);
        await listener?.query(`LISTEN ${quoteIdent(channel)}`);
      }
      set.add(onNotify);
      return async () => {
        set.delete(onNotify);
      };
    },
    async close() {
      closed = true;
      await listener?.end().catch(() => {});
      await kysely.destroy();
    },
  };
}

function quoteIdent(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad channel name ${name}`);
  return `"${name}"`;
}
