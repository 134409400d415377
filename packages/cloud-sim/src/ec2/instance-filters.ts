// DescribeInstances / DescribeInstanceStatus filters. An unknown filter name is an error, as in EC2.

import { Ec2Error } from '../core/ec2-error.ts';
import { type SimInstance, STATE_CODES, stateAt } from '../core/instance.ts';
import type { Simulator } from '../core/simulator.ts';
import { type Filter, notFound, wildcardMatch } from './query-params.ts';

type Getter = (inst: SimInstance, now: number) => string[];

const GETTERS: Record<string, Getter> = {
  'instance-state-name': (i, now) => [stateAt(i, now)],
  'instance-state-code': (i, now) => [String(STATE_CODES[stateAt(i, now)])],
  'instance-type': (i) => [i.instanceType],
  'availability-zone': (i) => [i.az],
  'instance-lifecycle': (i) => (i.market === 'spot' ? ['spot'] : []),
  'instance-id': (i) => [i.id],
  'client-token': (i) => (i.clientToken ? [i.clientToken] : []),
  'image-id': (i) => [i.imageId],
  'reservation-id': (i) => [i.reservationId],
  'spot-instance-request-id': (i) => (i.spotRequestId ? [i.spotRequestId] : []),
  'tag-key': (i) => [...i.tags.keys()],
};

function getter(name: string, allowed?: readonly string[]): Getter {
  if (name.startsWith('tag:') && name.length > 4 && !allowed) {
    const key = name.slice(4);
    return (i) => (i.tags.has(key) ? [i.tags.get(key)!] : []);
  }
  const g = GETTERS[name];
  if (!g || (allowed && !allowed.includes(name)))
    throw new Ec2Error('InvalidParameterValue', `The filter '${name}' is invalid`);
  return g;
}

/** Compiles filters once (validating names) into a predicate: all filters must match, any value per filter. */
export function instanceFilter(
  filters: Filter[],
  allowed?: readonly string[],
): (inst: SimInstance, now: number) => boolean {
  const compiled = filters.map((f) => ({ get: getter(f.name, allowed), values: f.values }));
  return (inst, now) =>
    compiled.every(({ get, values }) => {
      const actual = get(inst, now);
      return values.some((v) => actual.some((a) => wildcardMatch(v, a)));
    });
}

/**
 * The instances a Describe* call names: the given ids (InvalidInstanceID.NotFound when one
 * is unknown, as EC2 answers) or else all, each kept when `keep` accepts it.
 */
export function selectInstances(
  sim: Simulator,
  ids: string[],
  keep: (inst: SimInstance) => boolean,
): SimInstance[] {
  const missing = ids.filter((id) => !sim.get(id));
  if (missing.length > 0) throw notFound(missing);
  return (ids.length > 0 ? [...new Set(ids)].map((id) => sim.get(id)!) : sim.list()).filter(keep);
}
