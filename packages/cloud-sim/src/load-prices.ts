// Reads price files from disk (the only file I/O of the simulator) and builds the catalog.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Catalog } from './core/catalog.ts';
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
}

export function loadCatalog(o: LoadOptions): Catalog {
  const traces = o.priceFiles.map((source) => ({ source, rows: parseSpotPriceCsv(read(source), source) }));
  const book = new PriceBook(traces, o.region, o.simStart);
  if (book.size === 0)
    throw new Error(`the price files hold no Linux/UNIX spot prices for region ${o.region}`);
  const onDemand = new Map<string, number>();
  for (const source of o.onDemandFiles) {
    for (const row of parseOnDemandCsv(read(source), source)) {
      if (row.region === o.region) onDemand.set(row.instanceType, row.price);
    }
  }
  return new Catalog({
    region: o.region,
    priceBook: book,
    onDemand,
    bootDelaySeconds: o.bootDelaySeconds,
    hazardPerHour: o.hazardPerHour,
  });
}
