// DescribeInstanceAttribute for the attributes the simulator knows; `userData` comes back base64, as
// EC2 returns it (an empty `<userData/>` when the instance has none).

import { Ec2Error } from '../../core/ec2-error.ts';
import type { SimInstance } from '../../core/instance.ts';
import { dryRun, instanceId, notFound, required } from '../query-params.ts';
import type { XmlValue } from '../xml.ts';
import type { ActionHandler } from './context.ts';

const value = (v: string | boolean): XmlValue => ({ value: v });

const ATTRIBUTES: Record<string, (inst: SimInstance) => XmlValue> = {
  userData: (i) => (i.userData ? value(i.userData.base64) : null),
  instanceType: (i) => value(i.instanceType),
  instanceInitiatedShutdownBehavior: () => value('terminate'),
  disableApiTermination: () => value(false),
  disableApiStop: () => value(false),
  sourceDestCheck: () => value(true),
  ebsOptimized: () => value(false),
  rootDeviceName: () => value('/dev/xvda'),
};

export const describeInstanceAttribute: ActionHandler = ({ sim, params }) => {
  const id = instanceId(params);
  const attribute = required(params, 'Attribute');
  const get = Object.hasOwn(ATTRIBUTES, attribute) ? ATTRIBUTES[attribute] : undefined;
  if (!get)
    throw new Ec2Error(
      'InvalidParameterValue',
      `Value (${attribute}) for parameter attribute is invalid. Supported here: ${Object.keys(ATTRIBUTES).join(', ')}.`,
    );
  const inst = sim.get(id);
  if (!inst) throw notFound([id]);
  dryRun(params);
  return { instanceId: inst.id, [attribute]: get(inst) };
};
