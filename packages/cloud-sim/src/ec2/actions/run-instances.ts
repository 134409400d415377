// RunInstances: parameters → LaunchRequest → reservation XML.

import { Ec2Error } from '../../core/ec2-error.ts';
import { type LaunchRequest, OWNER_ID } from '../../core/simulator.ts';
import { decodeUserData } from '../../core/user-data.ts';
import { DEFAULT_GROUP, instanceXml } from '../instance-xml.ts';
import { dryRun, int, type Params, required, str, structList } from '../query-params.ts';
import type { ActionHandler } from './context.ts';

const AMI_RE = /^ami-([0-9a-f]{8}|[0-9a-f]{17})$/;
const PRICE_RE = /^\d+(\.\d+)?$/;
export const MAX_LAUNCH_COUNT = 100;

/** Tags of `TagSpecification.N` with ResourceType=instance (other resource types are accepted and ignored). */
export function tagsFrom(groups: Params[], context: string): [string, string][] {
  const tags: [string, string][] = [];
  for (const g of groups) {
    const key = g.get('Key');
    if (key === undefined || key === '')
      throw new Ec2Error('InvalidParameterValue', `${context}: a tag must have a Key`);
    if (key.length > 128)
      throw new Ec2Error('InvalidParameterValue', `Tag key exceeds the maximum length of 128 characters`);
    if (key.toLowerCase().startsWith('aws:'))
      throw new Ec2Error('InvalidParameterValue', `Tag keys starting with 'aws:' are reserved`);
    const value = g.get('Value') ?? '';
    if (value.length > 256)
      throw new Ec2Error('InvalidParameterValue', `Tag value exceeds the maximum length of 256 characters`);
    tags.push([key, value]);
  }
  return tags;
}

function launchTags(p: Params): [string, string][] {
  const tags: [string, string][] = [];
  for (const spec of structList(p, 'TagSpecification')) {
    const type = spec.get('ResourceType');
    if (!type)
      throw new Ec2Error(
        'MissingParameter',
        'The request must contain the parameter TagSpecification.ResourceType',
      );
    const specTags = tagsFrom(structList(spec, 'Tag'), 'TagSpecification');
    if (type === 'instance') tags.push(...specTags);
  }
  return tags;
}

function fingerprint(p: Params): string {
  const skip = new Set(['Action', 'Version', 'ClientToken', 'DryRun']);
  return JSON.stringify([...p].filter(([k]) => !skip.has(k)).sort(([a], [b]) => a.localeCompare(b)));
}

export function parseLaunch(p: Params): LaunchRequest {
  const hasTemplate = [...p.keys()].some((k) => k.startsWith('LaunchTemplate.'));
  const imageId = hasTemplate ? (str(p, 'ImageId') ?? 'ami-0abcdef1234567890') : required(p, 'ImageId');
  if (!AMI_RE.test(imageId))
    throw new Ec2Error('InvalidAMIID.Malformed', `Invalid id: "${imageId}" (expecting "ami-...")`);
  const instanceType = required(p, 'InstanceType');
  const minCount = int(p, 'MinCount', 1, MAX_LAUNCH_COUNT);
  const maxCount = int(p, 'MaxCount', 1, MAX_LAUNCH_COUNT);
  if (minCount === undefined)
    throw new Ec2Error('MissingParameter', 'The request must contain the parameter MinCount');
  if (maxCount === undefined)
    throw new Ec2Error('MissingParameter', 'The request must contain the parameter MaxCount');
  if (minCount > maxCount) {
    throw new Ec2Error(
      'InvalidParameterValue',
      `MinCount (${minCount}) must not be greater than MaxCount (${maxCount})`,
    );
  }
  const marketType = str(p, 'InstanceMarketOptions.MarketType');
  if (marketType !== undefined && marketType !== 'spot') {
    throw new Ec2Error(
      'InvalidParameterValue',
      `Value (${marketType}) for parameter InstanceMarketOptions.MarketType is invalid.`,
    );
  }
  const spotKeys = [...p.keys()].some((k) => k.startsWith('InstanceMarketOptions.SpotOptions.'));
  if (spotKeys && marketType !== 'spot') {
    throw new Ec2Error(
      'InvalidParameterCombination',
      'SpotOptions require InstanceMarketOptions.MarketType=spot',
    );
  }
  let maxPrice: number | undefined;
  const mp = str(p, 'InstanceMarketOptions.SpotOptions.MaxPrice');
  if (mp !== undefined) {
    if (!PRICE_RE.test(mp) || Number(mp) <= 0) {
      throw new Ec2Error(
        'InvalidParameterValue',
        `Value (${mp}) for parameter MaxPrice is invalid. Expected a positive decimal.`,
      );
    }
    maxPrice = Number(mp);
  }
  const spotType = str(p, 'InstanceMarketOptions.SpotOptions.SpotInstanceType');
  if (spotType !== undefined && spotType !== 'one-time') {
    throw new Ec2Error('Unsupported', `SpotInstanceType '${spotType}' is not simulated; use one-time.`);
  }
  const behaviour = str(p, 'InstanceMarketOptions.SpotOptions.InstanceInterruptionBehavior');
  if (behaviour !== undefined && behaviour !== 'terminate') {
    throw new Ec2Error(
      'Unsupported',
      `InstanceInterruptionBehavior '${behaviour}' is not simulated; use terminate.`,
    );
  }
  const clientToken = str(p, 'ClientToken');
  if (clientToken !== undefined && (clientToken.length > 64 || !/^[\x20-\x7e]+$/.test(clientToken))) {
    throw new Ec2Error('InvalidParameterValue', 'ClientToken must be 1 to 64 ASCII characters.');
  }
  const userData = str(p, 'UserData');
  return {
    imageId,
    instanceType,
    userData: userData !== undefined && userData !== '' ? decodeUserData(userData) : undefined,
    az: str(p, 'Placement.AvailabilityZone') || undefined,
    market: marketType === 'spot' ? 'spot' : 'on-demand',
    maxPrice,
    minCount,
    maxCount,
    clientToken,
    tags: launchTags(p),
    fingerprint: fingerprint(p),
  };
}

export const runInstances: ActionHandler = ({ sim, params }) => {
  const req = parseLaunch(params);
  // Parameters the simulator does not model (SecurityGroupId.N, SubnetId, KeyName, …) are accepted
  // and ignored, as an account with a default VPC would.
  dryRun(params);
  const { reservationId, instances } = sim.launch(req);
  const now = sim.now();
  return {
    reservationId,
    ownerId: OWNER_ID,
    groupSet: [DEFAULT_GROUP],
    instancesSet: instances.map((i) => instanceXml(i, now, sim.catalog.region, sim.clock)),
  };
};
