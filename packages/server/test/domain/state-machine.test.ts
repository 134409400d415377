import type { InstanceRole, InstanceStatus } from '@spot/contract';
import { describe, expect, it } from 'vitest';
import { DomainError } from '../../src/domain/errors.ts';
import {
  type Action,
  decide,
  type InstanceState,
  isFinal,
  isLegal,
  type StatusAction,
  streamTypeFor,
  TRANSITIONS,
} from '../../src/domain/state-machine.ts';

/**
 * The state machine against the table in docs/state-machine.md, cell by cell: every
 * (action, from) pair either is a documented transition, or is refused (requests) or
 * recorded without a change (confirmations, which are never refused).
 */
const STATUSES: InstanceStatus[] = [
  'LAUNCHING',
  'RUNNING',
  'PROMOTING',
  'TERMINATING',
  'TERMINATED',
  'OFFLINE',
  'FAILED',
];
const ROLES: InstanceRole[] = ['PRIMARY', 'REPLICA', 'ZOMBIE'];
const AT = new Date('2025-03-01T12:00:00.000Z');

/** The documented table (docs/state-machine.md), written out independently of the code. */
const DOCUMENTED: Record<string, Partial<Record<InstanceStatus | 'none', InstanceStatus>>> = {
  request_launch: { none: 'LAUNCHING' },
  confirm_launch: { LAUNCHING: 'RUNNING' },
  fail_launch: { LAUNCHING: 'FAILED' },
  request_terminate: { RUNNING: 'TERMINATING', OFFLINE: 'TERMINATING', FAILED: 'TERMINATING' },
  confirm_terminate: {
    TERMINATING: 'TERMINATED',
    LAUNCHING: 'TERMINATED',
    RUNNING: 'TERMINATED',
    OFFLINE: 'TERMINATED',
    PROMOTING: 'TERMINATED',
    FAILED: 'TERMINATED',
  },
  fail_terminate: { TERMINATING: 'FAILED' },
  mark_offline: { RUNNING: 'OFFLINE' },
  mark_online: { OFFLINE: 'RUNNING' },
  request_promote: { RUNNING: 'PROMOTING' },
  confirm_promote: { PROMOTING: 'RUNNING' },
  abort_promote: { PROMOTING: 'RUNNING' },
};

/** Confirmations report what the cloud did: never refused, only recorded (invariant 3). */
const CONFIRMATIONS = new Set(['confirm_launch', 'fail_launch', 'confirm_terminate', 'fail_terminate']);

const STREAM_FOR: Record<InstanceStatus, string> = {
  LAUNCHING: 'INSTANCE_LAUNCHING',
  RUNNING: 'INSTANCE_RUNNING',
  PROMOTING: 'INSTANCE_PROMOTING',
  TERMINATING: 'INSTANCE_TERMINATING',
  TERMINATED: 'INSTANCE_TERMINATED',
  OFFLINE: 'INSTANCE_OFFLINE',
  FAILED: 'INSTANCE_FAILED',
};

function state(status: InstanceStatus, extra: Partial<InstanceState> = {}): InstanceState {
  return {
    status,
    role: 'PRIMARY',
    cloud_instance_id: 'i-0aaa',
    launch_confirmed_at: status === 'LAUNCHING' ? null : AT,
    termination_confirmed_at: status === 'TERMINATED' ? AT : null,
    ...extra,
  };
}

function action(type: Action['type'], cloudId = 'i-0aaa'): Action {
  switch (type) {
    case 'confirm_launch':
      return { type, cloud_instance_id: cloudId, at: AT, source: 'agent' };
    case 'fail_launch':
      return {
        type,
        error_code: 'InsufficientInstanceCapacity',
        message: null,
        at: AT,
        source: 'agent',
        reason: 'launch_error',
      };
    case 'request_terminate':
      return { type, at: AT, source: 'backend', reason: 'manual', detail: null };
    case 'confirm_terminate':
      return { type, at: AT, source: 'agent', cloud_instance_id: cloudId, method: 'agent_aws_poll' };
    case 'fail_terminate':
      return { type, error_code: 'TerminateTimeout', message: null, at: AT, source: 'backend' };
    case 'mark_offline':
    case 'mark_online':
      return { type, at: AT };
    case 'request_promote':
      return { type, at: AT, source: 'backend', reason: 'manual' };
    case 'confirm_promote':
      return { type, at: AT, source: 'new_primary_confirmation' };
    case 'abort_promote':
      return { type, at: AT, source: 'backend', error_code: 'SwitchTimeout' };
    case 'demote':
      return { type, at: AT, source: 'backend', switch_id: 's-1' };
  }
}

const ACTIONS = Object.keys(DOCUMENTED).filter((a) => a !== 'request_launch') as Action['type'][];

describe('transition table', () => {
  it('isLegal matches the documented table for every (action, from) pair', () => {
    for (const [act, cells] of Object.entries(DOCUMENTED)) {
      for (const from of [null, ...STATUSES]) {
        const expected = cells[from ?? 'none'] ?? null;
        expect(isLegal(act as StatusAction, from), `${act} from ${from}`).toBe(expected);
      }
    }
    // No row in the code that the documentation does not have.
    for (const row of TRANSITIONS) {
      for (const from of row.from) expect(DOCUMENTED[row.action]?.[from ?? 'none']).toBe(row.to);
    }
  });

  it('applies every legal transition with its state, lifecycle event and stream event', () => {
    for (const act of ACTIONS) {
      for (const from of STATUSES) {
        const to = DOCUMENTED[act]![from];
        if (!to) continue;
        const role: InstanceRole = act === 'request_promote' ? 'REPLICA' : 'PRIMARY';
        const d = decide(state(from, { role }), action(act));
        expect(d.kind, `${act} from ${from}`).toBe('apply');
        if (d.kind !== 'apply') continue;
        expect(d.patch.status).toBe(to);
        expect(d.stream).toBe(STREAM_FOR[to]);
        expect(d.lifecycle.event_type).toMatch(/^[A-Z_]+$/);
      }
    }
  });

  it('refuses every undocumented request with INVALID_TRANSITION', () => {
    for (const act of ACTIONS.filter((a) => !CONFIRMATIONS.has(a))) {
      for (const from of STATUSES) {
        if (DOCUMENTED[act]![from]) continue;
        // A repeated terminate request while TERMINATING is answered idempotently (202, no
        // second command), see lifecycle-service: it is not a transition, it changes nothing.
        if (act === 'request_terminate' && from === 'TERMINATING') continue;
        for (const role of ROLES) {
          const d = decide(state(from, { role }), action(act));
          expect(d.kind, `${act} from ${from} (${role})`).toBe('reject');
          if (d.kind === 'reject') {
            expect(d.error).toBeInstanceOf(DomainError);
            expect(d.error.code).toBe('INVALID_TRANSITION');
            expect(d.error.status).toBe(409);
          }
        }
      }
    }
  });

  it('answers a repeated terminate request while TERMINATING as a duplicate, without a change', () => {
    const d = decide(state('TERMINATING'), action('request_terminate'));
    expect(d.kind).toBe('duplicate');
    // Recorded as a repeat, never as a second request (issue 12.2).
    if (d.kind === 'duplicate') expect(d.lifecycle.event_type).toBe('TERMINATE_REQUEST_REPEATED');
  });

  it('never refuses a confirmation outside the table: it is recorded as duplicate or late', () => {
    for (const act of [...CONFIRMATIONS] as Action['type'][]) {
      for (const from of STATUSES) {
        if (DOCUMENTED[act]![from]) continue;
        const d = decide(state(from), action(act));
        expect(['duplicate', 'late'], `${act} from ${from}`).toContain(d.kind);
        if (d.kind === 'duplicate' || d.kind === 'late') {
          expect(d.lifecycle.event_type).toBe(
            d.kind === 'duplicate' ? 'CONFIRMATION_DUPLICATE' : 'CONFIRMATION_LATE',
          );
        }
      }
    }
  });

  it('tells a duplicate launch confirmation (same cloud id, still RUNNING) from a late one', () => {
    expect(decide(state('RUNNING'), action('confirm_launch', 'i-0aaa')).kind).toBe('duplicate');
    expect(decide(state('RUNNING'), action('confirm_launch', 'i-0bbb')).kind).toBe('late');
    expect(decide(state('TERMINATED'), action('confirm_launch', 'i-0aaa')).kind).toBe('late');
    expect(decide(state('TERMINATED'), action('confirm_terminate')).kind).toBe('duplicate');
    expect(decide(state('FAILED'), action('fail_launch')).kind).toBe('late');
  });

  it('records a termination that skipped TERMINATING as external (AWS took it)', () => {
    for (const from of ['LAUNCHING', 'RUNNING', 'OFFLINE', 'PROMOTING', 'FAILED'] as const) {
      const d = decide(state(from), action('confirm_terminate'));
      expect(d.kind).toBe('apply');
      if (d.kind !== 'apply') continue;
      expect(d.lifecycle.source).toBe('external');
      expect(d.lifecycle.reason).toBe('spot_interruption');
      expect(d.patch.termination_requested_at).toEqual(AT);
    }
    const asked = decide(state('TERMINATING'), action('confirm_terminate'));
    expect(asked.kind === 'apply' && asked.lifecycle.source).toBe('agent');
    expect(asked.kind === 'apply' && asked.patch.termination_requested_at).toBeUndefined();
  });

  it('refuses to terminate a FAILED instance that has no cloud id (nothing to clean up)', () => {
    const d = decide(state('FAILED', { cloud_instance_id: null }), action('request_terminate'));
    expect(d.kind).toBe('reject');
  });
});

describe('TERMINATED is final', () => {
  it('no action moves a TERMINATED instance anywhere', () => {
    expect(isFinal('TERMINATED')).toBe(true);
    for (const s of STATUSES.filter((x) => x !== 'TERMINATED')) expect(isFinal(s)).toBe(false);
    for (const act of ACTIONS) {
      for (const role of ROLES) {
        expect(isLegal(act as StatusAction, 'TERMINATED')).toBeNull();
        const d = decide(state('TERMINATED', { role }), action(act));
        expect(d.kind, act).not.toBe('apply');
      }
    }
  });

  it('only confirm_terminate reaches TERMINATED (invariant 2)', () => {
    for (const row of TRANSITIONS) {
      if (row.to === 'TERMINATED') expect(row.action).toBe('confirm_terminate');
    }
  });

  it('only request_launch enters LAUNCHING, and only confirm_launch leaves it for RUNNING (invariant 1)', () => {
    for (const row of TRANSITIONS) {
      if (row.to === 'LAUNCHING') expect(row).toMatchObject({ action: 'request_launch', from: [null] });
      if (row.from.includes(null)) expect(row.to).toBe('LAUNCHING');
      if (row.from.includes('LAUNCHING') && row.to === 'RUNNING') expect(row.action).toBe('confirm_launch');
    }
  });
});

describe('roles', () => {
  it('promotes only a REPLICA', () => {
    for (const role of ROLES) {
      const d = decide(state('RUNNING', { role }), action('request_promote'));
      expect(d.kind, role).toBe(role === 'REPLICA' ? 'apply' : 'reject');
    }
  });

  it('makes a promoted instance PRIMARY on confirmation', () => {
    const d = decide(state('PROMOTING', { role: 'REPLICA' }), action('confirm_promote'));
    expect(d.kind === 'apply' && d.patch).toMatchObject({ status: 'RUNNING', role: 'PRIMARY' });
  });

  it('makes a FAILED primary a ZOMBIE when its clean-up starts, so it never is a live PRIMARY again', () => {
    const d = decide(state('FAILED', { role: 'PRIMARY' }), action('request_terminate'));
    expect(d.kind === 'apply' && d.patch).toMatchObject({ status: 'TERMINATING', role: 'ZOMBIE' });
    const replica = decide(state('FAILED', { role: 'REPLICA' }), action('request_terminate'));
    expect(replica.kind === 'apply' && replica.patch.role).toBeUndefined();
  });

  it('no other action changes a role', () => {
    for (const act of ACTIONS.filter((a) => a !== 'confirm_promote')) {
      for (const from of STATUSES) {
        for (const role of ROLES) {
          if (act === 'request_terminate' && from === 'FAILED' && role === 'PRIMARY') continue;
          const d = decide(state(from, { role }), action(act));
          if (d.kind === 'apply') expect(d.patch.role, `${act} from ${from}`).toBeUndefined();
        }
      }
    }
  });
});

describe('stream events', () => {
  it('names one stream event per status', () => {
    for (const s of STATUSES) expect(streamTypeFor(s)).toBe(STREAM_FOR[s]);
  });
});

describe('role changes', () => {
  it('demotes a live PRIMARY to ZOMBIE without touching its status, once', () => {
    for (const from of STATUSES.filter((x) => !isFinal(x))) {
      const d = decide(state(from, { role: 'PRIMARY' }), action('demote'));
      expect(d.kind, from).toBe('apply');
      if (d.kind !== 'apply') continue;
      expect(d.patch).toEqual({ role: 'ZOMBIE' });
      expect(d.lifecycle.event_type).toBe('DEMOTED');
      expect(d.stream).toBe('INSTANCE_UPDATED');
    }
    expect(decide(state('RUNNING', { role: 'ZOMBIE' }), action('demote')).kind).toBe('duplicate');
    expect(decide(state('RUNNING', { role: 'REPLICA' }), action('demote')).kind).toBe('reject');
    expect(decide(state('TERMINATED', { role: 'PRIMARY' }), action('demote')).kind).toBe('reject');
    expect(isLegal('demote' as never, 'RUNNING')).toBeNull();
  });

  it('promotes only a REPLICA, and makes it PRIMARY only on confirmation', () => {
    expect(decide(state('RUNNING', { role: 'PRIMARY' }), action('request_promote')).kind).toBe('reject');
    const promoting = decide(state('RUNNING', { role: 'REPLICA' }), action('request_promote'));
    expect(promoting.kind === 'apply' && promoting.patch).toEqual({ status: 'PROMOTING' });
    const confirmed = decide(state('PROMOTING', { role: 'REPLICA' }), action('confirm_promote'));
    expect(confirmed.kind === 'apply' && confirmed.patch).toEqual({ status: 'RUNNING', role: 'PRIMARY' });
    const aborted = decide(state('PROMOTING', { role: 'REPLICA' }), action('abort_promote'));
    expect(aborted.kind === 'apply' && aborted.patch).toEqual({ status: 'RUNNING' });
  });
});
