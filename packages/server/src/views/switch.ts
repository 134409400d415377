import type { Market, SwitchTrigger, SwitchView } from '@spot/contract';
import type { SwitchRow } from '../repositories/switches.ts';
import { iso, isoRequired } from './time.ts';

/** The one place a switch row becomes the API/event shape. */
export function toSwitchJson(row: SwitchRow): SwitchView {
  return {
    switch_id: row.id,
    agent_id: row.agent_id,
    trigger: row.trigger as SwitchTrigger,
    status: row.status as SwitchView['status'],
    phase: row.phase,
    from_instance_id: row.from_instance_id,
    to_instance_id: row.to_instance_id,
    from_pool: row.from_instance_type
      ? {
          instance_type: row.from_instance_type,
          availability_zone: row.from_availability_zone,
          market: (row.from_market ?? 'spot') as Market,
        }
      : null,
    to_pool: {
      instance_type: row.to_instance_type,
      availability_zone: row.to_availability_zone,
      market: row.to_market as Market,
    },
    from_price: row.from_price == null ? null : Number(row.from_price),
    to_price: row.to_price == null ? null : Number(row.to_price),
    requested_at: isoRequired(row.requested_at),
    completed_at: iso(row.completed_at),
    downtime_seconds: row.downtime_seconds == null ? null : Number(row.downtime_seconds),
    error_code: row.error_code,
    error_message: row.error_message,
    reason: row.reason,
  };
}
