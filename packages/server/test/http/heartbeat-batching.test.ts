import type { KyselyPlugin, RootOperationNode } from 'kysely';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/database.ts';
import { HeartbeatBatcher } from '../../src/services/heartbeat-batcher.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

/**
 * Heartbeats that arrive in the same turn of the event loop are written by ONE statement,
 * on both engines. On PGlite a query runs synchronously, so a flush started from the first
 * caller would hold the loop and write every heartbeat alone: the server then saturated at
 * 1,000 heartbeats/s (measured with `npm run bench -- heartbeats`).
 */
let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t?.close();
});

/** The same database, counting the statements that reach it. */
function counting(db: Db): { db: Db; statements: () => number } {
  let n = 0;
  const plugin: KyselyPlugin = {
    transformQuery: (args) => args.node as RootOperationNode,
    // Called once per statement run, built by a query builder or compiled once and reused.
    transformResult: async (args) => {
      n++;
      return args.result;
    },
  };
  return { db: { ...db, kysely: db.kysely.withPlugin(plugin) }, statements: () => n };
}

describe('heartbeats written together', () => {
  it('writes a burst in one statement and gives each agent its own answer', async () => {
    const tenant = await t.newTenant();
    const agents = await Promise.all(Array.from({ length: 8 }, (_, i) => tenant.registerAgent(`hb-${i}`)));
    const { db, statements } = counting(t.server.ctx.db);
    const batcher = new HeartbeatBatcher(db);
    const at = new Date('2026-12-01T08:00:00Z');
    const fields = { at, cloud_instance_id: null, instance_type: null, availability_zone: null };
    const unknown = '00000000-0000-4000-8000-000000000000';
    const answers = await Promise.all([
      ...agents.map((a) => batcher.record(a.agent_id, fields)),
      batcher.record(unknown, fields),
    ]);
    expect(statements()).toBe(1);
    // Online agents get their pending-command count; an id that is not online gets null.
    expect(answers).toEqual([...agents.map(() => 0), null]);
    const rows = await t.server.ctx.db.kysely
      .selectFrom('agents')
      .select(['id', 'last_heartbeat_at'])
      .where(
        'id',
        'in',
        agents.map((a) => a.agent_id),
      )
      .execute();
    expect(rows.map((r) => new Date(r.last_heartbeat_at!).toISOString())).toEqual(
      agents.map(() => at.toISOString()),
    );
  });
});

describe('heartbeats as heap-only updates', () => {
  // At 5,000 beats a second, an index on a column the beat writes costs an index entry per
  // index per beat (migration 013). Counted by the database itself, inside one transaction.
  it('rewrites agent rows without touching any index', async () => {
    const tenant = await t.newTenant();
    const agents = await Promise.all(Array.from({ length: 6 }, (_, i) => tenant.registerAgent(`hot-${i}`)));
    const counts = await t.server.ctx.db.kysely.transaction().execute(async (trx) => {
      // Counts not yet flushed to the shared statistics include earlier transactions' (PGlite
      // is one backend): what this transaction adds is the difference.
      const read = async () =>
        (
          await sql<{ updated: number; hot: number }>`
            SELECT n_tup_upd::int AS updated, n_tup_hot_upd::int AS hot
            FROM pg_stat_xact_user_tables WHERE relname = 'agents'`.execute(trx)
        ).rows[0]!;
      const before = await read();
      const batcher = new HeartbeatBatcher({ ...t.server.ctx.db, kysely: trx });
      for (const [i, at] of ['2026-12-03T08:00:00Z', '2026-12-03T08:00:10Z'].entries()) {
        const fields = {
          at: new Date(at),
          cloud_instance_id: `i-0hot${i}`,
          instance_type: 'c5.large',
          availability_zone: 'us-east-1a',
        };
        await Promise.all(agents.map((a) => batcher.record(a.agent_id, fields)));
      }
      const after = await read();
      return { updated: after.updated - before.updated, hot: after.hot - before.hot };
    });
    expect(counts).toEqual({ updated: 12, hot: 12 });
  });
});
