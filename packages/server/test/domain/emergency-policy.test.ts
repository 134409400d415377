import { describe, expect, it } from 'vitest';
import {
  type CandidateFacts,
  chooseSpotPool,
  decideRebalance,
  decideTermination,
  outcomeOf,
  type TerminationFacts,
} from '../../src/domain/emergency-policy.ts';

const c = (az: string, spot: number | null, extra: Partial<CandidateFacts> = {}): CandidateFacts => ({
  instance_type: 'c5.large',
  availability_zone: az,
  spot_price: spot,
  ondemand_price: 0.085,
  unavailable: false,
  ...extra,
});
const here = { instance_type: 'c5.large', availability_zone: 'us-east-1a' };
const primary = (over: Partial<TerminationFacts> = {}): TerminationFacts => ({
  role: 'PRIMARY',
  mode: 'observe',
  onDemandFallback: false,
  pool: here,
  instanceType: 'c5.large',
  runningReplicaIds: [],
  openSwitch: null,
  candidates: [c('us-east-1a', 0.02), c('us-east-1b', 0.04), c('us-east-1c', 0.03)],
  ...over,
});

describe('choosing a pool', () => {
  it('never the pool being left, an unavailable one, or one priced at on-demand; cheapest first, unpriced last', () => {
    expect(
      chooseSpotPool([c('us-east-1a', 0.01), c('us-east-1b', 0.04), c('us-east-1c', 0.03)], here),
    ).toEqual({
      instance_type: 'c5.large',
      availability_zone: 'us-east-1c',
    });
    expect(
      chooseSpotPool([c('us-east-1c', 0.03, { unavailable: true }), c('us-east-1b', 0.04)], here)
        ?.availability_zone,
    ).toBe('us-east-1b');
    expect(chooseSpotPool([c('us-east-1b', 0.085), c('us-east-1c', null)], here)?.availability_zone).toBe(
      'us-east-1c',
    );
    expect(chooseSpotPool([c('us-east-1a', 0.01)], here)).toBeNull();
  });
});

describe('termination notice', () => {
  it('promotes a running replica at once, else launches in the best other pool', () => {
    expect(decideTermination(primary({ runningReplicaIds: ['r1'] }))).toEqual({
      kind: 'promote_replica',
      replicaId: 'r1',
    });
    expect(decideTermination(primary())).toMatchObject({
      kind: 'launch_replacement',
      pool: { availability_zone: 'us-east-1c' },
      market: 'spot',
      trigger: 'termination_notice',
    });
  });

  it('falls back to on-demand only when no spot pool is acceptable and the agent allows it', () => {
    const down = [c('us-east-1a', 0.02), c('us-east-1b', 0.04, { unavailable: true }), c('us-east-1c', 0.09)];
    expect(decideTermination(primary({ candidates: down })).kind).toBe('none');
    expect(decideTermination(primary({ candidates: down, onDemandFallback: true }))).toEqual({
      kind: 'launch_replacement',
      pool: here,
      market: 'on-demand',
      trigger: 'fallback',
    });
  });

  it('follows a switch already leaving this instance; replicas are replaced only in manual_replica mode', () => {
    expect(
      decideTermination(
        primary({ openSwitch: { id: 's1', fromThisInstance: true, targetIsThisInstance: false } }),
      ),
    ).toEqual({
      kind: 'follow_switch',
      switchId: 's1',
    });
    expect(decideTermination(primary({ role: 'REPLICA' })).kind).toBe('none');
    expect(decideTermination(primary({ role: 'REPLICA', mode: 'manual_replica' }))).toMatchObject({
      kind: 'replace_replica',
      pool: { availability_zone: 'us-east-1c' },
    });
    expect(decideTermination(primary({ role: 'ZOMBIE', runningReplicaIds: ['r1'] })).kind).toBe('none');
    // The replica a switch is promoting gets its own notice: that switch must not complete.
    expect(
      decideTermination(
        primary({
          role: 'REPLICA',
          openSwitch: { id: 's2', fromThisInstance: false, targetIsThisInstance: true },
        }),
      ),
    ).toEqual({ kind: 'abort_switch', switchId: 's2' });
  });
});

describe('rebalance recommendation', () => {
  const base = {
    role: 'PRIMARY' as const,
    onRebalance: 'replica' as const,
    pool: here,
    hasLiveReplica: false,
    openSwitch: false,
    agentCoolingDown: false,
    fleetCapReached: false,
    candidates: [c('us-east-1b', 0.04)],
  };
  it('pre-warms a replica only when asked, not rate limited, and none stands by', () => {
    expect(decideRebalance(base)).toMatchObject({
      kind: 'prewarm_replica',
      pool: { availability_zone: 'us-east-1b' },
    });
    expect(decideRebalance({ ...base, onRebalance: 'mark' }).kind).toBe('mark');
    expect(decideRebalance({ ...base, onRebalance: 'ignore' }).kind).toBe('none');
    expect(decideRebalance({ ...base, agentCoolingDown: true })).toMatchObject({
      kind: 'none',
      why: expect.stringMatching(/per agent/),
    });
    expect(decideRebalance({ ...base, fleetCapReached: true })).toMatchObject({
      kind: 'none',
      why: expect.stringMatching(/fleet-wide/),
    });
    expect(decideRebalance({ ...base, hasLiveReplica: true }).kind).toBe('none');
  });
});

describe('outcome', () => {
  const deadline = new Date('2026-01-01T00:02:00Z');
  it('is in_time when the new primary served by the deadline, late after it, failed without one', () => {
    expect(outcomeOf({ completed: true, servingAt: new Date('2026-01-01T00:01:59Z'), deadline })).toBe(
      'in_time',
    );
    expect(outcomeOf({ completed: true, servingAt: new Date('2026-01-01T00:02:01Z'), deadline })).toBe(
      'late',
    );
    expect(outcomeOf({ completed: false, servingAt: null, deadline })).toBe('failed');
  });
});
