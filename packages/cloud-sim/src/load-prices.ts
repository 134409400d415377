// Reads price files from disk (the only file I/O of the simulator) and builds the catalog.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { addSyntheticPools, Catalog, defaultZones } from './core/catalog.ts';
import { parseOnDemandCsv, parseSpotPriceCsv } from './core/price-csv.ts';
import { PriceBook } from './core/prices.ts';

export const DEFAULT_SPOT_PRICES = fileURLToPath(
  new URL('../data/synthetic-spot-prices-us-east-1.csv', import.meta.url),
);
export const DEFAULT_ONDEMAND_PRICES = fileURLToPath(new URL('../data/ondemand-prices.csv', import.meta.url));

function read(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read price file ${path}: ${(err as Error).message}`);
  }
}

export interface LoadOptions {
  region: string;
  simStart: number;
  priceFiles: string[];
  onDemandFiles: string[];
  bootDelaySeconds?: number;
  hazardPerHour: number;
  /** Seed of the synthetic prices. */
  seed: number;
  /** false: only pools with a trace exist (no synthetic prices). Default true. */
  syntheticPrices?: boolean;
}

export function loadCatalog(o: LoadOptions): Catalog {
  const traces = o.priceFiles.map((source) => ({ source, rows: parseSpotPriceCsv(read(source), source) }));
  const book = new PriceBook(traces, o.region, o.simStart);
  const onDemand = new Map<string, number>();
  for (const source of o.onDemandFiles) {
    for (const row of parseOnDemandCsv(read(source), source)) {
      if (row.region === o.region) onDemand.set(row.instanceType, row.price);
    }
  }
  const synthetic = o.syntheticPrices ?? true;
  const azs = synthetic ? defaultZones(o.region) : undefined;
  if (azs) addSyntheticPools(book, { seed: o.seed, azs, onDemand, start: o.simStart });
  if (book.size === 0)
    throw new Error(
      `no spot prices for region ${o.region}: the price files hold no Linux/UNIX rows for it${synthetic ? ' and no on-demand price is known there' : ''}`,
    );
  return new Catalog({
    region: o.region,
    priceBook: book,
    onDemand,
    azs,
    bootDelaySeconds: o.bootDelaySeconds,
    hazardPerHour: o.hazardPerHour,
  });
}
