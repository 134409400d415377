import { AvailabilityZone, type CandidatePool, InstanceType, type Market } from '@spot/contract';
import { useId } from 'react';
import { formatPrice } from '../lib/format';
import type { PoolPrice } from '../store/fleet-state';
import { type PoolTarget, quote, samePool } from '../store/pools';
import { SavingText } from './PoolQuote';

export interface PoolDraft {
  type: string;
  az: string;
  market: Market;
}

/** Field errors of a typed pool, null when it can be sent. */
export function poolDraftErrors(d: PoolDraft): { type: string | null; az: string | null } {
  return {
    type: InstanceType.safeParse(d.type.trim()).success
      ? null
      : 'Enter an EC2 instance type such as m5.large.',
    az:
      d.az.trim() === '' || AvailabilityZone.safeParse(d.az.trim()).success
        ? null
        : 'Enter an AZ such as us-east-1b, or leave it empty.',
  };
}

/**
 * The agent's candidate pools as choices, each with its current price and what it saves (or
 * costs) against the pool serving now, plus free entry of type / AZ (/ market). The typed
 * fields are the value; picking a candidate fills them.
 */
export function PoolPicker({
  candidates,
  prices,
  current,
  value,
  onChange,
  withMarket,
  touched,
}: {
  candidates: CandidatePool[];
  prices: Record<string, PoolPrice>;
  current: PoolTarget | null;
  value: PoolDraft;
  onChange: (d: PoolDraft) => void;
  withMarket: boolean;
  touched: boolean;
}) {
  const ids = { type: useId(), az: useId(), market: useId(), group: useId() };
  const typed: PoolTarget = {
    instance_type: value.type.trim(),
    availability_zone: value.az.trim() || null,
    market: value.market,
  };
  const errors = poolDraftErrors(value);
  const typedQuote = quote(prices, typed, current);
  const isCandidate = candidates.some((c) => samePool(typed, c));
  return (
    <>
      {candidates.length === 0 ? (
        <p className="muted small">
          This agent has no candidate pools in its config: type a pool below, or add candidates to the config.
        </p>
      ) : (
        <table className="grid-table pool-table" aria-label="Candidate pools" data-testid="candidate-pools">
          <thead>
            <tr>
              <th scope="col">
                <span className="sr-only">Pick</span>
              </th>
              <th scope="col">Pool</th>
              <th scope="col" className="num">
                Spot $/h
              </th>
              <th scope="col">vs current</th>
            </tr>
          </thead>
          <tbody>
            {candidates.map((c) => {
              const target = { ...c, market: 'spot' as const };
              const q = quote(prices, target, current);
              const here = current ? samePool(current, c) && current.market !== 'on-demand' : false;
              const checked = value.market === 'spot' && samePool(typed, c);
              const label = `${c.instance_type} · ${c.availability_zone}`;
              return (
                <tr
                  key={label}
                  data-testid="candidate-row"
                  data-pool={`${c.instance_type}|${c.availability_zone}`}
                  className={checked ? 'selected' : undefined}
                >
                  <td>
                    <input
                      type="radio"
                      name={ids.group}
                      aria-label={label}
                      checked={checked}
                      onChange={() =>
                        onChange({ type: c.instance_type, az: c.availability_zone, market: 'spot' })
                      }
                    />
                  </td>
                  <td className="mono">
                    {label}
                    {here && <span className="tag">current</span>}
                  </td>
                  <td className="num" data-testid="candidate-price">
                    {formatPrice(q.price)}
                  </td>
                  <td>
                    <SavingText q={q} hasCurrent={current !== null} />
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <div className="field-row">
        <div className="field">
          <label htmlFor={ids.type}>Instance type</label>
          <input
            id={ids.type}
            value={value.type}
            placeholder="m5.large"
            autoComplete="off"
            aria-invalid={touched && errors.type !== null}
            onChange={(e) => onChange({ ...value, type: e.target.value })}
          />
        </div>
        <div className="field">
          <label htmlFor={ids.az}>Availability zone (optional)</label>
          <input
            id={ids.az}
            value={value.az}
            placeholder="any"
            autoComplete="off"
            aria-invalid={touched && errors.az !== null}
            onChange={(e) => onChange({ ...value, az: e.target.value })}
          />
        </div>
        {withMarket && (
          <div className="field">
            <label htmlFor={ids.market}>Market</label>
            <select
              id={ids.market}
              value={value.market}
              onChange={(e) =>
                onChange({ ...value, market: e.target.value === 'on-demand' ? 'on-demand' : 'spot' })
              }
            >
              <option value="spot">spot</option>
              <option value="on-demand">on-demand</option>
            </select>
          </div>
        )}
      </div>
      {touched && errors.type && <p className="field-error">{errors.type}</p>}
      {touched && errors.az && <p className="field-error">{errors.az}</p>}
      {value.type.trim() !== '' && errors.type === null && !(isCandidate && value.market === 'spot') && (
        <p className="small" data-testid="typed-quote">
          {typed.instance_type}
          {typed.availability_zone ? ` · ${typed.availability_zone}` : ''} ({value.market}):{' '}
          {formatPrice(typedQuote.price)}/h — <SavingText q={typedQuote} hasCurrent={current !== null} />
        </p>
      )}
    </>
  );
}
