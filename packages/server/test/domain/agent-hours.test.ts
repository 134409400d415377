import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { agentHourSummaries, replicaCost, sumsAsPart } from '../../src/domain/agent-hours.ts';
import type { ReplicaPeriod } from '../../src/domain/replica-periods.ts';
import {
  combineHours,
  hourSummaries,
  type PricePoint,
  type RunInterval,
  runCost,
  stepCost,
} from '../../src/domain/savings.ts';

/**
 * The rollup stores each agent's hours apart; per-agent figures are only right if the agents'
 * hours add up to the fleet's hour, and if replica costs split by hour (each hour computed from
 * the prices up to its end, as the job does) add up to the cost of the whole stretch.
 */
const H = 3_600_000;
const T0 = Date.UTC(2026, 9, 4);
const minute = (m: number) => T0 + m * 60_000;

const points = fc
  .array(fc.tuple(fc.integer({ min: 0, max: 20 * 60 }), fc.integer({ min: 1, max: 900 })), { maxLength: 20 })
  .map((ps) =>
    ps.map(([m, cents]): PricePoint => ({ t: minute(m), price: cents / 1000 })).sort((a, b) => a.t - b.t),
  );
const run = fc
  .record({
    agent: fc.constantFrom('api', 'db', 'batch'),
    pool: fc.constantFrom('p1', 'p2'),
    from: fc.integer({ min: -60, max: 20 * 60 }),
    length: fc.integer({ min: 1, max: 9 * 60 }),
    market: fc.constantFrom<'spot' | 'on-demand'>('spot', 'spot', 'on-demand'),
    ondemand: fc.constantFrom(0.2, 1.5, null),
    replicaUntil: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: undefined }),
  })
  .map((r) => ({
    run: {
      agentId: r.agent,
      pool: r.pool,
      instanceType: `m5.${r.pool}`,
      region: 'eu-west-1',
      availabilityZone: 'eu-west-1b',
      start: minute(r.from),
      end: minute(r.from + r.length),
      ondemandPrice: r.ondemand,
      market: r.market,
    } satisfies RunInterval,
    replicaUntil: r.replicaUntil,
  }));

const near = (a: number | null, b: number | null) =>
  a === null || b === null ? a === b : Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a));
const before = (prices: Map<string, PricePoint[]>, end: number) =>
  new Map([...prices].map(([k, v]) => [k, v.filter((p) => p.t < end)]));
const periodsOf = (specs: Array<{ run: RunInterval; replicaUntil: number | undefined }>): ReplicaPeriod[] =>
  specs.flatMap(({ run, replicaUntil }) =>
    replicaUntil === undefined
      ? []
      : [{ run, end: run.start + Math.round((run.end - run.start) * replicaUntil) }],
  );

describe('per-agent hours', () => {
  it("the agents' hours add up to the fleet's hour", () => {
    fc.assert(
      fc.property(points, points, fc.array(run, { maxLength: 10 }), (p1, p2, specs) => {
        const prices = new Map([
          ['p1', p1],
          ['p2', p2],
        ]);
        const runs = specs.map((s) => s.run);
        const fleet = hourSummaries(runs, prices);
        const agents = agentHourSummaries(runs, prices, periodsOf(specs));
        expect(new Set(agents.map((a) => a.hour))).toEqual(new Set(fleet.map((f) => f.hour)));
        for (const f of fleet) {
          const mine = agents.filter((a) => a.hour === f.hour);
          const sum = (k: 'spot_cost' | 'ondemand_cost' | 'unknown_ondemand_spend') =>
            mine.reduce((acc, a) => acc + a[k], 0);
          expect(near(sum('spot_cost'), f.spot_cost)).toBe(true);
          expect(near(sum('ondemand_cost'), f.ondemand_cost)).toBe(true);
          expect(near(sum('unknown_ondemand_spend'), f.unknown_ondemand_spend)).toBe(true);
          expect(mine.some((a) => a.costed)).toBe(f.costed);
          const spotHours = (xs: Array<{ unknown_spot_price: Array<{ hours: number }> }>) =>
            xs.flatMap((x) => x.unknown_spot_price).reduce((acc, u) => acc + u.hours, 0);
          expect(near(spotHours(mine), spotHours([f]))).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('replica costs stored hour by hour add up to the whole stretch, unknown when an hour is', () => {
    fc.assert(
      fc.property(points, points, fc.array(run, { maxLength: 8 }), (p1, p2, specs) => {
        const prices = new Map([
          ['p1', p1],
          ['p2', p2],
        ]);
        const periods = periodsOf(specs);
        const whole = replicaCost(periods, prices);
        let byHour: number | null = 0;
        for (let h = minute(-60); h < minute(30 * 60); h += H) {
          // As the job stores an hour: the periods clipped to it, the prices known up to its end.
          const clipped = periods
            .map(({ run, end }) => ({
              run: { ...run, start: Math.max(run.start, h), end: Math.min(run.end, h + H) },
              end: Math.min(end, h + H),
            }))
            .filter((p) => p.run.end > p.run.start && p.end > p.run.start);
          const c = replicaCost(clipped, before(prices, h + H));
          byHour = byHour === null || c === null ? null : byHour + c;
        }
        expect(near(byHour, whole)).toBe(true);
        // Known exactly when every spot stretch's pool had a price before the stretch ended.
        const known = periods.every(
          (p) =>
            p.end <= p.run.start ||
            p.run.market === 'on-demand' ||
            (prices.get(p.run.pool) ?? []).some(
              (x) => x.t < Math.min(p.end, Math.floor(p.run.start / H) * H + H),
            ),
        );
        if (periods.every((p) => p.run.market === 'spot')) expect(whole !== null).toBe(known);
      }),
      { numRuns: 300 },
    );
  });

  it('a replica stretch in a priced pool costs what the run cost over it', () => {
    const prices = new Map([
      [
        'p1',
        [
          { t: minute(-30), price: 0.1 },
          { t: minute(95), price: 0.4 },
        ],
      ],
    ]);
    const r: RunInterval = {
      agentId: 'api',
      pool: 'p1',
      instanceType: 'm5.large',
      region: 'eu-west-1',
      availabilityZone: 'eu-west-1b',
      start: minute(10),
      end: minute(200),
      ondemandPrice: 0.5,
      market: 'spot',
    };
    // 10 → 95 min at 0.1, 95 → 150 at 0.4 (promoted at 150).
    expect(replicaCost([{ run: r, end: minute(150) }], prices)).toBeCloseTo((85 * 0.1 + 55 * 0.4) / 60, 12);
    expect(replicaCost([{ run: r, end: minute(150) }], prices)).toBeCloseTo(
      runCost(r, prices.get('p1')!, r.start, minute(150))!,
      12,
    );
    // A pool whose first price came after the stretch's first hour: that hour is unknown.
    const late = new Map([['p1', [{ t: minute(70), price: 0.1 }]]]);
    expect(replicaCost([{ run: r, end: minute(150) }], late)).toBeNull();
    expect(stepCost(late.get('p1')!, r.start, minute(150))).not.toBeNull(); // the old rule guessed
  });

  it('stored sums stand for their hours in a window: totals, first charted hour and unknowns', () => {
    const s = combineHours(
      [
        sumsAsPart({
          spot_cost: 3,
          ondemand_cost: 10,
          unknown_ondemand_spend: 1,
          first_costed: minute(120),
          replica_cost: 0,
          replica_unknown: false,
          unknown_ondemand: [
            { region: 'eu-west-1', instance_type: 'x1', market: 'spot', hours: 2, spend: 1 },
          ],
          unknown_spot_price: [],
        }),
        {
          hour: minute(600),
          spot_cost: 0.5,
          ondemand_cost: 2,
          unknown_ondemand_spend: 0,
          costed: true,
          unknown_ondemand: [
            { region: 'eu-west-1', instance_type: 'x1', market: 'spot', hours: 0.5, spend: 0.25 },
          ],
          unknown_spot_price: [],
        },
      ],
      { spend: 0, saving: 0 },
    );
    expect(s.total_spot_cost).toBe(3.5);
    expect(s.total_ondemand_cost).toBe(12);
    expect(s.total_savings).toBe(12 - (3.5 - 1));
    expect(s.hourly[0]!.hour).toBe(minute(120));
    expect(s.unknown_ondemand).toEqual([
      { region: 'eu-west-1', instance_type: 'x1', market: 'spot', hours: 2.5, spend: 1.25 },
    ]);
  });
});
