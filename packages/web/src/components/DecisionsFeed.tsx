import { useEffect } from 'react';
import { api } from '../api/endpoints';
import { formatMoney, formatTime } from '../lib/format';
import type { FeedDecision } from '../store/decisions';
import { useFleet } from '../store/fleet-store';
import { applyDecisions } from '../store/reducer';
import { Empty } from './States';

function DecisionRow({ d, who }: { d: FeedDecision; who: string }) {
  const o = d.output;
  return (
    <li className="decision" data-testid="decision" data-action={o.action}>
      <div>
        <b>{o.action === 'switch' ? 'Switch' : 'Stay'}</b> · {who}
        {o.action === 'switch' && (
          <>
            {' '}
            → {o.target.instance_type} · {o.target.availability_zone}{' '}
            <span data-testid="decision-saving">saves {formatMoney(o.expected_saving_per_hour)}/h</span>
          </>
        )}
        {!d.valid && <span className="muted"> (invalid: {d.error ?? 'contract broken'})</span>}
        {d.fallback && (
          <span className="muted" data-testid="decision-fallback">
            {' '}
            (model fell back to the rules: {d.fallback})
          </span>
        )}
      </div>
      <small className="muted">
        {formatTime(d.created_at)} · confidence {(o.confidence * 100).toFixed(0)}% · {d.policy} · {o.reason}
      </small>
    </li>
  );
}

/**
 * The engine's decisions, newest first: GET /api/client/decisions on mount, then live from
 * DECISION_MADE (the reducer merges both by decision_id).
 */
export function DecisionsFeed() {
  const decisions = useFleet((s) => s.decisions);
  const agents = useFleet((s) => s.agents);
  useEffect(() => {
    const c = new AbortController();
    api.decisions(50, c.signal).then(
      (list) => useFleet.getState().update((s) => applyDecisions(s, list.decisions)),
      () => {}, // the live feed still fills in; the list is a head start
    );
    return () => c.abort();
  }, []);
  if (decisions.length === 0)
    return (
      <Empty title="No decisions yet">
        Workloads in auto_switch mode are decided on a schedule and on price changes.
      </Empty>
    );
  return (
    <ul className="card decisions" aria-label="Decisions" data-testid="decisions-feed">
      {decisions.map((d) => (
        <DecisionRow
          key={d.decision_id}
          d={d}
          who={agents[d.agent_id]?.logical_id ?? d.agent_id.slice(0, 8)}
        />
      ))}
    </ul>
  );
}
