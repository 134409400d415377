import {
  type AgentConfig,
  AgentConfigUpdate,
  AgentMode,
  AvailabilityZone,
  type CandidatePool,
  ElasticIpAllocationId,
  InstanceType,
  RebalanceResponse,
} from '@spot/contract';
import { type FormEvent, useId, useState } from 'react';
import { api } from '../api/endpoints';
import { ApiError } from '../api/http';
import { formatTime } from '../lib/format';

const MODE_HELP: Record<AgentMode, string> = {
  observe: 'reports prices and keeps the workload alive; no cost-driven move on its own',
  auto_switch: 'moves the workload to a cheaper candidate pool when the saving passes the threshold',
  manual_replica: 'keeps one RUNNING replica in another pool, recreated when lost; you promote it',
};

const REBALANCE_HELP: Record<RebalanceResponse, string> = {
  replica: 'start a replica elsewhere',
  mark: 'record it only',
  ignore: 'do nothing',
};

/** What the form holds: the config's fields as typed (numbers as text until saved). */
interface Draft {
  mode: AgentMode;
  pools: CandidatePool[];
  minSavings: string;
  onRebalance: RebalanceResponse;
  fallback: boolean;
  eip: string;
}

const draftOf = (c: AgentConfig): Draft => ({
  mode: c.mode,
  pools: c.candidate_pools,
  minSavings: String(c.min_savings_percent),
  onRebalance: c.on_rebalance,
  fallback: c.on_demand_fallback,
  eip: c.elastic_ip_allocation_id ?? '',
});

const poolsText = (p: CandidatePool[]) =>
  p.map((x) => `${x.instance_type}@${x.availability_zone}`).join(', ') || 'none';

type Field = keyof Draft;
const FIELDS: Field[] = ['mode', 'pools', 'minSavings', 'onRebalance', 'fallback', 'eip'];

const same: { [K in Field]: (a: Draft[K], b: Draft[K]) => boolean } = {
  mode: (a, b) => a === b,
  pools: (a, b) => poolsText(a) === poolsText(b),
  minSavings: (a, b) => Number(a) === Number(b),
  onRebalance: (a, b) => a === b,
  fallback: (a, b) => a === b,
  eip: (a, b) => a.trim() === b.trim(),
};
const sameField = (f: Field, a: Draft, b: Draft): boolean =>
  (same[f] as (x: unknown, y: unknown) => boolean)(a[f], b[f]);

const describeField = (f: Field, d: Draft): string => {
  switch (f) {
    case 'mode':
      return `mode ${d.mode}`;
    case 'pools':
      return `candidate pools ${poolsText(d.pools)}`;
    case 'minSavings':
      return `min savings ${d.minSavings}%`;
    case 'onRebalance':
      return `on rebalance ${d.onRebalance}`;
    case 'fallback':
      return `on-demand fallback ${d.fallback ? 'on' : 'off'}`;
    case 'eip':
      return `Elastic IP ${d.eip.trim() || 'none'}`;
  }
};

/**
 * Three-way merge after a conflict: a field the operator did not touch (draft = what they
 * read) takes the newer server value; a field they typed keeps their value.
 */
function rebase(read: Draft, mine: Draft, theirs: Draft) {
  const merged = { ...mine } as Record<Field, unknown>;
  const taken: string[] = [];
  const kept: string[] = [];
  for (const f of FIELDS) {
    const touched = !sameField(f, mine, read);
    const changed = !sameField(f, theirs, read);
    if (!touched) {
      merged[f] = theirs[f];
      if (changed) taken.push(describeField(f, theirs));
    } else if (changed && !sameField(f, mine, theirs)) {
      kept.push(`${describeField(f, mine)} (theirs: ${describeField(f, theirs)})`);
    } else if (changed) {
      // Both set the same value: nothing to tell.
    } else kept.push(describeField(f, mine));
  }
  return { draft: merged as unknown as Draft, taken, kept };
}

type Status =
  | { kind: 'idle' }
  | { kind: 'saving' }
  | { kind: 'saved'; version: number }
  | { kind: 'conflict'; message: string }
  | { kind: 'reloaded'; version: number; taken: string[]; kept: string[] }
  | { kind: 'error'; message: string };

/**
 * An agent's config, editable. Saved with the `version` it was read at; when someone else
 * saved in between (409 VERSION_CONFLICT) it says so plainly and keeps what was typed:
 * Reload fetches the newer version, lists where it differs, and the next Save applies the
 * typed values over it.
 */
export function ConfigEditor({
  agentId,
  initial,
  onChange,
}: {
  agentId: string;
  initial: AgentConfig;
  /** The config as the server now has it (after a save or a reload). */
  onChange: (c: AgentConfig) => void;
}) {
  const [base, setBase] = useState(initial);
  const [draft, setDraft] = useState<Draft>(() => draftOf(initial));
  const [status, setStatus] = useState<Status>({ kind: 'idle' });
  const [newType, setNewType] = useState('');
  const [newAz, setNewAz] = useState('');
  const [poolError, setPoolError] = useState<string | null>(null);
  const ids = {
    mode: useId(),
    min: useId(),
    reb: useId(),
    fb: useId(),
    eip: useId(),
    type: useId(),
    az: useId(),
  };

  const set = (patch: Partial<Draft>) => {
    setDraft((d) => ({ ...d, ...patch }));
    setStatus((s) => (s.kind === 'saved' || s.kind === 'error' ? { kind: 'idle' } : s));
  };
  const dirty = FIELDS.some((f) => !sameField(f, draftOf(base), draft));

  const min = Number(draft.minSavings);
  const minError =
    draft.minSavings.trim() === '' || !Number.isFinite(min) || min < 0 || min > 100
      ? 'Enter a percentage from 0 to 100.'
      : null;
  const eipError =
    draft.eip.trim() === '' || ElasticIpAllocationId.safeParse(draft.eip.trim()).success
      ? null
      : 'Enter an allocation id such as eipalloc-0abc123, or leave it empty.';

  const addPool = () => {
    const t = newType.trim();
    const z = newAz.trim();
    if (!InstanceType.safeParse(t).success)
      return setPoolError('Enter an EC2 instance type such as m5.large.');
    if (!AvailabilityZone.safeParse(z).success) return setPoolError('Enter an AZ such as us-east-1b.');
    if (draft.pools.some((p) => p.instance_type === t && p.availability_zone === z))
      return setPoolError(`${t} in ${z} is already a candidate.`);
    setPoolError(null);
    set({ pools: [...draft.pools, { instance_type: t, availability_zone: z }] });
    setNewType('');
    setNewAz('');
  };

  const save = async (e: FormEvent) => {
    e.preventDefault();
    if (minError || eipError) return;
    const body = AgentConfigUpdate.safeParse({
      mode: draft.mode,
      candidate_pools: draft.pools,
      min_savings_percent: min,
      on_rebalance: draft.onRebalance,
      on_demand_fallback: draft.fallback,
      elastic_ip_allocation_id: draft.eip.trim() || null,
      version: base.version,
    });
    if (!body.success) {
      setStatus({ kind: 'error', message: body.error.issues[0]?.message ?? 'invalid config' });
      return;
    }
    setStatus({ kind: 'saving' });
    try {
      const saved = await api.putAgentConfig(agentId, body.data);
      setBase(saved);
      setDraft(draftOf(saved));
      setStatus({ kind: 'saved', version: saved.version });
      onChange(saved);
    } catch (err) {
      if (err instanceof ApiError && err.code === 'VERSION_CONFLICT') {
        setStatus({ kind: 'conflict', message: err.message });
      } else {
        const message = err instanceof ApiError ? `${err.message} (${err.code})` : (err as Error).message;
        setStatus({ kind: 'error', message });
      }
    }
  };

  const reload = async () => {
    try {
      const fresh = await api.agentConfig(agentId);
      // What was typed stays; what was not takes the other change. The operator reviews and saves again.
      const r = rebase(draftOf(base), draft, draftOf(fresh));
      setBase(fresh);
      setDraft(r.draft);
      onChange(fresh);
      setStatus({ kind: 'reloaded', version: fresh.version, taken: r.taken, kept: r.kept });
    } catch (err) {
      setStatus({ kind: 'error', message: `could not reload: ${(err as Error).message}` });
    }
  };

  return (
    <form
      className="card config"
      onSubmit={save}
      noValidate
      data-testid="config-editor"
      aria-label="Agent config"
    >
      <h2>
        Config{' '}
        <span className="muted small">
          version {base.version}, saved {formatTime(base.updated_at)}
        </span>
      </h2>
      <div className="field">
        <label htmlFor={ids.mode}>Mode</label>
        <select
          id={ids.mode}
          value={draft.mode}
          data-testid="config-mode"
          onChange={(e) => set({ mode: AgentMode.parse(e.target.value) })}
        >
          {AgentMode.options.map((m) => (
            <option key={m} value={m}>
              {m}
            </option>
          ))}
        </select>
        <span className="muted small">{MODE_HELP[draft.mode]}</span>
      </div>

      <fieldset className="field pools-field">
        <legend>Candidate pools</legend>
        {draft.pools.length === 0 ? (
          <p className="muted small">None: switches and replicas need a pool typed by hand.</p>
        ) : (
          <ul className="chips" aria-label="Candidate pools">
            {draft.pools.map((p) => {
              const label = `${p.instance_type} · ${p.availability_zone}`;
              return (
                <li key={label} className="chip mono" data-testid="config-pool">
                  {label}
                  <button
                    type="button"
                    className="btn-icon"
                    aria-label={`Remove ${label}`}
                    onClick={() => set({ pools: draft.pools.filter((x) => x !== p) })}
                  >
                    ×
                  </button>
                </li>
              );
            })}
          </ul>
        )}
        <div className="field-row">
          <label className="sr-only" htmlFor={ids.type}>
            New pool instance type
          </label>
          <input
            id={ids.type}
            value={newType}
            placeholder="m5.large"
            autoComplete="off"
            onChange={(e) => setNewType(e.target.value)}
          />
          <label className="sr-only" htmlFor={ids.az}>
            New pool availability zone
          </label>
          <input
            id={ids.az}
            value={newAz}
            placeholder="us-east-1b"
            autoComplete="off"
            onChange={(e) => setNewAz(e.target.value)}
          />
          <button type="button" className="btn btn-small" onClick={addPool} data-testid="config-add-pool">
            Add pool
          </button>
        </div>
        {poolError && <p className="field-error">{poolError}</p>}
      </fieldset>

      <div className="field-row">
        <div className="field">
          <label htmlFor={ids.min}>Min savings %</label>
          <input
            id={ids.min}
            type="number"
            min={0}
            max={100}
            step="any"
            value={draft.minSavings}
            aria-invalid={minError !== null}
            onChange={(e) => set({ minSavings: e.target.value })}
          />
        </div>
        <div className="field">
          <label htmlFor={ids.reb}>On rebalance</label>
          <select
            id={ids.reb}
            value={draft.onRebalance}
            onChange={(e) => set({ onRebalance: RebalanceResponse.parse(e.target.value) })}
          >
            {RebalanceResponse.options.map((r) => (
              <option key={r} value={r}>
                {r} — {REBALANCE_HELP[r]}
              </option>
            ))}
          </select>
        </div>
      </div>
      {minError && <p className="field-error">{minError}</p>}
      <div className="field">
        <label htmlFor={ids.eip}>Elastic IP allocation id (optional)</label>
        <input
          id={ids.eip}
          value={draft.eip}
          placeholder="eipalloc-0abc123"
          autoComplete="off"
          aria-invalid={eipError !== null}
          onChange={(e) => set({ eip: e.target.value })}
        />
        <span className="muted small">moved to the new primary at each cut-over</span>
        {eipError && <p className="field-error">{eipError}</p>}
      </div>
      <label className="check" htmlFor={ids.fb}>
        <input
          id={ids.fb}
          type="checkbox"
          checked={draft.fallback}
          onChange={(e) => set({ fallback: e.target.checked })}
        />
        On-demand fallback when no spot pool has capacity
      </label>

      {status.kind === 'conflict' && (
        <div className="alert alert-warn" role="alert" data-testid="config-conflict">
          <p>
            <strong>This config was changed by someone else since you opened it: reload.</strong> Your changes
            are kept in the form.
          </p>
          <p className="small muted">{status.message}</p>
          <button
            type="button"
            className="btn btn-small"
            onClick={() => void reload()}
            data-testid="config-reload"
          >
            Reload
          </button>
        </div>
      )}
      {status.kind === 'reloaded' && (
        <div className="alert alert-info" role="status" data-testid="config-reloaded">
          <p>Reloaded version {status.version}.</p>
          {status.taken.length > 0 && (
            <p data-testid="config-taken">Their change, now in the form: {status.taken.join('; ')}.</p>
          )}
          {status.kept.length > 0 ? (
            <p data-testid="config-kept">
              Yours, kept: {status.kept.join('; ')}. Save applies it over version {status.version}.
            </p>
          ) : (
            <p>Nothing of yours differs from it any more.</p>
          )}
        </div>
      )}
      {status.kind === 'error' && (
        <p className="alert alert-error" role="alert" data-testid="config-error">
          Not saved: {status.message}
        </p>
      )}
      <div className="dialog-actions">
        {status.kind === 'saved' && (
          <span className="saving small" role="status" data-testid="config-saved">
            Saved (version {status.version})
          </span>
        )}
        <button
          type="button"
          className="btn"
          disabled={!dirty || status.kind === 'saving'}
          onClick={() => {
            setDraft(draftOf(base));
            setStatus({ kind: 'idle' });
          }}
        >
          Discard changes
        </button>
        <button
          type="submit"
          className="btn btn-primary"
          disabled={!dirty || status.kind === 'saving' || status.kind === 'conflict'}
          data-testid="config-save"
        >
          {status.kind === 'saving' ? 'Saving…' : 'Save'}
        </button>
      </div>
    </form>
  );
}
