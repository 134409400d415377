import { describe, expect, it } from 'vitest';
import { parseOnDemandCsv, parseSpotPriceCsv, SPOT_HEADER } from '../src/core/price-csv.ts';
import { PriceBook } from '../src/core/prices.ts';

const T0 = Date.parse('2024-01-01T00:00:00Z');
const H = 3_600_000;
const csv = [
  '# comment lines are skipped',
  SPOT_HEADER,
  '2023-06-01T00:00:00+00:00,us-east-1,us-east-1a,c5.large,Linux/UNIX,0.030000',
  '2023-06-01T02:00:00+00:00,us-east-1,us-east-1a,c5.large,Linux/UNIX,0.040000',
  '2023-06-01T05:00:00+00:00,us-east-1,us-east-1a,c5.large,Linux/UNIX,0.020000',
  '2023-06-01T01:00:00+00:00,us-east-1,us-east-1b,c5.large,Linux/UNIX,0.050000',
  '2023-06-01T01:00:00+00:00,us-east-1,us-east-1b,c5.large,Windows,0.150000',
  '2023-06-01T01:00:00+00:00,eu-west-3,eu-west-3a,c5.large,Linux/UNIX,0.010000',
].join('\n');

function book() {
  return new PriceBook([{ source: 't.csv', rows: parseSpotPriceCsv(csv, 't.csv') }], 'us-east-1', T0);
}

describe('price CSV parsing', () => {
  it('reads rows and rejects bad ones with file and line', () => {
    expect(parseSpotPriceCsv(csv, 't.csv')).toHaveLength(6);
    expect(() => parseSpotPriceCsv('nope\n', 'x.csv')).toThrow(/x.csv: expected the header/);
    expect(() =>
      parseSpotPriceCsv(`${SPOT_HEADER}\nbad,us-east-1,us-east-1a,c5.large,Linux/UNIX,1`, 'x.csv'),
    ).toThrow(/x.csv:2: bad timestamp/);
    expect(() =>
      parseSpotPriceCsv(
        `${SPOT_HEADER}\n2023-01-01T00:00:00Z,us-east-1,us-east-1a,c5.large,Linux/UNIX,-1`,
        'x.csv',
      ),
    ).toThrow(/not a positive number/);
    expect(() =>
      parseSpotPriceCsv(
        `${SPOT_HEADER}\n2023-01-01T00:00:00Z,us-east-1,eu-west-3a,c5.large,Linux/UNIX,1`,
        'x.csv',
      ),
    ).toThrow(/not in region/);
    expect(
      parseOnDemandCsv('region,instance_type,ondemand_price_usd\nus-east-1,c5.large,0.085', 'od'),
    ).toEqual([{ region: 'us-east-1', instanceType: 'c5.large', price: 0.085 }]);
    expect(() =>
      parseOnDemandCsv('region,instance_type,ondemand_price_usd\nus-east-1,c5.large', 'od'),
    ).toThrow(/od:2/);
  });
});

describe('PriceBook', () => {
  it('replays each pool as a step function shifted to the simulator start', () => {
    const b = book();
    expect(b.size).toBe(2); // Windows rows and other regions are dropped
    expect(b.priceAt('c5.large', 'us-east-1a', T0)).toBe(0.03);
    expect(b.priceAt('c5.large', 'us-east-1a', T0 + 2 * H - 1)).toBe(0.03);
    expect(b.priceAt('c5.large', 'us-east-1a', T0 + 2 * H)).toBe(0.04);
    expect(b.priceAt('c5.large', 'us-east-1a', T0 + 100 * H)).toBe(0.02);
    // 1b's first row is an hour after the file's first row: back-filled before it
    expect(b.priceAt('c5.large', 'us-east-1b', T0)).toBe(0.05);
    expect(b.priceAt('m5.large', 'us-east-1a', T0)).toBeUndefined();
  });

  it('returns history newest first, with the price in force at the start', () => {
    const h = book().history({
      instanceTypes: ['c5.large'],
      azs: ['us-east-1a'],
      start: T0 + 3 * H,
      end: T0 + 10 * H,
    });
    expect(h.map((r) => [r.price, (r.at - T0) / H])).toEqual([
      [0.02, 5],
      [0.04, 2],
    ]);
    // 1b starts an hour after the file: back-filled from the start, so it has a record there too
    const upToNow = book().history({ start: T0 - 24 * H, end: T0 + H });
    expect(upToNow.map((r) => [r.az, (r.at - T0) / H])).toEqual([
      ['us-east-1b', 1],
      ['us-east-1a', 0],
      ['us-east-1b', 0],
    ]);
  });

  it('splits a billing window at price changes and finds the first crossing', () => {
    const b = book();
    expect(b.segments('c5.large', 'us-east-1a', T0 + H, T0 + 6 * H)).toEqual([
      { from: T0 + H, to: T0 + 2 * H, price: 0.03 },
      { from: T0 + 2 * H, to: T0 + 5 * H, price: 0.04 },
      { from: T0 + 5 * H, to: T0 + 6 * H, price: 0.02 },
    ]);
    expect(b.firstTimeWhere('c5.large', 'us-east-1a', T0, (p) => p > 0.035)).toBe(T0 + 2 * H);
    expect(b.firstTimeWhere('c5.large', 'us-east-1a', T0 + 3 * H, (p) => p > 0.035)).toBe(T0 + 3 * H);
    expect(b.firstTimeWhere('c5.large', 'us-east-1a', T0 + 6 * H, (p) => p > 0.035)).toBeUndefined();
  });

  it('refuses the same pool from two files', () => {
    const rows = parseSpotPriceCsv(csv, 'a.csv');
    expect(
      () =>
        new PriceBook(
          [
            { source: 'a.csv', rows },
            { source: 'b.csv', rows },
          ],
          'us-east-1',
          T0,
        ),
    ).toThrow(/b.csv: pool c5.large in us-east-1a is already loaded/);
  });
});
