import type { Instance, LifecycleEvent } from '@spot/contract';
import { type JSX, useMemo, useState } from 'react';
import { api } from '../api/endpoints';
import { InterruptionHistory } from '../components/InterruptionHistory';
import { RoleBadge } from '../components/RoleBadge';
import { Empty, ErrorState, Loading } from '../components/States';
import { formatDuration, formatTime } from '../lib/format';
import { useResource } from '../lib/use-resource';
import { useFleet } from '../store/fleet-store';

/** Seconds from launch request (or creation) to the confirmed termination. */
export function runSeconds(i: Instance): number | null {
  const start = Date.parse(i.launch_confirmed_at ?? i.launch_requested_at ?? i.created_at);
  const end = Date.parse(i.termination_confirmed_at ?? i.status_changed_at);
  return Number.isNaN(start) || Number.isNaN(end) ? null : Math.max(0, (end - start) / 1000);
}

function Timeline({ instanceId }: { instanceId: string }) {
  const res = useResource((signal) => api.history(instanceId, signal), [instanceId]);
  if (res.state === 'loading' && !res.data) return <Loading label="Loading timeline…" />;
  if (res.state === 'error') return <ErrorState message={res.error} onRetry={() => res.reload()} />;
  const events: LifecycleEvent[] = res.data?.events ?? [];
  if (events.length === 0) return <Empty title="No lifecycle events recorded" />;
  return (
    <ol className="timeline" data-testid="timeline" aria-label="Lifecycle timeline">
      {events.map((e) => (
        <li key={e.event_id} className={`tl tl-${e.event_type.toLowerCase()}`}>
          <time dateTime={e.created_at}>{formatTime(e.created_at)}</time>
          <div>
            <strong>{e.event_type.replace(/_/g, ' ').toLowerCase()}</strong>
            {e.from_status || e.to_status ? (
              <span className="muted">
                {' '}
                {e.from_status ?? '∅'} → {e.to_status ?? '∅'}
              </span>
            ) : null}
            <div className="muted small">
              source {e.source}
              {e.reason ? ` · reason ${e.reason}` : ''}
              {e.confirmation_method ? ` · via ${e.confirmation_method}` : ''}
              {e.cloud_instance_id ? ` · ${e.cloud_instance_id}` : ''}
            </div>
          </div>
        </li>
      ))}
    </ol>
  );
}

/**
 * Terminated instances (newest first) with run length, reason, and a lifecycle timeline each;
 * below them every interruption with its response, outcome, sources and time to serving.
 */
export function HistoryView() {
  const res = useResource((signal) => api.terminated(200, signal), []);
  const live = useFleet((s) => s.instances);
  const agents = useFleet((s) => s.agents);
  const [selected, setSelected] = useState<string | null>(null);
  const [refresh, setRefresh] = useState(0);

  // Terminations seen live since the list loaded join it without a reload.
  const list = useMemo(() => {
    const byId = new Map<string, Instance>();
    for (const i of res.data?.instances ?? []) byId.set(i.instance_id, i);
    for (const i of Object.values(live)) if (i.status === 'TERMINATED') byId.set(i.instance_id, i);
    return [...byId.values()].sort((a, b) =>
      (b.termination_confirmed_at ?? b.status_changed_at).localeCompare(
        a.termination_confirmed_at ?? a.status_changed_at,
      ),
    );
  }, [res.data, live]);

  let body: JSX.Element;
  if (res.state === 'loading' && list.length === 0) body = <Loading label="Loading history…" />;
  else if (res.state === 'error' && list.length === 0)
    body = <ErrorState message={res.error} onRetry={() => res.reload()} />;
  else if (list.length === 0)
    body = (
      <Empty title="No terminated instances yet">Terminated instances and their timelines show here.</Empty>
    );
  else
    body = (
      <div className="split">
        <table className="grid-table" aria-label="Terminated instances">
          <thead>
            <tr>
              <th scope="col">Cloud ID</th>
              <th scope="col">Agent</th>
              <th scope="col">Type · AZ</th>
              <th scope="col">Role</th>
              <th scope="col" className="num">
                Ran
              </th>
              <th scope="col" className="num">
                Launch
              </th>
              <th scope="col" className="num">
                Term.
              </th>
              <th scope="col">Reason</th>
              <th scope="col">Terminated</th>
            </tr>
          </thead>
          <tbody>
            {list.map((i) => (
              <tr
                key={i.instance_id}
                data-testid="history-row"
                data-instance-id={i.instance_id}
                className={selected === i.instance_id ? 'selected' : undefined}
              >
                <td className="mono">
                  <button
                    type="button"
                    className="link-btn"
                    aria-expanded={selected === i.instance_id}
                    onClick={() => setSelected(selected === i.instance_id ? null : i.instance_id)}
                  >
                    {i.cloud_instance_id ?? i.instance_id.slice(0, 8)}
                  </button>
                </td>
                <td>{agents[i.agent_id]?.logical_id ?? i.agent_id.slice(0, 8)}</td>
                <td className="mono">
                  {i.instance_type} · {i.availability_zone ?? '—'}
                </td>
                <td>
                  <RoleBadge role={i.role} />
                </td>
                <td className="num">{formatDuration(runSeconds(i))}</td>
                <td className="num">{formatDuration(i.launch_duration_seconds)}</td>
                <td className="num">{formatDuration(i.termination_duration_seconds)}</td>
                <td>{i.termination_reason ?? (i.error_code ? `error ${i.error_code}` : '—')}</td>
                <td>{formatTime(i.termination_confirmed_at ?? i.status_changed_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <aside className="card side" aria-label="Timeline">
          {selected ? (
            <>
              <h2>Timeline</h2>
              <Timeline instanceId={selected} />
            </>
          ) : (
            <p className="muted">Select an instance to see its lifecycle timeline.</p>
          )}
        </aside>
      </div>
    );

  return (
    <section className="view" aria-labelledby="history-title">
      <div className="toolbar">
        <h1 id="history-title">History</h1>
        <div className="spacer" />
        <button
          type="button"
          className="btn"
          onClick={() => {
            res.reload(true);
            setRefresh((n) => n + 1);
          }}
        >
          Refresh
        </button>
      </div>
      {body}
      <InterruptionHistory refresh={refresh} />
    </section>
  );
}
