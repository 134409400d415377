// The metadata paths IMDS serves for one instance (pure: instance + now → body or undefined).

import { type SimClock, wallIsoSeconds } from '../core/clock.ts';
import { type SimInstance, stateAt } from '../core/instance.ts';
import { OWNER_ID } from '../core/simulator.ts';

export interface MetadataContext {
  inst: SimInstance;
  now: number;
  region: string;
  /** Turns the instance's simulated times into the wall-clock times IMDS prints. */
  clock: SimClock;
}

type Entry = (c: MetadataContext) => { body: string; json?: boolean } | undefined;

const text = (body: string) => ({ body });
const json = (value: unknown) => ({ body: JSON.stringify(value), json: true });

const META: Record<string, Entry> = {
  'ami-id': ({ inst }) => text(inst.imageId),
  'instance-id': ({ inst }) => text(inst.id),
  'instance-type': ({ inst }) => text(inst.instanceType),
  'instance-life-cycle': ({ inst }) => text(inst.market === 'spot' ? 'spot' : 'on-demand'),
  'local-ipv4': ({ inst }) => text(inst.privateIp),
  'placement/availability-zone': ({ inst }) => text(inst.az),
  'placement/region': ({ region }) => text(region),
  'spot/instance-action': ({ inst, now, clock }) =>
    inst.noticeAt !== undefined && inst.noticeAt <= now && inst.actionTime !== undefined
      ? json({ action: 'terminate', time: wallIsoSeconds(clock, inst.actionTime) })
      : undefined,
  // The older, still-served twin of instance-action.
  'spot/termination-time': ({ inst, now, clock }) =>
    inst.noticeAt !== undefined && inst.noticeAt <= now && inst.actionTime !== undefined
      ? text(wallIsoSeconds(clock, inst.actionTime))
      : undefined,
  'events/recommendations/rebalance': ({ inst, now, clock }) =>
    inst.rebalanceAt !== undefined && inst.rebalanceAt <= now
      ? json({ noticeTime: wallIsoSeconds(clock, inst.rebalanceAt) })
      : undefined,
};

export function metadata(path: string, c: MetadataContext): { body: string; json?: boolean } | undefined {
  if (path === '/latest/meta-data' || path === '/latest/meta-data/') {
    return text(
      [
        'ami-id',
        'instance-id',
        'instance-life-cycle',
        'instance-type',
        'local-ipv4',
        'placement/',
        'spot/',
        'events/',
      ].join('\n'),
    );
  }
  if (path === '/latest/user-data') {
    const { inst } = c;
    return inst.userData ? text(inst.userData.text) : undefined;
  }
  if (path === '/latest/dynamic/instance-identity/document') {
    const { inst, region, clock } = c;
    return json({
      accountId: OWNER_ID,
      architecture: 'x86_64',
      availabilityZone: inst.az,
      billingProducts: null,
      devpayProductCodes: null,
      marketplaceProductCodes: null,
      imageId: inst.imageId,
      instanceId: inst.id,
      instanceType: inst.instanceType,
      kernelId: null,
      pendingTime: wallIsoSeconds(clock, inst.launchTime),
      privateIp: inst.privateIp,
      ramdiskId: null,
      region,
      version: '2017-09-30',
    });
  }
  const prefix = '/latest/meta-data/';
  if (!path.startsWith(prefix)) return undefined;
  const entry = META[path.slice(prefix.length).replace(/\/$/, '')];
  return entry ? entry(c) : undefined;
}

/** IMDS exists for an instance until it is terminated (it still answers while shutting down). */
export function imdsAvailable(inst: SimInstance | undefined, now: number): inst is SimInstance {
  return inst !== undefined && stateAt(inst, now) !== 'terminated';
}
