import type { AgentSavingsDetail } from '@spot/contract';
import type { JSX } from 'react';
import { api } from '../api/endpoints';
import { formatMoney, formatPercent, formatPrice, formatTime } from '../lib/format';
import { useResource } from '../lib/use-resource';
import { useThrottledOnChange } from '../lib/use-throttled';
import { poolLabel } from '../store/fleet-state';
import { useFleet } from '../store/fleet-store';
import { describeUnknown, roiLabel } from './AgentSavingsTable';
import { Empty, ErrorState, Loading } from './States';

function Impact({ d }: { d: AgentSavingsDetail }) {
  if (d.switches.length === 0)
    return (
      <Empty title="No switches in the last 30 days">Each switch's price before and after shows here.</Empty>
    );
  return (
    <table className="grid-table compact" aria-label="Switch impact" data-testid="switch-impact">
      <thead>
        <tr>
          <th scope="col">When</th>
          <th scope="col">Trigger</th>
          <th scope="col">From → to</th>
          <th scope="col" className="num">
            Before
          </th>
          <th scope="col" className="num">
            After
          </th>
          <th scope="col" className="num">
            Saving/h
          </th>
        </tr>
      </thead>
      <tbody>
        {d.switches.map((s) => (
          <tr key={s.switch_id} data-testid="switch-impact-row">
            <td>{formatTime(s.requested_at)}</td>
            <td>
              {s.trigger.replace(/_/g, ' ')}
              {s.status !== 'COMPLETED' && <small className="muted"> ({s.status.toLowerCase()})</small>}
            </td>
            <td>
              {s.from.instance_type
                ? poolLabel({
                    instance_type: s.from.instance_type,
                    availability_zone: s.from.availability_zone,
                    market: s.from.market ?? undefined,
                  })
                : '—'}{' '}
              → {poolLabel(s.to)}
            </td>
            <td className="num">{formatPrice(s.price_before)}</td>
            <td className="num">{formatPrice(s.price_after)}</td>
            <td className="num" data-testid="switch-impact-saving">
              {s.saving_per_hour === null
                ? '—'
                : `${formatMoney(s.saving_per_hour)} (${formatPercent(s.saving_pct)})`}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** One workload's savings over 30 days (GET /api/client/agents/:id/savings): figures, ROI, switch impact. */
export function AgentSavingsCard({ agentId }: { agentId: string }) {
  const res = useResource((signal) => api.agentSavingsDetail(agentId, 720, signal), [agentId]);
  const ended = useFleet((s) => s.switchVersion);
  useThrottledOnChange(ended, 2000, () => res.reload(true));

  let body: JSX.Element;
  if (res.state === 'loading' && !res.data) body = <Loading label="Loading savings…" />;
  else if (res.state === 'error' && !res.data)
    body = <ErrorState message={res.error} onRetry={() => res.reload()} />;
  else {
    const d = res.data!;
    const unknown = d.unknown_ondemand.length + d.unknown_spot_price.length > 0;
    body = (
      <>
        <div className="kpis" data-testid="agent-savings-kpis">
          <div className="kpi">
            <span>Saving now</span>
            <b>{formatMoney(d.current_saving_per_hour)}/h</b>
            <small>{formatMoney(d.monthly_projection)}/month</small>
          </div>
          <div className="kpi">
            <span>Saved (30 d)</span>
            <b>{formatMoney(d.total_savings)}</b>
          </div>
          <div
            className="kpi"
            title={`downtime valued at ${formatMoney(d.replica_roi.downtime_usd_per_hour)}/h`}
          >
            <span>Replica ROI</span>
            <b>{roiLabel(d.replica_roi)}</b>
            <small>
              {d.replica_roi.promotions} promotion(s) · {Math.round(d.replica_roi.downtime_avoided_seconds)} s
              avoided
            </small>
          </div>
        </div>
        {unknown && <p className="muted">Not compared: {describeUnknown(d)}.</p>}
        <Impact d={d} />
      </>
    );
  }
  return (
    <section className="card" aria-label="Savings" data-testid="agent-savings-card">
      {body}
    </section>
  );
}
