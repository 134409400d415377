import type { Instance } from '@spot/contract';
import { type JSX, useMemo, useState } from 'react';
import { DowntimeCard } from '../components/DowntimeCard';
import { Empty, ErrorState, Loading } from '../components/States';
import { reloadSnapshot } from '../events/fleet-sync';
import { useNow } from '../lib/clock';
import { formatTime, since } from '../lib/format';
import { openSwitchOf, poolLabel } from '../store/fleet-state';
import { useFleet } from '../store/fleet-store';
import { useSync } from '../store/sync-store';
import { AgentDetail } from './AgentDetail';

/**
 * Agents: online/offline, last heartbeat, current pool, live instance count and a switch in
 * progress; the downtime of switches; and, for the agent picked, its detail (AgentDetail).
 */
export function AgentsView() {
  const agents = useFleet((s) => s.agents);
  const instances = useFleet((s) => s.instances);
  const switches = useFleet((s) => s.switches);
  const [selected, setSelected] = useState<string | null>(null);
  const { snapshot, snapshotError } = useSync();
  const now = useNow();
  // One pass over the fleet: live instances per agent, and each agent's serving primary.
  const { counts, primaries } = useMemo(() => {
    const c: Record<string, number> = {};
    const p: Record<string, Instance> = {};
    for (const i of Object.values(instances)) {
      if (i.status === 'TERMINATED') continue;
      c[i.agent_id] = (c[i.agent_id] ?? 0) + 1;
      const held = p[i.agent_id];
      if (i.role === 'PRIMARY' && (!held || (held.status !== 'RUNNING' && i.status === 'RUNNING')))
        p[i.agent_id] = i;
    }
    return { counts: c, primaries: p };
  }, [instances]);
  const list = Object.values(agents).sort((a, b) => a.logical_id.localeCompare(b.logical_id));

  let body: JSX.Element;
  if (snapshot === 'loading' && list.length === 0) body = <Loading label="Loading agents…" />;
  else if (snapshot === 'error' && list.length === 0)
    body = <ErrorState message={snapshotError ?? 'unknown error'} onRetry={() => void reloadSnapshot()} />;
  else if (list.length === 0)
    body = (
      <Empty title="No agents yet">
        Agents register with this client's token when they start on an instance.
      </Empty>
    );
  else
    body = (
      <table className="grid-table" aria-label="Agents">
        <thead>
          <tr>
            <th scope="col">Agent</th>
            <th scope="col">Status</th>
            <th scope="col">Last heartbeat</th>
            <th scope="col">Current pool</th>
            <th scope="col">Cloud ID</th>
            <th scope="col" className="num">
              Instances
            </th>
            <th scope="col">Switch</th>
          </tr>
        </thead>
        <tbody>
          {list.map((a) => {
            // The serving primary's pool when we know it (it moves with switches), else the registration's.
            const primary = primaries[a.agent_id];
            const open = openSwitchOf(switches, a.agent_id);
            const pick = selected === a.agent_id;
            return (
              <tr
                key={a.agent_id}
                data-testid="agent-row"
                data-agent-id={a.agent_id}
                data-status={a.status}
                className={pick ? 'selected' : undefined}
              >
                <td>
                  <button
                    type="button"
                    className="link-btn"
                    aria-expanded={pick}
                    data-testid="agent-open"
                    onClick={() => setSelected(pick ? null : a.agent_id)}
                  >
                    <strong>{a.logical_id}</strong>
                  </button>
                  <div className="muted small mono">{a.agent_id.slice(0, 8)}</div>
                </td>
                <td>
                  <span className={`badge badge-agent-${a.status}`}>{a.status}</span>
                </td>
                <td title={formatTime(a.last_heartbeat_at)}>
                  {a.last_heartbeat_at ? `${since(a.last_heartbeat_at, now)} ago` : 'never'}
                </td>
                <td className="mono">
                  {primary ? (
                    poolLabel(primary)
                  ) : (
                    <>
                      {a.instance_type ?? '—'}
                      {a.availability_zone ? ` · ${a.availability_zone}` : ''}
                    </>
                  )}
                  {a.region ? <span className="muted"> ({a.region})</span> : null}
                </td>
                <td className="mono">{primary?.cloud_instance_id ?? a.cloud_instance_id ?? '—'}</td>
                <td className="num">{counts[a.agent_id] ?? 0}</td>
                <td data-testid="agent-switch">
                  {open ? (
                    <span className="badge badge-switch-in_progress">
                      <span className="spinner" aria-hidden="true" />→ {poolLabel(open.to_pool)}
                    </span>
                  ) : (
                    <span className="muted">—</span>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    );

  return (
    <section className="view" aria-labelledby="agents-title">
      <div className="toolbar">
        <h1 id="agents-title">Agents</h1>
        <div className="spacer" />
        <button type="button" className="btn" onClick={() => void reloadSnapshot()}>
          Refresh
        </button>
      </div>
      {body}
      {selected && agents[selected] && (
        <AgentDetail key={selected} agent={agents[selected]} onClose={() => setSelected(null)} />
      )}
      <h2 className="section">Switches</h2>
      <DowntimeCard />
    </section>
  );
}
