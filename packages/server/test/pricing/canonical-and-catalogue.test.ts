import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/http/metrics.ts';
import { CanonicalPrices, readCanonical } from '../../src/services/canonical-prices.ts';
import { PriceCatalogue } from '../../src/services/price-catalogue.ts';
import { startTestServer, type Tenant, type TestServer } from '../support/server.ts';

const H = 3_600_000;
const now = new Date('2030-05-01T12:00:00Z');
let t: TestServer;
const catalogue = PriceCatalogue.load();
beforeAll(async () => {
  t = await startTestServer({ now: () => now });
});
afterAll(async () => {
  await t?.close();
});

async function reportAs(
  tenant: Tenant,
  prices: Array<{ type: string; az: string; price: number; at: Date }>,
) {
  const a = await tenant.registerAgent();
  const r = await t.request('POST', `/api/agents/${a.agent_id}/pricing-report`, {
    token: a.agent_token,
    body: {
      prices: prices.map((p) => ({
        instance_type: p.type,
        availability_zone: p.az,
        spot_price: p.price,
        timestamp: p.at.toISOString(),
      })),
    },
  });
  expect(r.status).toBe(200);
  return a;
}

describe('on-demand catalogue', () => {
  it('is loaded at start from the shipped file, with its source, date and licence', async () => {
    const f = catalogue.file;
    expect(f.ondemand_source).toMatchObject({ repo: 'aws/karpenter-provider-aws' });
    expect(f.ondemand_source.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(f.advisor_source).toMatchObject({ repo: 'alexei-led/spotinfo' });
    expect(f.licence).toContain('Apache-2.0');
    const rows = await t.db.kysely
      .selectFrom('ondemand_prices')
      .selectAll()
      .where('region', '=', 'us-east-1')
      .where('instance_type', 'in', ['m7i.large', 'm5.large', 'c6i.xlarge'])
      .orderBy('instance_type')
      .execute();
    expect(rows.map((r) => [r.instance_type, r.price, r.source])).toEqual([
      ['c6i.xlarge', f.ondemand['us-east-1']!['c6i.xlarge'], 'catalogue'],
      ['m5.large', f.ondemand['us-east-1']!['m5.large'], 'catalogue'],
      ['m7i.large', f.ondemand['us-east-1']!['m7i.large'], 'catalogue'],
    ]);
    // Every common family of the brief is there for the region the upstream prices.
    for (const type of [
      'm5.large',
      'm6i.large',
      'm7i.large',
      'c5.large',
      'c6i.large',
      'c7i.large',
      'r5.large',
    ]) {
      expect(f.ondemand['us-east-1']![type], type).toBeGreaterThan(0);
    }
  });

  it('keeps a price an operator set when loaded again, and refreshes its own', async () => {
    await t.db.kysely
      .insertInto('ondemand_prices')
      .values({ region: 'eu-west-1', instance_type: 'm6i.large', price: 0.107, source: 'operator' })
      .execute();
    await t.db.kysely
      .updateTable('ondemand_prices')
      .set({ price: 9.99 })
      .where('region', '=', 'us-east-1')
      .where('instance_type', '=', 'm6i.large')
      .execute();
    await t.db.kysely
      .updateTable('ondemand_prices')
      .set({ price: 1.23, source: 'operator' })
      .where('region', '=', 'us-east-1')
      .where('instance_type', '=', 'r6i.large')
      .execute();
    expect(await catalogue.apply(t.db.kysely)).toBe(catalogue.ondemandRows().length - 1);
    const price = async (region: string, type: string) =>
      (
        await t.db.kysely
          .selectFrom('ondemand_prices')
          .select('price')
          .where('region', '=', region)
          .where('instance_type', '=', type)
          .executeTakeFirst()
      )?.price;
    expect(await price('us-east-1', 'm6i.large')).toBe(catalogue.file.ondemand['us-east-1']!['m6i.large']);
    expect(await price('us-east-1', 'r6i.large')).toBe(1.23);
    expect(await price('eu-west-1', 'm6i.large')).toBe(0.107);
  });

  it('the prices API shows a catalogue on-demand price, and null (unknown) where there is none', async () => {
    const tenant = await t.newTenant();
    await reportAs(tenant, [
      { type: 'c6i.large', az: 'us-east-1b', price: 0.03, at: new Date(now.getTime() - H) },
      { type: 'c6i.large', az: 'ap-northeast-1a', price: 0.04, at: new Date(now.getTime() - H) },
    ]);
    const r = await t.request('GET', '/api/client/prices?hours=24', { token: tenant.token });
    const byZone = Object.fromEntries(
      r.body.pools.map((p: { availability_zone: string; ondemand_price: number | null }) => [
        p.availability_zone,
        p.ondemand_price,
      ]),
    );
    expect(byZone).toEqual({
      'us-east-1b': catalogue.file.ondemand['us-east-1']!['c6i.large'],
      'ap-northeast-1a': null,
    });
  });
});

describe('canonical features', () => {
  it('gives per pool the current price, on-demand (or unknown), volatility, interruptions seen, the Advisor prior and time since the last change', async () => {
    const tenant = await t.newTenant();
    await reportAs(tenant, [
      { type: 'm5.large', az: 'us-east-1a', price: 0.03, at: new Date(now.getTime() - 10 * H) },
      { type: 'm5.large', az: 'us-east-1a', price: 0.04, at: new Date(now.getTime() - 3 * H) },
      { type: 'm5.large', az: 'us-east-1a', price: 0.04, at: new Date(now.getTime() - 2 * H) },
      { type: 'm5.large', az: 'us-east-1a', price: 0.05, at: new Date(now.getTime() - H) },
      { type: 'm5.large', az: 'eu-west-1b', price: 0.02, at: new Date(now.getTime() - 30 * H) },
    ]);
    // A termination notice on an instance our fleet ran in us-east-1a.
    const agent = await tenant.registerAgent();
    const { instance_id } = await tenant.launch(agent.agent_id, { instance_type: 'm5.large' });
    await t.request('POST', `/api/agents/${agent.agent_id}/instance-launched`, {
      token: agent.agent_token,
      body: { instance_id, cloud_instance_id: 'i-0cc03', state: 'running' },
    });
    const notice = await t.request('POST', `/api/agents/${agent.agent_id}/termination-notice`, {
      token: agent.agent_token,
      body: {
        cloud_instance_id: 'i-0cc03',
        action: 'terminate',
        time: new Date(now.getTime() + 120_000).toISOString(),
      },
    });
    expect(notice.status, JSON.stringify(notice.body)).toBe(200);

    const [a, eu, none] = await readCanonical(
      t.db.kysely,
      {
        clientId: tenant.clientId,
        region: null,
        pools: [
          { instance_type: 'm5.large', availability_zone: 'us-east-1a' },
          { instance_type: 'm5.large', availability_zone: 'eu-west-1b' },
          { instance_type: 'm5.large', availability_zone: 'us-east-1f' },
        ],
        now,
        windowMs: 6 * H,
        timeScale: 1,
      },
      catalogue,
    );
    expect(a).toMatchObject({
      spot_price: 0.05,
      ondemand_price: catalogue.file.ondemand['us-east-1']!['m5.large'],
      seconds_since_change: 3600,
      interruptions_seen: 1,
      advisor_bucket: catalogue.file.advisor['us-east-1']!['m5.large'],
    });
    expect(a!.advisor_bucket).toEqual(expect.any(Number));
    expect(a!.last_interruption_at).toBeInstanceOf(Date);
    // The 6 h window: the price in force at its start (0.03), then the changes.
    expect(a!.history.map((p) => p.price)).toEqual([0.03, 0.04, 0.05]);
    expect(a!.volatility).toBeGreaterThan(0);
    // eu-west-1: the upstream prices no on-demand there, so it is unknown, not left out.
    expect(eu).toMatchObject({
      spot_price: 0.02,
      ondemand_price: null,
      interruptions_seen: 0,
      volatility: null,
    });
    expect(eu!.seconds_since_change).toBe(30 * 3600);
    expect(none).toMatchObject({ spot_price: null, history: [], seconds_since_change: null });
  });

  it('is cached per pool: hits and misses counted, a report for the pool clears it, entries expire after the TTL', async () => {
    const tenant = await t.newTenant();
    const reporter = await reportAs(tenant, [
      { type: 't3.large', az: 'us-east-1a', price: 0.02, at: new Date(now.getTime() - H) },
    ]);
    const metrics = createMetrics();
    let clock = 1_000;
    const cache = new CanonicalPrices(5_000, catalogue, metrics, () => clock);
    const q = {
      clientId: tenant.clientId,
      region: 'us-east-1',
      pools: [
        { instance_type: 't3.large', availability_zone: 'us-east-1a' },
        { instance_type: 't3.large', availability_zone: 'us-east-1b' },
      ],
      now,
      windowMs: 6 * H,
      timeScale: 1,
    };
    const counts = async () => ({
      hits: (await metrics.canonicalCacheHits.get()).values[0]?.value,
      misses: (await metrics.canonicalCacheMisses.get()).values[0]?.value,
    });
    expect((await cache.features(t.db.kysely, q)).map((f) => f.spot_price)).toEqual([0.02, null]);
    expect(await counts()).toEqual({ hits: 0, misses: 2 });
    // A hit later on the injected clock: the time since the last change is as of the later read.
    const later = await cache.features(t.db.kysely, { ...q, now: new Date(now.getTime() + 60_000) });
    expect(later[0]!.seconds_since_change).toBe(3600 + 60);
    expect(await counts()).toEqual({ hits: 2, misses: 2 });

    // A new price arrives: a cached read would be stale until it is cleared.
    await t.request('POST', `/api/agents/${reporter.agent_id}/pricing-report`, {
      token: reporter.agent_token,
      body: {
        prices: [
          {
            instance_type: 't3.large',
            availability_zone: 'us-east-1a',
            spot_price: 0.025,
            timestamp: now.toISOString(),
          },
        ],
      },
    });
    expect((await cache.features(t.db.kysely, q))[0]!.spot_price).toBe(0.02);
    cache.invalidate(tenant.clientId, [{ instance_type: 't3.large', availability_zone: 'us-east-1a' }]);
    expect((await cache.features(t.db.kysely, q)).map((f) => f.spot_price)).toEqual([0.025, null]);
    expect(await counts()).toEqual({ hits: 5, misses: 3 });

    clock += 5_000;
    await cache.features(t.db.kysely, q);
    expect(await counts()).toEqual({ hits: 5, misses: 5 });
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/spot_canonical_cache_hit_ratio 0\.5\b/);
  });

  it('the cache counters and hit rate are on /metrics', async () => {
    const page = await t.request('GET', '/metrics');
    expect(page.body).toContain('spot_canonical_cache_hits_total');
    expect(page.body).toContain('spot_canonical_cache_hit_ratio');
  });
});
