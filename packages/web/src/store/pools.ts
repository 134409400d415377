import type { CandidatePool, Market } from '@spot/contract';
import type { PoolPrice } from './fleet-state';
import { poolKey } from './fleet-state';

export interface PoolTarget {
  instance_type: string;
  availability_zone: string | null;
  market?: Market;
}

/** What a move to a pool costs against the pool serving now: positive `savingPct` = cheaper. */
export interface PoolQuote {
  price: number | null;
  /** Candidate minus current, $/h (negative = saves). */
  deltaPerHour: number | null;
  savingPct: number | null;
}

/** The hourly price of a pool in a market: spot from the latest report, on-demand from its series. */
export function priceOf(prices: Record<string, PoolPrice>, pool: PoolTarget): number | null {
  const held = prices[poolKey(pool.instance_type, pool.availability_zone)];
  if (!held) return null;
  return pool.market === 'on-demand' ? (held.ondemand ?? null) : held.price;
}

export function quote(
  prices: Record<string, PoolPrice>,
  target: PoolTarget,
  current: PoolTarget | null,
): PoolQuote {
  const price = priceOf(prices, target);
  const base = current ? priceOf(prices, current) : null;
  if (price === null || base === null) return { price, deltaPerHour: null, savingPct: null };
  return {
    price,
    deltaPerHour: price - base,
    savingPct: base > 0 ? ((base - price) / base) * 100 : null,
  };
}

export const samePool = (a: PoolTarget, b: CandidatePool | PoolTarget): boolean =>
  a.instance_type === b.instance_type && (a.availability_zone ?? '') === (b.availability_zone ?? '');
