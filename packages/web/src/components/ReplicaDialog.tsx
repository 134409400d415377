import type { AgentView, CandidatePool, Instance, ReplicaRequest, ReplicaResponse } from '@spot/contract';
import { type FormEvent, useState } from 'react';
import { api } from '../api/endpoints';
import { newIdempotencyKey } from '../api/http';
import { useFleet } from '../store/fleet-store';
import { Dialog } from './Dialog';
import { type PoolDraft, PoolPicker, poolDraftErrors } from './PoolPicker';
import { refusal } from './SwitchDialog';

/** Launch a stand-by replica (spot) in another pool: POST …/replicas. */
export function ReplicaDialog({
  agent,
  candidates,
  primary,
  onAdded,
  onClose,
}: {
  agent: AgentView;
  candidates: CandidatePool[];
  primary: Instance | null;
  onAdded: (res: ReplicaResponse, req: ReplicaRequest) => void;
  onClose: () => void;
}) {
  const prices = useFleet((s) => s.prices);
  const current = primary
    ? {
        instance_type: primary.instance_type,
        availability_zone: primary.availability_zone,
        market: primary.market,
      }
    : null;
  // A replica belongs in another pool than the primary's.
  const first = candidates.find(
    (c) =>
      !current ||
      c.instance_type !== current.instance_type ||
      c.availability_zone !== current.availability_zone,
  );
  const [pool, setPool] = useState<PoolDraft>({
    type: first?.instance_type ?? '',
    az: first?.availability_zone ?? '',
    market: 'spot',
  });
  const [touched, setTouched] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setTouched(true);
    const errs = poolDraftErrors(pool);
    if (errs.type || errs.az) return;
    const req: ReplicaRequest = { instance_type: pool.type.trim() };
    if (pool.az.trim()) req.availability_zone = pool.az.trim();
    setBusy(true);
    setError(null);
    try {
      onAdded(await api.addReplica(agent.agent_id, req, newIdempotencyKey()), req);
    } catch (err) {
      setError(refusal(err, 'Refused').text);
      setBusy(false);
    }
  };

  return (
    <Dialog title={`Add a replica to ${agent.logical_id}`} onClose={onClose} testId="replica-dialog" wide>
      <form onSubmit={submit} noValidate>
        <p className="small muted">
          A replica runs its own agent in another pool and stands by; promoting it makes it the primary.
        </p>
        <PoolPicker
          candidates={candidates}
          prices={prices}
          current={current}
          value={pool}
          onChange={setPool}
          withMarket={false}
          touched={touched}
        />
        {error && (
          <p className="alert alert-error" role="alert" data-testid="replica-error">
            {error}
          </p>
        )}
        <div className="dialog-actions">
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" disabled={busy} data-testid="replica-submit">
            {busy ? 'Launching…' : 'Add replica'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
