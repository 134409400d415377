// The cost model on traces small enough to compute by hand (numbers in comments).
import { describe, expect, it } from 'vitest';
import { cheapestNow } from '../src/policy/cheapest-now.ts';
import { staticPolicy } from '../src/policy/static.ts';
import { evaluatePath } from '../src/replay/cost.ts';
import { MarketError } from '../src/replay/market.ts';
import { oracle } from '../src/replay/oracle.ts';
import { replayResult } from '../src/replay/report.ts';
import { runReplay } from '../src/replay/run.ts';
import { simulate } from '../src/replay/simulate.ts';
import { HOUR, market, pool, T0 } from './helpers.ts';

const P = { overlapSeconds: 300, bootSeconds: 120 };

describe('market grid', () => {
  it('has a decision point at the start and at every row inside the window, and no price before a first row', () => {
    const m = market(
      [
        pool('m', 'r-1a', [
          [-600, 0.2],
          [1800, 0.3],
          [4 * HOUR, 0.9],
        ]),
        pool('m', 'r-1b', [[2700, 0.4]]),
      ],
      { m: 1 },
      3,
    );
    expect(m.options.map((o) => o.id)).toEqual(['m@r-1a', 'm@r-1b', 'm@ondemand']);
    expect([...m.times].map((t) => t - T0)).toEqual([0, 1800, 2700]);
    expect([...m.durations]).toEqual([1800, 900, 3 * HOUR - 2700]);
    expect([...m.prices.subarray(0, 3)]).toEqual([0.2, Number.NaN, 1]);
    expect([...m.available]).toEqual([1, 0, 1, 1, 0, 1, 1, 1, 1]);
    expect(m.ondemandCostUsd).toBe(3);
  });

  it('treats a price at or above on-demand as unavailable', () => {
    const m = market([pool('m', 'r-1a', [[0, 1]])], { m: 1 }, 1);
    expect(m.available[0]).toBe(0);
  });

  it('refuses an empty window and a type without an on-demand price', () => {
    expect(() => market([pool('m', 'r-1a', [[0, 0.1]])], { m: 1 }, 0)).toThrow(MarketError);
    expect(() => market([pool('m', 'r-1a', [[0, 0.1]])], { other: 1 }, 1)).toThrow(
      'no on-demand price for m in r-1',
    );
  });
});

describe('costs of the reference policies and the oracle', () => {
  // a: 0.2 then 0.5 from 1h; b: 0.3 then 0.1 from 2h; on-demand 1.0; three one-hour segments.
  const m = market(
    [
      pool('m', 'r-1a', [
        [0, 0.2],
        [HOUR, 0.5],
      ]),
      pool('m', 'r-1b', [
        [0, 0.3],
        [2 * HOUR, 0.1],
      ]),
    ],
    { m: 1 },
    3,
  );

  it('cheapest_now: a, then b at 1h (overlap 300 s × 0.3), stays on b', () => {
    const r = simulate(m, cheapestNow, P);
    expect([...r.path]).toEqual([0, 1, 1]);
    expect(r.outcome.costUsd).toBeCloseTo(0.2 + 0.3 + 0.025 + 0.1, 12);
    expect(r.outcome).toMatchObject({ switches: 1, interruptions: 0, downtimeSeconds: 0 });
  });

  it('static keeps a: 0.2 + 0.5 + 0.5', () => {
    const r = simulate(m, staticPolicy, P);
    expect(r.outcome.costUsd).toBeCloseTo(1.2, 12);
    expect(r.outcome.switches).toBe(0);
  });

  it('the oracle finds a, b, b (0.625) over b, b, b (0.7) and a, a, b (0.8083)', () => {
    const o = oracle(m, P);
    expect([...o.path]).toEqual([0, 1, 1]);
    expect(o.outcome.costUsd).toBeCloseTo(0.625, 12);
    expect(evaluatePath(m, [1, 1, 1], P).costUsd).toBeCloseTo(0.7, 12);
    expect(evaluatePath(m, [0, 0, 1], P).costUsd).toBeCloseTo(0.2 + 0.5 + 0.1 + 0.1 / 12, 12);
  });

  it('reports the issue figures', () => {
    const r = runReplay(m, P).result;
    expect(r.ondemand_cost_usd).toBe(3);
    const st = r.policies.find((p) => p.name === 'static')!;
    expect(st.regret_pct).toBeCloseTo((100 * (1.2 - 0.625)) / 0.625, 3);
    expect(st.captured_oracle_pct).toBeCloseTo((100 * (3 - 1.2)) / (3 - 0.625), 3);
    expect(st.savings_vs_ondemand_pct).toBeCloseTo(60, 3);
    expect(r.policies.find((p) => p.name === 'oracle')!.regret_pct).toBe(0);
    expect(r.policies.map((p) => p.name)).toEqual(['rules', 'cheapest_now', 'static', 'oracle']);
  });

  it('reports null ratios when the oracle saves nothing or costs nothing', () => {
    const r = replayResult(
      m,
      [{ name: 'x', outcome: { costUsd: 3, switches: 0, interruptions: 0, downtimeSeconds: 0 } }],
      3,
    );
    expect(r.policies[0]).toMatchObject({ captured_oracle_pct: null, regret_pct: 0 });
    expect(
      replayResult(
        m,
        [{ name: 'x', outcome: { costUsd: 0, switches: 0, interruptions: 0, downtimeSeconds: 0 } }],
        0,
      ).policies[0]!.regret_pct,
    ).toBeNull();
  });
});

describe('interruptions', () => {
  // a: 0.2, then 1.5 ≥ on-demand at 1h (unavailable), 0.2 again at 2h; b has no price until 0.5h, then 0.4.
  const m = market(
    [
      pool('m', 'r-1a', [
        [0, 0.2],
        [HOUR, 1.5],
        [2 * HOUR, 0.2],
      ]),
      pool('m', 'r-1b', [[1800, 0.4]]),
    ],
    { m: 1 },
    3,
  );

  it('static is forced from a to b at 1h: a switch, an interruption, boot downtime', () => {
    const r = simulate(m, staticPolicy, P);
    expect([...r.path]).toEqual([0, 0, 1, 1]);
    expect(r.outcome.costUsd).toBeCloseTo(0.1 + 0.1 + 0.4 + 0.4 / 12 + 0.4, 12);
    expect(r.outcome).toMatchObject({ switches: 1, interruptions: 1, downtimeSeconds: 120 });
  });

  it('cheapest_now moves back to a at 2h: two switches, one interruption', () => {
    const r = simulate(m, cheapestNow, P);
    expect([...r.path]).toEqual([0, 0, 1, 0]);
    expect(r.outcome.costUsd).toBeCloseTo(0.1 + 0.1 + 0.4 + 0.4 / 12 + 0.2 + 0.2 / 12, 12);
    expect(r.outcome).toMatchObject({ switches: 2, interruptions: 1, downtimeSeconds: 120 });
  });

  it('the oracle takes the interruption when it is cheaper than leaving early', () => {
    const o = oracle(m, P);
    expect(o.outcome.costUsd).toBeCloseTo(0.85, 12);
    expect(o.outcome.interruptions).toBe(1);
  });

  it('a path that stays on an unavailable pool, or starts on one, is refused', () => {
    expect(() => evaluatePath(m, [0, 0, 0, 0], P)).toThrow(/step 2/);
    expect(() => evaluatePath(m, [1, 1, 1, 1], P)).toThrow(/step 0/);
  });

  it('oracle ties: fewer interruptions first, then fewer switches', () => {
    // With no overlap cost, a→b by choice at 1h and a→b forced at 2h cost the same (0.8).
    const tie = market(
      [
        pool('m', 'r-1a', [
          [0, 0.2],
          [HOUR, 0.3],
          [2 * HOUR, 5],
        ]),
        pool('m', 'r-1b', [
          [0, 0.5],
          [HOUR, 0.3],
        ]),
      ],
      { m: 1 },
      3,
    );
    const o = oracle(tie, { overlapSeconds: 0, bootSeconds: 120 });
    expect(o.outcome).toMatchObject({ interruptions: 0, switches: 1 });
    expect([...o.path]).toEqual([0, 1, 1]);
    // Equal prices: staying beats a free move on switches.
    const flat = market(
      [
        pool('m', 'r-1a', [[0, 0.2]]),
        pool('m', 'r-1b', [
          [0, 0.2],
          [HOUR, 0.2],
        ]),
      ],
      { m: 1 },
      2,
    );
    expect(oracle(flat, { overlapSeconds: 0, bootSeconds: 0 }).outcome.switches).toBe(0);
  });
});
