import type { AgentConfig, AgentView, Instance } from '@spot/contract';
import { type JSX, useMemo, useState } from 'react';
import { api } from '../api/endpoints';
import { AgentSavingsCard } from '../components/AgentSavingsCard';
import { ConfigEditor } from '../components/ConfigEditor';
import { PromoteDialog } from '../components/PromoteDialog';
import { ReplicaDialog } from '../components/ReplicaDialog';
import { RoleBadge } from '../components/RoleBadge';
import { ErrorState, Loading } from '../components/States';
import { StatusBadge } from '../components/StatusBadge';
import { SwitchDialog } from '../components/SwitchDialog';
import { SwitchHistory } from '../components/SwitchHistory';
import { formatPrice } from '../lib/format';
import { useResource } from '../lib/use-resource';
import { canPromote, openSwitchOf, poolLabel, primaryOf } from '../store/fleet-state';
import { useFleet } from '../store/fleet-store';
import { priceOf } from '../store/pools';
import { addNotice, applySwitches } from '../store/reducer';

const ROLE_ORDER = { PRIMARY: 0, REPLICA: 1, ZOMBIE: 2 } as const;

/**
 * One workload: its config (editable), Switch / Add replica actions, its instances by role
 * (Promote on a RUNNING replica) and its switch history, live.
 */
export function AgentDetail({ agent, onClose }: { agent: AgentView; onClose: () => void }) {
  const id = agent.agent_id;
  const instances = useFleet((s) => s.instances);
  const prices = useFleet((s) => s.prices);
  const switches = useFleet((s) => s.switches);
  const update = useFleet((s) => s.update);
  const res = useResource((signal) => api.agentConfig(id, signal), [id]);
  const [latest, setLatest] = useState<AgentConfig | null>(null);
  const config = latest ?? res.data;
  const [dialog, setDialog] = useState<'switch' | 'replica' | null>(null);
  const [promoting, setPromoting] = useState<Instance | null>(null);

  const mine = useMemo(
    () =>
      Object.values(instances)
        .filter((i) => i.agent_id === id && i.status !== 'TERMINATED')
        .sort((a, b) => ROLE_ORDER[a.role] - ROLE_ORDER[b.role] || a.created_at.localeCompare(b.created_at)),
    [instances, id],
  );
  const primary = primaryOf(instances, id);
  const open = openSwitchOf(switches, id);
  const candidates = config?.candidate_pools ?? [];
  const info = (text: string) => update((s) => addNotice(s, 'info', text));
  // The stream brings SWITCH_STARTED; the list makes the new switch show even if the stream lags.
  const refreshSwitches = () =>
    void api.switches({ agent_id: id, limit: 5 }).then(
      (page) => update((s) => applySwitches(s, page.switches)),
      () => undefined,
    );

  let configBody: JSX.Element;
  if (config) configBody = <ConfigEditor key={id} agentId={id} initial={config} onChange={setLatest} />;
  else if (res.state === 'error')
    configBody = <ErrorState message={res.error} onRetry={() => res.reload()} />;
  else configBody = <Loading label="Loading config…" />;

  return (
    <section className="agent-detail" aria-labelledby="agent-detail-title" data-testid="agent-detail">
      <div className="toolbar">
        <h2 id="agent-detail-title" className="detail-title">
          {agent.logical_id}
        </h2>
        <span className="muted small" data-testid="agent-primary">
          {primary ? (
            <>
              primary on <span className="mono">{poolLabel(primary)}</span> at{' '}
              {formatPrice(priceOf(prices, primary))}/h
            </>
          ) : (
            'no primary'
          )}
        </span>
        {open && (
          <span className="badge badge-switch-in_progress" data-testid="agent-switching">
            <span className="spinner" aria-hidden="true" />
            switching → {poolLabel(open.to_pool)}
          </span>
        )}
        <div className="spacer" />
        <button
          type="button"
          className="btn btn-primary"
          data-testid="switch-button"
          disabled={!config}
          onClick={() => setDialog('switch')}
        >
          Switch…
        </button>
        <button
          type="button"
          className="btn"
          data-testid="replica-button"
          disabled={!config}
          onClick={() => setDialog('replica')}
        >
          Add replica…
        </button>
        <button
          type="button"
          className="btn btn-ghost"
          onClick={onClose}
          aria-label={`Close ${agent.logical_id}`}
        >
          Close
        </button>
      </div>
      <div className="detail-grid">
        {configBody}
        <div className="card">
          <h2>Instances</h2>
          {mine.length === 0 ? (
            <p className="muted small">No active instance.</p>
          ) : (
            <table className="grid-table compact" aria-label={`Instances of ${agent.logical_id}`}>
              <thead>
                <tr>
                  <th scope="col">Role</th>
                  <th scope="col">Status</th>
                  <th scope="col">Pool</th>
                  <th scope="col" className="num">
                    $/h
                  </th>
                  <th scope="col">
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {mine.map((i) => (
                  <tr key={i.instance_id} data-testid="agent-instance" data-role={i.role}>
                    <td>
                      <RoleBadge role={i.role} />
                    </td>
                    <td>
                      <StatusBadge status={i.status} />
                    </td>
                    <td className="mono small" title={i.cloud_instance_id ?? i.instance_id}>
                      {poolLabel(i)}
                    </td>
                    <td className="num">{formatPrice(priceOf(prices, i))}</td>
                    <td className="num">
                      {canPromote(i) && (
                        <button
                          type="button"
                          className="btn btn-small"
                          onClick={() => setPromoting(i)}
                          aria-label={`Promote ${i.cloud_instance_id ?? i.instance_id}`}
                        >
                          Promote
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
      </div>
      <h2 className="section">Switch history</h2>
      <SwitchHistory agentId={id} />
      <h2 className="section">Savings and switch impact (30 days)</h2>
      <AgentSavingsCard agentId={id} />
      {dialog === 'switch' && config && (
        <SwitchDialog
          agent={agent}
          candidates={candidates}
          primary={primary}
          open={open}
          onClose={() => setDialog(null)}
          onStarted={(_, req) => {
            setDialog(null);
            info(`Switch of ${agent.logical_id} to ${req.instance_type} started`);
            refreshSwitches();
          }}
        />
      )}
      {dialog === 'replica' && config && (
        <ReplicaDialog
          agent={agent}
          candidates={candidates}
          primary={primary}
          onClose={() => setDialog(null)}
          onAdded={(_, req) => {
            setDialog(null);
            info(`Replica of ${agent.logical_id} in ${req.instance_type} launching`);
          }}
        />
      )}
      {promoting && (
        <PromoteDialog
          replica={promoting}
          agentLabel={agent.logical_id}
          onClose={() => setPromoting(null)}
          onStarted={() => {
            setPromoting(null);
            info(`Promotion of ${promoting.cloud_instance_id ?? 'the replica'} started`);
            refreshSwitches();
          }}
        />
      )}
    </section>
  );
}
