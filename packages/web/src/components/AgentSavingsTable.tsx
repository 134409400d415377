import type { AgentSavingsRow, ReplicaRoi } from '@spot/contract';
import type { JSX } from 'react';
import { api } from '../api/endpoints';
import { formatMoney } from '../lib/format';
import { useResource } from '../lib/use-resource';
import { useThrottledOnChange } from '../lib/use-throttled';
import { useFleet } from '../store/fleet-store';
import { Empty, ErrorState, Loading } from './States';

/** Prices and switches change the figures: refetch at most this often. */
const REFRESH_MS = 5000;

/** "+120%" (paid back 2.2×), "-40%", or why there is no figure. */
export function roiLabel(r: ReplicaRoi): string {
  if (r.replica_cost === null) return 'replica price unknown';
  if (r.roi === null) return r.replica_cost === 0 ? 'no replicas' : '—';
  return `${r.roi >= 0 ? '+' : ''}${(r.roi * 100).toFixed(0)}%`;
}

function roiTitle(r: ReplicaRoi): string {
  const parts = [
    `replicas cost ${r.replica_cost === null ? 'unknown' : formatMoney(r.replica_cost)}`,
    `${r.promotions} promotion(s) avoided ${Math.round(r.downtime_avoided_seconds)} s of downtime (boot ${Math.round(r.boot_seconds)} s)`,
    `valued at ${formatMoney(r.downtime_usd_per_hour)}/h of downtime: ${formatMoney(r.value_of_downtime_avoided)}`,
  ];
  if (r.break_even_usd_per_hour !== null)
    parts.push(`break-even at ${formatMoney(r.break_even_usd_per_hour)}/h of downtime`);
  return parts.join('; ');
}

const rate = (v: number) => `${formatMoney(v)}/h`;

function Row({ a }: { a: AgentSavingsRow }) {
  const unknown = a.unknown_ondemand.length + a.unknown_spot_price.length;
  return (
    <tr data-testid="agent-savings-row" data-agent={a.agent_id}>
      <td>
        {a.logical_id}
        {unknown > 0 && (
          <small className="muted" data-testid="agent-savings-unknown">
            {' '}
            · {describeUnknown(a)}
          </small>
        )}
      </td>
      <td className="num">{rate(a.current_saving_per_hour)}</td>
      <td className="num">{formatMoney(a.total_savings)}</td>
      <td className="num">{formatMoney(a.monthly_projection)}</td>
      <td className="num" title={roiTitle(a.replica_roi)} data-testid="agent-roi">
        {roiLabel(a.replica_roi)}
        {a.replica_roi.break_even_usd_per_hour !== null && (
          <small className="muted"> · break-even {rate(a.replica_roi.break_even_usd_per_hour)}</small>
        )}
      </td>
    </tr>
  );
}

/** Instances whose on-demand (or spot) price is unknown: said, never silently left out. */
export function describeUnknown(s: Pick<AgentSavingsRow, 'unknown_ondemand' | 'unknown_spot_price'>): string {
  const od = s.unknown_ondemand.map((u) => `${u.instance_type} in ${u.region}`);
  const spot = s.unknown_spot_price.map((u) => `${u.instance_type} · ${u.availability_zone}`);
  const parts: string[] = [];
  if (od.length) parts.push(`no on-demand price for ${od.join(', ')} (spend counted, not compared)`);
  if (spot.length) parts.push(`no spot price for ${spot.join(', ')}`);
  return parts.join('; ');
}

/**
 * Savings per agent (GET /api/client/savings/agents): current saving rate, saved in the
 * window, monthly projection, and what its replicas returned against the downtime they avoided.
 */
export function AgentSavingsTable() {
  const res = useResource((signal) => api.agentSavings(720, signal), []);
  const prices = useFleet((s) => s.priceVersion);
  const switches = useFleet((s) => s.switchVersion);
  useThrottledOnChange(prices + switches, REFRESH_MS, () => res.reload(true));

  let body: JSX.Element;
  if (res.state === 'loading' && !res.data) body = <Loading label="Loading savings per agent…" />;
  else if (res.state === 'error' && !res.data)
    body = <ErrorState message={res.error} onRetry={() => res.reload()} />;
  else if (res.data!.agents.length === 0)
    body = <Empty title="No agents yet">Savings per workload show once an agent registers.</Empty>;
  else
    body = (
      <table className="grid-table" aria-label="Savings per agent" data-testid="agent-savings">
        <thead>
          <tr>
            <th scope="col">Agent</th>
            <th scope="col" className="num">
              Saving now
            </th>
            <th scope="col" className="num">
              Saved (30 d)
            </th>
            <th scope="col" className="num">
              Monthly projection
            </th>
            <th scope="col" className="num">
              Replica ROI
            </th>
          </tr>
        </thead>
        <tbody>
          {[...res.data!.agents]
            .sort((x, y) => y.total_savings - x.total_savings)
            .map((a) => (
              <Row key={a.agent_id} a={a} />
            ))}
        </tbody>
      </table>
    );
  return <div className="card">{body}</div>;
}
