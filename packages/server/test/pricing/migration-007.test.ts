import { randomUUID } from 'node:crypto';
import { Migrator, sql } from 'kysely';
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

it('007 keeps one staging row per pool and time (the PRIMARY one) and marks the built-in on-demand rows', async () => {
  const migrator = new Migrator({ db: db.kysely, provider: migrationProvider });
  const to005 = await migrator.migrateTo('005_decisions');
  expect(to005.error).toBeUndefined();
  const k = db.kysely;
  const clientId = randomUUID();
  await k.insertInto('clients').values({ id: clientId, name: 'm', token_hash: randomUUID() }).execute();
  const agents = [randomUUID(), randomUUID(), randomUUID()];
  for (const id of agents) {
    await k.insertInto('agents').values({ id, client_id: clientId, logical_id: id }).execute();
  }
  const at = new Date('2030-01-01T00:00:00Z');
  // Before 007 each agent could store the same point: a replica's first, then the primary's, then one of unknown role.
  const row = (agent: string, role: string | null, price: number, observed = at) => ({
    client_id: clientId,
    agent_id: agent,
    reporter_role: role,
    availability_zone: 'us-east-1a',
    instance_type: 'm5.large',
    product_description: 'Linux/UNIX',
    spot_price: price,
    observed_at: observed,
  });
  await k
    .insertInto('price_snapshots')
    .values([
      row(agents[0]!, 'REPLICA', 0.01),
      row(agents[1]!, 'PRIMARY', 0.02),
      row(agents[2]!, null, 0.03),
      row(agents[0]!, 'REPLICA', 0.04, new Date(at.getTime() + 60_000)),
    ])
    .execute();
  await sql`INSERT INTO ondemand_prices (region, instance_type, price) VALUES ('eu-west-1', 'm5.large', 0.107)`.execute(
    k,
  );

  expect(await runMigrations(db)).toContain('007_pricing_pipeline');
  const rows = await k
    .selectFrom('price_snapshots')
    .select(['agent_id', 'reporter_role', 'spot_price'])
    .orderBy('observed_at')
    .execute();
  expect(rows).toEqual([
    { agent_id: agents[1], reporter_role: 'PRIMARY', spot_price: 0.02 },
    { agent_id: agents[0], reporter_role: 'REPLICA', spot_price: 0.04 },
  ]);
  const sources = await k
    .selectFrom('ondemand_prices')
    .select(['region', 'instance_type', 'source'])
    .where('instance_type', '=', 'm5.large')
    .orderBy('region')
    .execute();
  expect(sources).toEqual([
    { region: 'eu-west-1', instance_type: 'm5.large', source: 'operator' },
    { region: 'us-east-1', instance_type: 'm5.large', source: 'builtin' },
  ]);
  // The new key holds: a second row for the same pool and time is refused.
  await expect(
    k
      .insertInto('price_snapshots')
      .values(row(agents[2]!, 'PRIMARY', 0.05))
      .execute(),
  ).rejects.toThrow();
});
