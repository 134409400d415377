import type { InstanceStatus } from '@spot/contract';
import { TRANSITIONAL } from '../store/fleet-state';

/** Status with a colour per state and a spinner while a transition is in flight. */
export function StatusBadge({
  status,
  optimistic = false,
}: {
  status: InstanceStatus;
  optimistic?: boolean;
}) {
  const busy = TRANSITIONAL.has(status);
  return (
    <span
      className={`badge badge-${status.toLowerCase()}${optimistic ? ' badge-optimistic' : ''}`}
      data-testid="status-badge"
      data-status={status}
      title={optimistic ? `${status} (requested, awaiting confirmation)` : status}
    >
      {busy && <span className="spinner" aria-hidden="true" />}
      {status}
    </span>
  );
}
