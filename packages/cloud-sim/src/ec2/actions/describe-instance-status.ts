import { stateAt } from '../../core/instance.ts';
import { instanceFilter, selectInstances } from '../instance-filters.ts';
import { stateXml } from '../instance-xml.ts';
import { bool, decodeToken, dryRun, encodeToken, filters, instanceIds, int, str } from '../query-params.ts';
import type { XmlObject } from '../xml.ts';
import type { ActionHandler } from './context.ts';

const STATUS_FILTERS = [
  'instance-state-name',
  'instance-state-code',
  'availability-zone',
  'instance-id',
] as const;
/** Status checks report "initializing" for the first simulated minutes after boot, as EC2's do. */
const INITIALIZING_MS = 120_000;

export const describeInstanceStatus: ActionHandler = ({ sim, params }) => {
  const ids = instanceIds(params);
  const includeAll = bool(params, 'IncludeAllInstances');
  const match = instanceFilter(filters(params), STATUS_FILTERS);
  const maxResults = int(params, 'MaxResults', 5, 1000);
  const token = str(params, 'NextToken');
  dryRun(params);
  const now = sim.now();
  const chosen = selectInstances(
    sim,
    ids,
    (i) => (includeAll || stateAt(i, now) === 'running') && match(i, now),
  );
  const offset = token !== undefined ? decodeToken(token, 'dis').o! : 0;
  const page = chosen.slice(offset, offset + (maxResults ?? 1000));
  const body: XmlObject = {
    instanceStatusSet: page.map((inst) => {
      const state = stateAt(inst, now);
      const status =
        state !== 'running'
          ? 'not-applicable'
          : now - inst.runningAt < INITIALIZING_MS
            ? 'initializing'
            : 'ok';
      const check = status === 'ok' ? 'passed' : status === 'initializing' ? 'initializing' : undefined;
      const summary = { status, details: check ? [{ name: 'reachability', status: check }] : undefined };
      return {
        instanceId: inst.id,
        availabilityZone: inst.az,
        instanceState: stateXml(state),
        systemStatus: summary,
        instanceStatus: summary,
      };
    }),
  };
  if (offset + page.length < chosen.length)
    body.nextToken = encodeToken({ k: 'dis', o: offset + page.length });
  return body;
};
