import type { Instance, InstanceRole, InstanceStatus, Market } from '@spot/contract';
import type { Selectable } from 'kysely';
import type { InstancesTable } from '../db/schema.ts';
import { iso, isoRequired } from './time.ts';

export type InstanceRow = Selectable<InstancesTable>;

const round3 = (n: number | null) => (n == null ? null : Math.round(n * 1000) / 1000);

/** The one place an instance row becomes the API/event shape. */
export function toInstanceJson(row: InstanceRow): Instance {
  return {
    instance_id: row.id,
    agent_id: row.agent_id,
    status: row.status as InstanceStatus,
    role: row.role as InstanceRole,
    market: row.market as Market,
    cloud_instance_id: row.cloud_instance_id,
    instance_type: row.instance_type,
    availability_zone: row.availability_zone,
    region: row.region,
    launch_requested_at: iso(row.launch_requested_at),
    launch_confirmed_at: iso(row.launch_confirmed_at),
    launch_duration_seconds: round3(row.launch_duration_seconds),
    termination_requested_at: iso(row.termination_requested_at),
    termination_confirmed_at: iso(row.termination_confirmed_at),
    termination_duration_seconds: round3(row.termination_duration_seconds),
    termination_reason: row.termination_reason,
    error_code: row.error_code,
    error_message: row.error_message,
    status_changed_at: isoRequired(row.status_changed_at),
    created_at: isoRequired(row.created_at),
    version: row.version,
  };
}
