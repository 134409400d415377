import { AvailabilityZone, InstanceType, type LaunchRequest } from '@spot/contract';
import { type FormEvent, useId, useMemo, useState } from 'react';
import { useFleet } from '../store/fleet-store';
import { Dialog } from './Dialog';

/** Launch form: agent, instance type, AZ, market. Submitting closes it at once (optimistic). */
export function LaunchDialog({
  onSubmit,
  onClose,
}: {
  onSubmit: (req: LaunchRequest) => void;
  onClose: () => void;
}) {
  const agents = useFleet((s) => s.agents);
  const prices = useFleet((s) => s.prices);
  const list = useMemo(
    () => Object.values(agents).sort((a, b) => a.logical_id.localeCompare(b.logical_id)),
    [agents],
  );
  const first = list.find((a) => a.status === 'online') ?? list[0];
  const [agentId, setAgentId] = useState(first?.agent_id ?? '');
  const agent = agents[agentId];
  const [type, setType] = useState(agent?.instance_type ?? '');
  const [az, setAz] = useState(agent?.availability_zone ?? '');
  const [market, setMarket] = useState<'spot' | 'on-demand'>('spot');
  const [touched, setTouched] = useState(false);
  const ids = { agent: useId(), type: useId(), az: useId(), market: useId(), types: useId(), azs: useId() };

  // Pools seen in price reports are the natural suggestions.
  const pools = useMemo(() => Object.keys(prices).map((k) => k.split('|') as [string, string]), [prices]);
  const typeOptions = [...new Set(pools.map(([t]) => t))].sort();
  const azOptions = [...new Set(pools.filter(([t]) => !type || t === type).map(([, z]) => z))]
    .filter(Boolean)
    .sort();

  const typeError = InstanceType.safeParse(type.trim()).success
    ? null
    : 'an EC2 instance type such as t3.medium';
  const azError =
    az.trim() === '' || AvailabilityZone.safeParse(az.trim()).success ? null : 'an AZ such as us-east-1a';
  const invalid = !agentId || typeError !== null || azError !== null;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setTouched(true);
    if (invalid) return;
    const req: LaunchRequest = { agent_id: agentId, instance_type: type.trim(), market };
    if (az.trim()) req.availability_zone = az.trim();
    onSubmit(req);
  };

  return (
    <Dialog title="Launch instance" onClose={onClose} testId="launch-dialog">
      {list.length === 0 ? (
        <>
          <p>No agent is registered for this client yet. Start an agent, then launch through it.</p>
          <div className="dialog-actions">
            <button type="button" className="btn" onClick={onClose}>
              Close
            </button>
          </div>
        </>
      ) : (
        <form onSubmit={submit} noValidate>
          <div className="field">
            <label htmlFor={ids.agent}>Agent</label>
            <select
              id={ids.agent}
              value={agentId}
              data-autofocus
              onChange={(e) => {
                setAgentId(e.target.value);
                const a = agents[e.target.value];
                if (a?.instance_type && !type) setType(a.instance_type);
              }}
            >
              {list.map((a) => (
                <option key={a.agent_id} value={a.agent_id}>
                  {a.logical_id} ({a.status})
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor={ids.type}>Instance type</label>
            <input
              id={ids.type}
              list={ids.types}
              value={type}
              placeholder="t3.medium"
              autoComplete="off"
              aria-invalid={touched && typeError !== null}
              onChange={(e) => setType(e.target.value)}
            />
            <datalist id={ids.types}>
              {typeOptions.map((t) => (
                <option key={t} value={t} />
              ))}
            </datalist>
            {touched && typeError && <span className="field-error">Enter {typeError}.</span>}
          </div>
          <div className="field">
            <label htmlFor={ids.az}>Availability zone (optional)</label>
            <input
              id={ids.az}
              list={ids.azs}
              value={az}
              placeholder="any"
              autoComplete="off"
              aria-invalid={touched && azError !== null}
              onChange={(e) => setAz(e.target.value)}
            />
            <datalist id={ids.azs}>
              {azOptions.map((z) => (
                <option key={z} value={z} />
              ))}
            </datalist>
            {touched && azError && <span className="field-error">Enter {azError}, or leave it empty.</span>}
          </div>
          <div className="field">
            <label htmlFor={ids.market}>Market</label>
            <select
              id={ids.market}
              value={market}
              onChange={(e) => setMarket(e.target.value === 'on-demand' ? 'on-demand' : 'spot')}
            >
              <option value="spot">spot</option>
              <option value="on-demand">on-demand</option>
            </select>
          </div>
          <div className="dialog-actions">
            <button type="button" className="btn" onClick={onClose}>
              Cancel
            </button>
            <button type="submit" className="btn btn-primary" data-testid="launch-submit">
              Launch
            </button>
          </div>
        </form>
      )}
    </Dialog>
  );
}
