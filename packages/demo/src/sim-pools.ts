import { EC2Client, paginateDescribeSpotPriceHistory } from '@aws-sdk/client-ec2';

export interface Pool {
  instance_type: string;
  availability_zone: string;
}

export interface PricedPool extends Pool {
  /** The latest spot price seen (USD/hour). */
  price: number;
}

/**
 * The instance types the demo's workloads run on. The simulator prices ~520 pools; the demo
 * reads, offers and reports only these few (in every zone the simulator has), so the agents'
 * price reports stay small.
 */
export const DEMO_INSTANCE_TYPES = ['c5.large', 'm5.large', 'r5.large'] as const;

/** An EC2 client for the simulator, configured as any operator's would be (endpoint, region, a key). */
export function simEc2(simUrl: string, region: string): EC2Client {
  return new EC2Client({
    endpoint: simUrl,
    region,
    credentials: { accessKeyId: 'demo-access-key', secretAccessKey: 'demo-secret-key' },
  });
}

/**
 * The spot pools of the given instance types and their latest price, asked the way any EC2
 * client would (DescribeSpotPriceHistory filtered by type), so the demo never hard-codes
 * the zones or prices the simulator ships.
 */
export async function discoverPools(
  simUrl: string,
  region: string,
  instanceTypes: readonly string[] = DEMO_INSTANCE_TYPES,
): Promise<PricedPool[]> {
  const ec2 = simEc2(simUrl, region);
  const latest = new Map<string, PricedPool & { at: number }>();
  try {
    const pages = paginateDescribeSpotPriceHistory(
      { client: ec2, pageSize: 500 },
      {
        InstanceTypes: [...instanceTypes] as never[],
        ProductDescriptions: ['Linux/UNIX'],
        StartTime: new Date(Date.now() - 3_600_000),
      },
    );
    for await (const page of pages) {
      for (const p of page.SpotPriceHistory ?? []) {
        if (!p.InstanceType || !p.AvailabilityZone || !p.SpotPrice) continue;
        const key = `${p.InstanceType}:${p.AvailabilityZone}`;
        const at = p.Timestamp?.getTime() ?? 0;
        const seen = latest.get(key);
        if (seen && seen.at > at) continue;
        latest.set(key, {
          instance_type: p.InstanceType,
          availability_zone: p.AvailabilityZone,
          price: Number(p.SpotPrice),
          at,
        });
      }
    }
  } finally {
    ec2.destroy();
  }
  return [...latest.values()]
    .map(({ at: _at, ...pool }) => pool)
    .sort((a, b) =>
      `${a.instance_type}:${a.availability_zone}`.localeCompare(`${b.instance_type}:${b.availability_zone}`),
    );
}

/** `c5.large:us-east-1a,…` as the agent's SPOT_POOLS reads it. */
export function poolList(pools: readonly Pool[]): string {
  return pools.map((p) => `${p.instance_type}:${p.availability_zone}`).join(',');
}
