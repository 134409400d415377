import { Ec2Error } from '../../core/ec2-error.ts';
import { dryRun, list, notFound, structList } from '../query-params.ts';
import type { ActionHandler } from './context.ts';
import { tagsFrom } from './run-instances.ts';

const INSTANCE_ID_RE = /^i-([0-9a-f]{8}|[0-9a-f]{17})$/;

export const createTags: ActionHandler = ({ sim, params }) => {
  const ids = list(params, 'ResourceId');
  if (ids.length === 0)
    throw new Ec2Error('MissingParameter', 'The request must contain the parameter ResourceId');
  const tagGroups = structList(params, 'Tag');
  if (tagGroups.length === 0)
    throw new Ec2Error('MissingParameter', 'The request must contain the parameter Tag');
  const tags = tagsFrom(tagGroups, 'CreateTags');
  // Only instances exist in this simulation: any other resource id is unknown.
  const bad = ids.find((id) => !INSTANCE_ID_RE.test(id));
  if (bad !== undefined) throw new Ec2Error('InvalidID', `The ID '${bad}' is not valid`);
  const missing = ids.filter((id) => !sim.get(id));
  if (missing.length > 0) throw notFound(missing);
  dryRun(params);
  for (const id of ids) sim.setTags(id, tags);
  return { return: true };
};
