import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthService } from '../../src/auth/auth-service.ts';
import { hashToken } from '../../src/auth/tokens.ts';
import type { Db } from '../../src/db/database.ts';
import { runMigrations } from '../../src/db/migrate.ts';
import { createTestDatabase, type TestDatabase } from '../support/databases.ts';

// The token cache spares the database a lookup per heartbeat; it must not outlive what it
// caches: a session signed out on one replica, a session past its expiry, or (beyond its size)
// the tokens in use now rather than the ones used long ago.
let testDb: TestDatabase;
let db: Db;
beforeAll(async () => {
  testDb = await createTestDatabase();
  db = await testDb.open();
  await runMigrations(db);
});
afterAll(async () => {
  await db?.close();
  await testDb?.dispose();
});

async function newClient(): Promise<{ id: string; token: string }> {
  const id = randomUUID();
  const token = `own-token-${id}`;
  await db.kysely
    .insertInto('clients')
    .values({ id, name: `c-${id}`, token_hash: hashToken(token) })
    .execute();
  return { id, token };
}

const until = async (check: () => Promise<boolean>) => {
  for (let i = 0; i < 500; i++) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  return false;
};

describe('auth cache', () => {
  it('a session signed out on one replica is refused by the others at once (NOTIFY), not after 30 s', async () => {
    const a = new AuthService(db);
    const b = new AuthService(db);
    await a.start();
    await b.start();
    try {
      const c = await newClient();
      const session = await a.createSession({ kind: 'client', clientId: c.id, clientName: 'x' }, 3_600_000);
      expect(await b.resolveBearer(session)).toMatchObject({ kind: 'client', clientId: c.id }); // cached in b
      await a.deleteSession(session);
      expect(await a.resolveBearer(session)).toBeNull();
      // b's cache entry is dropped by the notification (its lifetime is 30 s).
      expect(await until(async () => (await b.resolveBearer(session)) === null)).toBe(true);
    } finally {
      await a.stop();
      await b.stop();
    }
  });

  it('a cached session ends at its own expiry', async () => {
    let now = Date.now();
    const auth = new AuthService(db, () => now);
    const c = await newClient();
    const session = await auth.createSession({ kind: 'client', clientId: c.id, clientName: 'x' }, 5_000);
    expect(await auth.resolveBearer(session)).toMatchObject({ clientId: c.id });
    now += 5_001;
    expect(await auth.resolveBearer(session)).toBeNull();
  });

  it('beyond its size it drops the least recently used token, not every token', async () => {
    const auth = new AuthService(db, Date.now, 2);
    const [x, y, z] = [await newClient(), await newClient(), await newClient()];
    await auth.resolveBearer(x.token);
    await auth.resolveBearer(y.token);
    await auth.resolveBearer(x.token); // x used again: y is now the least recently used
    await auth.resolveBearer(z.token); // full: y goes
    // With the rows gone, only what is still cached resolves.
    await db.kysely.deleteFrom('clients').where('id', 'in', [x.id, y.id, z.id]).execute();
    expect(await auth.resolveBearer(x.token)).toMatchObject({ clientId: x.id });
    expect(await auth.resolveBearer(z.token)).toMatchObject({ clientId: z.id });
    expect(await auth.resolveBearer(y.token)).toBeNull();
  });
});
