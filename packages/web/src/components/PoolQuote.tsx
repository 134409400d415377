import { formatPercent, formatPrice } from '../lib/format';
import type { PoolQuote } from '../store/pools';

/** "saves 15.9% (−$0.0066/h)" in green, "costs 8.0% more (+$0.0033/h)" in red, or why not known. */
export function SavingText({ q, hasCurrent }: { q: PoolQuote; hasCurrent: boolean }) {
  if (q.price === null) return <span className="muted">no price reported</span>;
  if (q.deltaPerHour === null)
    return <span className="muted">{hasCurrent ? 'current price unknown' : 'no primary'}</span>;
  const perHour = `${q.deltaPerHour < 0 ? '−' : '+'}${formatPrice(Math.abs(q.deltaPerHour))}/h`;
  if (Math.abs(q.deltaPerHour) < 1e-9) return <span className="muted">same price</span>;
  if (q.deltaPerHour < 0)
    return (
      <span className="saving" data-testid="saving">
        saves {formatPercent(q.savingPct ?? 0).replace('+', '')} ({perHour})
      </span>
    );
  return (
    <span className="extra-cost" data-testid="saving">
      costs {formatPercent(-(q.savingPct ?? 0)).replace('+', '')} more ({perHour})
    </span>
  );
}
