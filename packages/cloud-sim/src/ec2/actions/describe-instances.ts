import { Ec2Error } from '../../core/ec2-error.ts';
import type { SimInstance } from '../../core/instance.ts';
import { OWNER_ID } from '../../core/simulator.ts';
import { instanceFilter, selectInstances } from '../instance-filters.ts';
import { DEFAULT_GROUP, instanceXml } from '../instance-xml.ts';
import { decodeToken, dryRun, encodeToken, filters, instanceIds, int, str } from '../query-params.ts';
import type { XmlObject } from '../xml.ts';
import type { ActionHandler } from './context.ts';

export const describeInstances: ActionHandler = ({ sim, params }) => {
  const ids = instanceIds(params);
  const match = instanceFilter(filters(params));
  const maxResults = int(params, 'MaxResults', 5, 1000);
  const token = str(params, 'NextToken');
  if (maxResults !== undefined && ids.length > 0) {
    throw new Ec2Error(
      'InvalidParameterCombination',
      'The parameter instancesSet cannot be used with the parameter maxResults',
    );
  }
  dryRun(params);
  const now = sim.now();
  const chosen = selectInstances(sim, ids, (i) => match(i, now));
  // Instances are only ever appended, so an offset into the creation order is a stable page cursor.
  const offset = token !== undefined ? decodeToken(token, 'di').o! : 0;
  const page =
    maxResults !== undefined || token !== undefined
      ? chosen.slice(offset, offset + (maxResults ?? 1000))
      : chosen;
  const nextOffset = offset + page.length;
  const reservations = new Map<string, SimInstance[]>();
  for (const inst of page) {
    const group = reservations.get(inst.reservationId) ?? [];
    group.push(inst);
    reservations.set(inst.reservationId, group);
  }
  const body: XmlObject = {
    reservationSet: [...reservations].map(([reservationId, insts]) => ({
      reservationId,
      ownerId: OWNER_ID,
      groupSet: [DEFAULT_GROUP],
      instancesSet: insts.map((i) =>
        instanceXml(i, now, sim.catalog.region, sim.clock, sim.addresses.publicIpOf(i.id)),
      ),
    })),
  };
  if (nextOffset < chosen.length && (maxResults !== undefined || token !== undefined)) {
    body.nextToken = encodeToken({ k: 'di', o: nextOffset });
  }
  return body;
};
