import { describe, expect, it } from 'vitest';
import { consolidatePool } from '../../src/domain/price-consolidation.ts';

const H = 3_600_000;
const opts = { gapMs: 24 * H, stepMs: H };

describe('consolidatePool', () => {
  it('keeps only price changes of the step function, and one point per time', () => {
    const r = consolidatePool(
      [
        { at: 3 * H, price: 0.02 },
        { at: 0, price: 0.01 },
        { at: H, price: 0.01 },
        { at: H, price: 0.05 },
        { at: 2 * H, price: 0.02 },
      ],
      opts,
    );
    expect(r.points).toEqual([
      { at: 0, price: 0.01, flag: 'reported' },
      { at: 2 * H, price: 0.02, flag: 'reported' },
    ]);
    expect(r.gaps).toBe(0);
    expect(r.interpolated).toBe(0);
  });

  it('fills a gap longer than gapMs with hourly interpolated points between the two known prices', () => {
    const r = consolidatePool(
      [
        { at: 0, price: 0.01 },
        { at: 30 * H, price: 0.04 },
      ],
      opts,
    );
    expect(r.gaps).toBe(1);
    expect(r.interpolated).toBe(29);
    expect(r.points[0]).toEqual({ at: 0, price: 0.01, flag: 'reported' });
    expect(r.points[1]).toEqual({ at: H, price: 0.011, flag: 'interpolated' });
    expect(r.points[15]).toEqual({ at: 15 * H, price: 0.025, flag: 'interpolated' });
    expect(r.points[30]).toEqual({ at: 30 * H, price: 0.04, flag: 'reported' });
    expect(r.points.slice(1, 30).every((p) => p.flag === 'interpolated')).toBe(true);
  });

  it('a gap at one price adds no interpolated points (the step function already holds it)', () => {
    const r = consolidatePool(
      [
        { at: 0, price: 0.01 },
        { at: 48 * H, price: 0.01 },
      ],
      opts,
    );
    expect(r.gaps).toBe(1);
    expect(r.interpolated).toBe(0);
    expect(r.points).toEqual([{ at: 0, price: 0.01, flag: 'reported' }]);
  });

  it('an interval of exactly gapMs is no gap', () => {
    const r = consolidatePool(
      [
        { at: 0, price: 0.01 },
        { at: 24 * H, price: 0.02 },
      ],
      opts,
    );
    expect(r.gaps).toBe(0);
    expect(r.points.map((p) => p.flag)).toEqual(['reported', 'reported']);
  });
});
