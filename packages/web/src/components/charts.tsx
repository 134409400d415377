import type { PriceSeries, SavingsResponse } from '@spot/contract';
import { formatMoney, formatPrice } from '../lib/format';

const W = 360;
const H = 140;
const PAD = { l: 48, r: 8, t: 10, b: 20 };

function scale(min: number, max: number, from: number, to: number) {
  const span = max - min || 1;
  return (v: number) => from + ((v - min) / span) * (to - from);
}

const hhmm = (t: number) =>
  new Date(t).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', hour12: false });

/** Spot price over time for one pool, with the on-demand price as a dashed reference line. */
export function PriceChart({ pool }: { pool: PriceSeries }) {
  const pts = pool.points.map((p) => ({ t: Date.parse(p.t), v: p.price }));
  const last = pts[pts.length - 1];
  const values = pts.map((p) => p.v);
  if (pool.ondemand_price !== null) values.push(pool.ondemand_price);
  const lo = Math.min(...values) * 0.95;
  const hi = Math.max(...values) * 1.05;
  const t0 = pts[0]?.t ?? 0;
  const t1 = last?.t ?? 1;
  const x = scale(t0, t1 === t0 ? t0 + 1 : t1, PAD.l, W - PAD.r);
  const y = scale(lo, hi, H - PAD.b, PAD.t);
  // Step line: a spot price holds until the next report.
  let d = '';
  pts.forEach((p, i) => {
    d += i === 0 ? `M${x(p.t)},${y(p.v)}` : `H${x(p.t)}V${y(p.v)}`;
  });
  const title = `${pool.instance_type} · ${pool.availability_zone}`;
  const saving = last && pool.ondemand_price ? Math.round((1 - last.v / pool.ondemand_price) * 100) : null;
  return (
    <figure
      className="card chart"
      data-testid="price-chart"
      data-pool={`${pool.instance_type}|${pool.availability_zone}`}
    >
      <figcaption>
        <strong>{title}</strong>
        <span>
          {formatPrice(last?.v)}/h{saving !== null ? ` · ${saving}% under on-demand` : ''}
        </span>
      </figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`Spot price of ${title}, ${pts.length} points`}>
        <line x1={PAD.l} x2={W - PAD.r} y1={H - PAD.b} y2={H - PAD.b} className="axis" />
        <text x={PAD.l - 4} y={y(hi) + 8} className="tick" textAnchor="end">
          {formatPrice(hi)}
        </text>
        <text x={PAD.l - 4} y={y(lo)} className="tick" textAnchor="end">
          {formatPrice(lo)}
        </text>
        {pts.length > 0 && (
          <>
            <text x={PAD.l} y={H - 4} className="tick">
              {hhmm(t0)}
            </text>
            <text x={W - PAD.r} y={H - 4} className="tick" textAnchor="end">
              {hhmm(t1)}
            </text>
          </>
        )}
        {pool.ondemand_price !== null && (
          <line
            x1={PAD.l}
            x2={W - PAD.r}
            y1={y(pool.ondemand_price)}
            y2={y(pool.ondemand_price)}
            className="ondemand"
          >
            <title>on-demand {formatPrice(pool.ondemand_price)}/h</title>
          </line>
        )}
        {d && <path d={d} className="series" />}
        {last && <circle cx={x(last.t)} cy={y(last.v)} r={3} className="series-dot" />}
      </svg>
    </figure>
  );
}

/** Hourly savings as bars, cumulative savings as a line on its own scale. */
export function SavingsChart({ savings }: { savings: SavingsResponse }) {
  const hours = savings.hourly;
  const w = 760;
  const h = 180;
  const maxBar = Math.max(...hours.map((x) => Math.abs(x.savings)), 0.0001);
  const maxCum = Math.max(...hours.map((x) => x.cumulative_savings), 0.0001);
  // A few hours of data should not turn into wall-to-wall bars.
  const bw = Math.min(48, (w - PAD.l - PAD.r) / Math.max(hours.length, 1));
  const yBar = scale(0, maxBar, h - PAD.b, PAD.t);
  const yCum = scale(0, maxCum, h - PAD.b, PAD.t);
  const line = hours
    .map((x, i) => `${i === 0 ? 'M' : 'L'}${PAD.l + bw * (i + 0.5)},${yCum(x.cumulative_savings)}`)
    .join('');
  return (
    <svg
      viewBox={`0 0 ${w} ${h}`}
      className="savings-chart"
      role="img"
      aria-label={`Savings per hour over ${hours.length} hours; cumulative ${formatMoney(savings.total_savings)}`}
    >
      <line x1={PAD.l} x2={w - PAD.r} y1={h - PAD.b} y2={h - PAD.b} className="axis" />
      <text x={PAD.l - 4} y={PAD.t + 8} className="tick" textAnchor="end">
        {formatMoney(maxBar)}
      </text>
      {hours.map((x, i) => (
        <rect
          key={x.hour}
          x={PAD.l + bw * i + 1}
          width={Math.max(bw - 2, 1)}
          y={Math.min(yBar(Math.abs(x.savings)), h - PAD.b)}
          height={Math.abs(h - PAD.b - yBar(Math.abs(x.savings)))}
          className={x.savings >= 0 ? 'bar' : 'bar bar-neg'}
        >
          <title>
            {new Date(x.hour).toLocaleString()}: saved {formatMoney(x.savings)} (spot{' '}
            {formatMoney(x.spot_cost)}, on-demand {formatMoney(x.ondemand_cost)})
          </title>
        </rect>
      ))}
      {hours.length > 1 && <path d={line} className="cumulative" />}
    </svg>
  );
}
