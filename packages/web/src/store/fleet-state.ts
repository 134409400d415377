import type { AgentView, Instance, InstanceStatus, SwitchView } from '@spot/contract';
import type { FeedDecision } from './decisions';
import type { Emergency } from './interruptions';

export type { Emergency } from './interruptions';

/** An action the operator started whose server confirmation (an SSE event) has not arrived yet. */
export type PendingAction =
  | {
      kind: 'launch';
      key: string;
      /** Known once the server answered 202; the SSE event may come before or after that. */
      instance_id: string | null;
      agent_id: string;
      instance_type: string;
      availability_zone: string | null;
      requested_at: string;
    }
  | { kind: 'terminate'; key: string; instance_id: string; requested_at: string };

export interface Notice {
  id: number;
  level: 'error' | 'info';
  text: string;
}

export interface ActivityItem {
  seq: number | null;
  type: string;
  text: string;
  at: string;
}

export interface PoolPrice {
  price: number;
  at: string;
  /** The pool's on-demand price, when a price series gave it. */
  ondemand?: number | null;
}

/** Everything the live views show, kept current by `applyEvent` (pure, see reducer.ts). */
export interface FleetState {
  /** Server-confirmed instances; TERMINATED ones stay as tombstones so a stale snapshot cannot revive them. */
  instances: Record<string, Instance>;
  /** Stream sequence number that last set each instance (snapshot reconciliation). */
  seqOf: Record<string, number>;
  pending: Record<string, PendingAction>;
  agents: Record<string, AgentView>;
  /** Interruptions seen this session, by interruption_id: one record each, updated as the response proceeds. */
  emergencies: Record<string, Emergency>;
  /** Alerts the operator dismissed: the record stays (History), the alert does not come back. */
  dismissed: Record<string, true>;
  /** Switches seen (GET /api/client/switches and SWITCH_* events), by switch_id; an ended one never reopens. */
  switches: Record<string, SwitchView>;
  /** Bumped when a switch ends, so the downtime figures know to refetch. */
  switchVersion: number;
  /** Decisions of the engine (GET /api/client/decisions and DECISION_MADE), newest first, capped. */
  decisions: FeedDecision[];
  /** Latest spot price per pool, keyed by poolKey(). */
  prices: Record<string, PoolPrice>;
  /** Highest stream sequence number applied: the resume point after a dropped connection. */
  lastSeq: number | null;
  /** Bumped by PRICE_UPDATED so price views know to refetch their series (throttled). */
  priceVersion: number;
  notices: Notice[];
  activity: ActivityItem[];
  nextNoticeId: number;
}

export const emptyFleet = (): FleetState => ({
  instances: {},
  seqOf: {},
  pending: {},
  agents: {},
  emergencies: {},
  dismissed: {},
  switches: {},
  switchVersion: 0,
  decisions: [],
  prices: {},
  lastSeq: null,
  priceVersion: 0,
  notices: [],
  activity: [],
  nextNoticeId: 1,
});

export const poolKey = (instanceType: string, az: string | null): string => `${instanceType}|${az ?? ''}`;

export const TRANSITIONAL: ReadonlySet<InstanceStatus> = new Set(['LAUNCHING', 'PROMOTING', 'TERMINATING']);

/** Mirrors the server: only a RUNNING replica can be promoted. */
export const canPromote = (i: Pick<Instance, 'role' | 'status'>): boolean =>
  i.role === 'REPLICA' && i.status === 'RUNNING';

/** Mirrors the server's state machine: request_terminate is allowed from these (FAILED needs a cloud id). */
export function canTerminate(i: Pick<Instance, 'status' | 'cloud_instance_id'>): boolean {
  return i.status === 'RUNNING' || i.status === 'OFFLINE' || (i.status === 'FAILED' && !!i.cloud_instance_id);
}

/** The switch of this agent still in progress, if any (the newest when, unexpectedly, several are). */
export function openSwitchOf(switches: Record<string, SwitchView>, agentId: string): SwitchView | null {
  let open: SwitchView | null = null;
  for (const s of Object.values(switches)) {
    if (s.agent_id !== agentId || s.status !== 'IN_PROGRESS') continue;
    if (!open || s.requested_at > open.requested_at) open = s;
  }
  return open;
}

/** The instance serving the workload: its RUNNING PRIMARY, else any non-terminated PRIMARY. */
export function primaryOf(instances: Record<string, Instance>, agentId: string): Instance | null {
  let found: Instance | null = null;
  for (const i of Object.values(instances)) {
    if (i.agent_id !== agentId || i.role !== 'PRIMARY' || i.status === 'TERMINATED') continue;
    if (i.status === 'RUNNING') return i;
    found ??= i;
  }
  return found;
}

export const poolLabel = (p: { instance_type: string; availability_zone: string | null; market?: string }) =>
  `${p.instance_type}${p.availability_zone ? ` · ${p.availability_zone}` : ''}${p.market === 'on-demand' ? ' (on-demand)' : ''}`;
