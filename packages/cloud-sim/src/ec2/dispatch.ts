// The EC2 Query API front door: authentication check, action lookup, injected faults, the action
// itself, and the mapping of every failure to EC2's XML error document.

import { randomUUID } from 'node:crypto';
import { Ec2Error } from '../core/ec2-error.ts';
import type { Simulator } from '../core/simulator.ts';
import {
  allocateAddress,
  associateAddress,
  describeAddresses,
  disassociateAddress,
  releaseAddress,
} from './actions/addresses.ts';
import type { ActionHandler } from './actions/context.ts';
import { createTags } from './actions/create-tags.ts';
import { describeAvailabilityZones } from './actions/describe-availability-zones.ts';
import { describeInstanceAttribute } from './actions/describe-instance-attribute.ts';
import { describeInstanceStatus } from './actions/describe-instance-status.ts';
import { describeInstances } from './actions/describe-instances.ts';
import { describeSpotPriceHistory } from './actions/describe-spot-price-history.ts';
import { runInstances } from './actions/run-instances.ts';
import { terminateInstances } from './actions/terminate-instances.ts';
import type { Params } from './query-params.ts';
import { ec2ErrorResponse, ec2Response } from './xml.ts';

export const ACTIONS: Record<string, ActionHandler> = {
  RunInstances: runInstances,
  TerminateInstances: terminateInstances,
  DescribeInstances: describeInstances,
  DescribeInstanceStatus: describeInstanceStatus,
  DescribeSpotPriceHistory: describeSpotPriceHistory,
  CreateTags: createTags,
  DescribeAvailabilityZones: describeAvailabilityZones,
  AllocateAddress: allocateAddress,
  AssociateAddress: associateAddress,
  DisassociateAddress: disassociateAddress,
  DescribeAddresses: describeAddresses,
  ReleaseAddress: releaseAddress,
  DescribeInstanceAttribute: describeInstanceAttribute,
};

export const ACTION_NAMES = Object.keys(ACTIONS);

export interface Ec2Reply {
  status: number;
  body: string;
  /** Set for 5xx that were not deliberate (injected or modelled): worth a log line. */
  unexpected?: unknown;
}

export function handleEc2(sim: Simulator, params: Params, authorization: string | undefined): Ec2Reply {
  const requestId = randomUUID();
  const action = params.get('Action');
  try {
    // The signature is not verified (any key works), but an unsigned request is refused like EC2 does.
    if (!authorization)
      throw new Ec2Error('AuthFailure', 'AWS was not able to validate the provided access credentials');
    if (!action) throw new Ec2Error('MissingParameter', 'The request must contain the parameter Action');
    const handler = Object.hasOwn(ACTIONS, action) ? ACTIONS[action] : undefined;
    if (!handler)
      throw new Ec2Error('InvalidAction', `The action ${action} is not valid for this web service.`);
    const fault = sim.takeFault(action);
    if (fault) throw fault;
    return { status: 200, body: ec2Response(action, requestId, handler({ sim, params })) };
  } catch (err) {
    if (err instanceof Ec2Error)
      return { status: err.status, body: ec2ErrorResponse(err.code, err.message, requestId) };
    return {
      status: 500,
      body: ec2ErrorResponse('InternalError', 'An internal error has occurred.', requestId),
      unexpected: err,
    };
  }
}
