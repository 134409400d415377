// The oracle against brute force: on small random traces, the least (cost, interruptions,
// switches) over every sequence of options at the decision points equals the oracle's, and no
// policy ever beats it.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cheapestNow } from '../src/policy/cheapest-now.ts';
import { createRules } from '../src/policy/rules.ts';
import { staticPolicy } from '../src/policy/static.ts';
import { type CostParams, compareKeys, evaluatePath } from '../src/replay/cost.ts';
import type { Market } from '../src/replay/market.ts';
import { oracle } from '../src/replay/oracle.ts';
import { simulate } from '../src/replay/simulate.ts';
import { market, pool } from './helpers.ts';

/** Every path, depth first, with the cost model written out again independently. */
function bruteForce(m: Market, p: CostParams) {
  const O = m.options.length;
  const K = m.times.length;
  let best = { cost: Number.POSITIVE_INFINITY, ints: 0, sws: 0 };
  const visit = (k: number, prev: number, cost: number, ints: number, sws: number) => {
    if (k === K) {
      if (compareKeys(cost, ints, sws, best.cost, best.ints, best.sws) < 0) best = { cost, ints, sws };
      return;
    }
    for (let o = 0; o < O; o++) {
      if (m.available[k * O + o] !== 1) continue;
      const price = m.prices[k * O + o]!;
      const moved = k > 0 && o !== prev;
      const forced = moved && m.available[k * O + prev] !== 1;
      visit(
        k + 1,
        o,
        cost + (moved ? (p.overlapSeconds * price) / 3600 : 0) + (price * m.durations[k]!) / 3600,
        ints + (forced ? 1 : 0),
        sws + (moved ? 1 : 0),
      );
    }
  };
  visit(0, -1, 0, 0, 0);
  return best;
}

// Prices in cents against an on-demand of 1.00 (m) or 0.60 (n): some rows are at or above it.
const price = fc.integer({ min: 1, max: 130 }).map((c) => c / 100);
const rows = fc.array(
  fc.tuple(
    fc.integer({ min: -2, max: 9 }).map((m) => m * 600),
    price,
  ),
  { minLength: 1, maxLength: 2 },
);
const trace = fc.record({
  pools: fc.uniqueArray(
    fc.record({ type: fc.constantFrom('m', 'n'), az: fc.constantFrom('r-1a', 'r-1b'), rows }),
    {
      minLength: 1,
      maxLength: 3,
      selector: (p) => `${p.type}@${p.az}`,
    },
  ),
  overlapSeconds: fc.constantFrom(0, 300, 1800),
});

type Trace = typeof trace extends fc.Arbitrary<infer T> ? T : never;

function toMarket(t: Trace): Market {
  const series = t.pools.map((p) => {
    const sorted = [...new Map(p.rows.map(([dt, v]) => [dt, v])).entries()].sort((a, b) => a[0] - b[0]);
    return pool(p.type, p.az, sorted);
  });
  return market(series, { m: 1, n: 0.6 }, 6000 / 3600);
}

describe('oracle', () => {
  it('equals brute force over every option sequence', () => {
    fc.assert(
      fc.property(trace, (t) => {
        const m = toMarket(t);
        const p = { overlapSeconds: t.overlapSeconds, bootSeconds: 120 };
        const o = oracle(m, p);
        const b = bruteForce(m, p);
        expect(o.outcome.costUsd).toBeCloseTo(b.cost, 9);
        expect([o.outcome.interruptions, o.outcome.switches]).toEqual([b.ints, b.sws]);
        // The oracle's own path, scored by the shared cost function, gives its figures.
        expect(evaluatePath(m, o.path, p)).toEqual(o.outcome);
      }),
      { numRuns: 300 },
    );
  });

  it('is never more expensive than any policy', () => {
    const rules = fc.record({
      minSavingsPercent: fc.constantFrom(0, 5, 20),
      minDwellSeconds: fc.constantFrom(0, 600, 3600),
      confirmSeconds: fc.constantFrom(0, 600),
    });
    fc.assert(
      fc.property(trace, rules, (t, r) => {
        const m = toMarket(t);
        const p = { overlapSeconds: t.overlapSeconds, bootSeconds: 120 };
        const best = oracle(m, p).outcome;
        for (const policy of [cheapestNow, staticPolicy, createRules(r), createRules()]) {
          const run = simulate(m, policy as Parameters<typeof simulate>[1], p).outcome;
          expect(
            compareKeys(
              best.costUsd,
              best.interruptions,
              best.switches,
              run.costUsd,
              run.interruptions,
              run.switches,
            ),
          ).toBeLessThanOrEqual(0);
        }
      }),
      { numRuns: 300 },
    );
  });
});
