import { describe, expect, it } from 'vitest';
import { hourlyCosts, type PricePoint, type RunInterval, stepCost } from '../../src/domain/savings.ts';

/** A run of agent a1 in us-east-1a unless told otherwise. */
const run = (r: Partial<RunInterval> & Pick<RunInterval, 'pool' | 'start' | 'end'>): RunInterval => ({
  agentId: 'a1',
  instanceType: r.pool.split(/[|/]/)[0]!,
  region: 'us-east-1',
  availabilityZone: 'us-east-1a',
  ondemandPrice: 0.1,
  market: 'spot',
  ...r,
});

const H = 3_600_000;
const T0 = Date.UTC(2025, 2, 1, 0, 0, 0); // an hour boundary

describe('stepCost (price is a step function; billed per second)', () => {
  const points: PricePoint[] = [
    { t: T0, price: 0.1 },
    { t: T0 + H, price: 0.2 },
    { t: T0 + 2 * H, price: 0.05 },
  ];

  it('charges one price over an interval inside one step', () => {
    expect(stepCost(points, T0 + 15 * 60_000, T0 + 45 * 60_000)).toBeCloseTo(0.05, 10);
  });

  it('switches price exactly at each observation', () => {
    // 30 min at 0.1, 60 min at 0.2, 30 min at 0.05
    expect(stepCost(points, T0 + H / 2, T0 + 2.5 * H)).toBeCloseTo(0.05 + 0.2 + 0.025, 10);
  });

  it('uses the first known price before the first observation and the last one after the last', () => {
    expect(stepCost(points, T0 - H, T0)).toBeCloseTo(0.1, 10);
    expect(stepCost(points, T0 + 3 * H, T0 + 5 * H)).toBeCloseTo(0.1, 10);
  });

  it('costs nothing for an empty or inverted interval, and is unknown without prices', () => {
    expect(stepCost(points, T0 + H, T0 + H)).toBe(0);
    expect(stepCost(points, T0 + H, T0)).toBe(0);
    expect(stepCost([], T0, T0 + H)).toBeNull();
  });

  it('is additive: cost(a, c) = cost(a, b) + cost(b, c) for any split', () => {
    for (const b of [T0 + 11, T0 + H - 1, T0 + H, T0 + 1.7 * H, T0 + 2 * H + 5]) {
      const whole = stepCost(points, T0 + 10, T0 + 2.5 * H)!;
      const split = stepCost(points, T0 + 10, b)! + stepCost(points, b, T0 + 2.5 * H)!;
      expect(split).toBeCloseTo(whole, 10);
    }
  });

  it('takes the latest of several observations at the same instant', () => {
    const dup: PricePoint[] = [
      { t: T0, price: 1 },
      { t: T0 + H, price: 2 },
      { t: T0 + H, price: 3 },
    ];
    expect(stepCost(dup, T0 + H, T0 + 2 * H)).toBeCloseTo(3, 10);
  });
});

describe('hourlyCosts', () => {
  const prices = new Map<string, PricePoint[]>([['m5.large/us-east-1a', [{ t: T0 - H, price: 0.04 }]]]);

  it('splits a run at hour boundaries and compares spot with on-demand per hour', () => {
    const one: RunInterval = run({
      pool: 'm5.large/us-east-1a',
      start: T0 + 0.5 * H,
      end: T0 + 2.25 * H,
      ondemandPrice: 0.096,
      market: 'spot',
    });
    const buckets = hourlyCosts([one], prices);
    expect(buckets.map((b) => b.hour)).toEqual([T0, T0 + H, T0 + 2 * H]);
    const fractions = [0.5, 1, 0.25];
    buckets.forEach((b, i) => {
      expect(b.spot_cost).toBeCloseTo(0.04 * fractions[i]!, 10);
      expect(b.ondemand_cost).toBeCloseTo(0.096 * fractions[i]!, 10);
    });
  });

  it('bills an on-demand run at the on-demand price (no savings)', () => {
    const [b] = hourlyCosts(
      [
        run({
          pool: 'm5.large/us-east-1a',
          start: T0,
          end: T0 + H,
          ondemandPrice: 0.096,
          market: 'on-demand',
        }),
      ],
      prices,
    );
    expect(b!.spot_cost).toBeCloseTo(b!.ondemand_cost, 12);
  });

  it('sums several runs in the same hour and leaves out pools without prices', () => {
    const buckets = hourlyCosts(
      [
        run({ pool: 'm5.large/us-east-1a', start: T0, end: T0 + H / 2, ondemandPrice: 0.1, market: 'spot' }),
        run({
          pool: 'm5.large/us-east-1a',
          start: T0 + H / 2,
          end: T0 + H,
          ondemandPrice: 0.1,
          market: 'spot',
        }),
        run({ pool: 'unknown/pool', start: T0, end: T0 + H, ondemandPrice: 1, market: 'spot' }),
      ],
      prices,
    );
    expect(buckets).toHaveLength(1);
    expect(buckets[0]!.spot_cost).toBeCloseTo(0.04, 10);
    expect(buckets[0]!.ondemand_cost).toBeCloseTo(0.1, 10);
  });

  it('returns hours in ascending order and nothing for no runs', () => {
    expect(hourlyCosts([], prices)).toEqual([]);
    const buckets = hourlyCosts(
      [
        run({
          pool: 'm5.large/us-east-1a',
          start: T0 + 5 * H,
          end: T0 + 6 * H,
          ondemandPrice: 0.1,
          market: 'spot',
        }),
        run({ pool: 'm5.large/us-east-1a', start: T0, end: T0 + H, ondemandPrice: 0.1, market: 'spot' }),
      ],
      prices,
    );
    expect(buckets.map((b) => b.hour)).toEqual([T0, T0 + 5 * H]);
  });
});
