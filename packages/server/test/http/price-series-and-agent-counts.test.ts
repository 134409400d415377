import { PRICE_POINTS_CAP } from '@spot/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type Tenant, type TestServer } from '../support/server.ts';

// One clock for the server and the fixtures: windows are measured from it.
const NOW = new Date('2026-06-01T12:00:00.000Z');
const MINUTE = 60_000;

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ now: () => NOW });
});
afterAll(async () => {
  await t?.close();
});

type Pool = { instance_type: string; availability_zone: string };

/** Snapshots as an agent's reports leave them: `n` points per pool, one a minute back from NOW. */
async function reported(tenant: Tenant, agentId: string, pools: Pool[], n: number, price = 0.02) {
  const rows = pools.flatMap((p) =>
    Array.from({ length: n }, (_, i) => ({
      client_id: tenant.clientId,
      agent_id: agentId,
      region: 'us-east-1',
      availability_zone: p.availability_zone,
      instance_type: p.instance_type,
      product_description: 'Linux/UNIX',
      spot_price: price + i / 1e6,
      observed_at: new Date(NOW.getTime() - (n - i) * MINUTE),
    })),
  );
  // Staging keeps one row per pool and time (migration 007): a second agent's report of the
  // same observation is absorbed, as the report route's upsert does.
  for (let i = 0; i < rows.length; i += 1000)
    await t.db.kysely
      .insertInto('price_snapshots')
      .values(rows.slice(i, i + 1000))
      .onConflict((oc) => oc.doNothing())
      .execute();
}

const prices = async (tenant: Tenant, query: string) => {
  const res = await t.request('GET', `/api/client/prices?${query}`, { token: tenant.token });
  expect(res.status).toBe(200);
  return res.body as {
    pools: Array<Pool & { points: Array<{ t: string; price: number }> }>;
    truncated: boolean;
    next: Pool | null;
  };
};

const pool = (i: number): Pool => ({
  instance_type: `m5.${String(i).padStart(2, '0')}xlarge`,
  availability_zone: 'us-east-1a',
});

describe('price series at scale: bounded window, capped answer, paged by pool', () => {
  it('answers only points inside the window, the one at its start included, each observation once', async () => {
    const tenant = await t.newTenant();
    const a = await tenant.registerAgent('reporter-a');
    const b = await tenant.registerAgent('reporter-b');
    // 90 minutes of points from two agents watching the same pool (same AWS timestamps).
    await reported(tenant, a.agent_id, [pool(1)], 90);
    await reported(tenant, b.agent_id, [pool(1)], 90);
    const hour = await prices(tenant, 'hours=1');
    expect(hour.pools).toHaveLength(1);
    const ts = hour.pools[0]!.points.map((p) => Date.parse(p.t));
    expect(ts).toHaveLength(60);
    expect(ts[0]).toBe(NOW.getTime() - 60 * MINUTE);
    expect(new Set(ts).size).toBe(60);
    expect(ts).toEqual([...ts].sort((x, y) => x - y));
    expect(hour).toMatchObject({ truncated: false, next: null });
    expect((await prices(tenant, 'hours=2')).pools[0]!.points).toHaveLength(90);
  });

  it(`answers whole pools up to ${PRICE_POINTS_CAP} points, then pages on from \`next\``, async () => {
    const tenant = await t.newTenant();
    const agent = await tenant.registerAgent();
    const perPool = 450;
    const pools = Array.from({ length: 12 }, (_, i) => pool(i + 1));
    await reported(tenant, agent.agent_id, pools, perPool);
    const fit = Math.floor(PRICE_POINTS_CAP / perPool);

    const first = await prices(tenant, 'hours=24');
    expect(first.truncated).toBe(true);
    expect(first.pools.map((p) => p.instance_type)).toEqual(pools.slice(0, fit).map((p) => p.instance_type));
    expect(first.pools.every((p) => p.points.length === perPool)).toBe(true);
    expect(first.next).toEqual(pools[fit - 1]);

    const second = await prices(
      tenant,
      `hours=24&after_instance_type=${first.next!.instance_type}&after_availability_zone=${first.next!.availability_zone}`,
    );
    expect(second).toMatchObject({ truncated: false, next: null });
    expect(second.pools.map((p) => p.instance_type)).toEqual(pools.slice(fit).map((p) => p.instance_type));
    expect(second.pools.every((p) => p.points.length === perPool)).toBe(true);
  });

  it('answers the newest points of one pool larger than the cap, oldest first', async () => {
    const tenant = await t.newTenant();
    const agent = await tenant.registerAgent();
    const n = PRICE_POINTS_CAP + 200;
    await reported(tenant, agent.agent_id, [pool(1)], n);
    const page = await prices(
      tenant,
      `hours=100&instance_type=${pool(1).instance_type}&availability_zone=us-east-1a`,
    );
    expect(page.truncated).toBe(true);
    expect(page.next).toEqual(pool(1));
    const ts = page.pools[0]!.points.map((p) => Date.parse(p.t));
    expect(ts).toHaveLength(PRICE_POINTS_CAP);
    expect(ts[0]).toBe(NOW.getTime() - PRICE_POINTS_CAP * MINUTE);
    expect(ts.at(-1)).toBe(NOW.getTime() - MINUTE);
    const after = await prices(
      tenant,
      'hours=100&after_instance_type=m5.01xlarge&after_availability_zone=us-east-1a',
    );
    expect(after).toEqual({ pools: [], truncated: false, next: null });
  });

  it('filters by instance type or by zone alone, and never shows another client its pools', async () => {
    const tenant = await t.newTenant();
    const other = await t.newTenant();
    const agent = await tenant.registerAgent();
    const stranger = await other.registerAgent();
    const pools = [
      { instance_type: 'c5.large', availability_zone: 'us-east-1a' },
      { instance_type: 'c5.large', availability_zone: 'us-east-1b' },
      { instance_type: 'm5.large', availability_zone: 'us-east-1a' },
    ];
    await reported(tenant, agent.agent_id, pools, 3);
    await reported(
      other,
      stranger.agent_id,
      [{ instance_type: 'c5.large', availability_zone: 'us-east-1c' }],
      3,
    );
    const keys = (r: Awaited<ReturnType<typeof prices>>) =>
      r.pools.map((p) => `${p.instance_type}@${p.availability_zone}`);
    expect(keys(await prices(tenant, 'hours=1'))).toEqual([
      'c5.large@us-east-1a',
      'c5.large@us-east-1b',
      'm5.large@us-east-1a',
    ]);
    expect(keys(await prices(tenant, 'instance_type=c5.large'))).toEqual([
      'c5.large@us-east-1a',
      'c5.large@us-east-1b',
    ]);
    expect(keys(await prices(tenant, 'availability_zone=us-east-1a'))).toEqual([
      'c5.large@us-east-1a',
      'm5.large@us-east-1a',
    ]);
    expect(
      keys(await prices(tenant, 'after_instance_type=c5.large&after_availability_zone=us-east-1a')),
    ).toEqual(['c5.large@us-east-1b', 'm5.large@us-east-1a']);
    // One pool asked for by name pages the same way: nothing once past it.
    const one = 'instance_type=c5.large&availability_zone=us-east-1b';
    expect(
      keys(await prices(tenant, `${one}&after_instance_type=c5.large&after_availability_zone=us-east-1a`)),
    ).toEqual(['c5.large@us-east-1b']);
    expect(
      await prices(tenant, `${one}&after_instance_type=c5.large&after_availability_zone=us-east-1b`),
    ).toEqual({ pools: [], truncated: false, next: null });
  });

  it('refuses half a cursor with 400 and a clear message', async () => {
    const tenant = await t.newTenant();
    const res = await t.request('GET', '/api/client/prices?after_instance_type=c5.large', {
      token: tenant.token,
    });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toMatch(/after_instance_type and after_availability_zone go together/);
  });
});

describe('agent list at scale: live-instance counts from one aggregate', () => {
  it('counts each agent its instances that have not ended, and 0 for an agent with none', async () => {
    const tenant = await t.newTenant();
    const busy = await tenant.registerAgent('a-busy');
    const idle = await tenant.registerAgent('b-idle');
    const token = { token: busy.agent_token };
    const ids: string[] = [];
    for (let i = 0; i < 3; i++)
      ids.push((await tenant.launch(busy.agent_id, { role: 'REPLICA' })).instance_id);
    // Two run; AWS reclaims one of them: it no longer counts. The third is still launching.
    for (const [i, id] of ids.slice(0, 2).entries())
      await t.request('POST', `/api/agents/${busy.agent_id}/instance-launched`, {
        ...token,
        body: { instance_id: id, cloud_instance_id: `i-0c0${i}`, state: 'running' },
      });
    const gone = await t.request('POST', `/api/agents/${busy.agent_id}/instance-terminated`, {
      ...token,
      body: { instance_id: ids[0], state: 'terminated', source: 'external' },
    });
    expect(gone.body.status).toBe('TERMINATED');
    const res = await t.request('GET', '/api/client/agents', { token: tenant.token });
    expect(res.status).toBe(200);
    expect(res.body.agents.map((a: any) => [a.logical_id, a.active_instances])).toEqual([
      ['a-busy', 2],
      ['b-idle', 0],
    ]);
    expect(res.body.agents[1].agent_id).toBe(idle.agent_id);
    // The list's timestamps (written by the database) read as a Date of the same row writes them.
    const rows = await t.db.kysely
      .selectFrom('agents')
      .select(['logical_id', 'last_heartbeat_at', 'created_at'])
      .where('client_id', '=', tenant.clientId)
      .orderBy('logical_id')
      .execute();
    expect(res.body.agents.map((a: any) => [a.logical_id, a.last_heartbeat_at, a.created_at])).toEqual(
      rows.map((r) => [
        r.logical_id,
        r.last_heartbeat_at ? new Date(r.last_heartbeat_at).toISOString() : null,
        new Date(r.created_at).toISOString(),
      ]),
    );
  });
});
