import type { JSX } from 'react';
import { api } from '../api/endpoints';
import { AgentSavingsTable, describeUnknown } from '../components/AgentSavingsTable';
import { PriceChart, SavingsChart } from '../components/charts';
import { DecisionsFeed } from '../components/DecisionsFeed';
import { Empty, ErrorState, Loading } from '../components/States';
import { formatMoney, formatTime } from '../lib/format';
import { useResource } from '../lib/use-resource';
import { useThrottledOnChange } from '../lib/use-throttled';
import { useFleet } from '../store/fleet-store';

/** PRICE_UPDATED can arrive many times a second across pools: refetch at most this often. */
const REFRESH_MS = 5000;

export function PricesView() {
  const prices = useResource((signal) => api.prices(24, signal), []);
  const savings = useResource((signal) => api.savings(signal), []);
  const version = useFleet((s) => s.priceVersion);
  useThrottledOnChange(version, REFRESH_MS, () => {
    prices.reload(true);
    savings.reload(true);
  });

  let savingsBody: JSX.Element;
  if (savings.state === 'loading' && !savings.data) savingsBody = <Loading label="Loading savings…" />;
  else if (savings.state === 'error' && !savings.data)
    savingsBody = <ErrorState message={savings.error} onRetry={() => savings.reload()} />;
  else {
    const s = savings.data!;
    savingsBody = (
      <>
        <div className="kpis">
          <div className="kpi" data-testid="savings-total">
            <span>Saved vs on-demand</span>
            <b>{formatMoney(s.total_savings)}</b>
            <small>{s.savings_pct === null ? '—' : `${s.savings_pct.toFixed(1)}%`}</small>
          </div>
          <div className="kpi">
            <span>Spot cost</span>
            <b>{formatMoney(s.total_spot_cost)}</b>
          </div>
          <div className="kpi">
            <span>On-demand equivalent</span>
            <b>{formatMoney(s.total_ondemand_cost)}</b>
          </div>
          <div className="kpi" data-testid="savings-rate">
            <span>Saving now</span>
            <b>{formatMoney(s.current_saving_per_hour)}/h</b>
            <small>
              {formatMoney(s.monthly_projection)}/month · {formatMoney(s.yearly_projection)}/year
            </small>
          </div>
          <div className="kpi">
            <span>Since</span>
            <b className="small">{formatTime(s.since)}</b>
          </div>
        </div>
        {s.unknown_ondemand.length + s.unknown_spot_price.length > 0 && (
          <p className="muted" data-testid="savings-unknown">
            Not compared: {describeUnknown(s)}.
          </p>
        )}
        {s.hourly.length === 0 ? (
          <Empty title="No running hours yet">Savings accrue while spot instances run.</Empty>
        ) : (
          <div className="card">
            <h2>
              Hourly savings <span className="legend legend-bar">per hour</span>{' '}
              <span className="legend legend-line">cumulative</span>
            </h2>
            <SavingsChart savings={s} />
          </div>
        )}
      </>
    );
  }

  let pricesBody: JSX.Element;
  if (prices.state === 'loading' && !prices.data) pricesBody = <Loading label="Loading prices…" />;
  else if (prices.state === 'error' && !prices.data)
    pricesBody = <ErrorState message={prices.error} onRetry={() => prices.reload()} />;
  else if (prices.data!.pools.length === 0)
    pricesBody = (
      <Empty title="No price reports yet">Agents report spot prices for their candidate pools.</Empty>
    );
  else
    pricesBody = (
      <div className="charts">
        {prices.data!.pools.map((p) => (
          <PriceChart key={`${p.instance_type}|${p.availability_zone}`} pool={p} />
        ))}
      </div>
    );

  return (
    <section className="view" aria-labelledby="prices-title">
      <div className="toolbar">
        <h1 id="prices-title">Prices &amp; savings</h1>
        <div className="spacer" />
        <button
          type="button"
          className="btn"
          onClick={() => {
            prices.reload(true);
            savings.reload(true);
          }}
        >
          Refresh
        </button>
      </div>
      <h2 className="section">Fleet savings</h2>
      {savingsBody}
      <h2 className="section">Savings per agent (30 days)</h2>
      <AgentSavingsTable />
      <h2 className="section">Decisions</h2>
      <DecisionsFeed />
      <h2 className="section">Spot price per pool (24 h)</h2>
      {pricesBody}
    </section>
  );
}
