import { Ec2Error } from '../../core/ec2-error.ts';
import { dryRun, filters, list, wildcardMatch } from '../query-params.ts';
import type { ActionHandler } from './context.ts';

/** us-east-1 → use1, eu-west-3 → euw3 (the prefix of EC2's AZ ids such as use1-az4). */
export function regionAbbreviation(region: string): string {
  const [geo = '', dir = '', num = ''] = region.split('-');
  return `${geo}${dir.charAt(0)}${num}`;
}

export const describeAvailabilityZones: ActionHandler = ({ sim, params }) => {
  const region = sim.catalog.region;
  const zones = sim.catalog.azs.map((zoneName, i) => ({
    zoneName,
    zoneId: `${regionAbbreviation(region)}-az${i + 1}`,
  }));
  const names = list(params, 'ZoneName');
  const ids = list(params, 'ZoneId');
  for (const n of names) {
    if (!zones.some((z) => z.zoneName === n))
      throw new Ec2Error('InvalidParameterValue', `The zone '${n}' does not exist.`);
  }
  const fields: Record<string, (z: { zoneName: string; zoneId: string }) => string> = {
    'zone-name': (z) => z.zoneName,
    'zone-id': (z) => z.zoneId,
    state: () => 'available',
    'region-name': () => region,
    'zone-type': () => 'availability-zone',
    'opt-in-status': () => 'opt-in-not-required',
  };
  const compiled = filters(params).map((f) => {
    const get = fields[f.name];
    if (!get) throw new Ec2Error('InvalidParameterValue', `The filter '${f.name}' is invalid`);
    return { get, values: f.values };
  });
  dryRun(params);
  return {
    availabilityZoneInfo: zones
      .filter(
        (z) =>
          (names.length === 0 || names.includes(z.zoneName)) && (ids.length === 0 || ids.includes(z.zoneId)),
      )
      .filter((z) => compiled.every(({ get, values }) => values.some((v) => wildcardMatch(v, get(z)))))
      .map((z) => ({
        optInStatus: 'opt-in-not-required',
        zoneName: z.zoneName,
        zoneId: z.zoneId,
        zoneState: 'available',
        regionName: region,
        groupName: region,
        networkBorderGroup: region,
        zoneType: 'availability-zone',
        messageSet: [],
      })),
  };
};
