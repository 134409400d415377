import type { AgentView, Instance, InstanceRole, InstanceStatus } from '@spot/contract';
import type { FleetState, PoolPrice } from './fleet-state';
import { poolKey } from './fleet-state';

/** One line of the instances table: a server instance, possibly overlaid by an action in flight. */
export interface InstanceRow {
  id: string;
  instance: Instance | null;
  status: InstanceStatus;
  /** The status shown is the operator's action, not yet confirmed by the server. */
  optimistic: boolean;
  role: InstanceRole | null;
  agentId: string;
  agentLabel: string;
  cloudId: string | null;
  instanceType: string;
  az: string | null;
  market: string;
  price: number | null;
  statusSince: string;
  launchSeconds: number | null;
  terminationSeconds: number | null;
  error: string | null;
}

export function buildRows(
  instances: FleetState['instances'],
  pending: FleetState['pending'],
  agents: Record<string, AgentView>,
  prices: Record<string, PoolPrice>,
): InstanceRow[] {
  const terminating = new Map<string, string>();
  const rows: InstanceRow[] = [];
  for (const p of Object.values(pending)) {
    if (p.kind === 'terminate') terminating.set(p.instance_id, p.requested_at);
    else if (!p.instance_id || !instances[p.instance_id]) {
      rows.push({
        id: p.instance_id ?? `pending-${p.key}`,
        instance: null,
        status: 'LAUNCHING',
        optimistic: true,
        role: null,
        agentId: p.agent_id,
        agentLabel: agents[p.agent_id]?.logical_id ?? p.agent_id.slice(0, 8),
        cloudId: null,
        instanceType: p.instance_type,
        az: p.availability_zone,
        market: 'spot',
        price: prices[poolKey(p.instance_type, p.availability_zone)]?.price ?? null,
        statusSince: p.requested_at,
        launchSeconds: null,
        terminationSeconds: null,
        error: null,
      });
    }
  }
  for (const i of Object.values(instances)) {
    if (i.status === 'TERMINATED') continue;
    const termAt = terminating.get(i.instance_id);
    const overlay = termAt !== undefined && (i.status === 'RUNNING' || i.status === 'OFFLINE');
    rows.push({
      id: i.instance_id,
      instance: i,
      status: overlay ? 'TERMINATING' : i.status,
      optimistic: overlay,
      role: i.role,
      agentId: i.agent_id,
      agentLabel: agents[i.agent_id]?.logical_id ?? i.agent_id.slice(0, 8),
      cloudId: i.cloud_instance_id,
      instanceType: i.instance_type,
      az: i.availability_zone,
      market: i.market,
      price: prices[poolKey(i.instance_type, i.availability_zone)]?.price ?? null,
      statusSince: overlay ? termAt : i.status_changed_at,
      launchSeconds: i.launch_duration_seconds,
      terminationSeconds: i.termination_duration_seconds,
      error: i.error_code ? `${i.error_code}${i.error_message ? `: ${i.error_message}` : ''}` : null,
    });
  }
  return rows;
}

export type SortKey = 'status' | 'agent' | 'type' | 'az' | 'price' | 'since' | 'launch';
export interface RowQuery {
  status: InstanceStatus | 'ALL';
  text: string;
  sort: SortKey;
  dir: 'asc' | 'desc';
}

const STATUS_ORDER: Record<InstanceStatus, number> = {
  LAUNCHING: 0,
  PROMOTING: 1,
  TERMINATING: 2,
  FAILED: 3,
  OFFLINE: 4,
  RUNNING: 5,
  TERMINATED: 6,
};

const cmpNullable = (a: number | string | null, b: number | string | null): number => {
  if (a === b) return 0;
  if (a === null) return 1; // blanks last, whichever the direction
  if (b === null) return -1;
  return a < b ? -1 : 1;
};

/** Filters and sorts rows; ties break on id so the order is stable as events arrive. */
export function queryRows(rows: InstanceRow[], q: RowQuery): InstanceRow[] {
  const text = q.text.trim().toLowerCase();
  const out = rows.filter((r) => {
    if (q.status !== 'ALL' && r.status !== q.status) return false;
    if (!text) return true;
    return [r.id, r.cloudId, r.instanceType, r.az, r.agentLabel, r.role, r.status].some((f) =>
      f?.toLowerCase().includes(text),
    );
  });
  const sign = q.dir === 'asc' ? 1 : -1;
  const key = (r: InstanceRow): number | string | null => {
    switch (q.sort) {
      case 'status':
        return STATUS_ORDER[r.status];
      case 'agent':
        return r.agentLabel;
      case 'type':
        return r.instanceType;
      case 'az':
        return r.az;
      case 'price':
        return r.price;
      case 'since':
        // Ascending = shortest time in the current state first (the freshest change on top).
        return -Date.parse(r.statusSince);
      case 'launch':
        return r.launchSeconds;
    }
  };
  // Keys computed once per row, not once per comparison (1,000 rows ≈ 20,000 comparisons).
  const keyed = out.map((r) => ({ r, k: key(r) }));
  keyed.sort((a, b) => {
    const tie = a.r.id < b.r.id ? -1 : 1;
    if (a.k === null || b.k === null) return cmpNullable(a.k, b.k) || tie;
    return sign * cmpNullable(a.k, b.k) || tie;
  });
  return keyed.map((x) => x.r);
}
