import { randomUUID } from 'node:crypto';
import { Migrator } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Db } from '../../src/db/database.ts';
import { runMigrations } from '../../src/db/migrate.ts';
import { migrationProvider } from '../../src/db/migrations/index.ts';
import { createTestDatabase, type TestDatabase } from '../support/databases.ts';

let testDb: TestDatabase;
let db: Db;
beforeAll(async () => {
  testDb = await createTestDatabase();
  db = await testDb.open();
});
afterAll(async () => {
  await db?.close();
  await testDb?.dispose();
});

const H = 3_600_000;

it('012 removes the stored hours it can compute again (so they get agent rows) and marks the final ones', async () => {
  const migrator = new Migrator({ db: db.kysely, provider: migrationProvider });
  expect((await migrator.migrateTo('011_savings_unknown_totals')).error).toBeUndefined();
  const k = db.kysely;
  const clientId = randomUUID();
  await k.insertInto('clients').values({ id: clientId, name: 'm', token_hash: randomUUID() }).execute();
  const hourAgo = (n: number) => new Date((Math.floor(Date.now() / H) - n) * H);
  const stored = (hour: Date) => ({
    client_id: clientId,
    hour,
    spot_cost: 1,
    ondemand_cost: 2,
    unknown_ondemand_spend: 0,
    costed: true,
    computed_at: new Date(),
  });
  // One hour older than the raw prices' 7-day retention (final), one within it.
  await k
    .insertInto('savings_hours')
    .values([stored(hourAgo(30 * 24)), stored(hourAgo(3))])
    .execute();

  expect(await runMigrations(db)).toContain('012_savings_agent_hours');
  const left = await k
    .selectFrom('savings_hours')
    .select(['hour', 'per_agent'])
    .where('client_id', '=', clientId)
    .execute();
  expect(left.map((r) => ({ hour: new Date(r.hour).getTime(), per_agent: r.per_agent }))).toEqual([
    { hour: hourAgo(30 * 24).getTime(), per_agent: false },
  ]);
  // Hours the job stores from now on have their agents' rows.
  await k
    .insertInto('savings_hours')
    .values(stored(hourAgo(2)))
    .execute();
  const fresh = await k
    .selectFrom('savings_hours')
    .select('per_agent')
    .where('client_id', '=', clientId)
    .where('hour', '=', hourAgo(2))
    .executeTakeFirstOrThrow();
  expect(fresh.per_agent).toBe(true);
});
