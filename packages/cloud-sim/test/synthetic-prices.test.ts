// SYNTHETIC spot prices for pools without a trace, and the catalogue that makes every common type
// launchable in every zone (pure: no HTTP).

import { describe, expect, it } from 'vitest';
import { addSyntheticPools, Catalog, defaultZones } from '../src/core/catalog.ts';
import { parseSpotPriceCsv, SPOT_HEADER } from '../src/core/price-csv.ts';
import { PriceBook } from '../src/core/prices.ts';
import {
  SYNTHETIC_MAX_DISCOUNT,
  SYNTHETIC_MIN_DISCOUNT,
  SyntheticTrace,
} from '../src/core/synthetic-prices.ts';
import { DEFAULT_ONDEMAND_PRICES, loadCatalog } from '../src/load-prices.ts';

const T0 = Date.parse('2024-01-01T00:00:00Z');
const H = 3_600_000;
const spec = { seed: 5, instanceType: 'm6i.large', az: 'us-east-1d', onDemand: 0.096, start: T0 };

describe('SyntheticTrace', () => {
  it('stays 55–80 % below on-demand in slow small steps every 2–8 hours', () => {
    const trace = new SyntheticTrace(spec);
    trace.extendTo(T0 + 60 * 24 * H);
    const steps = trace.steps;
    expect(steps[0]!.at).toBe(T0);
    expect(steps.length).toBeGreaterThan((60 * 24) / 8);
    for (const [i, s] of steps.entries()) {
      expect(s.price).toBeGreaterThanOrEqual(0.096 * (1 - SYNTHETIC_MAX_DISCOUNT) - 1e-6);
      expect(s.price).toBeLessThanOrEqual(trace.ceiling);
      if (i === 0) continue;
      const gap = s.at - steps[i - 1]!.at;
      expect(gap).toBeGreaterThanOrEqual(2 * H - 1);
      expect(gap).toBeLessThanOrEqual(8 * H + 1);
      // at most one point of discount per step (plus rounding to 4 significant places)
      expect(Math.abs(s.price - steps[i - 1]!.price)).toBeLessThanOrEqual(0.096 * 0.01 + 1e-5);
    }
    expect(trace.ceiling).toBeCloseTo(0.096 * (1 - SYNTHETIC_MIN_DISCOUNT), 6);
    // it moves: not one flat price over two months
    expect(new Set(steps.map((s) => s.price)).size).toBeGreaterThan(5);
  });

  it('is the same for the same seed and pool however it is extended, and differs per pool and seed', () => {
    const once = new SyntheticTrace(spec);
    once.extendTo(T0 + 30 * 24 * H);
    const bit = new SyntheticTrace(spec);
    for (let t = T0; t <= T0 + 30 * 24 * H; t += 7 * H) bit.extendTo(t);
    bit.extendTo(T0 + 30 * 24 * H);
    expect(bit.steps).toEqual(once.steps);
    expect(new SyntheticTrace({ ...spec, az: 'us-east-1e' }).steps[0]!.price).not.toBe(once.steps[0]!.price);
    expect(new SyntheticTrace({ ...spec, seed: 6 }).steps[0]!.price).not.toBe(once.steps[0]!.price);
  });
});

describe('the catalogue', () => {
  it('has six zones in us-east-1 and three elsewhere', () => {
    expect(defaultZones('us-east-1')).toEqual(['a', 'b', 'c', 'd', 'e', 'f'].map((l) => `us-east-1${l}`));
    expect(defaultZones('eu-west-3')).toEqual(['eu-west-3a', 'eu-west-3b', 'eu-west-3c']);
  });

  it('adds synthetic pools only where there is no trace, and generates them lazily', () => {
    const rows = parseSpotPriceCsv(
      [SPOT_HEADER, '2020-01-01T00:00:00Z,us-east-1,us-east-1a,c5.large,Linux/UNIX,0.030000'].join('\n'),
      'test',
    );
    const book = new PriceBook([{ source: 'test', rows }], 'us-east-1', T0);
    const onDemand = new Map([
      ['c5.large', 0.085],
      ['t3.medium', 0.0416],
    ]);
    addSyntheticPools(book, { seed: 1, azs: defaultZones('us-east-1'), onDemand, start: T0 });
    expect(book.size).toBe(12);
    expect(book.isSynthetic('c5.large', 'us-east-1a')).toBe(false);
    expect(book.priceAt('c5.large', 'us-east-1a', T0 + 100 * H)).toBe(0.03);
    expect(book.isSynthetic('c5.large', 'us-east-1b')).toBe(true);
    const catalog = new Catalog({ region: 'us-east-1', priceBook: book, onDemand, hazardPerHour: 0 });
    expect(catalog.azs).toHaveLength(6);
    expect(catalog.hasType('t3.medium')).toBe(true);

    // far in the future the price is still defined (the trace grows to it)
    const later = book.priceAt('t3.medium', 'us-east-1f', T0 + 400 * 24 * H)!;
    expect(later).toBeGreaterThan(0);
    expect(later).toBeLessThan(0.0416 * 0.45 + 1e-6);
    // a max price at on-demand is never reached: answered without looking ahead
    expect(book.firstTimeWhere('t3.medium', 'us-east-1b', T0, (p) => p >= 0.0416)).toBeUndefined();
    // a max price inside the band is crossed at some step, which the history shows too
    const low = book.priceAt('t3.medium', 'us-east-1b', T0)! - 0.0001;
    const crossed = book.firstTimeWhere('t3.medium', 'us-east-1b', T0, (p) => p > low);
    expect(crossed).toBe(T0);
    const history = book.history({
      instanceTypes: ['t3.medium'],
      azs: ['us-east-1c'],
      start: T0,
      end: T0 + 48 * H,
    });
    expect(history.length).toBeGreaterThan(5);
    expect(history.every((r) => r.at <= T0 + 48 * H && r.productDescription === 'Linux/UNIX')).toBe(true);
  });

  it('ships the common current families with on-demand prices and can leave synthetic pools out', () => {
    const catalog = loadCatalog({
      region: 'us-east-1',
      simStart: T0,
      priceFiles: [],
      onDemandFiles: [DEFAULT_ONDEMAND_PRICES],
      hazardPerHour: 0,
      seed: 1,
    });
    const families = ['m5', 'm6i', 'm6a', 'm7i', 'm7g', 'm6g', 'c5', 'c6i', 'c6a', 'c7i', 'c7g', 'c6g'];
    for (const f of [...families, 'r5', 'r6i', 'r6a', 'r7g'])
      for (const size of ['large', 'xlarge', '2xlarge', '4xlarge'])
        expect(catalog.onDemandPrice(`${f}.${size}`), `${f}.${size}`).toBeGreaterThan(0);
    for (const f of ['t3', 't3a', 't4g'])
      for (const size of ['micro', 'small', 'medium', 'large', 'xlarge'])
        expect(catalog.onDemandPrice(`${f}.${size}`), `${f}.${size}`).toBeGreaterThan(0);
    // list prices double per size step within a family (m5: 0.096 → 0.768)
    expect(catalog.onDemandPrice('m5.4xlarge')).toBe(8 * catalog.onDemandPrice('m5.large')!);
    expect(catalog.azs).toHaveLength(6);
    for (const az of catalog.azs) expect(catalog.priceBook.has('t3.medium', az)).toBe(true);
    expect(() =>
      loadCatalog({
        region: 'us-east-1',
        simStart: T0,
        priceFiles: [],
        onDemandFiles: [DEFAULT_ONDEMAND_PRICES],
        hazardPerHour: 0,
        seed: 1,
        syntheticPrices: false,
      }),
    ).toThrow(/no spot prices for region us-east-1/);
  });
});
