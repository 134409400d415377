import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { combineHours, emptyHour, type HourSummary } from '../../src/domain/savings.ts';
import {
  addHour,
  emptyTotals,
  type HourUnknowns,
  parseTotals,
  type UnknownTotals,
  unknownsBetween,
} from '../../src/domain/unknown-totals.ts';

/**
 * A window's unknowns are read as the running totals at its last stored hour less those before
 * it. That must equal summing the window's own hours, for any window of any sequence of hours.
 */
const types = ['m5.large', 'c5.xlarge', 't3.micro'];
const zones = ['us-east-1a', 'us-east-1b'];

const hourUnknowns: fc.Arbitrary<HourUnknowns> = fc.record({
  unknown_ondemand: fc
    .uniqueArray(
      fc.record({
        region: fc.constantFrom('us-east-1', 'eu-west-1'),
        instance_type: fc.constantFrom(...types),
        market: fc.constantFrom('spot' as const, 'on-demand' as const),
        hours: fc.double({ min: 0.001, max: 1, noNaN: true }),
        spend: fc.double({ min: 0, max: 3, noNaN: true }),
      }),
      { selector: (u) => `${u.region}|${u.instance_type}|${u.market}`, maxLength: 4 },
    )
    // On the on-demand market the run's own price is the unknown one: no spend.
    .map((us) => us.map((u) => ({ ...u, spend: u.market === 'on-demand' ? null : u.spend }))),
  unknown_spot_price: fc.uniqueArray(
    fc.record({
      instance_type: fc.constantFrom(...types),
      availability_zone: fc.constantFrom(...zones),
      hours: fc.double({ min: 0.001, max: 1, noNaN: true }),
    }),
    { selector: (u) => `${u.instance_type}|${u.availability_zone}`, maxLength: 4 },
  ),
});

/** What a window reports when its hours are summed one by one (the rollup's reference). */
function summed(hours: readonly HourUnknowns[]) {
  const parts: HourSummary[] = hours.map((h, i) => ({
    ...emptyHour(i),
    unknown_ondemand: [...h.unknown_ondemand],
    unknown_spot_price: [...h.unknown_spot_price],
  }));
  const s = combineHours(parts, { spend: 0, saving: 0 });
  return { unknownOndemand: s.unknown_ondemand, unknownSpotPrice: s.unknown_spot_price };
}

const byKey = <T extends object>(xs: readonly T[]) =>
  [...xs].map((x) => JSON.stringify(Object.entries(x).sort(([a], [b]) => a.localeCompare(b)))).sort();

function close(a: ReturnType<typeof summed>, b: ReturnType<typeof summed>) {
  const round = (n: number | null) => (n === null ? null : Math.round(n * 1e6) / 1e6);
  const norm = (x: ReturnType<typeof summed>) => ({
    od: byKey(x.unknownOndemand.map((u) => ({ ...u, hours: round(u.hours), spend: round(u.spend) }))),
    spot: byKey(x.unknownSpotPrice.map((u) => ({ ...u, hours: round(u.hours) }))),
  });
  expect(norm(a)).toEqual(norm(b));
}

describe('unknown running totals', () => {
  it('a window is the totals at its end less those before it', () => {
    fc.assert(
      fc.property(
        fc.array(hourUnknowns, { minLength: 1, maxLength: 40 }),
        fc.nat(),
        fc.nat(),
        (hours, a, b) => {
          const totals: UnknownTotals[] = [];
          let t = emptyTotals();
          for (const h of hours) {
            t = addHour(t, h);
            totals.push(t);
          }
          const from = a % hours.length;
          const to = from + (b % (hours.length - from)); // inclusive
          const got = unknownsBetween(totals[to]!, from === 0 ? null : totals[from - 1]!);
          close(got, summed(hours.slice(from, to + 1)));
        },
      ),
    );
  });

  it('lists only what had a row in the window, and a spend only when every row had one', () => {
    const h1: HourUnknowns = {
      unknown_ondemand: [{ region: 'r', instance_type: 'x', market: 'spot', hours: 1, spend: 0.5 }],
      unknown_spot_price: [{ instance_type: 'x', availability_zone: 'r1a', hours: 1 }],
    };
    const h2: HourUnknowns = {
      unknown_ondemand: [{ region: 'r', instance_type: 'y', market: 'on-demand', hours: 0.5, spend: null }],
      unknown_spot_price: [],
    };
    const t1 = addHour(emptyTotals(), h1);
    const t2 = addHour(t1, h2);
    expect(unknownsBetween(t2, t1)).toEqual({
      unknownOndemand: [{ region: 'r', instance_type: 'y', market: 'on-demand', hours: 0.5, spend: null }],
      unknownSpotPrice: [],
    });
    expect(t1.ondemand['r|x|spot']).toEqual([1, 0.5, 0, 1]); // addHour left t1 as it was
  });

  it('reads back only well-formed totals', () => {
    const t = addHour(emptyTotals(), {
      unknown_ondemand: [],
      unknown_spot_price: [{ instance_type: 'x', availability_zone: 'r1a', hours: 1 }],
    });
    expect(parseTotals(JSON.stringify(t.ondemand), t.spot)).toEqual(t);
    expect(parseTotals(null, null)).toBeNull();
    expect(parseTotals({}, { 'x|r1a': [1] })).toBeNull();
    expect(parseTotals([], {})).toBeNull();
  });
});
