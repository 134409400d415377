import { Ec2Error } from '../../core/ec2-error.ts';
import type { InstanceStateName } from '../../core/instance.ts';
import { stateXml } from '../instance-xml.ts';
import { dryRun, instanceIds, notFound } from '../query-params.ts';
import type { ActionHandler } from './context.ts';

export const terminateInstances: ActionHandler = ({ sim, params }) => {
  const ids = instanceIds(params);
  if (ids.length === 0)
    throw new Ec2Error('MissingParameter', 'The request must contain the parameter InstanceId');
  // All or nothing: one unknown id fails the whole call and terminates nothing (as EC2 does).
  const missing = ids.filter((id) => !sim.get(id));
  if (missing.length > 0) throw notFound(missing);
  dryRun(params);
  return {
    instancesSet: [...new Set(ids)].map((id) => {
      const { previous, current } = sim.terminate(id);
      return {
        instanceId: id,
        currentState: stateXml(current as InstanceStateName),
        previousState: stateXml(previous as InstanceStateName),
      };
    }),
  };
};
