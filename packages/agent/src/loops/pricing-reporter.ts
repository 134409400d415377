import type { Ec2Port, SpotPrice } from '../aws/ec2-adapter.ts';
import type { Pool } from '../config/config.ts';
import type { Report } from '../server-client/agent-api.ts';

/** Largest report the server accepts (PricingReportRequest). */
const MAX_POINTS = 1000;

/**
 * Pure: the points not reported yet (newer than the last one reported for their pool),
 * oldest first. Re-sending the whole last hour every minute would only make duplicates.
 */
export function newPoints(prices: SpotPrice[], lastReported: Map<string, number>): SpotPrice[] {
  const seen = new Set<string>();
  return prices
    .filter((p) => {
      const key = poolKey(p);
      const dedupe = `${key}@${p.timestamp.getTime()}`;
      if (seen.has(dedupe)) return false;
      seen.add(dedupe);
      return p.timestamp.getTime() > (lastReported.get(key) ?? Number.NEGATIVE_INFINITY);
    })
    .sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime());
}

export function poolKey(p: { instanceType: string; availabilityZone: string }): string {
  return `${p.instanceType}:${p.availabilityZone}`;
}

/** DescribeSpotPriceHistory for the candidate pools (and its own), last hour → pricing-report. */
export function pricingTask(opts: {
  ec2: Ec2Port;
  pools: Pool[];
  region: string;
  report: (r: Report) => Promise<unknown>;
}) {
  const lastReported = new Map<string, number>();
  return async () => {
    if (opts.pools.length === 0) return;
    const since = new Date(Date.now() - 3_600_000);
    const fresh = newPoints(await opts.ec2.spotPriceHistory(opts.pools, since), lastReported);
    for (let i = 0; i < fresh.length; i += MAX_POINTS) {
      const chunk = fresh.slice(i, i + MAX_POINTS);
      await opts.report({
        kind: 'pricing-report',
        body: {
          prices: chunk.map((p) => ({
            instance_type: p.instanceType,
            availability_zone: p.availabilityZone,
            region: opts.region,
            product_description: p.productDescription,
            spot_price: p.spotPrice,
            timestamp: p.timestamp.toISOString(),
          })),
        },
      });
      for (const p of chunk)
        lastReported.set(poolKey(p), Math.max(lastReported.get(poolKey(p)) ?? 0, p.timestamp.getTime()));
    }
  };
}
