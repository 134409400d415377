// One simulated instance and its timeline. State is never stored: it is derived from the times of
// the instance's events (running, notice, shutdown, terminated) against the simulated now. That keeps
// the core free of timers, exact at any clock speed, and trivially testable.

import { type SimClock, wallReasonTime } from './clock.ts';
import type { UserData } from './user-data.ts';

export type Market = 'spot' | 'on-demand';
export type InstanceStateName = 'pending' | 'running' | 'shutting-down' | 'terminated';

export const STATE_CODES: Record<InstanceStateName, number> = {
  pending: 0,
  running: 16,
  'shutting-down': 32,
  terminated: 48,
};

export interface StateReason {
  code: string;
  message: string;
}

export interface SimInstance {
  id: string;
  reservationId: string;
  imageId: string;
  instanceType: string;
  az: string;
  market: Market;
  /** Spot only: the highest price the owner pays (defaults to the on-demand price). */
  maxPrice?: number;
  spotRequestId?: string;
  clientToken?: string;
  tags: Map<string, string>;
  launchTime: number;
  amiLaunchIndex: number;
  privateIp: string;
  userData?: UserData;
  /** When pending ends. */
  runningAt: number;
  /** Rebalance recommendation visible in IMDS from this time. */
  rebalanceAt?: number;
  /** Interruption notice (spot/instance-action) visible from this time… */
  noticeAt?: number;
  /** …announcing this time as the moment of the action. */
  actionTime?: number;
  /** Whether the pending interruption came from the hazard/price model (and may be re-planned). */
  autoInterruption?: boolean;
  shutdownAt?: number;
  terminatedAt?: number;
  endReason?: 'user' | 'spot';
}

export function stateAt(inst: SimInstance, t: number): InstanceStateName {
  if (inst.terminatedAt !== undefined && inst.terminatedAt <= t) return 'terminated';
  if (inst.shutdownAt !== undefined && inst.shutdownAt <= t) return 'shutting-down';
  if (inst.runningAt <= t) return 'running';
  return 'pending';
}

const USER_REASON: StateReason = {
  code: 'Client.UserInitiatedShutdown',
  message: 'Client.UserInitiatedShutdown: User initiated shutdown',
};
const SPOT_REASON: StateReason = {
  code: 'Server.SpotInstanceTermination',
  message: 'Server.SpotInstanceTermination: Spot instance termination',
};
const PENDING_REASON: StateReason = { code: 'pending', message: 'pending' };

/** EC2's stateReason: set while pending and after shutdown began, absent while running. */
export function stateReasonAt(inst: SimInstance, t: number): StateReason | undefined {
  const state = stateAt(inst, t);
  if (state === 'pending') return PENDING_REASON;
  if (state === 'running') return undefined;
  return inst.endReason === 'spot' ? SPOT_REASON : USER_REASON;
}

/**
 * EC2's free-text `reason` (StateTransitionReason), e.g. "User initiated (2020-03-05 04:45:19 GMT)";
 * the time in it is wall-clock time, like every time the simulator hands out.
 */
export function transitionReasonAt(inst: SimInstance, t: number, clock: SimClock): string {
  if (inst.shutdownAt === undefined || inst.shutdownAt > t) return '';
  const when = wallReasonTime(clock, inst.shutdownAt);
  return inst.endReason === 'spot' ? `Service initiated (${when} GMT)` : `User initiated (${when} GMT)`;
}

export function isGone(inst: SimInstance, t: number): boolean {
  return stateAt(inst, t) === 'terminated';
}
