import { EC2Client, paginateDescribeSpotPriceHistory } from '@aws-sdk/client-ec2';
import type { Pool } from './fleet-driver.ts';

/**
 * The pools the simulator has spot prices for, asked the way any EC2 client would
 * (DescribeSpotPriceHistory), so the demo never hard-codes what the simulator ships.
 */
export async function discoverPools(simUrl: string, region: string): Promise<Pool[]> {
  const ec2 = new EC2Client({
    endpoint: simUrl,
    region,
    credentials: { accessKeyId: 'demo', secretAccessKey: 'demo' },
  });
  const seen = new Map<string, Pool>();
  const pages = paginateDescribeSpotPriceHistory(
    { client: ec2, pageSize: 500 },
    { ProductDescriptions: ['Linux/UNIX'], StartTime: new Date(Date.now() - 3_600_000) },
  );
  for await (const page of pages) {
    for (const p of page.SpotPriceHistory ?? []) {
      if (!p.InstanceType || !p.AvailabilityZone) continue;
      seen.set(`${p.InstanceType}:${p.AvailabilityZone}`, {
        instance_type: p.InstanceType,
        availability_zone: p.AvailabilityZone,
      });
    }
  }
  ec2.destroy();
  return [...seen.values()].sort((a, b) =>
    `${a.instance_type}:${a.availability_zone}`.localeCompare(`${b.instance_type}:${b.availability_zone}`),
  );
}
