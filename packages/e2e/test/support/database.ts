import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';

/**
 * The database a server process of one test file runs on: with TEST_DB=postgres a fresh
 * PostgreSQL database on TEST_DATABASE_URL (dropped WITH (FORCE) after), else a temp folder
 * for embedded PGlite. The server keeps its data across a restart either way.
 */
export const TEST_DB = process.env.TEST_DB === 'postgres' ? 'postgres' : 'pglite';
const PG_BASE = process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';

export interface E2eDatabase {
  env: Record<string, string>;
  dispose(): Promise<void>;
}

export async function createDatabase(): Promise<E2eDatabase> {
  if (TEST_DB === 'postgres') {
    const name = `spot_e2e_${randomBytes(6).toString('hex')}`;
    await adminQuery(`CREATE DATABASE ${name}`);
    const url = new URL(PG_BASE);
    url.pathname = `/${name}`;
    return {
      env: { DATABASE_URL: url.toString() },
      dispose: () => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
    };
  }
  const dir = await mkdtemp(path.join(tmpdir(), 'spot-e2e-db-'));
  return { env: { SPOT_DATA_DIR: dir }, dispose: () => rm(dir, { recursive: true, force: true }) };
}

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_BASE });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
