import type { DowntimeStats } from '@spot/contract';
import { type JSX, useId, useState } from 'react';
import { api } from '../api/endpoints';
import { formatSeconds } from '../lib/format';
import { useResource } from '../lib/use-resource';
import { useThrottledOnChange } from '../lib/use-throttled';
import { useFleet } from '../store/fleet-store';
import { Empty, ErrorState, Loading } from './States';

const WINDOWS = [
  { hours: 1, label: 'last hour' },
  { hours: 24, label: 'last 24 h' },
  { hours: 24 * 7, label: 'last 7 days' },
];

const rate = (s: DowntimeStats) => (s.success_rate === null ? '—' : `${(s.success_rate * 100).toFixed(0)}%`);

/**
 * Downtime of switches (GET /api/client/analytics/downtime): overall and by trigger — count,
 * success rate, p50 / p95 / max seconds without a serving primary. Refetched when a switch ends.
 */
export function DowntimeCard() {
  const [hours, setHours] = useState(24);
  const res = useResource((signal) => api.downtime(hours, signal), [hours]);
  const ended = useFleet((s) => s.switchVersion);
  useThrottledOnChange(ended, 2000, () => res.reload(true));
  const selectId = useId();

  let body: JSX.Element;
  if (res.state === 'loading' && !res.data) body = <Loading label="Loading downtime…" />;
  else if (res.state === 'error' && !res.data)
    body = <ErrorState message={res.error} onRetry={() => res.reload()} />;
  else {
    const d = res.data!;
    const o = d.overall;
    const triggers = Object.entries(d.by_trigger).sort((a, b) => b[1].count - a[1].count);
    body =
      o.count === 0 ? (
        <Empty title="No switches in this window">Downtime is measured on every switch and promotion.</Empty>
      ) : (
        <>
          <div className="kpis kpis-5" data-testid="downtime-overall">
            <div className="kpi">
              <span>Switches</span>
              <b>{o.count}</b>
              <small className="muted">
                {o.completed} completed · {o.failed} failed
              </small>
            </div>
            <div className="kpi">
              <span>Success rate</span>
              <b data-testid="downtime-success">{rate(o)}</b>
            </div>
            <div className="kpi">
              <span>Downtime p50</span>
              <b data-testid="downtime-p50">{formatSeconds(o.p50_seconds)}</b>
            </div>
            <div className="kpi">
              <span>Downtime p95</span>
              <b data-testid="downtime-p95">{formatSeconds(o.p95_seconds)}</b>
            </div>
            <div className="kpi">
              <span>Downtime max</span>
              <b data-testid="downtime-max">{formatSeconds(o.max_seconds)}</b>
            </div>
          </div>
          <table className="grid-table" aria-label="Downtime by trigger" data-testid="downtime-by-trigger">
            <thead>
              <tr>
                <th scope="col">Trigger</th>
                <th scope="col" className="num">
                  Switches
                </th>
                <th scope="col" className="num">
                  Success
                </th>
                <th scope="col" className="num">
                  p50
                </th>
                <th scope="col" className="num">
                  p95
                </th>
                <th scope="col" className="num">
                  Max
                </th>
              </tr>
            </thead>
            <tbody>
              {triggers.map(([t, s]) => (
                <tr key={t} data-testid="downtime-trigger" data-trigger={t}>
                  <td>{t.replace(/_/g, ' ')}</td>
                  <td className="num">{s.count}</td>
                  <td className="num">{rate(s)}</td>
                  <td className="num">{formatSeconds(s.p50_seconds)}</td>
                  <td className="num">{formatSeconds(s.p95_seconds)}</td>
                  <td className="num">{formatSeconds(s.max_seconds)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      );
  }

  return (
    <section className="card downtime" aria-labelledby={`${selectId}-title`} data-testid="downtime-card">
      <div className="card-head">
        <h2 id={`${selectId}-title`}>Switch downtime</h2>
        <div className="spacer" />
        <label className="sr-only" htmlFor={selectId}>
          Window
        </label>
        <select id={selectId} value={hours} onChange={(e) => setHours(Number(e.target.value))}>
          {WINDOWS.map((w) => (
            <option key={w.hours} value={w.hours}>
              {w.label}
            </option>
          ))}
        </select>
      </div>
      {body}
    </section>
  );
}
