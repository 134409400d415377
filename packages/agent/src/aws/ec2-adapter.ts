import { createHash } from 'node:crypto';
import {
  AssociateAddressCommand,
  DescribeInstancesCommand,
  type DescribeInstancesCommandInput,
  EC2Client,
  type Instance,
  paginateDescribeSpotPriceHistory,
  RunInstancesCommand,
  type RunInstancesCommandInput,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';

/**
 * Everything the agent asks EC2, through the real AWS SDK v3. The endpoint, region and
 * credentials come from the standard AWS settings (AWS_ENDPOINT_URL_EC2, the default
 * credential chain), so the same code talks to AWS or to the simulator.
 *
 * Throttling (RequestLimitExceeded, …) and 5xx are retried by the SDK's standard retry
 * strategy (exponential backoff with jitter, `maxAttempts`); whatever still fails is thrown
 * and ends in a failed command result with the EC2 error code.
 */
export const TAG_LOGICAL_ID = 'spot-optimizer:logical-id';
export const TAG_INSTANCE_ID = 'spot-optimizer:instance-id';
export const TAG_MANAGED = 'spot-optimizer:managed';

export type InstanceState = 'pending' | 'running' | 'shutting-down' | 'terminated' | 'stopping' | 'stopped';

export interface InstanceView {
  instanceId: string;
  state: InstanceState | string;
  stateReason: string | null;
  instanceType: string | null;
  availabilityZone: string | null;
  tags: Record<string, string>;
}

export interface LaunchSpec {
  instanceType: string;
  availabilityZone: string | null;
  market: 'spot' | 'on-demand';
  imageId: string;
  clientToken: string;
  logicalId: string;
  instanceId: string;
  /** Plain text; base64-encoded for RunInstances here. */
  userData?: string;
}

export interface SpotPrice {
  instanceType: string;
  availabilityZone: string;
  productDescription: string;
  spotPrice: number;
  timestamp: Date;
}

/** The slice of EC2 the agent uses; commands and loops depend on this, tests can fake it. */
export interface Ec2Port {
  runInstance(spec: LaunchSpec): Promise<string>;
  terminateInstance(cloudInstanceId: string): Promise<void>;
  /** Moves an Elastic IP to the instance (AllowReassociation: taken from wherever it is). */
  associateAddress(allocationId: string, cloudInstanceId: string): Promise<string>;
  describeInstances(ids: string[]): Promise<InstanceView[]>;
  describeTagged(filters: Record<string, string>): Promise<InstanceView[]>;
  spotPriceHistory(
    pools: { instanceType: string; availabilityZone: string }[],
    since: Date,
  ): Promise<SpotPrice[]>;
}

export function createEc2Client(region: string, maxAttempts = 5): EC2Client {
  return new EC2Client({ region, maxAttempts, retryMode: 'standard' });
}

/**
 * EC2 accepts a ClientToken of up to 64 ASCII characters. The server's request ids fit;
 * anything longer or odd is hashed, which keeps it stable — the one property that matters.
 */
export function clientTokenFor(requestId: string): string {
  if (/^[\x21-\x7e]{1,64}$/.test(requestId)) return requestId;
  return createHash('sha256').update(requestId).digest('hex');
}

export class Ec2Adapter implements Ec2Port {
  constructor(private readonly client: EC2Client) {}

  async runInstance(spec: LaunchSpec): Promise<string> {
    const input: RunInstancesCommandInput = {
      ImageId: spec.imageId,
      InstanceType: spec.instanceType as RunInstancesCommandInput['InstanceType'],
      MinCount: 1,
      MaxCount: 1,
      // The same command retried (or redelivered after a restart) gets the same instance.
      ClientToken: clientTokenFor(spec.clientToken),
      ...(spec.availabilityZone ? { Placement: { AvailabilityZone: spec.availabilityZone } } : {}),
      ...(spec.userData ? { UserData: Buffer.from(spec.userData, 'utf8').toString('base64') } : {}),
      ...(spec.market === 'spot'
        ? {
            InstanceMarketOptions: {
              MarketType: 'spot',
              SpotOptions: { SpotInstanceType: 'one-time', InstanceInterruptionBehavior: 'terminate' },
            },
          }
        : {}),
      TagSpecifications: [
        {
          ResourceType: 'instance',
          Tags: [
            { Key: TAG_LOGICAL_ID, Value: spec.logicalId },
            { Key: TAG_INSTANCE_ID, Value: spec.instanceId },
            { Key: TAG_MANAGED, Value: 'true' },
          ],
        },
      ],
    };
    const out = await this.client.send(new RunInstancesCommand(input));
    const id = out.Instances?.[0]?.InstanceId;
    if (!id)
      throw Object.assign(new Error('RunInstances returned no instance'), { name: 'NoInstanceReturned' });
    return id;
  }

  async associateAddress(allocationId: string, cloudInstanceId: string): Promise<string> {
    const out = await this.client.send(
      new AssociateAddressCommand({
        AllocationId: allocationId,
        InstanceId: cloudInstanceId,
        AllowReassociation: true,
      }),
    );
    return out.AssociationId ?? '';
  }

  async terminateInstance(cloudInstanceId: string): Promise<void> {
    await this.client.send(new TerminateInstancesCommand({ InstanceIds: [cloudInstanceId] }));
  }

  async describeInstances(ids: string[]): Promise<InstanceView[]> {
    if (ids.length === 0) return [];
    return this.describe({ InstanceIds: ids });
  }

  async describeTagged(filters: Record<string, string>): Promise<InstanceView[]> {
    return this.describe({
      Filters: Object.entries(filters).map(([k, v]) => ({ Name: `tag:${k}`, Values: [v] })),
    });
  }

  async spotPriceHistory(
    pools: { instanceType: string; availabilityZone: string }[],
    since: Date,
  ): Promise<SpotPrice[]> {
    // One paginated query per AZ with that AZ's instance types.
    const byAz = new Map<string, Set<string>>();
    for (const p of pools) {
      const set = byAz.get(p.availabilityZone) ?? new Set<string>();
      set.add(p.instanceType);
      byAz.set(p.availabilityZone, set);
    }
    const prices: SpotPrice[] = [];
    for (const [az, types] of byAz) {
      const pages = paginateDescribeSpotPriceHistory(
        { client: this.client, pageSize: 1000 },
        {
          AvailabilityZone: az,
          InstanceTypes: [...types] as never[],
          ProductDescriptions: ['Linux/UNIX'],
          // No EndTime: EC2 answers up to its own "now" (a simulator's clock may run fast).
          StartTime: since,
        },
      );
      for await (const page of pages) {
        for (const h of page.SpotPriceHistory ?? []) {
          const price = Number(h.SpotPrice);
          if (!h.InstanceType || !h.AvailabilityZone || !h.Timestamp || !(price > 0)) continue;
          if (!types.has(h.InstanceType) || h.AvailabilityZone !== az) continue;
          prices.push({
            instanceType: h.InstanceType,
            availabilityZone: h.AvailabilityZone,
            productDescription: h.ProductDescription ?? 'Linux/UNIX',
            spotPrice: price,
            timestamp: h.Timestamp,
          });
        }
      }
    }
    return prices;
  }

  private async describe(input: DescribeInstancesCommandInput): Promise<InstanceView[]> {
    const views: InstanceView[] = [];
    let token: string | undefined;
    do {
      const out = await this.client.send(new DescribeInstancesCommand({ ...input, NextToken: token }));
      for (const r of out.Reservations ?? []) for (const i of r.Instances ?? []) views.push(toView(i));
      token = out.NextToken;
    } while (token);
    return views;
  }
}

function toView(i: Instance): InstanceView {
  const tags: Record<string, string> = {};
  for (const t of i.Tags ?? []) if (t.Key) tags[t.Key] = t.Value ?? '';
  return {
    instanceId: i.InstanceId ?? '',
    state: i.State?.Name ?? 'unknown',
    stateReason: i.StateReason?.Code ?? null,
    instanceType: i.InstanceType ?? null,
    availabilityZone: i.Placement?.AvailabilityZone ?? null,
    tags,
  };
}
