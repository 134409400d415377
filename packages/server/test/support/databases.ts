import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { type Db, openDatabase } from '../../src/db/database.ts';

/**
 * The suite runs on embedded PGlite by default and on PostgreSQL with TEST_DB=postgres
 * (TEST_DATABASE_URL, default the local server). Each test file gets a database of its own.
 */
export const TEST_DB = process.env.TEST_DB === 'postgres' ? 'postgres' : 'pglite';
const PG_BASE = process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';

export interface TestDatabase {
  kind: 'pglite' | 'postgres';
  /** Opens a (new) connection to this test database: call again to simulate a restart. */
  open(): Promise<Db>;
  /** Drop everything. */
  dispose(): Promise<void>;
  /** What a server process would be configured with. */
  env: { DATABASE_URL?: string; SPOT_DATA_DIR?: string };
}

/** A fresh, empty database. With `persistent`, PGlite lives in a temp folder so it survives reopen. */
export async function createTestDatabase(options: { persistent?: boolean } = {}): Promise<TestDatabase> {
  if (TEST_DB === 'postgres') {
    const name = `spot_test_${process.pid}_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: PG_BASE });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const url = new URL(PG_BASE);
    url.pathname = `/${name}`;
    const opened: Db[] = [];
    return {
      kind: 'postgres',
      env: { DATABASE_URL: url.toString() },
      async open() {
        const db = await openDatabase({ databaseUrl: url.toString(), poolSize: 10 });
        opened.push(db);
        return db;
      },
      async dispose() {
        for (const db of opened) await db.close().catch(() => {});
        const a = new pg.Client({ connectionString: PG_BASE });
        await a.connect();
        await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await a.end();
      },
    };
  }
  const dir = options.persistent ? mkdtempSync(join(tmpdir(), 'spot-pglite-')) : undefined;
  const opened: Db[] = [];
  return {
    kind: 'pglite',
    env: dir ? { SPOT_DATA_DIR: dir } : {},
    async open() {
      const db = await openDatabase({ dataDir: dir });
      opened.push(db);
      return db;
    },
    async dispose() {
      for (const db of opened) await db.close().catch(() => {});
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
