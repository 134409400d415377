import type { AgentView, EmergencyEventData, Instance, InstanceStatus } from '@spot/contract';

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

export type Emergency = EmergencyEventData & { action?: string | null };

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
}

/** Everything the live views show, kept current by `applyEvent` (pure, see reducer.ts). */
export interface FleetState {
  /** Server-confirmed instances; TERMINATED ones stay as tombstones so a stale snapshot cannot revive them. */
  instances: Record<string, Instance>;
  /** Stream sequence number that last set each instance (snapshot reconciliation). */
  seqOf: Record<string, number>;
  pending: Record<string, PendingAction>;
  agents: Record<string, AgentView>;
  emergencies: Record<string, Emergency>;
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
  prices: {},
  lastSeq: null,
  priceVersion: 0,
  notices: [],
  activity: [],
  nextNoticeId: 1,
});

export const poolKey = (instanceType: string, az: string | null): string => `${instanceType}|${az ?? ''}`;

export const TRANSITIONAL: ReadonlySet<InstanceStatus> = new Set(['LAUNCHING', 'PROMOTING', 'TERMINATING']);

/** Mirrors the server's state machine: request_terminate is allowed from these (FAILED needs a cloud id). */
export function canTerminate(i: Pick<Instance, 'status' | 'cloud_instance_id'>): boolean {
  return i.status === 'RUNNING' || i.status === 'OFFLINE' || (i.status === 'FAILED' && !!i.cloud_instance_id);
}
