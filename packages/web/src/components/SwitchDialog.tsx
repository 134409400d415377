import type {
  AgentView,
  CandidatePool,
  Instance,
  SwitchRequest,
  SwitchStarted,
  SwitchView,
} from '@spot/contract';
import { type FormEvent, useId, useState } from 'react';
import { api } from '../api/endpoints';
import { ApiError, newIdempotencyKey } from '../api/http';
import { formatPrice } from '../lib/format';
import { poolLabel } from '../store/fleet-state';
import { useFleet } from '../store/fleet-store';
import { priceOf } from '../store/pools';
import { Dialog } from './Dialog';
import { type PoolDraft, PoolPicker, poolDraftErrors } from './PoolPicker';

/** What the operator is told when the server refuses: a 409 means another switch is running. */
export function refusal(err: unknown, busyText: string): { conflict: boolean; text: string } {
  if (err instanceof ApiError) {
    if (err.status === 409) return { conflict: true, text: `${busyText} (${err.message})` };
    return { conflict: false, text: `${err.message} (${err.code})` };
  }
  return { conflict: false, text: (err as Error).message };
}

const BUSY =
  'A switch of this agent is already in progress: it must complete or fail before another can start';

/**
 * Switch the workload to another pool: the agent's candidate pools with their current spot
 * price and the saving against the primary's pool, or a pool typed freely. POST …/switch;
 * a 409 says plainly that a switch is in progress. Stays open until the server answers.
 */
export function SwitchDialog({
  agent,
  candidates,
  primary,
  open,
  onStarted,
  onClose,
}: {
  agent: AgentView;
  candidates: CandidatePool[];
  primary: Instance | null;
  /** The switch of this agent in progress, as far as we know. */
  open: SwitchView | null;
  onStarted: (res: SwitchStarted, req: SwitchRequest) => void;
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
  const [reason, setReason] = useState('');
  const [touched, setTouched] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ conflict: boolean; text: string } | null>(null);
  const reasonId = useId();

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setTouched(true);
    const errs = poolDraftErrors(pool);
    if (errs.type || errs.az) return;
    const req: SwitchRequest = { instance_type: pool.type.trim(), market: pool.market };
    if (pool.az.trim()) req.availability_zone = pool.az.trim();
    if (reason.trim()) req.reason = reason.trim();
    setBusy(true);
    setError(null);
    try {
      const res = await api.switchPool(agent.agent_id, req, newIdempotencyKey());
      onStarted(res, req);
    } catch (err) {
      setError(refusal(err, BUSY));
      setBusy(false);
    }
  };

  return (
    <Dialog
      title={`Switch ${agent.logical_id} to another pool`}
      onClose={onClose}
      testId="switch-dialog"
      wide
    >
      <form onSubmit={submit} noValidate>
        <p className="small" data-testid="switch-current">
          {current ? (
            <>
              Now on <span className="mono">{poolLabel(current)}</span> at{' '}
              <b>{formatPrice(priceOf(prices, current))}/h</b>.
            </>
          ) : (
            <span className="warn">
              This agent has no primary instance: the server refuses a switch until one runs.
            </span>
          )}
        </p>
        {open && (
          <p className="warn small" data-testid="switch-open-warning">
            A switch to {poolLabel(open.to_pool)} is in progress ({open.phase}); another is refused until it
            ends.
          </p>
        )}
        <PoolPicker
          candidates={candidates}
          prices={prices}
          current={current}
          value={pool}
          onChange={setPool}
          withMarket
          touched={touched}
        />
        <div className="field">
          <label htmlFor={reasonId}>Reason (optional)</label>
          <input id={reasonId} value={reason} maxLength={200} onChange={(e) => setReason(e.target.value)} />
        </div>
        {error && (
          <p
            className={error.conflict ? 'alert alert-warn' : 'alert alert-error'}
            role="alert"
            data-testid="switch-error"
          >
            {error.text}
          </p>
        )}
        <div className="dialog-actions">
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" disabled={busy} data-testid="switch-submit">
            {busy ? 'Starting…' : 'Switch'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
