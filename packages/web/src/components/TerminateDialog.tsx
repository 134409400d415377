import type { InstanceRow } from '../store/rows';
import { Dialog } from './Dialog';

export function TerminateDialog({
  row,
  onConfirm,
  onClose,
}: {
  row: InstanceRow;
  onConfirm: () => void;
  onClose: () => void;
}) {
  const label = row.cloudId ?? row.id;
  return (
    <Dialog title="Terminate instance?" onClose={onClose} testId="terminate-dialog">
      <p>
        <strong>{label}</strong> ({row.instanceType}
        {row.az ? ` in ${row.az}` : ''}, {row.role ?? 'instance'} of agent {row.agentLabel}) will be
        terminated in AWS. This cannot be undone.
      </p>
      {row.role === 'PRIMARY' && (
        <p className="warn">This is the agent's primary: its workload stops unless a replica takes over.</p>
      )}
      <div className="dialog-actions">
        <button type="button" className="btn" onClick={onClose} data-autofocus>
          Cancel
        </button>
        <button type="button" className="btn btn-danger" onClick={onConfirm} data-testid="terminate-confirm">
          Terminate
        </button>
      </div>
    </Dialog>
  );
}
