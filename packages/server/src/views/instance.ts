import type { Instance, InstanceRole, InstanceStatus, Market } from '@spot/contract';
import type {
  InstanceIsoRow,
  InstanceRow,
  InstanceTimeColumn as TimeColumn,
} from '../repositories/instances.ts';
import { iso } from './time.ts';

const round3 = (n: number | null) => (n == null ? null : Math.round(n * 1000) / 1000);

/** The one place an instance row becomes the API/event shape (`time` writes its timestamps). */
function shape<T>(
  row: Omit<InstanceRow, TimeColumn | 'client_id' | 'updated_at'> & { [K in TimeColumn]: T | null },
  time: (t: T | null) => string | null,
): Instance {
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
    launch_requested_at: time(row.launch_requested_at),
    launch_confirmed_at: time(row.launch_confirmed_at),
    launch_duration_seconds: round3(row.launch_duration_seconds),
    termination_requested_at: time(row.termination_requested_at),
    termination_confirmed_at: time(row.termination_confirmed_at),
    termination_duration_seconds: round3(row.termination_duration_seconds),
    termination_reason: row.termination_reason,
    error_code: row.error_code,
    error_message: row.error_message,
    status_changed_at: time(row.status_changed_at) as string,
    created_at: time(row.created_at) as string,
    version: row.version,
  };
}

export const toInstanceJson = (row: InstanceRow): Instance => shape<Date>(row, iso);

/** A list's row (timestamps already ISO text) in the API shape. */
export const isoRowToInstanceJson = (row: InstanceIsoRow): Instance => shape<string>(row, (t) => t);
