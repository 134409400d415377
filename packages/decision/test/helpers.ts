import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { PoolSeries } from '../src/prices/types.ts';
import { buildMarket, type Market } from '../src/replay/market.ts';

export const T0 = Date.parse('2020-01-01T00:00:00Z') / 1000;
export const HOUR = 3600;

/** A pool in region r-1 whose price steps are [offset seconds from T0, price]. */
export function pool(type: string, az: string, steps: [number, number][]): PoolSeries {
  return {
    key: `${type}@${az}`,
    region: 'r-1',
    az,
    instanceType: type,
    product: 'Linux/UNIX',
    times: steps.map(([dt]) => T0 + dt),
    prices: steps.map(([, p]) => p),
  };
}

export function market(series: PoolSeries[], od: Record<string, number>, hours: number): Market {
  const onDemand = new Map(Object.entries(od).map(([type, p]) => [`r-1/${type}`, p]));
  return buildMarket({ series, onDemand, from: T0, to: T0 + hours * HOUR });
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'spot-decision-'));
}

export const iso = (dt: number) => new Date((T0 + dt) * 1000).toISOString().replace('.000Z', '+00:00');

/** Writes a spotdata-format CSV (gzipped when the name ends in .gz) and returns its path. */
export function writeSpotCsv(dir: string, name: string, rows: [number, string, string, number][]): string {
  const text = [
    'timestamp_iso,region,az,instance_type,product_description,spot_price_usd',
    ...rows.map(([dt, az, type, price]) => `${iso(dt)},r-1,${az},${type},Linux/UNIX,${price.toFixed(4)}`),
  ].join('\n');
  const file = join(dir, name);
  writeFileSync(file, name.endsWith('.gz') ? gzipSync(text) : `${text}\n`);
  return file;
}

export function writeOnDemandCsv(dir: string, rows: Record<string, number>): string {
  const file = join(dir, 'ondemand.csv');
  writeFileSync(
    file,
    [
      'region,instance_type,ondemand_price_usd',
      ...Object.entries(rows).map(([t, p]) => `r-1,${t},${p}`),
    ].join('\n'),
  );
  return file;
}
