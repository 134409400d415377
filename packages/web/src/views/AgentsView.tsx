import { type JSX, useMemo } from 'react';
import { Empty, ErrorState, Loading } from '../components/States';
import { reloadSnapshot } from '../events/fleet-sync';
import { useNow } from '../lib/clock';
import { formatTime, since } from '../lib/format';
import { useFleet } from '../store/fleet-store';
import { useSync } from '../store/sync-store';

/** Agents: online/offline, last heartbeat, current pool and live instance count. */
export function AgentsView() {
  const agents = useFleet((s) => s.agents);
  const instances = useFleet((s) => s.instances);
  const { snapshot, snapshotError } = useSync();
  const now = useNow();
  const counts = useMemo(() => {
    const c: Record<string, number> = {};
    for (const i of Object.values(instances))
      if (i.status !== 'TERMINATED') c[i.agent_id] = (c[i.agent_id] ?? 0) + 1;
    return c;
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
          </tr>
        </thead>
        <tbody>
          {list.map((a) => (
            <tr key={a.agent_id} data-testid="agent-row" data-agent-id={a.agent_id} data-status={a.status}>
              <td>
                <strong>{a.logical_id}</strong>
                <div className="muted small mono">{a.agent_id.slice(0, 8)}</div>
              </td>
              <td>
                <span className={`badge badge-agent-${a.status}`}>{a.status}</span>
              </td>
              <td title={formatTime(a.last_heartbeat_at)}>
                {a.last_heartbeat_at ? `${since(a.last_heartbeat_at, now)} ago` : 'never'}
              </td>
              <td className="mono">
                {a.instance_type ?? '—'}
                {a.availability_zone ? ` · ${a.availability_zone}` : ''}
                {a.region ? <span className="muted"> ({a.region})</span> : null}
              </td>
              <td className="mono">{a.cloud_instance_id ?? '—'}</td>
              <td className="num">{counts[a.agent_id] ?? 0}</td>
            </tr>
          ))}
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
    </section>
  );
}
