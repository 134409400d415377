import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lifecycleCalls } from '../support/lifecycle-calls.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

// The active list is served from memory while the client's latest event seq has not moved
// (services/seq-stamped-cache.ts), and a changed one is brought forward by the events since.
// These check that it is served from memory when nothing changed, and never once something did.
let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t?.close();
});

describe('GET /api/client/instances from the seq-stamped cache', () => {
  it('answers an unchanged list from memory and a changed one from the database', async () => {
    const tenant = await t.newTenant();
    const agent = await tenant.registerAgent();
    const api = lifecycleCalls(t, tenant.token, agent);
    const cache = t.server.instances.activeCache;
    // Where each answer came from, as /metrics counts them.
    const answers = async () => {
      const text = (await t.request('GET', '/metrics')).body as string;
      const of = (from: string) =>
        Number(
          text.match(new RegExp(`spot_instance_list_answers_total\\{from="${from}"\\} (\\d+)`))?.[1] ?? 0,
        );
      return { held: of('held'), events: of('events'), table: of('table') };
    };
    const list = async () => {
      const res = await t.request('GET', '/api/client/instances', { token: tenant.token });
      expect(res.status).toBe(200);
      expect(String(res.headers['content-type'])).toMatch(/^application\/json/);
      return res.body.instances as Array<{ instance_id: string; status: string; cloud_instance_id: string }>;
    };

    const first = await tenant.launch(agent.agent_id);
    expect((await list()).map((i) => i.instance_id)).toEqual([first.instance_id]);
    const misses = cache.misses;
    const hits = cache.hits;
    const before = await answers();
    expect(await list()).toHaveLength(1);
    expect([cache.hits - hits, cache.misses - misses]).toEqual([1, 0]);

    // A refused request changes nothing: still from memory.
    expect((await api.launch({ role: 'PRIMARY' })).status).toBe(409);
    await list();
    expect([cache.hits - hits, cache.misses - misses]).toEqual([2, 0]);

    // Not a status change, but a change the list shows: the cloud id.
    const launched = await api.launched(first.instance_id, 'i-0abc123');
    expect(launched.status).toBe(200);
    const after = await list();
    expect(after[0]).toMatchObject({ status: 'RUNNING', cloud_instance_id: 'i-0abc123' });
    expect(cache.misses - misses).toBe(1);

    const second = await tenant.launch(agent.agent_id, { role: 'REPLICA' });
    expect((await list()).map((i) => i.instance_id).sort()).toEqual(
      [first.instance_id, second.instance_id].sort(),
    );
    expect(cache.misses - misses).toBe(2);
    // Both changes were brought forward by their events; the table was not read again.
    const counted = await answers();
    expect([
      counted.held - before.held,
      counted.events - before.events,
      counted.table - before.table,
    ]).toEqual([2, 2, 0]);
  });

  it('keeps tenants apart', async () => {
    const a = await t.newTenant();
    const b = await t.newTenant();
    const agent = await a.registerAgent();
    await a.launch(agent.agent_id);
    const get = (token: string) => t.request('GET', '/api/client/instances', { token });
    expect((await get(a.token)).body.instances).toHaveLength(1);
    expect((await get(b.token)).body.instances).toEqual([]);
    expect((await get(a.token)).body.instances).toHaveLength(1);
  });
});
