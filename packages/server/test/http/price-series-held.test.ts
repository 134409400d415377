import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type Tenant, type TestServer } from '../support/server.ts';

// A price page is answered from a held window while the client's latest event seq has not
// moved (services/held-price-series.ts); a price report's PRICE_UPDATED events name the pools
// to read again. These check every answer against what was reported, through the real report
// route, and where each answer came from, as /metrics counts them.
let clock = new Date('2026-06-01T12:00:00.000Z');
const MINUTE = 60_000;
let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ now: () => clock });
});
afterAll(async () => {
  await t?.close();
});

type Agent = { agent_id: string; agent_token: string };
const report = async (
  a: Agent,
  prices: Array<{ type: string; az: string; price: number; minutesAgo: number }>,
) => {
  const res = await t.request('POST', `/api/agents/${a.agent_id}/pricing-report`, {
    token: a.agent_token,
    body: {
      prices: prices.map((p) => ({
        instance_type: p.type,
        availability_zone: p.az,
        region: 'us-east-1',
        spot_price: p.price,
        timestamp: new Date(clock.getTime() - p.minutesAgo * MINUTE).toISOString(),
      })),
    },
  });
  expect(res.status).toBe(200);
  return res.body.accepted as number;
};

const page = async (tenant: Tenant, query = 'hours=24') => {
  const res = await t.request('GET', `/api/client/prices?${query}`, { token: tenant.token });
  expect(res.status).toBe(200);
  expect(String(res.headers['content-type'])).toMatch(/^application\/json/);
  return res.body as {
    pools: Array<{
      instance_type: string;
      availability_zone: string;
      ondemand_price: number | null;
      points: Array<{ t: string; price: number }>;
    }>;
    truncated: boolean;
    next: unknown;
  };
};
const series = (body: Awaited<ReturnType<typeof page>>) =>
  body.pools.map(
    (p) => `${p.instance_type} ${p.availability_zone}: ${p.points.map((x) => x.price).join(' ')}`,
  );

const answers = async () => {
  const text = (await t.request('GET', '/metrics')).body as string;
  const of = (from: string) =>
    Number(text.match(new RegExp(`spot_price_series_answers_total\\{from="${from}"\\} (\\d+)`))?.[1] ?? 0);
  return { held: of('held'), events: of('events'), table: of('table') };
};
const counted = async (since: Awaited<ReturnType<typeof answers>>) => {
  const now = await answers();
  return [now.held - since.held, now.events - since.events, now.table - since.table];
};

describe('GET /api/client/prices from a held window', () => {
  it('answers what was reported: held while nothing changed, changed pools read again, new pools read all', async () => {
    const tenant = await t.newTenant();
    const other = await t.newTenant();
    const a = (await tenant.registerAgent('reporter')) as Agent;
    expect(
      await report(a, [
        { type: 'c5.large', az: 'us-east-1a', price: 0.031, minutesAgo: 120 },
        { type: 'c5.large', az: 'us-east-1a', price: 0.032, minutesAgo: 60 },
        { type: 'm5.large', az: 'us-east-1a', price: 0.041, minutesAgo: 23 * 60 },
        { type: 'm5.large', az: 'us-east-1b', price: 0.051, minutesAgo: 30 },
      ]),
    ).toBe(4);
    const start = await answers();
    const first = await page(tenant);
    expect(series(first)).toEqual([
      'c5.large us-east-1a: 0.031 0.032',
      'm5.large us-east-1a: 0.041',
      'm5.large us-east-1b: 0.051',
    ]);
    expect(await page(tenant)).toEqual(first);
    expect(await counted(start)).toEqual([1, 0, 1]);
    // Another client's reads and reports are its own.
    expect((await page(other)).pools).toEqual([]);
    expect(await counted(start)).toEqual([1, 0, 2]);

    // A report that writes nothing new appends no event: still held.
    expect(await report(a, [{ type: 'c5.large', az: 'us-east-1a', price: 0.032, minutesAgo: 60 }])).toBe(0);
    expect(await page(tenant)).toEqual(first);
    expect(await counted(start)).toEqual([2, 0, 2]);

    // An operator's on-demand price shows at once (it is read with every page, not held).
    await t.db.kysely
      .insertInto('ondemand_prices')
      .values({ region: 'us-east-1', instance_type: 'c5.large', price: 0.777, source: 'operator' })
      .onConflict((oc) =>
        oc.columns(['region', 'instance_type']).doUpdateSet({ price: 0.777, source: 'operator' }),
      )
      .execute();
    const priced = await page(tenant);
    expect(first.pools[0]!.ondemand_price).not.toBe(0.777);
    expect(priced.pools.map((p) => p.ondemand_price)).toEqual([
      0.777,
      ...first.pools.slice(1).map((p) => p.ondemand_price),
    ]);
    expect(series(priced)).toEqual(series(first));
    expect(await counted(start)).toEqual([3, 0, 2]);

    // A new point in a held pool: that pool is read again.
    await report(a, [{ type: 'm5.large', az: 'us-east-1b', price: 0.052, minutesAgo: 5 }]);
    expect(series(await page(tenant))).toEqual([
      'c5.large us-east-1a: 0.031 0.032',
      'm5.large us-east-1a: 0.041',
      'm5.large us-east-1b: 0.051 0.052',
    ]);
    expect(await counted(start)).toEqual([3, 1, 2]);

    // A pool the window did not have: where it goes is the database's to say, so all is read again.
    await report(a, [{ type: 'c5.xlarge', az: 'us-east-1a', price: 0.061, minutesAgo: 1 }]);
    const grown = series(await page(tenant));
    expect(grown).toEqual([
      'c5.large us-east-1a: 0.031 0.032',
      'c5.xlarge us-east-1a: 0.061',
      'm5.large us-east-1a: 0.041',
      'm5.large us-east-1b: 0.051 0.052',
    ]);
    expect(await counted(start)).toEqual([3, 1, 3]);

    // Time passes: the oldest point leaves the window, from memory.
    clock = new Date(clock.getTime() + 90 * MINUTE);
    expect(series(await page(tenant))).toEqual([
      'c5.large us-east-1a: 0.031 0.032',
      'c5.xlarge us-east-1a: 0.061',
      'm5.large us-east-1b: 0.051 0.052',
    ]);
    expect(await counted(start)).toEqual([4, 1, 3]);
    // One instance type's pools are a window of their own.
    expect(series(await page(tenant, 'hours=24&instance_type=c5.large'))).toEqual([
      'c5.large us-east-1a: 0.031 0.032',
    ]);
    expect(await counted(start)).toEqual([4, 1, 4]);
  });

  it('past a window read to its limit: a pool after the held ones changes nothing held, a new one among them reads all', async () => {
    const tenant = await t.newTenant();
    const a = (await tenant.registerAgent('reporter')) as Agent;
    // 70 pools of 100 points (7,000, more than one read of 6,251 rows holds), written as the
    // report route stages them; their events do not matter: the first read comes after.
    const type = (i: number) => `m5.${String(i).padStart(2, '0')}xlarge`;
    const rows = Array.from({ length: 70 }, (_, i) =>
      Array.from({ length: 100 }, (_, j) => ({
        client_id: tenant.clientId,
        agent_id: a.agent_id,
        region: 'us-east-1',
        availability_zone: 'us-east-1a',
        instance_type: type(i),
        product_description: 'Linux/UNIX',
        spot_price: 0.02 + j / 1e6,
        observed_at: new Date(clock.getTime() - (100 - j) * MINUTE),
      })),
    ).flat();
    for (let i = 0; i < rows.length; i += 1000)
      await t.db.kysely
        .insertInto('price_snapshots')
        .values(rows.slice(i, i + 1000))
        .execute();
    const start = await answers();
    const first = await page(tenant);
    expect(first.pools.map((p) => p.instance_type)).toEqual(Array.from({ length: 50 }, (_, i) => type(i)));
    expect(first).toMatchObject({
      truncated: true,
      next: { instance_type: type(49), availability_zone: 'us-east-1a' },
    });
    // A new point in a pool after the held ones (and a new pool there too): nothing held changes.
    await report(a, [
      { type: type(69), az: 'us-east-1a', price: 0.9, minutesAgo: 0 },
      { type: 'm5.99xlarge', az: 'us-east-1a', price: 0.9, minutesAgo: 0 },
    ]);
    expect(await page(tenant)).toEqual(first);
    expect(await counted(start)).toEqual([0, 1, 1]);
    // A new pool among the held ones: the window is read again, and the page ends one pool sooner.
    await report(a, [{ type: 'm5.055xlarge', az: 'us-east-1a', price: 0.7, minutesAgo: 0 }]);
    const next = await page(tenant);
    expect(next.pools.map((p) => p.instance_type)).toContain('m5.055xlarge');
    expect(next.pools).toHaveLength(50);
    expect(next.next).toEqual({ instance_type: type(48), availability_zone: 'us-east-1a' });
    expect(await counted(start)).toEqual([0, 1, 2]);
  });

  it('reads the table for windows the staging retention can shorten and for one zone', async () => {
    const tenant = await t.newTenant();
    const a = (await tenant.registerAgent('reporter')) as Agent;
    await report(a, [{ type: 'c5.large', az: 'us-east-1a', price: 0.031, minutesAgo: 10 }]);
    const start = await answers();
    expect(series(await page(tenant, 'hours=720'))).toEqual(['c5.large us-east-1a: 0.031']);
    expect(series(await page(tenant, 'hours=24&availability_zone=us-east-1a'))).toEqual([
      'c5.large us-east-1a: 0.031',
    ]);
    expect(await counted(start)).toEqual([0, 0, 0]);
  });
});
