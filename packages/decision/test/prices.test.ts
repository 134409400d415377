import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { parseIsoSeconds, parseOnDemandLines, SpotSeriesBuilder } from '../src/prices/csv.ts';
import { readOnDemand, readSpotPrices } from '../src/prices/read.ts';
import { PriceDataError } from '../src/prices/types.ts';
import { T0, tempDir, writeOnDemandCsv, writeSpotCsv } from './helpers.ts';

const HEADER = 'timestamp_iso,region,az,instance_type,product_description,spot_price_usd';

function build(lines: string[]) {
  const b = new SpotSeriesBuilder();
  b.header('f.csv', lines[0]!);
  for (const [i, l] of lines.slice(1).entries()) b.line('f.csv', i + 2, l);
  return b.finish();
}

describe('spot price CSV', () => {
  it('builds one sorted step series per pool', () => {
    const pools = build([
      HEADER,
      '2020-01-01T00:00:00+00:00,r-1,r-1a,m5.large,Linux/UNIX,0.05',
      '2020-01-01T01:00:00+00:00,r-1,r-1a,m5.large,Linux/UNIX,0.06',
      '2020-01-01T00:30:00+00:00,r-1,r-1b,m5.large,Linux/UNIX,0.04',
    ]);
    expect([...pools.keys()]).toEqual(['m5.large@r-1a', 'm5.large@r-1b']);
    const a = pools.get('m5.large@r-1a')!;
    expect(a.times).toEqual([T0, T0 + 3600]);
    expect(a.prices).toEqual([0.05, 0.06]);
    expect(a.region).toBe('r-1');
  });

  it('sorts out-of-order rows and keeps the last row read at one instant', () => {
    const pools = build([
      HEADER,
      '2020-01-01T02:00:00Z,r-1,r-1a,m5.large,Linux/UNIX,0.07',
      '2020-01-01T00:00:00Z,r-1,r-1a,m5.large,Linux/UNIX,0.05',
      '2020-01-01T00:00:00Z,r-1,r-1a,m5.large,Linux/UNIX,0.055',
    ]);
    const a = pools.get('m5.large@r-1a')!;
    expect(a.times).toEqual([T0, T0 + 7200]);
    expect(a.prices).toEqual([0.055, 0.07]);
  });

  it.each([
    ['2020-01-01T00:00:00+00:00,r-1,r-1a,m5.large,Linux/UNIX', 'expected 6 fields, got 5'],
    ['2020-01-01 00:00:00,r-1,r-1a,m5.large,Linux/UNIX,0.05', 'bad timestamp'],
    ['2020-01-01T00:00:00,r-1,r-1a,m5.large,Linux/UNIX,0.05', 'bad timestamp'],
    ['2020-01-01T00:00:00Z,r-1,r-1a,m5.large,Linux/UNIX,-1', 'bad spot price "-1"'],
    ['2020-01-01T00:00:00Z,r-1,r-1a,m5.large,Linux/UNIX,abc', 'bad spot price'],
    ['2020-01-01T00:00:00Z,r-1,,m5.large,Linux/UNIX,0.05', 'empty field'],
  ])('refuses the row %s naming file and line', (row, message) => {
    expect(() => build([HEADER, '2020-01-01T00:00:00Z,r-1,r-1a,m5.large,Linux/UNIX,0.05', row])).toThrow(
      new RegExp(`^f\\.csv:3: .*${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`),
    );
  });

  it('refuses a wrong header and a pool mixing products', () => {
    expect(() => build(['time,price'])).toThrow(/^f\.csv:1: expected the header/);
    expect(() =>
      build([
        HEADER,
        '2020-01-01T00:00:00Z,r-1,r-1a,m5.large,Linux/UNIX,0.05',
        '2020-01-01T01:00:00Z,r-1,r-1a,m5.large,Windows,0.09',
      ]),
    ).toThrow(/f\.csv:3: pool m5\.large@r-1a mixes/);
  });

  it('parses ISO times only with a zone', () => {
    expect(parseIsoSeconds('2020-01-01T00:00:00+00:00')).toBe(T0);
    expect(parseIsoSeconds('2020-01-01T01:00:00+01:00')).toBe(T0);
    expect(parseIsoSeconds('2020-01-01T00:00:00.5Z')).toBe(T0 + 0.5);
    expect(parseIsoSeconds('2020-01-01')).toBeUndefined();
    expect(parseIsoSeconds('2020-13-45T00:00:00Z')).toBeUndefined();
  });
});

describe('reading files', () => {
  it('reads plain and gzipped files alike, several at once, with a pool filter', async () => {
    const dir = tempDir();
    const plain = writeSpotCsv(dir, 'a.csv', [
      [0, 'r-1a', 'm5.large', 0.05],
      [600, 'r-1a', 'm5.large', 0.06],
    ]);
    const gz = writeSpotCsv(dir, 'b.csv.gz', [
      [0, 'r-1b', 'm5.large', 0.04],
      [0, 'r-1b', 'c5.large', 0.03],
    ]);
    const all = await readSpotPrices([plain, gz]);
    expect([...all.keys()].sort()).toEqual(['c5.large@r-1b', 'm5.large@r-1a', 'm5.large@r-1b']);
    expect(all.get('m5.large@r-1b')!.prices).toEqual([0.04]);
    const some = await readSpotPrices([plain, gz], { accept: (type) => type === 'm5.large' });
    expect([...some.keys()].sort()).toEqual(['m5.large@r-1a', 'm5.large@r-1b']);
  });

  it('detects gzip by its magic bytes even without .gz', async () => {
    const dir = tempDir();
    const file = join(dir, 'prices.dat');
    writeFileSync(file, gzipSync(`${HEADER}\n2020-01-01T00:00:00Z,r-1,r-1a,m5.large,Linux/UNIX,0.05\n`));
    expect((await readSpotPrices([file])).get('m5.large@r-1a')!.prices).toEqual([0.05]);
  });

  it('names file and line for a bad row, and fails on a truncated or missing file', async () => {
    const dir = tempDir();
    const bad = join(dir, 'bad.csv');
    writeFileSync(
      bad,
      `${HEADER}\n2020-01-01T00:00:00Z,r-1,r-1a,m5.large,Linux/UNIX,0.05\n2020-01-01T00:00:00Z,oops\n`,
    );
    await expect(readSpotPrices([bad])).rejects.toThrow(`${bad}:3: expected 6 fields, got 2`);
    const truncated = join(dir, 'cut.csv.gz');
    const full = gzipSync(
      `${HEADER}\n${'2020-01-01T00:00:00Z,r-1,r-1a,m5.large,Linux/UNIX,0.05\n'.repeat(2000)}`,
    );
    writeFileSync(truncated, full.subarray(0, full.length - 20));
    await expect(readSpotPrices([truncated])).rejects.toThrow(PriceDataError);
    await expect(readSpotPrices([join(dir, 'nope.csv')])).rejects.toThrow(/nope\.csv/);
    const empty = join(dir, 'empty.csv');
    writeFileSync(empty, '');
    await expect(readSpotPrices([empty])).rejects.toThrow(`${empty}: empty file`);
  });

  it('reads on-demand prices and refuses bad ones', async () => {
    const dir = tempDir();
    const od = await readOnDemand(writeOnDemandCsv(dir, { 'm5.large': 0.096, 'c5.large': 0.085 }));
    expect(od.get('r-1/m5.large')).toBe(0.096);
    expect(() =>
      parseOnDemandLines('od.csv', ['region,instance_type,ondemand_price_usd', 'r-1,m5.large,0']),
    ).toThrow('od.csv:2: bad on-demand price "0"');
    expect(() =>
      parseOnDemandLines('od.csv', [
        'region,instance_type,ondemand_price_usd',
        'r-1,m5.large,1',
        'r-1,m5.large,2',
      ]),
    ).toThrow('od.csv:3: r-1 m5.large listed twice');
    expect(() => parseOnDemandLines('od.csv', ['region,type'])).toThrow('od.csv:1: expected the header');
  });
});
