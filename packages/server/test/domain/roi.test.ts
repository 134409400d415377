import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  avoidedSeconds,
  median,
  replicaRoi,
  switchImpact,
  switchSavingPerHour,
} from '../../src/domain/roi.ts';

describe('switchSavingPerHour', () => {
  it('is the price before minus the price after, negative when the move costs more', () => {
    expect(switchSavingPerHour({ from_price: 0.05, to_price: 0.03 })).toBeCloseTo(0.02, 12);
    expect(switchSavingPerHour({ from_price: 0.03, to_price: 0.05 })).toBeCloseTo(-0.02, 12);
  });
  it('gives the improvement as a % of the price before and a 730-hour projection', () => {
    const i = switchImpact({ from_price: 0.05, to_price: 0.03 });
    expect(i.saving_pct).toBeCloseTo(40, 10);
    expect(i.monthly_projection).toBeCloseTo(0.02 * 730, 10);
    expect(switchImpact({ from_price: 0, to_price: 0.03 }).saving_pct).toBeNull();
    expect(switchImpact({ from_price: null, to_price: 0.03 })).toEqual({
      saving_per_hour: null,
      saving_pct: null,
      monthly_projection: null,
    });
  });

  it('is unknown when either price is', () => {
    expect(switchSavingPerHour({ from_price: null, to_price: 0.03 })).toBeNull();
    expect(switchSavingPerHour({ from_price: 0.03, to_price: null })).toBeNull();
  });
});

describe('replicaRoi', () => {
  it('values the boot time a promotion avoided at the downtime price and compares it with the replica cost', () => {
    // Two promotions with 2 s and 10 s of downtime instead of a 120 s boot: 228 s avoided.
    const r = replicaRoi({
      replica_cost: 0.5,
      promotions: [{ downtime_seconds: 2 }, { downtime_seconds: 10 }],
      boot_seconds: 120,
      downtime_usd_per_hour: 100,
    });
    expect(r.downtime_avoided_seconds).toBe(228);
    expect(r.value_of_downtime_avoided).toBeCloseTo((228 / 3600) * 100, 10);
    expect(r.net).toBeCloseTo((228 / 3600) * 100 - 0.5, 10);
    expect(r.roi).toBeCloseTo(((228 / 3600) * 100 - 0.5) / 0.5, 10);
    // At the break-even price the value avoided equals the cost.
    expect(r.break_even_usd_per_hour).toBeCloseTo(0.5 / (228 / 3600), 10);
  });

  it('credits nothing for a promotion slower than a boot or without a measured downtime', () => {
    expect(avoidedSeconds({ downtime_seconds: 300 }, 120)).toBe(0);
    const r = replicaRoi({
      replica_cost: 1,
      promotions: [{ downtime_seconds: null }],
      boot_seconds: 120,
      downtime_usd_per_hour: 100,
    });
    expect(r.promotions).toBe(1);
    expect(r.promotions_unmeasured).toBe(1);
    expect(r.downtime_avoided_seconds).toBe(0);
    expect(r.roi).toBe(-1);
    expect(r.break_even_usd_per_hour).toBeNull();
  });

  it('has no ROI for free or unknown-cost replicas', () => {
    const base = { promotions: [{ downtime_seconds: 1 }], boot_seconds: 60, downtime_usd_per_hour: 10 };
    expect(replicaRoi({ ...base, replica_cost: 0 }).roi).toBeNull();
    const unknown = replicaRoi({ ...base, replica_cost: null });
    expect(unknown.roi).toBeNull();
    expect(unknown.net).toBeNull();
    expect(unknown.break_even_usd_per_hour).toBeNull();
  });

  it('at the break-even price, value avoided equals replica cost (property)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.001, max: 100, noNaN: true }),
        fc.array(fc.integer({ min: 0, max: 100 }), { minLength: 1, maxLength: 10 }),
        fc.integer({ min: 101, max: 600 }),
        (cost, downs, boot) => {
          const promotions = downs.map((d) => ({ downtime_seconds: d }));
          const first = replicaRoi({
            replica_cost: cost,
            promotions,
            boot_seconds: boot,
            downtime_usd_per_hour: 1,
          });
          const even = replicaRoi({
            replica_cost: cost,
            promotions,
            boot_seconds: boot,
            downtime_usd_per_hour: first.break_even_usd_per_hour!,
          });
          expect(even.value_of_downtime_avoided).toBeCloseTo(cost, 6);
          expect(even.roi).toBeCloseTo(0, 6);
        },
      ),
    );
  });
});

describe('median', () => {
  it('is the middle value, the mean of the two middle ones, or null', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNull();
  });
});
