import { type JSX, useMemo } from 'react';
import { api } from '../api/endpoints';
import { formatSeconds, formatTime } from '../lib/format';
import { useResource } from '../lib/use-resource';
import type { Emergency } from '../store/fleet-state';
import { useFleet } from '../store/fleet-store';
import { mergeListed, outcomeLabel, servingSeconds, sourcesLabel } from '../store/interruptions';
import { useResponse } from './EmergencyAlert';
import { Empty, ErrorState, Loading } from './States';

function InterruptionRow({ e }: { e: Emergency }) {
  const agent = useFleet((s) => s.agents[e.agent_id]);
  const { sw, step } = useResponse(e);
  const notice = e.kind === 'termination_notice';
  return (
    <tr
      data-testid="interruption-row"
      data-interruption-id={e.interruption_id}
      data-response={e.response ?? ''}
      data-outcome={e.outcome ?? ''}
    >
      <td>{formatTime(e.detected_at)}</td>
      <td>
        {notice ? 'termination notice' : 'rebalance'}
        {e.action ? <span className="muted small"> · {e.action}</span> : null}
      </td>
      <td className="mono">{e.cloud_instance_id}</td>
      <td>{agent?.logical_id ?? e.agent_id.slice(0, 8)}</td>
      <td data-testid="interruption-sources">{sourcesLabel(e.sources)}</td>
      <td className={`step-${step.state}`} data-testid="interruption-response" data-state={step.state}>
        {step.text}
      </td>
      <td data-testid="interruption-outcome">
        {e.outcome ? (
          <span className={`outcome-${e.outcome}`}>
            <b>{outcomeLabel(e.outcome)}</b>
          </span>
        ) : (
          <span className="muted">{notice && e.response && e.response !== 'none' ? 'in progress' : '—'}</span>
        )}
      </td>
      <td className="num" data-testid="interruption-serving">
        {formatSeconds(servingSeconds(e, sw))}
      </td>
    </tr>
  );
}

/**
 * Every interruption signal (GET /api/client/interruptions), newest first, with what was done
 * (response, followed live), how it ended, who reported it and the time from notice to serving.
 * Signals and updates seen on the stream since the list loaded join it without a reload.
 */
export function InterruptionHistory({ refresh = 0 }: { refresh?: number }) {
  const res = useResource((signal) => api.interruptions(false, signal), [refresh]);
  const live = useFleet((s) => s.emergencies);
  const list = useMemo(() => {
    const byId = new Map<string, Emergency>();
    for (const v of res.data?.interruptions ?? [])
      byId.set(v.interruption_id, mergeListed(live[v.interruption_id], v));
    for (const e of Object.values(live)) if (!byId.has(e.interruption_id)) byId.set(e.interruption_id, e);
    return [...byId.values()].sort(
      (a, b) =>
        b.detected_at.localeCompare(a.detected_at) || a.interruption_id.localeCompare(b.interruption_id),
    );
  }, [res.data, live]);

  let body: JSX.Element;
  if (res.state === 'loading' && list.length === 0) body = <Loading label="Loading interruptions…" />;
  else if (res.state === 'error' && list.length === 0)
    body = <ErrorState message={res.error} onRetry={() => res.reload()} />;
  else if (list.length === 0)
    body = (
      <Empty title="No interruptions yet">
        Termination notices and rebalance recommendations show here with what was done about them.
      </Empty>
    );
  else
    body = (
      <table className="grid-table" aria-label="Interruptions">
        <thead>
          <tr>
            <th scope="col">Detected</th>
            <th scope="col">Signal</th>
            <th scope="col">Instance</th>
            <th scope="col">Agent</th>
            <th scope="col">Sources</th>
            <th scope="col">Response</th>
            <th scope="col">Outcome</th>
            <th scope="col" className="num" title="From the notice to the new primary serving">
              To serving
            </th>
          </tr>
        </thead>
        <tbody>
          {list.map((e) => (
            <InterruptionRow key={e.interruption_id} e={e} />
          ))}
        </tbody>
      </table>
    );

  return (
    <section className="card interruptions" aria-labelledby="interruptions-title" data-testid="interruptions">
      <h2 id="interruptions-title">Interruptions</h2>
      {body}
    </section>
  );
}
