// The replay `model` policy: the scorer ranks the cheaper candidates, the hard rules stay in code.
import { describe, expect, it } from 'vitest';
import { FEATURE_COUNT } from '../src/model/features.ts';
import { createModelPolicy, pickByScore, type Scorer } from '../src/model/model-policy.ts';
import { simulateAsync } from '../src/replay/simulate.ts';
import { HOUR, market, pool } from './helpers.ts';

/** A scorer answering a fixed score per row, recording what it was asked. */
function fixed(score: number) {
  const calls: number[] = [];
  const scorer: Scorer = {
    async score(rows, n) {
      expect(rows.length).toBe(n * FEATURE_COUNT);
      calls.push(n);
      return new Float32Array(n).fill(score);
    },
  };
  return { scorer, calls };
}

// a: 0.05 then 0.10 from hour 2; b: 0.08 throughout; c: 0.06 but unavailable (≥ on-demand 0.2) from hour 2 to 3.
const m = () =>
  market(
    [
      pool('m5.large', 'r-1a', [
        [0, 0.05],
        [2 * HOUR, 0.1],
      ]),
      pool('m5.large', 'r-1b', [[0, 0.08]]),
      pool('m5.large', 'r-1c', [
        [0, 0.07],
        [2 * HOUR, 0.3],
        [3 * HOUR, 0.07],
      ]),
    ],
    { 'm5.large': 0.2 },
    6,
  );

const cost = { overlapSeconds: 300, bootSeconds: 120 };

describe('model policy', () => {
  it('moves to the cheaper pool with the best expected saving when the score clears the threshold', async () => {
    const { scorer, calls } = fixed(0.9);
    const run = await simulateAsync(m(), createModelPolicy(scorer, { threshold: 0.7 }), cost);
    const ids = m().options.map((o) => o.id);
    // Starts on the cheapest (a); at hour 2 a rises to 0.10, c is unavailable: b (0.08) is the only candidate.
    expect(ids[run.path[0]!]).toBe('m5.large@r-1a');
    expect(ids[run.path[1]!]).toBe('m5.large@r-1b');
    // Asked twice, one candidate each: hour 2 (b; c unavailable), hour 3 (c back, its 180 s memory long over).
    expect(calls).toEqual([1, 1]);
    expect(ids[run.path[2]!]).toBe('m5.large@r-1c');
  });

  it('stays when every score is below the threshold', async () => {
    const { scorer } = fixed(0.2);
    const run = await simulateAsync(m(), createModelPolicy(scorer, { threshold: 0.7 }), cost);
    expect(new Set(run.path)).toEqual(new Set([run.path[0]]));
    expect(run.outcome.switches).toBe(0);
  });

  it('never asks about a pool that is not cheaper by min_savings_percent', async () => {
    const { scorer, calls } = fixed(0.9);
    await simulateAsync(m(), createModelPolicy(scorer, { threshold: 0.7, minSavingsPercent: 50 }), cost);
    // At hour 2, b (0.08) is 20% cheaper than 0.10: not enough; c at hour 3 (0.07) neither.
    expect(calls).toEqual([]);
  });

  it('picks the best probability-weighted saving among those at or above the threshold', () => {
    expect(pickByScore([0.9, 0.75, 0.95], [0.01, 0.05, 0.001], 0.7)).toEqual({ index: 1, best: 2 });
    expect(pickByScore([0.6, 0.5], [0.01, 0.05], 0.7)).toEqual({ index: -1, best: 0 });
  });
});
