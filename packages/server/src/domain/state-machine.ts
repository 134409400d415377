import type {
  ConfirmationMethod,
  EventSource,
  InstanceRole,
  InstanceStatus,
  LifecycleEventType,
  StreamEventType,
  TransitionReason,
} from '@spot/contract';
import { assertNever, DomainError } from './errors.ts';

/**
 * The instance state machine (DESIGN §3), pure: given the current instance and an action,
 * it decides the new state, the lifecycle event and the real-time event — or says the action
 * is a duplicate, late, or illegal. Services persist what it decides; nothing else assigns
 * a status.
 */

/** What the machine needs to know about an instance. */
export interface InstanceState {
  status: InstanceStatus;
  role: InstanceRole;
  cloud_instance_id: string | null;
  launch_confirmed_at: Date | null;
  termination_confirmed_at: Date | null;
}

export type Action =
  | {
      type: 'confirm_launch';
      cloud_instance_id: string;
      at: Date;
      source: EventSource;
      method?: ConfirmationMethod;
    }
  | {
      type: 'fail_launch';
      error_code: string;
      message: string | null;
      at: Date;
      source: EventSource;
      reason: TransitionReason;
    }
  | {
      type: 'request_terminate';
      at: Date;
      source: EventSource;
      reason: TransitionReason;
      detail: string | null;
    }
  | {
      type: 'confirm_terminate';
      at: Date;
      source: EventSource;
      cloud_instance_id: string | null;
      method: ConfirmationMethod;
    }
  | { type: 'fail_terminate'; error_code: string; message: string | null; at: Date; source: EventSource }
  | { type: 'mark_offline'; at: Date }
  | { type: 'mark_online'; at: Date }
  | { type: 'request_promote'; at: Date; source: EventSource; reason: TransitionReason }
  | { type: 'confirm_promote'; at: Date; source: EventSource; switch_id?: string }
  /** The promotion did not happen (cut-over failed, switch timed out): back to a serving replica. */
  | { type: 'abort_promote'; at: Date; source: EventSource; error_code: string }
  /** The primary's role passes to another instance: this one becomes a ZOMBIE (status unchanged). */
  | { type: 'demote'; at: Date; source: EventSource; switch_id: string };

/** Column changes, in the instance table's own names. */
/** Actions that change the role only; they have no row in TRANSITIONS (status is kept). */
export const ROLE_ACTIONS = ['demote'] as const;

export interface InstancePatch {
  status?: InstanceStatus;
  role?: InstanceRole;
  cloud_instance_id?: string;
  launch_confirmed_at?: Date;
  termination_requested_at?: Date;
  termination_confirmed_at?: Date;
  termination_reason?: string;
  error_code?: string;
  error_message?: string | null;
}

export interface LifecycleRecord {
  event_type: LifecycleEventType;
  source: EventSource;
  reason: TransitionReason | null;
  confirmation_method: ConfirmationMethod | null;
  cloud_instance_id: string | null;
  metadata: Record<string, unknown> | null;
}

export type Decision =
  | { kind: 'apply'; patch: InstancePatch; lifecycle: LifecycleRecord; stream: StreamEventType }
  /** Already in the state the action asks for: answer 2xx, record it, emit nothing. */
  | { kind: 'duplicate'; lifecycle: LifecycleRecord }
  /** The instance moved on past this action: record it, never move backwards. */
  | { kind: 'late'; lifecycle: LifecycleRecord }
  | { kind: 'reject'; error: DomainError };

/** The legal transitions, one row each: (action, from) → to. */
export const TRANSITIONS: ReadonlyArray<{
  action: Exclude<Action['type'], (typeof ROLE_ACTIONS)[number]> | 'request_launch';
  from: ReadonlyArray<InstanceStatus | null>;
  to: InstanceStatus;
}> = [
  { action: 'request_launch', from: [null], to: 'LAUNCHING' },
  { action: 'confirm_launch', from: ['LAUNCHING'], to: 'RUNNING' },
  { action: 'fail_launch', from: ['LAUNCHING'], to: 'FAILED' },
  // FAILED is included so an operator can clean up an instance that exists in the cloud
  // although its launch or termination failed (decide() refuses one without a cloud id).
  { action: 'request_terminate', from: ['RUNNING', 'OFFLINE', 'FAILED'], to: 'TERMINATING' },
  { action: 'confirm_terminate', from: ['TERMINATING'], to: 'TERMINATED' },
  // AWS can take an instance at any time (spot reclaim): an external report ends it directly.
  {
    action: 'confirm_terminate',
    from: ['LAUNCHING', 'RUNNING', 'OFFLINE', 'PROMOTING', 'FAILED'],
    to: 'TERMINATED',
  },
  { action: 'fail_terminate', from: ['TERMINATING'], to: 'FAILED' },
  { action: 'mark_offline', from: ['RUNNING'], to: 'OFFLINE' },
  { action: 'mark_online', from: ['OFFLINE'], to: 'RUNNING' },
  { action: 'request_promote', from: ['RUNNING'], to: 'PROMOTING' },
  { action: 'confirm_promote', from: ['PROMOTING'], to: 'RUNNING' },
  { action: 'abort_promote', from: ['PROMOTING'], to: 'RUNNING' },
];

/** TERMINATED is final (invariant 2). FAILED ends the lifecycle unless the cloud says more. */
export const isFinal = (s: InstanceStatus) => s === 'TERMINATED';
export const TRANSITIONAL_STATUSES: ReadonlySet<InstanceStatus> = new Set([
  'LAUNCHING',
  'PROMOTING',
  'TERMINATING',
]);

/** Stream event for a status an instance enters. */
export function streamTypeFor(status: InstanceStatus): StreamEventType {
  switch (status) {
    case 'LAUNCHING':
      return 'INSTANCE_LAUNCHING';
    case 'RUNNING':
      return 'INSTANCE_RUNNING';
    case 'PROMOTING':
      return 'INSTANCE_PROMOTING';
    case 'TERMINATING':
      return 'INSTANCE_TERMINATING';
    case 'TERMINATED':
      return 'INSTANCE_TERMINATED';
    case 'OFFLINE':
      return 'INSTANCE_OFFLINE';
    case 'FAILED':
      return 'INSTANCE_FAILED';
    default:
      return assertNever(status);
  }
}

export type StatusAction = (typeof TRANSITIONS)[number]['action'];

export function isLegal(action: StatusAction, from: InstanceStatus | null): InstanceStatus | null {
  const row = TRANSITIONS.find((t) => t.action === action && t.from.includes(from));
  return row ? row.to : null;
}

function record(
  event_type: LifecycleEventType,
  source: EventSource,
  extra: Partial<LifecycleRecord> = {},
): LifecycleRecord {
  return {
    event_type,
    source,
    reason: null,
    confirmation_method: null,
    cloud_instance_id: null,
    metadata: null,
    ...extra,
  };
}

function illegal(from: InstanceStatus, action: string): Decision {
  return {
    kind: 'reject',
    error: new DomainError(
      'INVALID_TRANSITION',
      `cannot ${action.replace('_', ' ')} an instance that is ${from}`,
      {
        status: from,
        action,
      },
    ),
  };
}

/** The heart of it: what happens to `current` under `action`. */
export function decide(current: InstanceState, action: Action): Decision {
  const from = current.status;
  const to = action.type === 'demote' ? null : isLegal(action.type, from);
  switch (action.type) {
    case 'confirm_launch': {
      const cloudId = action.cloud_instance_id;
      if (to) {
        return {
          kind: 'apply',
          patch: { status: to, cloud_instance_id: cloudId, launch_confirmed_at: action.at },
          lifecycle: record('LAUNCH_CONFIRMED', action.source, {
            confirmation_method: action.method ?? 'agent_aws_poll',
            cloud_instance_id: cloudId,
          }),
          stream: streamTypeFor(to),
        };
      }
      // Anything past LAUNCHING had its launch settled: the first confirmation won. A repeat
      // while still RUNNING on that cloud id is a duplicate; anything else arrives late.
      const kind = from === 'RUNNING' && current.cloud_instance_id === cloudId ? 'duplicate' : 'late';
      return {
        kind,
        lifecycle: record(
          kind === 'duplicate' ? 'CONFIRMATION_DUPLICATE' : 'CONFIRMATION_LATE',
          action.source,
          {
            cloud_instance_id: cloudId,
            metadata: { confirmation: 'launch', status: from },
          },
        ),
      };
    }
    case 'fail_launch': {
      if (!to) {
        return {
          kind: 'late',
          lifecycle: record('CONFIRMATION_LATE', action.source, {
            metadata: { confirmation: 'launch_failure', status: from, error_code: action.error_code },
          }),
        };
      }
      return {
        kind: 'apply',
        patch: { status: to, error_code: action.error_code, error_message: action.message },
        lifecycle: record('LAUNCH_FAILED', action.source, {
          reason: action.reason,
          metadata: { error_code: action.error_code, message: action.message },
        }),
        stream: streamTypeFor(to),
      };
    }
    case 'request_terminate': {
      if (from === 'TERMINATING') {
        // A repeat is recorded as what it is: the history an operator reads shows one
        // request, then its repeats (as CONFIRMATION_DUPLICATE does for confirmations).
        return {
          kind: 'duplicate',
          lifecycle: record('TERMINATE_REQUEST_REPEATED', action.source, {
            reason: action.reason,
            metadata: { status: from },
          }),
        };
      }
      if (!to || (from === 'FAILED' && !current.cloud_instance_id)) return illegal(from, 'terminate');
      return {
        kind: 'apply',
        patch: {
          status: to,
          termination_requested_at: action.at,
          termination_reason: action.detail ?? action.reason,
          // A FAILED primary stopped being the agent's primary (the one-PRIMARY index no
          // longer counts it, so the agent may have a new one): cleaning it up makes it a
          // former primary awaiting termination, not a live PRIMARY again beside the new one.
          ...(from === 'FAILED' && current.role === 'PRIMARY' ? { role: 'ZOMBIE' as const } : {}),
        },
        lifecycle: record('TERMINATE_REQUESTED', action.source, {
          reason: action.reason,
          cloud_instance_id: current.cloud_instance_id,
          ...(action.detail ? { metadata: { detail: action.detail } } : {}),
        }),
        stream: streamTypeFor(to),
      };
    }
    case 'confirm_terminate': {
      if (!to) {
        const kind = from === 'TERMINATED' ? 'duplicate' : 'late';
        return {
          kind,
          lifecycle: record(
            kind === 'duplicate' ? 'CONFIRMATION_DUPLICATE' : 'CONFIRMATION_LATE',
            action.source,
            {
              cloud_instance_id: action.cloud_instance_id,
              metadata: { confirmation: 'terminate', status: from },
            },
          ),
        };
      }
      // Not through TERMINATING means nobody here asked: AWS took it (invariant 1 covers
      // only system-initiated terminations), so record it as external.
      const external = from !== 'TERMINATING';
      const source: EventSource = external ? 'external' : action.source;
      const patch: InstancePatch = { status: to, termination_confirmed_at: action.at };
      if (external) {
        patch.termination_requested_at = action.at;
        patch.termination_reason = 'spot_interruption';
      }
      return {
        kind: 'apply',
        patch,
        lifecycle: record('TERMINATE_CONFIRMED', source, {
          confirmation_method: action.method,
          cloud_instance_id: action.cloud_instance_id ?? current.cloud_instance_id,
          ...(external ? { reason: 'spot_interruption' as const, metadata: { previous_status: from } } : {}),
        }),
        stream: streamTypeFor(to),
      };
    }
    case 'fail_terminate': {
      if (!to) {
        return {
          kind: 'late',
          lifecycle: record('CONFIRMATION_LATE', action.source, {
            metadata: { confirmation: 'terminate_failure', status: from, error_code: action.error_code },
          }),
        };
      }
      return {
        kind: 'apply',
        patch: { status: to, error_code: action.error_code, error_message: action.message },
        lifecycle: record('TERMINATE_FAILED', action.source, {
          reason: 'timeout',
          metadata: { error_code: action.error_code, message: action.message },
        }),
        stream: streamTypeFor(to),
      };
    }
    case 'mark_offline':
    case 'mark_online': {
      const offline = action.type === 'mark_offline';
      // Heartbeat jobs act only on RUNNING (resp. OFFLINE) instances and skip any other:
      // a 'duplicate' here used to write a WENT_OFFLINE event on an instance that never
      // went offline (e.g. one terminated between the job's list and its row lock).
      if (!to) return illegal(from, offline ? 'mark offline' : 'mark online');
      return {
        kind: 'apply',
        patch: { status: to },
        lifecycle: record(offline ? 'WENT_OFFLINE' : 'CAME_ONLINE', 'backend', {
          reason: offline ? 'heartbeat_missed' : 'heartbeat_resumed',
        }),
        stream: streamTypeFor(to),
      };
    }
    case 'request_promote': {
      if (!to || current.role !== 'REPLICA') return illegal(from, 'promote');
      return {
        kind: 'apply',
        patch: { status: to },
        lifecycle: record('PROMOTE_REQUESTED', action.source, { reason: action.reason }),
        stream: streamTypeFor(to),
      };
    }
    case 'confirm_promote': {
      if (!to) return illegal(from, 'confirm promotion of');
      return {
        kind: 'apply',
        patch: { status: to, role: 'PRIMARY' },
        lifecycle: record('PROMOTE_CONFIRMED', action.source, {
          confirmation_method: 'new_primary_health_check',
          ...(action.switch_id ? { metadata: { switch_id: action.switch_id } } : {}),
        }),
        stream: streamTypeFor(to),
      };
    }
    case 'abort_promote': {
      if (!to) return illegal(from, 'abort promotion of');
      return {
        kind: 'apply',
        patch: { status: to },
        lifecycle: record('PROMOTE_ABORTED', action.source, { metadata: { error_code: action.error_code } }),
        stream: streamTypeFor(to),
      };
    }
    case 'demote': {
      // Only a live PRIMARY hands its role on; a ZOMBIE already did (a repeat is a duplicate).
      if (current.role === 'ZOMBIE') {
        return {
          kind: 'duplicate',
          lifecycle: record('CONFIRMATION_DUPLICATE', action.source, { metadata: { demote: true } }),
        };
      }
      if (current.role !== 'PRIMARY' || isFinal(from)) return illegal(from, 'demote');
      return {
        kind: 'apply',
        patch: { role: 'ZOMBIE' },
        lifecycle: record('DEMOTED', action.source, {
          reason: 'manual',
          cloud_instance_id: current.cloud_instance_id,
          metadata: { switch_id: action.switch_id, previous_role: current.role },
        }),
        stream: 'INSTANCE_UPDATED',
      };
    }
    default:
      return assertNever(action);
  }
}
