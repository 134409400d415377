import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.ts';

// An agent's outbox retried a confirmation forever after a server restart: the killed
// process had left its idempotency claim `in_progress`, and every retry got 409.
let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t?.close();
});

describe('an abandoned idempotency claim', () => {
  it('is refused while fresh (409) and taken over once stale, so retries are never wedged', async () => {
    const tenant = await t.newTenant();
    const agent = await tenant.registerAgent();
    const send = () =>
      t.request('POST', `/api/agents/${agent.agent_id}/heartbeat`, {
        token: agent.agent_token,
        body: { uptime_seconds: 5 },
        headers: { 'idempotency-key': 'hb-claim-1' },
      });
    expect((await send()).status).toBe(200);
    // What a process that died mid-request leaves behind: the claim, never finished.
    const reopen = (age: string) =>
      t.db.kysely
        .updateTable('idempotency_keys')
        .set({
          state: 'in_progress',
          response: null,
          status_code: null,
          created_at: sql`now() - ${age}::interval`,
        })
        .where('key', '=', 'hb-claim-1')
        .execute();

    await reopen('1 second');
    const fresh = await send();
    expect(fresh.status).toBe(409);
    expect(fresh.body.error.code).toBe('IDEMPOTENCY_IN_PROGRESS');

    await reopen('2 minutes');
    const retaken = await send();
    expect(retaken.status).toBe(200);
    expect(retaken.body.ok).toBe(true);
    const row = await t.db.kysely
      .selectFrom('idempotency_keys')
      .select(['state', 'status_code'])
      .where('key', '=', 'hb-claim-1')
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ state: 'done', status_code: 200 });
    // And from then on the stored answer is replayed.
    const again = await send();
    expect(again.status).toBe(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
  });
});
