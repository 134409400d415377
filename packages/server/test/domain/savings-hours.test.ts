import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  combineHours,
  combineTotals,
  currentRates,
  type HourSummary,
  hourSummaries,
  type PricePoint,
  type RunInterval,
  summarise,
} from '../../src/domain/savings.ts';

/**
 * The savings rollup stores finished hours and answers a window from them plus the live
 * edges. That is only sound if (a) a window's summary is the combination of its hours,
 * whatever the split, and (b) an hour depends on no price after its end.
 */
const H = 3_600_000;
const T0 = Date.UTC(2026, 10, 1);

const series = fc
  .array(
    fc.record({
      t: fc.integer({ min: 0, max: 30 * 60 }).map((m) => T0 + m * 60_000),
      price: fc.double({ min: 0.001, max: 5, noNaN: true }),
    }),
    { maxLength: 30 },
  )
  .map((ps) => [...ps].sort((a, b) => a.t - b.t));
const runSpec = fc.record({
  startMin: fc.integer({ min: -120, max: 30 * 60 }),
  minutes: fc.integer({ min: 0, max: 12 * 60 }),
  pool: fc.constantFrom('a', 'b', 'c'),
  market: fc.constantFrom('spot' as const, 'spot' as const, 'on-demand' as const),
  ondemand: fc.option(fc.constantFrom(0.1, 0.4, 2), { nil: null, freq: 3 }),
  agent: fc.constantFrom('w1', 'w2'),
});
const toRun = (r: {
  startMin: number;
  minutes: number;
  pool: string;
  market: 'spot' | 'on-demand';
  ondemand: number | null;
  agent: string;
}): RunInterval => ({
  agentId: r.agent,
  pool: r.pool,
  instanceType: `t.${r.pool}`,
  region: 'us-east-1',
  availabilityZone: 'us-east-1a',
  start: T0 + r.startMin * 60_000,
  end: T0 + (r.startMin + r.minutes) * 60_000,
  ondemandPrice: r.ondemand,
  market: r.market,
});
const clip = (runs: RunInterval[], from: number, to: number) =>
  runs
    .map((r) => ({ ...r, start: Math.max(r.start, from), end: Math.min(r.end, to) }))
    .filter((r) => r.end > r.start);
const upTo = (prices: Map<string, PricePoint[]>, end: number) =>
  new Map([...prices].map(([k, v]) => [k, v.filter((p) => p.t < end)]));
const close = (a: number | null, b: number | null) =>
  a === null || b === null ? a === b : Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));

describe('hour summaries (the rollup premise)', () => {
  it('a window is the combination of its hours, each computed from the prices up to its end', () => {
    fc.assert(
      fc.property(series, series, series, fc.array(runSpec, { maxLength: 8 }), (pa, pb, pc, specs) => {
        const prices = new Map([
          ['a', pa],
          ['b', pb],
          ['c', pc],
        ]);
        const now = T0 + 32 * H + 17 * 60_000;
        const since = T0 - H - 23 * 60_000;
        const runs = clip(specs.map(toRun), since, now);
        const whole = summarise(runs, prices, now);
        // Hour by hour, as the rollup job stores them: runs clipped to the hour, prices cut at its end.
        const parts: HourSummary[] = [];
        for (let h = Math.floor(since / H) * H; h < now; h += H) {
          const from = Math.max(h, since);
          const to = Math.min(h + H, now);
          parts.push(...hourSummaries(clip(runs, from, to), upTo(prices, to)));
        }
        const split = combineHours(parts, currentRates(runs, prices, now));
        expect(split.hourly.map((b) => b.hour)).toEqual(whole.hourly.map((b) => b.hour));
        split.hourly.forEach((b, i) => {
          const w = whole.hourly[i]!;
          expect(close(b.spot_cost, w.spot_cost)).toBe(true);
          expect(close(b.ondemand_cost, w.ondemand_cost)).toBe(true);
          expect(close(b.cumulative_savings, w.cumulative_savings)).toBe(true);
        });
        expect(close(split.total_savings, whole.total_savings)).toBe(true);
        const byKey = <T extends { hours: number }>(xs: T[], key: (x: T) => string) =>
          Object.fromEntries(xs.map((x) => [key(x), Math.round(x.hours * 1e6)]));
        expect(byKey(split.unknown_spot_price, (u) => u.instance_type)).toEqual(
          byKey(whole.unknown_spot_price, (u) => u.instance_type),
        );
        expect(byKey(split.unknown_ondemand, (u) => `${u.instance_type}|${u.market}`)).toEqual(
          byKey(whole.unknown_ondemand, (u) => `${u.instance_type}|${u.market}`),
        );
      }),
      { numRuns: 300 },
    );
  });

  it('the totals without the hourly series are the same figures, however the hours are split', () => {
    fc.assert(
      fc.property(
        series,
        series,
        fc.array(runSpec, { maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 6 }),
        (pa, pb, specs, cuts) => {
          const prices = new Map([
            ['a', pa],
            ['b', pb],
          ]);
          const now = T0 + 26 * H + 5 * 60_000;
          const since = T0 - 37 * 60_000;
          const runs = clip(specs.map(toRun), since, now);
          // Spans of a few hours each, as the per-agent list combines stored sums and raw edges
          // (an hour may be split across two spans when a cut falls inside it).
          const parts: HourSummary[] = [];
          let from = since;
          for (const c of [...cuts, 1_000]) {
            const to = Math.min(now, from + c * H - 11 * 60_000);
            parts.push(...hourSummaries(clip(runs, from, to), upTo(prices, to)));
            from = to;
            if (from >= now) break;
          }
          const rates = currentRates(runs, prices, now);
          const full = combineHours(parts, rates);
          const totals = combineTotals([...parts].reverse(), rates);
          expect(totals.first_costed_hour).toBe(full.first_costed_hour);
          expect(totals.first_costed_hour).toBe(full.hourly[0]?.hour ?? null);
          for (const k of ['total_spot_cost', 'total_ondemand_cost', 'total_savings'] as const) {
            expect(close(totals[k], full[k])).toBe(true);
          }
          expect(totals.current_spend_per_hour).toBe(full.current_spend_per_hour);
          expect(totals.monthly_projection).toBe(full.monthly_projection);
          // Summed in another order: equal up to floating-point rounding.
          const rounded = <T extends { hours: number; spend?: number | null }>(xs: T[]) =>
            xs.map((u) => ({
              ...u,
              hours: Math.round(u.hours * 1e9),
              ...(u.spend == null ? {} : { spend: Math.round(u.spend * 1e9) }),
            }));
          expect(rounded(totals.unknown_ondemand)).toEqual(rounded(full.unknown_ondemand));
          expect(rounded(totals.unknown_spot_price)).toEqual(rounded(full.unknown_spot_price));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("a pool's first price covers the rest of its own hour; earlier hours are listed as unknown", () => {
    const run: RunInterval = {
      agentId: 'w',
      pool: 'a',
      instanceType: 'm5.large',
      region: 'us-east-1',
      availabilityZone: 'us-east-1a',
      start: T0,
      end: T0 + 3 * H,
      ondemandPrice: 0.1,
      market: 'spot',
    };
    const prices = new Map([['a', [{ t: T0 + 1.5 * H, price: 0.04 }]]]);
    const s = summarise([run], prices, T0 + 3 * H);
    // Hour 0 is unknown; hour 1 is charged 0.04 for all of it (the first price stands for
    // the half before it); hour 2 at 0.04.
    expect(s.hourly.map((b) => b.hour)).toEqual([T0 + H, T0 + 2 * H]);
    expect(s.total_spot_cost).toBeCloseTo(0.08, 10);
    expect(s.unknown_spot_price).toEqual([
      { instance_type: 'm5.large', availability_zone: 'us-east-1a', hours: 1 },
    ]);
  });
});
