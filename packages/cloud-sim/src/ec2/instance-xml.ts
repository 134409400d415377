// One instance as EC2 writes it inside `instancesSet` (element order follows the EC2 API reference's
// DescribeInstances sample).

import { type SimClock, wallIsoMillis } from '../core/clock.ts';
import {
  type SimInstance,
  STATE_CODES,
  stateAt,
  stateReasonAt,
  transitionReasonAt,
} from '../core/instance.ts';
import type { XmlObject } from './xml.ts';

/** Every simulated instance is in the default VPC's default security group. */
export const DEFAULT_GROUP: XmlObject = { groupId: 'sg-0a1b2c3d4e5f60718', groupName: 'default' };

export function stateXml(name: keyof typeof STATE_CODES): XmlObject {
  return { code: STATE_CODES[name], name };
}

function privateDnsName(inst: SimInstance, region: string): string {
  const host = `ip-${inst.privateIp.replace(/\./g, '-')}`;
  return region === 'us-east-1' ? `${host}.ec2.internal` : `${host}.${region}.compute.internal`;
}

/**
 * `now` is simulated; `clock` turns the instance's simulated times into the wall-clock times EC2 prints;
 * `publicIp` is the Elastic IP associated with the instance, if any.
 */
export function instanceXml(
  inst: SimInstance,
  now: number,
  region: string,
  clock: SimClock,
  publicIp?: string,
): XmlObject {
  const state = stateAt(inst, now);
  const reason = stateReasonAt(inst, now);
  const launch = wallIsoMillis(clock, inst.launchTime);
  const suffix = inst.id.slice(2);
  return {
    instanceId: inst.id,
    imageId: inst.imageId,
    instanceState: stateXml(state),
    privateDnsName: privateDnsName(inst, region),
    dnsName: null,
    reason: transitionReasonAt(inst, now, clock),
    amiLaunchIndex: inst.amiLaunchIndex,
    productCodes: [],
    instanceType: inst.instanceType,
    launchTime: launch,
    placement: { availabilityZone: inst.az, groupName: null, tenancy: 'default' },
    monitoring: { state: 'disabled' },
    subnetId: `subnet-${suffix.slice(0, 8)}`,
    vpcId: 'vpc-0a1b2c3d4e5f60718',
    privateIpAddress: inst.privateIp,
    ipAddress: publicIp,
    sourceDestCheck: true,
    groupSet: [DEFAULT_GROUP],
    stateReason: reason ? { code: reason.code, message: reason.message } : undefined,
    architecture: 'x86_64',
    rootDeviceType: 'ebs',
    rootDeviceName: '/dev/xvda',
    blockDeviceMapping: [
      {
        deviceName: '/dev/xvda',
        ebs: { volumeId: `vol-${suffix}`, status: 'attached', attachTime: launch, deleteOnTermination: true },
      },
    ],
    instanceLifecycle: inst.market === 'spot' ? 'spot' : undefined,
    spotInstanceRequestId: inst.spotRequestId,
    virtualizationType: 'hvm',
    clientToken: inst.clientToken ?? null,
    tagSet: [...inst.tags].map(([key, value]) => ({ key, value })),
    hypervisor: 'xen',
    ebsOptimized: false,
  };
}
