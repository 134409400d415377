// Elastic IP actions: AllocateAddress, AssociateAddress, DisassociateAddress, DescribeAddresses,
// ReleaseAddress (VPC addresses only, element order as in the EC2 API reference samples).

import type { ElasticIp } from '../../core/addresses.ts';
import { Ec2Error } from '../../core/ec2-error.ts';
import { OWNER_ID, type Simulator } from '../../core/simulator.ts';
import { bool, dryRun, filters, list, str, wildcardMatch } from '../query-params.ts';
import type { XmlObject } from '../xml.ts';
import type { ActionHandler } from './context.ts';

const ALLOCATION_RE = /^eipalloc-([0-9a-f]{8}|[0-9a-f]{17})$/;
const ASSOCIATION_RE = /^eipassoc-([0-9a-f]{8}|[0-9a-f]{17})$/;
const INSTANCE_RE = /^i-([0-9a-f]{8}|[0-9a-f]{17})$/;

function allocationId(id: string): string {
  if (!ALLOCATION_RE.test(id))
    throw new Ec2Error('InvalidAllocationID.Malformed', `Invalid id: "${id}" (expecting "eipalloc-...")`);
  return id;
}

const addressNotFound = (ip: string) => new Ec2Error('InvalidAddress.NotFound', `Address '${ip}' not found.`);

/** One address as DescribeAddresses writes it; the ENI and private IP are those of the instance. */
export function addressXml(sim: Simulator, a: ElasticIp): XmlObject {
  const assoc = a.association;
  const inst = assoc ? sim.get(assoc.instanceId) : undefined;
  return {
    publicIp: a.publicIp,
    allocationId: a.allocationId,
    domain: 'vpc',
    instanceId: assoc?.instanceId,
    associationId: assoc?.associationId,
    networkInterfaceId: inst ? `eni-${inst.id.slice(2)}` : undefined,
    networkInterfaceOwnerId: inst ? OWNER_ID : undefined,
    privateIpAddress: inst?.privateIp,
    publicIpv4Pool: 'amazon',
    networkBorderGroup: sim.catalog.region,
  };
}

export const allocateAddress: ActionHandler = ({ sim, params }) => {
  const domain = str(params, 'Domain');
  if (domain !== undefined && domain !== 'vpc')
    throw new Ec2Error(
      'InvalidParameterValue',
      `Value (${domain}) for parameter Domain is invalid. Only 'vpc' is simulated.`,
    );
  if (str(params, 'Address') !== undefined || str(params, 'PublicIpv4Pool') !== undefined)
    throw new Ec2Error('Unsupported', 'Bring-your-own addresses are not simulated.');
  dryRun(params);
  const a = sim.addresses.allocate();
  return {
    publicIp: a.publicIp,
    domain: 'vpc',
    allocationId: a.allocationId,
    publicIpv4Pool: 'amazon',
    networkBorderGroup: sim.catalog.region,
  };
};

export const associateAddress: ActionHandler = ({ sim, params }) => {
  const rawAllocation = str(params, 'AllocationId');
  const publicIp = str(params, 'PublicIp');
  const instanceId = str(params, 'InstanceId');
  if (str(params, 'NetworkInterfaceId') !== undefined || str(params, 'PrivateIpAddress') !== undefined)
    throw new Ec2Error('Unsupported', 'Only association with an instance (InstanceId) is simulated.');
  if (instanceId === undefined || instanceId === '')
    throw new Ec2Error('MissingParameter', 'The request must contain the parameter InstanceId');
  if (!INSTANCE_RE.test(instanceId))
    throw new Ec2Error('InvalidInstanceID.Malformed', `Invalid id: "${instanceId}"`);
  let id: string;
  if (rawAllocation !== undefined) id = allocationId(rawAllocation);
  else if (publicIp !== undefined) {
    const found = sim.addresses.byPublicIp(publicIp);
    if (!found) throw addressNotFound(publicIp);
    id = found.allocationId;
  } else throw new Ec2Error('MissingParameter', 'The request must contain the parameter AllocationId');
  const allow = bool(params, 'AllowReassociation');
  dryRun(params);
  const association = sim.addresses.associate(id, instanceId, allow);
  return { return: true, associationId: association.associationId };
};

export const disassociateAddress: ActionHandler = ({ sim, params }) => {
  const associationId = str(params, 'AssociationId');
  const publicIp = str(params, 'PublicIp');
  let address: ElasticIp | undefined;
  if (associationId !== undefined) {
    address = ASSOCIATION_RE.test(associationId) ? sim.addresses.byAssociation(associationId) : undefined;
    if (!address)
      throw new Ec2Error(
        'InvalidAssociationID.NotFound',
        `The association ID '${associationId}' does not exist`,
      );
  } else if (publicIp !== undefined) {
    address = sim.addresses.byPublicIp(publicIp);
    if (!address) throw addressNotFound(publicIp);
  } else throw new Ec2Error('MissingParameter', 'The request must contain the parameter AssociationId');
  dryRun(params);
  sim.addresses.disassociate(address);
  return { return: true };
};

const ADDRESS_FILTERS: Record<string, (x: XmlObject) => unknown> = {
  'allocation-id': (x) => x.allocationId,
  'association-id': (x) => x.associationId,
  'instance-id': (x) => x.instanceId,
  'public-ip': (x) => x.publicIp,
  'private-ip-address': (x) => x.privateIpAddress,
  'network-interface-id': (x) => x.networkInterfaceId,
  domain: (x) => x.domain,
  'network-border-group': (x) => x.networkBorderGroup,
};

export const describeAddresses: ActionHandler = ({ sim, params }) => {
  const allocationIds = list(params, 'AllocationId').map(allocationId);
  const publicIps = list(params, 'PublicIp');
  const compiled = filters(params).map((f) => {
    const get = ADDRESS_FILTERS[f.name];
    if (!get) throw new Ec2Error('InvalidParameterValue', `The filter '${f.name}' is invalid`);
    return { get, values: f.values };
  });
  dryRun(params);
  const held = sim.addresses.list();
  const unknownAllocation = allocationIds.find((id) => !held.some((a) => a.allocationId === id));
  if (unknownAllocation !== undefined)
    throw new Ec2Error(
      'InvalidAllocationID.NotFound',
      `The allocation ID '${unknownAllocation}' does not exist`,
    );
  const unknownIp = publicIps.find((ip) => !held.some((a) => a.publicIp === ip));
  if (unknownIp !== undefined) throw addressNotFound(unknownIp);
  const named = (a: ElasticIp) =>
    (allocationIds.length === 0 && publicIps.length === 0) ||
    allocationIds.includes(a.allocationId) ||
    publicIps.includes(a.publicIp);
  return {
    addressesSet: held
      .filter(named)
      .map((a) => addressXml(sim, a))
      .filter((x) =>
        compiled.every(({ get, values }) => {
          const v = get(x);
          return typeof v === 'string' && values.some((p) => wildcardMatch(p, v));
        }),
      ),
  };
};

export const releaseAddress: ActionHandler = ({ sim, params }) => {
  const rawAllocation = str(params, 'AllocationId');
  const publicIp = str(params, 'PublicIp');
  let id: string;
  if (rawAllocation !== undefined) id = allocationId(rawAllocation);
  else if (publicIp !== undefined) {
    const found = sim.addresses.byPublicIp(publicIp);
    if (!found) throw addressNotFound(publicIp);
    id = found.allocationId;
  } else throw new Ec2Error('MissingParameter', 'The request must contain the parameter AllocationId');
  dryRun(params);
  sim.addresses.release(id);
  return { return: true };
};
