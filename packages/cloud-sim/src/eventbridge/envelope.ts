// EventBridge envelopes of the EC2 events AWS publishes (source "aws.ec2"), as documented:
//   "EC2 Spot Instance Interruption Warning"  detail {"instance-id", "instance-action"}
//   "EC2 Instance Rebalance Recommendation"   detail {"instance-id"}
//   "EC2 Instance State-change Notification"  detail {"instance-id", "state"}
// `time` is wall-clock ISO without milliseconds, like every time the simulator hands out.

import { type SimClock, wallIsoSeconds } from '../core/clock.ts';
import type { LifecycleEvent } from '../core/lifecycle-events.ts';

export interface Envelope {
  version: '0';
  id: string;
  'detail-type': string;
  source: 'aws.ec2';
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, string>;
}

export function detailType(e: LifecycleEvent): string {
  if (e.kind === 'interruption') return 'EC2 Spot Instance Interruption Warning';
  if (e.kind === 'rebalance') return 'EC2 Instance Rebalance Recommendation';
  return 'EC2 Instance State-change Notification';
}

function detail(e: LifecycleEvent): Record<string, string> {
  if (e.kind === 'interruption') return { 'instance-id': e.instanceId, 'instance-action': 'terminate' };
  if (e.kind === 'rebalance') return { 'instance-id': e.instanceId };
  return { 'instance-id': e.instanceId, state: e.kind };
}

export function envelope(
  e: LifecycleEvent,
  o: { id: string; account: string; region: string; clock: SimClock },
): Envelope {
  return {
    version: '0',
    id: o.id,
    'detail-type': detailType(e),
    source: 'aws.ec2',
    account: o.account,
    time: wallIsoSeconds(o.clock, e.at),
    region: o.region,
    resources: [`arn:aws:ec2:${o.region}:${o.account}:instance/${e.instanceId}`],
    detail: detail(e),
  };
}
