import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { runMigrations } from '../src/db/migrate.ts';
import { latestSpotPrice, ondemandPrice } from '../src/repositories/pool-prices.ts';
import { CanonicalPrices, readCanonical } from '../src/services/canonical-prices.ts';
import { PriceCatalogue } from '../src/services/price-catalogue.ts';
import { benchDatabase } from './bench-db.ts';
import { line, summarize } from './stats.ts';

const H = 3_600_000;
const TYPES = [
  'm5.large',
  'm6i.large',
  'm7i.large',
  'c5.large',
  'c6i.large',
  'c7i.large',
  'r5.large',
  'r6i.large',
];
const ZONES = ['a', 'b', 'c', 'd', 'e', 'f'].map((z) => `us-east-1${z}`);

async function time(samples: number, fn: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < samples; i++) {
    const t0 = performance.now();
    await fn();
    out.push(performance.now() - t0);
  }
  return out;
}

/**
 * The canonical tier read by decisions: 24 h of prices (a point every 15 minutes) for the
 * pools of a 10,000-instance fleet (1,000 pools: 8 types × 6 zones × 21 tenants-worth of
 * spread, here one tenant), with current price, on-demand price, volatility, interruptions and
 * the Advisor prior; uncached (four queries) and cached; beside a bare SQL read of the same
 * rows, and the per-pool path it replaced (two queries per pool). The seeds needed 150 ms.
 */
export async function runCanonicalBench(): Promise<void> {
  const testDb = await benchDatabase();
  const db = await testDb.open();
  try {
    await runMigrations(db);
    const k = db.kysely;
    const clientId = randomUUID();
    const agentId = randomUUID();
    await k.insertInto('clients').values({ id: clientId, name: 'bench', token_hash: randomUUID() }).execute();
    await k.insertInto('agents').values({ id: agentId, client_id: clientId, logical_id: 'bench' }).execute();
    const catalogue = PriceCatalogue.load();
    await catalogue.apply(k);

    const now = new Date('2030-06-01T12:00:00Z');
    // 1,000 pools: the 48 real type × zone pairs, then synthetic sizes so the pool count is a fleet's.
    const pools = Array.from({ length: 1000 }, (_, i) => ({
      instance_type: i < 48 ? TYPES[i % TYPES.length]! : `${TYPES[i % TYPES.length]!.split('.')[0]}.x${i}`,
      availability_zone: ZONES[Math.floor(i / TYPES.length) % ZONES.length]!,
    }));
    const unique = [...new Map(pools.map((p) => [`${p.instance_type}|${p.availability_zone}`, p])).values()];
    const rows = unique.flatMap((p, i) =>
      Array.from({ length: 24 * 4 + 1 }, (_, j) => ({
        client_id: clientId,
        agent_id: agentId,
        reporter_role: 'PRIMARY',
        region: 'us-east-1',
        availability_zone: p.availability_zone,
        instance_type: p.instance_type,
        product_description: 'Linux/UNIX',
        spot_price: Math.round((0.03 + (i % 7) * 0.001 + ((j * 7919) % 13) * 0.0001) * 1e6) / 1e6,
        observed_at: new Date(now.getTime() - 24 * H + j * 15 * 60_000),
      })),
    );
    for (let i = 0; i < rows.length; i += 2000)
      await k
        .insertInto('price_snapshots')
        .values(rows.slice(i, i + 2000))
        .execute();
    await sql`ANALYZE price_snapshots`.execute(k);

    const q = { clientId, region: 'us-east-1', pools: unique, now, windowMs: 24 * H, timeScale: 1 };
    const decisionQ = { ...q, pools: unique.slice(0, 5), windowMs: 6 * H };
    const cache = new CanonicalPrices(3_600_000, catalogue);
    await cache.features(k, q);
    const bare = () =>
      sql`SELECT instance_type, availability_zone, observed_at, spot_price FROM price_snapshots
          WHERE client_id = ${clientId} AND observed_at > ${new Date(now.getTime() - 24 * H)}
          ORDER BY instance_type, availability_zone, observed_at`.execute(k);

    console.log(`\n## canonical price features (${unique.length} pools, ${rows.length} price rows in 24 h)`);
    line(`bare SQL: the same 24 h rows, no features`, summarize(await time(8, bare)));
    line(
      `canonical features, ${unique.length} pools, uncached (4 queries)`,
      summarize(await time(8, () => readCanonical(k, q, catalogue))),
    );
    line(
      `canonical features, ${unique.length} pools, cached`,
      summarize(await time(50, () => cache.features(k, q))),
      '≪ 150 ms (seeds)',
    );
    line(
      `per-pool path it replaced: 2 queries × ${unique.length} pools`,
      summarize(
        await time(3, async () => {
          for (const p of unique) {
            await latestSpotPrice(k, clientId, p.instance_type, p.availability_zone);
            await ondemandPrice(k, 'us-east-1', p.instance_type);
          }
        }),
      ),
    );
    line(
      'one decision: 5 pools, 6 h, uncached',
      summarize(await time(50, () => readCanonical(k, decisionQ, catalogue))),
    );
  } finally {
    await db.close();
    await testDb.dispose();
  }
}
