import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  hourlyCosts,
  PriceIntegral,
  type PricePoint,
  priceAt,
  type RunInterval,
  runCost,
  stepCost,
} from '../../src/domain/savings.ts';

/**
 * PriceIntegral answers with two binary searches what stepCost answers with a scan of the
 * series; it must give the same money for any series (duplicates included) and interval.
 */
const H = 3_600_000;
const T0 = Date.UTC(2026, 10, 1);

const series = fc
  .array(
    fc.record({
      t: fc.integer({ min: 0, max: 48 * 60 }).map((m) => T0 + m * 60_000),
      price: fc.double({ min: 0.001, max: 5, noNaN: true }),
    }),
    { maxLength: 40 },
  )
  .map((ps) => [...ps].sort((a, b) => a.t - b.t));
const instant = fc.integer({ min: -6 * 60, max: 54 * 60 }).map((m) => T0 + m * 60_000);
const close = (a: number | null, b: number | null) =>
  a === null || b === null ? a === b : Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));

describe('PriceIntegral', () => {
  it('costs every interval as the step-function scan does', () => {
    fc.assert(
      fc.property(series, instant, instant, (points, a, b) => {
        const [start, end] = a <= b ? [a, b] : [b, a];
        const integral = new PriceIntegral(points);
        expect(close(integral.cost(start, end), stepCost(points, start, end))).toBe(true);
        expect(integral.priceAt(start)).toBe(priceAt(points, start));
      }),
      { numRuns: 500 },
    );
  });

  it('splits runs into hours exactly as costing each hour by the scan does', () => {
    const run = fc.record({
      start: instant,
      hours: fc.double({ min: 0, max: 30, noNaN: true }),
      pool: fc.constantFrom('a', 'b'),
      ondemand: fc.option(fc.double({ min: 0.01, max: 8, noNaN: true }), { nil: null }),
    });
    fc.assert(
      fc.property(series, series, fc.array(run, { maxLength: 6 }), (pa, pb, specs) => {
        const prices = new Map<string, PricePoint[]>([
          ['a', pa],
          ['b', pb],
        ]);
        const runs: RunInterval[] = specs.map((r) => ({
          agentId: 'w',
          pool: r.pool,
          instanceType: 'm5.large',
          region: 'us-east-1',
          availabilityZone: 'us-east-1a',
          start: r.start,
          end: r.start + r.hours * H,
          ondemandPrice: r.ondemand,
          market: 'spot',
        }));
        // The reference: every run, every hour, the scan; an hour that ends before the pool's
        // first price is unknown (the first price stands only for the rest of its own hour).
        const expected = new Map<number, number>();
        for (const r of runs)
          for (let h = Math.floor(r.start / H) * H; h < r.end; h += H) {
            const from = Math.max(r.start, h);
            const to = Math.min(r.end, h + H);
            if (to <= from || !prices.get(r.pool)!.some((p) => p.t < to)) continue;
            const c = runCost(r, prices.get(r.pool)!, from, to);
            if (c !== null) expected.set(h, (expected.get(h) ?? 0) + c);
          }
        const got = hourlyCosts(runs, prices);
        expect(got.map((b) => b.hour)).toEqual([...expected.keys()].sort((x, y) => x - y));
        for (const b of got) expect(close(b.spot_cost, expected.get(b.hour)!)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('agrees with whole-run costs over a 30-day fleet window', () => {
    // 200 pools × 5,000 points and 400 runs over 720 hours: the scan did 400 × 720 × 5,000
    // steps; the integral does 400 × 720 × 2 binary searches. Checked against a total cost
    // computed independently (each run's whole interval, once, by the scan).
    const pools = new Map<string, PricePoint[]>();
    for (let p = 0; p < 200; p++)
      pools.set(
        `p${p}`,
        Array.from({ length: 5000 }, (_, i) => ({
          t: T0 + i * 518_400,
          price: 0.1 + ((i * 7 + p) % 13) / 100,
        })),
      );
    const runs: RunInterval[] = Array.from({ length: 400 }, (_, i) => ({
      agentId: `w${i % 50}`,
      pool: `p${i % 200}`,
      instanceType: 'm5.large',
      region: 'us-east-1',
      availabilityZone: 'us-east-1a',
      start: T0 + (i % 24) * H,
      end: T0 + 720 * H,
      ondemandPrice: 0.5,
      market: 'spot',
    }));
    const total = hourlyCosts(runs, pools).reduce((s, b) => s + b.spot_cost, 0);
    const reference = runs.reduce((s, r) => s + stepCost(pools.get(r.pool)!, r.start, r.end)!, 0);
    expect(Math.abs(total - reference)).toBeLessThan(1e-6 * reference);
  });
});
