import { AvailabilityZone, CloudInstanceId, InstanceType, Region } from '@spot/contract';
import type { ImdsClient } from './imds-client.ts';
import { ImdsError } from './imds-client.ts';

/** Who this agent runs on, as IMDS says. */
export interface InstanceIdentity {
  instanceId: string;
  instanceType: string;
  availabilityZone: string;
  region: string;
  /** From `instance-life-cycle` ("spot" or "on-demand"; "scheduled" counts as on-demand); unknown when IMDS lacks it. */
  market?: 'spot' | 'on-demand';
}

/** Reads and validates the identity: IMDS answers are input like any other (DESIGN §7). */
export async function readIdentity(imds: ImdsClient): Promise<InstanceIdentity> {
  const instanceId = await imds.require('meta-data/instance-id');
  const instanceType = await imds.require('meta-data/instance-type');
  const availabilityZone = await imds.require('meta-data/placement/availability-zone');
  // placement/region exists on current IMDS; older ones only give the AZ (region = AZ minus its letter).
  const region = (await imds.get('meta-data/placement/region'))?.trim() || availabilityZone.slice(0, -1);
  check(CloudInstanceId, instanceId, 'instance-id');
  check(InstanceType, instanceType, 'instance-type');
  check(AvailabilityZone, availabilityZone, 'placement/availability-zone');
  check(Region, region, 'placement/region');
  const lifecycle = (await imds.get('meta-data/instance-life-cycle'))?.trim();
  const market =
    lifecycle === undefined || lifecycle === '' ? undefined : lifecycle === 'spot' ? 'spot' : 'on-demand';
  return { instanceId, instanceType, availabilityZone, region, ...(market ? { market } : {}) };
}

function check(schema: { safeParse(v: unknown): { success: boolean } }, value: string, what: string) {
  if (!schema.safeParse(value).success)
    throw new ImdsError(`IMDS ${what} is not valid: ${JSON.stringify(value.slice(0, 64))}`);
}
