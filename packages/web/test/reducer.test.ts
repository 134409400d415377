import { describe, expect, it } from 'vitest';
import { emptyFleet, type FleetState, openSwitchOf, primaryOf } from '../src/store/fleet-state';
import {
  applyAgents,
  applyEvent,
  applyInterruptions,
  applyLatestPrices,
  applySnapshot,
  applySwitches,
  beginLaunch,
  beginTerminate,
  launchAccepted,
  rollback,
  terminateAccepted,
} from '../src/store/reducer';
import { buildRows } from '../src/store/rows';
import { AGENT, ev, instance, instEvent, switchEvent, switchView, uuid } from './fixtures';

const rowsOf = (s: FleetState) => buildRows(s.instances, s.pending, s.agents, s.prices);
const apply = (s: FleetState, ...events: Parameters<typeof applyEvent>[1][]) => events.reduce(applyEvent, s);

describe('applyEvent: instance events', () => {
  const base = instance({ instance_id: uuid(1) });
  const running = {
    ...base,
    status: 'RUNNING' as const,
    cloud_instance_id: 'i-0abc',
    launch_confirmed_at: '2026-11-24T10:00:30.000Z',
    launch_duration_seconds: 30,
    version: 2,
  };

  it.each([
    ['INSTANCE_LAUNCHING', 'LAUNCHING'],
    ['INSTANCE_RUNNING', 'RUNNING'],
    ['INSTANCE_PROMOTING', 'PROMOTING'],
    ['INSTANCE_TERMINATING', 'TERMINATING'],
    ['INSTANCE_TERMINATED', 'TERMINATED'],
    ['INSTANCE_OFFLINE', 'OFFLINE'],
    ['INSTANCE_FAILED', 'FAILED'],
  ] as const)('%s sets the instance to %s', (type, status) => {
    const s = applyEvent(emptyFleet(), ev(type, { ...base, status }, 10));
    expect(s.instances[base.instance_id]?.status).toBe(status);
    expect(s.lastSeq).toBe(10);
    expect(s.activity[0]?.type).toBe(type);
  });

  it('INSTANCE_UPDATED takes the newer fields without a status change', () => {
    const s = apply(
      emptyFleet(),
      instEvent(base, 1),
      ev('INSTANCE_UPDATED', { ...base, cloud_instance_id: 'i-0def', version: 2 }, 2),
    );
    expect(s.instances[base.instance_id]).toMatchObject({ status: 'LAUNCHING', cloud_instance_id: 'i-0def' });
  });

  it('an older version after a newer one is ignored (out of order)', () => {
    const s = apply(emptyFleet(), instEvent(running, 5), instEvent(base, 6));
    expect(s.instances[base.instance_id]?.status).toBe('RUNNING');
    expect(s.instances[base.instance_id]?.version).toBe(2);
  });

  it('a repeated event (replay after reconnect) changes nothing', () => {
    const once = apply(emptyFleet(), instEvent(base, 1), instEvent(running, 2));
    const twice = apply(once, instEvent(running, 2), instEvent(base, 1));
    expect(twice.instances).toBe(once.instances);
    expect(twice.lastSeq).toBe(2);
    expect(twice.activity).toHaveLength(once.activity.length);
  });

  it('TERMINATED is kept as a tombstone and leaves the active rows', () => {
    const gone = { ...running, status: 'TERMINATED' as const, version: 4 };
    const s = apply(emptyFleet(), instEvent(running, 1), instEvent(gone, 2));
    expect(s.instances[base.instance_id]?.status).toBe('TERMINATED');
    expect(rowsOf(s)).toHaveLength(0);
    // A late snapshot still listing it as RUNNING does not bring it back.
    expect(rowsOf(applySnapshot(s, [running], 0))).toHaveLength(0);
  });

  it('a malformed instance payload changes nothing but the resume point', () => {
    const s = applyEvent(emptyFleet(), ev('INSTANCE_RUNNING', { instance_id: 'x', status: 'BOGUS' }, 7));
    expect(s.instances).toEqual({});
    expect(s.lastSeq).toBe(7);
  });
});

describe('applyEvent: other events', () => {
  it('AGENT_STATUS_CHANGED updates a known agent and adds an unknown one', () => {
    let s = applyAgents(emptyFleet(), [
      {
        agent_id: AGENT,
        logical_id: 'web-1',
        status: 'online',
        last_heartbeat_at: '2026-11-24T09:00:00.000Z',
        instance_type: 't3.medium',
        availability_zone: 'us-east-1a',
        region: 'us-east-1',
        cloud_instance_id: 'i-01',
        active_instances: 1,
        created_at: '2026-11-24T08:00:00.000Z',
      },
    ]);
    s = applyEvent(
      s,
      ev(
        'AGENT_STATUS_CHANGED',
        { agent_id: AGENT, logical_id: 'web-1', status: 'offline', previous_status: 'online' },
        1,
      ),
    );
    expect(s.agents[AGENT]).toMatchObject({ status: 'offline', instance_type: 't3.medium' });
    const other = uuid(9001);
    s = applyEvent(
      s,
      ev(
        'AGENT_STATUS_CHANGED',
        { agent_id: other, logical_id: 'db-1', status: 'online', previous_status: null },
        2,
      ),
    );
    expect(s.agents[other]).toMatchObject({
      logical_id: 'db-1',
      status: 'online',
      last_heartbeat_at: '2026-11-24T10:00:05.000Z',
    });
  });

  it('EMERGENCY_EVENT adds an alert once, even when replayed', () => {
    const data = {
      interruption_id: 'int-1',
      kind: 'termination_notice',
      agent_id: AGENT,
      instance_id: uuid(1),
      cloud_instance_id: 'i-0abc',
      deadline: '2026-11-24T10:02:00.000Z',
      detected_at: '2026-11-24T10:00:00.000Z',
      action: 'terminate',
    };
    let s = applyEvent(emptyFleet(), ev('EMERGENCY_EVENT', data, 3));
    expect(s.emergencies['int-1']).toMatchObject({ kind: 'termination_notice', action: 'terminate' });
    // Not an object literal in the call: the listing may carry more fields than this test names.
    const listed = {
      ...data,
      kind: 'termination_notice' as const,
      received_at: data.detected_at,
      response: null,
      outcome: null,
      sources: ['agent'],
      switch_id: null,
      serving_after_seconds: null,
      responded_at: null,
      resolved_at: null,
    };
    s = applyInterruptions(s, [listed]);
    s = applyEvent(s, ev('EMERGENCY_EVENT', { ...data, action: 'stop' }, 4));
    expect(Object.keys(s.emergencies)).toEqual(['int-1']);
    expect(s.emergencies['int-1']?.action).toBe('terminate');
  });

  it('PRICE_UPDATED keeps the newest price per pool and bumps the refresh counter', () => {
    let s = applyLatestPrices(emptyFleet(), [
      {
        instance_type: 't3.medium',
        availability_zone: 'us-east-1a',
        points: [{ t: '2026-11-24T09:00:00.000Z', price: 0.01 }],
      },
    ]);
    const p = (price: number, timestamp: string, seq: number) =>
      ev(
        'PRICE_UPDATED',
        {
          instance_type: 't3.medium',
          availability_zone: 'us-east-1a',
          region: 'us-east-1',
          spot_price: price,
          timestamp,
        },
        seq,
      );
    s = apply(s, p(0.02, '2026-11-24T10:00:00.000Z', 1), p(0.015, '2026-11-24T09:30:00.000Z', 2));
    expect(s.prices['t3.medium|us-east-1a']).toEqual({ price: 0.02, at: '2026-11-24T10:00:00.000Z' });
    expect(s.priceVersion).toBe(2);
    expect(rowsOf(applyEvent(s, instEvent(instance(), 3)))[0]?.price).toBe(0.02);
  });

  it('COMMAND_EXECUTED failure raises a notice; success only logs activity', () => {
    const cmd = {
      command_id: 'c1',
      agent_id: AGENT,
      instance_id: null,
      command_type: 'LAUNCH_INSTANCE',
      message: null,
    };
    let s = applyEvent(emptyFleet(), ev('COMMAND_EXECUTED', { ...cmd, success: true }, 1));
    expect(s.notices).toHaveLength(0);
    s = applyEvent(
      s,
      ev(
        'COMMAND_EXECUTED',
        { ...cmd, success: false, message: 'no capacity', error_code: 'InsufficientInstanceCapacity' },
        2,
      ),
    );
    expect(s.notices[0]).toMatchObject({ level: 'error' });
    expect(s.notices[0]?.text).toContain('InsufficientInstanceCapacity');
    expect(s.notices[0]?.text).toContain('no capacity');
  });

  it('NOTIFICATION is logged; a malformed SWITCH_COMPLETED or DECISION_MADE only moves the resume point; HEARTBEAT changes nothing', () => {
    const s0 = emptyFleet();
    expect(applyEvent(s0, ev('HEARTBEAT', {}))).toBe(s0);
    const s = apply(
      s0,
      ev('NOTIFICATION', { message: 'maintenance at noon' }, 1),
      ev('SWITCH_COMPLETED', {}, 2),
      ev('DECISION_MADE', {}, 3),
    );
    expect(s.notices.map((n) => n.text)).toEqual(['maintenance at noon']);
    expect(s.activity.map((a) => a.type)).toEqual(['NOTIFICATION']);
    expect(s.decisions).toEqual([]);
    expect(s.switches).toEqual({});
    expect(s.lastSeq).toBe(3);
  });

  it('a non-instance event at or below the last seq is a duplicate and ignored', () => {
    const note = ev('NOTIFICATION', { message: 'once' }, 5);
    const s = apply(emptyFleet(), note, note, ev('NOTIFICATION', { message: 'older' }, 4));
    expect(s.notices.map((n) => n.text)).toEqual(['once']);
  });
});

describe('resume bookkeeping', () => {
  it('lastSeq is the highest seq applied and never goes back', () => {
    const i = instance();
    let s = apply(emptyFleet(), instEvent(i, 3), instEvent({ ...i, version: 2 }, 9));
    expect(s.lastSeq).toBe(9);
    s = applyEvent(s, instEvent({ ...i, version: 3 }, 8));
    expect(s.lastSeq).toBe(9);
    s = applyEvent(s, ev('HEARTBEAT', {}));
    expect(s.lastSeq).toBe(9);
  });

  it('a snapshot drops active instances it no longer lists unless an event newer than the request set them', () => {
    const old = instance({ status: 'RUNNING' });
    const fresh = instance();
    let s = applySnapshot(emptyFleet(), [old], null);
    s = applyEvent(s, instEvent(fresh, 12));
    // Snapshot requested at seq 10: `fresh` (seq 12) raced it, `old` was terminated unseen.
    s = applySnapshot(s, [], 10);
    expect(Object.keys(s.instances)).toEqual([fresh.instance_id]);
  });
});

describe('optimistic actions', () => {
  const req = {
    key: 'k1',
    agent_id: AGENT,
    instance_type: 't3.medium',
    availability_zone: 'us-east-1a',
    at: '2026-11-24T10:00:00.000Z',
  };

  it('launch: a LAUNCHING row at once, replaced by the server row when its event arrives', () => {
    let s = beginLaunch(emptyFleet(), req);
    expect(rowsOf(s)).toMatchObject([{ status: 'LAUNCHING', optimistic: true, instanceType: 't3.medium' }]);
    const i = instance({ instance_id: uuid(50) });
    s = launchAccepted(s, 'k1', i.instance_id);
    expect(rowsOf(s)).toMatchObject([{ id: i.instance_id, optimistic: true }]);
    s = applyEvent(s, instEvent(i, 1));
    expect(s.pending).toEqual({});
    expect(rowsOf(s)).toMatchObject([{ id: i.instance_id, status: 'LAUNCHING', optimistic: false }]);
    s = applyEvent(s, instEvent({ ...i, status: 'RUNNING', version: 2 }, 2));
    expect(rowsOf(s)).toMatchObject([{ status: 'RUNNING' }]);
  });

  it('launch: the event may arrive before the 202 answer; no duplicate row either way', () => {
    let s = beginLaunch(emptyFleet(), req);
    const i = instance({ instance_id: uuid(51) });
    s = applyEvent(s, instEvent(i, 1));
    expect(rowsOf(s)).toHaveLength(1);
    expect(s.pending).toEqual({});
    s = launchAccepted(s, 'k1', i.instance_id);
    expect(rowsOf(s)).toHaveLength(1);
  });

  it('launch refused: the row disappears and a message says why', () => {
    let s = beginLaunch(emptyFleet(), req);
    s = rollback(s, 'k1', 'Launch of t3.medium refused: agent not found (NOT_FOUND)');
    expect(rowsOf(s)).toHaveLength(0);
    expect(s.notices).toMatchObject([{ level: 'error', text: expect.stringContaining('NOT_FOUND') }]);
  });

  it('terminate: TERMINATING at once, confirmed by the event, then TERMINATED leaves the list', () => {
    const i = instance({ status: 'RUNNING', cloud_instance_id: 'i-01', version: 2 });
    let s = applyEvent(emptyFleet(), instEvent(i, 1));
    s = beginTerminate(s, 't1', i.instance_id, '2026-11-24T10:05:00.000Z');
    expect(rowsOf(s)).toMatchObject([{ status: 'TERMINATING', optimistic: true }]);
    s = terminateAccepted(s, 't1'); // 202 before the event: still waiting for the stream
    expect(s.pending.t1).toBeDefined();
    s = applyEvent(s, instEvent({ ...i, status: 'TERMINATING', version: 3 }, 2));
    expect(s.pending).toEqual({});
    expect(rowsOf(s)).toMatchObject([{ status: 'TERMINATING', optimistic: false }]);
    s = applyEvent(s, instEvent({ ...i, status: 'TERMINATED', version: 4 }, 3));
    expect(rowsOf(s)).toHaveLength(0);
  });

  it('terminate refused: back to the server state with a message', () => {
    const i = instance({ status: 'RUNNING', cloud_instance_id: 'i-01', version: 2 });
    let s = applyEvent(emptyFleet(), instEvent(i, 1));
    s = beginTerminate(s, 't1', i.instance_id, '2026-11-24T10:05:00.000Z');
    s = rollback(s, 't1', 'Terminate of i-01 refused: cannot terminate (INVALID_TRANSITION)');
    expect(rowsOf(s)).toMatchObject([{ status: 'RUNNING', optimistic: false }]);
    expect(s.notices).toHaveLength(1);
    // Rolling back a settled key again is a no-op, not a second message.
    expect(rollback(s, 't1', 'again')).toBe(s);
  });
});

describe('queryRows', () => {
  it('sorts by time in state (freshest first ascending) and breaks ties by id', async () => {
    const { queryRows } = await import('../src/store/rows');
    const a = instance({
      instance_id: uuid(601),
      status: 'RUNNING',
      status_changed_at: '2026-11-24T10:00:00.000Z',
    });
    const b = instance({
      instance_id: uuid(602),
      status: 'RUNNING',
      status_changed_at: '2026-11-24T11:00:00.000Z',
    });
    const c = instance({
      instance_id: uuid(603),
      status: 'FAILED',
      status_changed_at: '2026-11-24T10:30:00.000Z',
    });
    const rows = rowsOf(applySnapshot(emptyFleet(), [a, b, c], null));
    const ids = (q: Parameters<typeof queryRows>[1]) => queryRows(rows, q).map((r) => r.id);
    expect(ids({ status: 'ALL', text: '', sort: 'since', dir: 'asc' })).toEqual([
      b.instance_id,
      c.instance_id,
      a.instance_id,
    ]);
    expect(ids({ status: 'ALL', text: '', sort: 'since', dir: 'desc' })).toEqual([
      a.instance_id,
      c.instance_id,
      b.instance_id,
    ]);
    expect(ids({ status: 'ALL', text: '', sort: 'status', dir: 'asc' })).toEqual([
      c.instance_id,
      a.instance_id,
      b.instance_id,
    ]);
    expect(ids({ status: 'RUNNING', text: '', sort: 'status', dir: 'asc' })).toEqual([
      a.instance_id,
      b.instance_id,
    ]);
  });
});

describe('applyEvent: dispatch', () => {
  it('handles every StreamEventType of the contract (none reaches assertNever), even with an empty payload', async () => {
    const { StreamEventType } = await import('@spot/contract');
    for (const type of StreamEventType.options) {
      expect(() => applyEvent(emptyFleet(), ev(type, {}, 1)), type).not.toThrow();
    }
  });
});

describe('applyEvent: switches', () => {
  const started = switchView({ switch_id: 'sw-1', to_instance_id: uuid(701) });
  const completed = {
    ...started,
    status: 'COMPLETED' as const,
    phase: 'completed',
    completed_at: '2026-11-24T10:01:00.000Z',
    downtime_seconds: 0.42,
  };
  const failed = {
    ...started,
    status: 'FAILED' as const,
    phase: 'failed',
    completed_at: '2026-11-24T10:01:00.000Z',
    error_code: 'InsufficientInstanceCapacity',
    error_message: 'no capacity in us-east-1b',
  };

  it('SWITCH_STARTED shows the switch in progress; SWITCH_COMPLETED ends it with its downtime', () => {
    let s = applyEvent(emptyFleet(), switchEvent('SWITCH_STARTED', started, 1));
    expect(s.switches['sw-1']?.status).toBe('IN_PROGRESS');
    expect(openSwitchOf(s.switches, AGENT)?.switch_id).toBe('sw-1');
    expect(s.activity[0]?.text).toContain('started (manual)');
    expect(s.switchVersion).toBe(0);
    s = applyEvent(s, switchEvent('SWITCH_COMPLETED', completed, 2));
    expect(s.switches['sw-1']).toMatchObject({ status: 'COMPLETED', downtime_seconds: 0.42 });
    expect(openSwitchOf(s.switches, AGENT)).toBeNull();
    expect(s.activity[0]?.text).toBe('switch of 00000000 to m5.large · us-east-1b completed, downtime 0.42s');
    expect(s.switchVersion).toBe(1);
    expect(s.notices).toHaveLength(0);
  });

  it('SWITCH_FAILED ends it and tells the operator why', () => {
    const s = apply(
      emptyFleet(),
      switchEvent('SWITCH_STARTED', started, 1),
      switchEvent('SWITCH_FAILED', failed, 2),
    );
    expect(s.switches['sw-1']?.status).toBe('FAILED');
    expect(s.switchVersion).toBe(1);
    expect(s.notices.map((n) => [n.level, n.text])).toEqual([
      [
        'error',
        'switch of 00000000 to m5.large · us-east-1b failed: InsufficientInstanceCapacity (no capacity in us-east-1b)',
      ],
    ]);
  });

  it('an ended switch never reopens: a late SWITCH_STARTED or a stale list keeps it ended', () => {
    // The end arrived first (no seq: a resumed stream may deliver out of order across sources).
    let s = applyEvent(emptyFleet(), ev('SWITCH_COMPLETED', completed as unknown as Record<string, unknown>));
    const again = applyEvent(s, ev('SWITCH_STARTED', started as unknown as Record<string, unknown>));
    expect(again).toBe(s);
    s = applySwitches(s, [started]);
    expect(s.switches['sw-1']?.status).toBe('COMPLETED');
    // A list may bring an end the stream did not (missed while offline).
    const t = applySwitches(applyEvent(emptyFleet(), switchEvent('SWITCH_STARTED', started, 1)), [failed]);
    expect(t.switches['sw-1']?.status).toBe('FAILED');
  });

  it('a replayed switch event (seq already applied) changes nothing', () => {
    const s = apply(
      emptyFleet(),
      switchEvent('SWITCH_STARTED', started, 1),
      switchEvent('SWITCH_COMPLETED', completed, 2),
    );
    expect(apply(s, switchEvent('SWITCH_FAILED', failed, 2))).toBe(s);
  });

  it('INSTANCE_UPDATED with a role change is applied and logged: PRIMARY → ZOMBIE, REPLICA → PRIMARY', () => {
    const old = instance({
      instance_id: uuid(710),
      status: 'RUNNING',
      role: 'PRIMARY',
      cloud_instance_id: 'i-0old',
      version: 2,
    });
    const rep = instance({
      instance_id: uuid(711),
      status: 'RUNNING',
      role: 'REPLICA',
      cloud_instance_id: 'i-0new',
      version: 2,
    });
    let s = apply(emptyFleet(), instEvent(old, 1), instEvent(rep, 2));
    expect(primaryOf(s.instances, AGENT)?.instance_id).toBe(old.instance_id);
    s = apply(
      s,
      ev('INSTANCE_UPDATED', { ...old, role: 'ZOMBIE', version: 3 }, 3),
      ev('INSTANCE_UPDATED', { ...rep, role: 'PRIMARY', version: 3 }, 4),
    );
    expect(s.instances[old.instance_id]?.role).toBe('ZOMBIE');
    expect(primaryOf(s.instances, AGENT)?.instance_id).toBe(rep.instance_id);
    expect(s.activity.slice(0, 2).map((a) => a.text)).toEqual([
      'i-0new replica → primary',
      'i-0old primary → zombie',
    ]);
    expect(rowsOf(s).find((r) => r.id === old.instance_id)?.role).toBe('ZOMBIE');
    // The same update replayed changes nothing (version gate).
    expect(applyEvent(s, ev('INSTANCE_UPDATED', { ...old, role: 'ZOMBIE', version: 3 }, 3)).instances).toBe(
      s.instances,
    );
    // An INSTANCE_UPDATED without a role change stays out of the activity log.
    const quiet = applyEvent(s, ev('INSTANCE_UPDATED', { ...rep, role: 'PRIMARY', version: 4 }, 5));
    expect(quiet.activity).toHaveLength(s.activity.length);
  });
});
