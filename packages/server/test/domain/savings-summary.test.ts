import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bucketSaving,
  HOURS_PER_MONTH,
  HOURS_PER_YEAR,
  type PricePoint,
  priceAt,
  type RunInterval,
  summarise,
} from '../../src/domain/savings.ts';

const H = 3_600_000;
const T0 = Date.UTC(2025, 2, 1, 0, 0, 0);
const POOL = 'm5.large|us-east-1a';

const run = (r: Partial<RunInterval> & Pick<RunInterval, 'start' | 'end'>): RunInterval => ({
  agentId: 'a1',
  pool: POOL,
  instanceType: 'm5.large',
  region: 'us-east-1',
  availabilityZone: 'us-east-1a',
  ondemandPrice: 0.1,
  market: 'spot',
  ...r,
});

const prices = new Map<string, PricePoint[]>([
  [
    POOL,
    [
      { t: T0 - H, price: 0.04 },
      { t: T0 + 2 * H, price: 0.03 },
    ],
  ],
]);

describe('priceAt', () => {
  it('takes the last point at or before t, the first before any, and nothing without points', () => {
    const pts = prices.get(POOL)!;
    expect(priceAt(pts, T0)).toBe(0.04);
    expect(priceAt(pts, T0 + 2 * H)).toBe(0.03);
    expect(priceAt(pts, T0 - 5 * H)).toBe(0.04);
    expect(priceAt([], T0)).toBeNull();
  });
});

describe('summarise (fleet or agent savings)', () => {
  it('gives totals, the current rate at now and 730 h / 8,760 h projections from it', () => {
    const now = T0 + 3 * H;
    const s = summarise([run({ start: T0, end: now })], prices, now);
    expect(s.total_spot_cost).toBeCloseTo(0.04 * 2 + 0.03, 10);
    expect(s.total_ondemand_cost).toBeCloseTo(0.3, 10);
    expect(s.total_savings).toBeCloseTo(0.3 - 0.11, 10);
    expect(s.current_spend_per_hour).toBeCloseTo(0.03, 10);
    expect(s.current_saving_per_hour).toBeCloseTo(0.07, 10);
    expect(s.monthly_projection).toBeCloseTo(0.07 * HOURS_PER_MONTH, 10);
    expect(s.yearly_projection).toBeCloseTo(0.07 * HOURS_PER_YEAR, 10);
    expect(s.unknown_ondemand).toEqual([]);
  });

  it('a run that ended before now adds to the totals but not to the current rate', () => {
    const now = T0 + 5 * H;
    const s = summarise([run({ start: T0, end: T0 + H })], prices, now);
    expect(s.total_savings).toBeCloseTo(0.06, 10);
    expect(s.current_saving_per_hour).toBe(0);
    expect(s.monthly_projection).toBe(0);
  });

  it('lists an instance with no on-demand price and counts its spend, never comparing it with 0', () => {
    const now = T0 + 2 * H;
    const s = summarise(
      [
        run({ start: T0, end: now }),
        run({ start: T0, end: now, instanceType: 'x9.huge', ondemandPrice: null }),
      ],
      prices,
      now,
    );
    // Both spend 0.04/h; only the first is compared with on-demand.
    expect(s.total_spot_cost).toBeCloseTo(0.16, 10);
    expect(s.total_ondemand_cost).toBeCloseTo(0.2, 10);
    expect(s.total_savings).toBeCloseTo(0.2 - 0.08, 10);
    expect(s.unknown_ondemand).toEqual([
      {
        instance_type: 'x9.huge',
        region: 'us-east-1',
        market: 'spot',
        hours: 2,
        spend: expect.closeTo(0.08, 10),
      },
    ]);
    // At now the price is 0.03 for both; only the compared one saves.
    expect(s.current_spend_per_hour).toBeCloseTo(0.06, 10);
    expect(s.current_saving_per_hour).toBeCloseTo(0.07, 10);
  });

  it('an on-demand instance with an unknown on-demand price is listed with an unknown spend', () => {
    const s = summarise(
      [run({ start: T0, end: T0 + H, market: 'on-demand', ondemandPrice: null })],
      prices,
      T0 + H,
    );
    expect(s.unknown_ondemand).toEqual([
      { instance_type: 'm5.large', region: 'us-east-1', market: 'on-demand', hours: 1, spend: null },
    ]);
    expect(s.hourly).toEqual([]);
  });

  it('lists a spot pool that has no price at all instead of leaving it out silently', () => {
    const s = summarise(
      [run({ start: T0, end: T0 + 3 * H, pool: 'c5.large|us-east-1b' })],
      prices,
      T0 + 3 * H,
    );
    expect(s.unknown_spot_price).toEqual([
      { instance_type: 'm5.large', availability_zone: 'us-east-1a', hours: 3 },
    ]);
    expect(s.total_spot_cost).toBe(0);
  });
});

// Runs over a 48-hour span, some without an on-demand price, some on-demand.
const runArb = fc
  .record({
    start: fc.integer({ min: 0, max: 48 * 60 }),
    minutes: fc.integer({ min: 0, max: 30 * 60 }),
    od: fc.option(fc.double({ min: 0.01, max: 5, noNaN: true }), { nil: null }),
    onDemand: fc.boolean(),
  })
  .map(({ start, minutes, od, onDemand }) =>
    run({
      start: T0 + start * 60_000,
      end: T0 + (start + minutes) * 60_000,
      ondemandPrice: od,
      market: onDemand ? 'on-demand' : 'spot',
      instanceType: od === null ? 'x9.huge' : 'm5.large',
    }),
  );
const pricesArb = fc
  .array(
    fc.record({
      m: fc.integer({ min: -600, max: 80 * 60 }),
      price: fc.double({ min: 0.001, max: 3, noNaN: true }),
    }),
    {
      minLength: 1,
      maxLength: 20,
    },
  )
  .map(
    (ps) =>
      new Map([[POOL, ps.map((p) => ({ t: T0 + p.m * 60_000, price: p.price })).sort((a, b) => a.t - b.t)]]),
  );

describe('summarise properties', () => {
  it('cumulative savings is the running sum of hourly savings, and the total is the last of it', () => {
    fc.assert(
      fc.property(fc.array(runArb, { maxLength: 12 }), pricesArb, (runs, ps) => {
        const s = summarise(runs, ps, T0 + 80 * H);
        let sum = 0;
        for (const h of s.hourly) {
          sum += h.savings;
          expect(h.cumulative_savings).toBeCloseTo(sum, 9);
          expect(h.savings).toBeCloseTo(bucketSaving(h), 12);
        }
        expect(s.total_savings).toBeCloseTo(sum, 9);
        expect(s.total_spot_cost).toBeCloseTo(
          s.hourly.reduce((a, h) => a + h.spot_cost, 0),
          9,
        );
      }),
    );
  });

  it('an instance without an on-demand price never adds to the on-demand side, and its hours are listed', () => {
    fc.assert(
      fc.property(fc.array(runArb, { maxLength: 12 }), pricesArb, (runs, ps) => {
        const s = summarise(runs, ps, T0 + 80 * H);
        const known = summarise(
          runs.filter((r) => r.ondemandPrice !== null),
          ps,
          T0 + 80 * H,
        );
        expect(s.total_ondemand_cost).toBeCloseTo(known.total_ondemand_cost, 9);
        expect(s.total_savings).toBeCloseTo(known.total_savings, 9);
        // Their spend still counts.
        const unknownSpend = s.unknown_ondemand.reduce((a, u) => a + (u.spend ?? 0), 0);
        expect(s.total_spot_cost).toBeCloseTo(known.total_spot_cost + unknownSpend, 9);
        const unknownHours = runs
          .filter((r) => r.ondemandPrice === null)
          .reduce((a, r) => a + (r.end - r.start) / H, 0);
        expect(s.unknown_ondemand.reduce((a, u) => a + u.hours, 0)).toBeCloseTo(unknownHours, 9);
      }),
    );
  });

  it('the fleet is the sum of its agents', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(runArb, fc.constantFrom('a1', 'a2', 'a3')), { maxLength: 12 }),
        pricesArb,
        (pairs, ps) => {
          const runs = pairs.map(([r, agentId]) => ({ ...r, agentId }));
          const now = T0 + 40 * H;
          const fleet = summarise(runs, ps, now);
          const parts = ['a1', 'a2', 'a3'].map((a) =>
            summarise(
              runs.filter((r) => r.agentId === a),
              ps,
              now,
            ),
          );
          expect(fleet.total_savings).toBeCloseTo(
            parts.reduce((x, p) => x + p.total_savings, 0),
            9,
          );
          expect(fleet.current_saving_per_hour).toBeCloseTo(
            parts.reduce((x, p) => x + p.current_saving_per_hour, 0),
            9,
          );
        },
      ),
    );
  });
});
