import type { Instance, SwitchStarted } from '@spot/contract';
import { useId, useState } from 'react';
import { api } from '../api/endpoints';
import { newIdempotencyKey } from '../api/http';
import { formatPrice } from '../lib/format';
import { poolLabel, primaryOf } from '../store/fleet-state';
import { useFleet } from '../store/fleet-store';
import { priceOf } from '../store/pools';
import { Dialog } from './Dialog';
import { refusal } from './SwitchDialog';

/** Promote a RUNNING replica to primary (the same cut-over as a switch): POST …/promote. */
export function PromoteDialog({
  replica,
  agentLabel,
  onStarted,
  onClose,
}: {
  replica: Instance;
  agentLabel: string;
  onStarted: (res: SwitchStarted) => void;
  onClose: () => void;
}) {
  const instances = useFleet((s) => s.instances);
  const prices = useFleet((s) => s.prices);
  const primary = primaryOf(instances, replica.agent_id);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ conflict: boolean; text: string } | null>(null);
  const reasonId = useId();
  const label = replica.cloud_instance_id ?? replica.instance_id.slice(0, 8);

  const confirm = async () => {
    setBusy(true);
    setError(null);
    try {
      onStarted(await api.promote(replica.instance_id, reason.trim() || undefined, newIdempotencyKey()));
    } catch (err) {
      setError(
        refusal(
          err,
          'A switch of this agent is already in progress: promote once it has completed or failed',
        ),
      );
      setBusy(false);
    }
  };

  return (
    <Dialog title="Promote replica to primary?" onClose={onClose} testId="promote-dialog">
      <p>
        <strong>{label}</strong> ({poolLabel(replica)}, {formatPrice(priceOf(prices, replica))}/h) becomes the
        primary of agent {agentLabel}.
      </p>
      {primary ? (
        <p className="small">
          The current primary {primary.cloud_instance_id ?? primary.instance_id.slice(0, 8)} (
          {poolLabel(primary)}) becomes a ZOMBIE and is terminated after the cut-over.
        </p>
      ) : (
        <p className="small warn">The agent has no primary now: the replica takes over the workload.</p>
      )}
      <div className="field">
        <label htmlFor={reasonId}>Reason (optional)</label>
        <input id={reasonId} value={reason} maxLength={200} onChange={(e) => setReason(e.target.value)} />
      </div>
      {error && (
        <p
          className={error.conflict ? 'alert alert-warn' : 'alert alert-error'}
          role="alert"
          data-testid="promote-error"
        >
          {error.text}
        </p>
      )}
      <div className="dialog-actions">
        <button type="button" className="btn" onClick={onClose} data-autofocus>
          Cancel
        </button>
        <button
          type="button"
          className="btn btn-primary"
          disabled={busy}
          onClick={() => void confirm()}
          data-testid="promote-confirm"
        >
          {busy ? 'Promoting…' : 'Promote'}
        </button>
      </div>
    </Dialog>
  );
}
