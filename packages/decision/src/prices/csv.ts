// Pure parsing of the spotdata CSV formats, line by line, so the reader can stream a 400k-row
// file and a test can feed strings. Every failure is a PriceDataError naming file and line.
import { type OnDemandTable, onDemandKey, type PoolSeries, PriceDataError, poolKey } from './types.ts';

export const SPOT_HEADER = 'timestamp_iso,region,az,instance_type,product_description,spot_price_usd';
export const ONDEMAND_HEADER = 'region,instance_type,ondemand_price_usd';

// The files write `YYYY-MM-DDTHH:MM:SS+00:00`; `Z`, other offsets and fractions are accepted
// too, but never a bare date or a zone-less time, whose meaning would depend on the machine.
const ISO_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const NUMBER_RE = /^\d+(\.\d+)?([eE][+-]?\d+)?$/;

/** Epoch seconds of a strict ISO-8601 timestamp with a zone, or undefined. */
export function parseIsoSeconds(text: string): number | undefined {
  if (!ISO_RE.test(text)) return undefined;
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? ms / 1000 : undefined;
}

function parsePrice(text: string): number | undefined {
  if (!NUMBER_RE.test(text)) return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : undefined;
}

function checkHeader(file: string, line: string, expected: string): void {
  if (line.trim() !== expected) {
    throw new PriceDataError(file, 1, `expected the header "${expected}", got "${line.slice(0, 120)}"`);
  }
}

export interface SpotRow {
  t: number;
  region: string;
  az: string;
  instanceType: string;
  product: string;
  price: number;
}

export function parseSpotRow(file: string, lineNo: number, line: string): SpotRow {
  const f = line.trimEnd().split(',');
  if (f.length !== 6) throw new PriceDataError(file, lineNo, `expected 6 fields, got ${f.length}`);
  const [ts, region, az, instanceType, product, priceText] = f as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const t = parseIsoSeconds(ts);
  if (t === undefined)
    throw new PriceDataError(file, lineNo, `bad timestamp "${ts}" (want YYYY-MM-DDTHH:MM:SS+00:00)`);
  if (!region || !az || !instanceType || !product) throw new PriceDataError(file, lineNo, 'empty field');
  const price = parsePrice(priceText);
  if (price === undefined) throw new PriceDataError(file, lineNo, `bad spot price "${priceText}"`);
  return { t, region, az, instanceType, product, price };
}

interface Building {
  region: string;
  az: string;
  instanceType: string;
  product: string;
  rows: { t: number; price: number }[];
  sorted: boolean;
}

/**
 * Collects spot rows (from one or several files) into one step-function series per pool.
 * `accept` lets the reader drop pools it will not replay before they cost memory.
 */
export class SpotSeriesBuilder {
  private readonly pools = new Map<string, Building>();

  constructor(private readonly accept: (instanceType: string, az: string) => boolean = () => true) {}

  header(file: string, line: string): void {
    checkHeader(file, line, SPOT_HEADER);
  }

  line(file: string, lineNo: number, line: string): void {
    if (line.trim() === '') return;
    const row = parseSpotRow(file, lineNo, line);
    if (!this.accept(row.instanceType, row.az)) return;
    const key = poolKey(row.instanceType, row.az);
    let pool = this.pools.get(key);
    if (!pool) {
      pool = {
        region: row.region,
        az: row.az,
        instanceType: row.instanceType,
        product: row.product,
        rows: [],
        sorted: true,
      };
      this.pools.set(key, pool);
    }
    // A pool mixing regions or products would be two markets under one name: refuse it.
    if (pool.region !== row.region) {
      throw new PriceDataError(
        file,
        lineNo,
        `pool ${key} is in ${pool.region} earlier and ${row.region} here`,
      );
    }
    if (pool.product !== row.product) {
      throw new PriceDataError(
        file,
        lineNo,
        `pool ${key} mixes "${pool.product}" and "${row.product}"; replay one product at a time`,
      );
    }
    const last = pool.rows[pool.rows.length - 1];
    if (last && row.t < last.t) pool.sorted = false;
    pool.rows.push({ t: row.t, price: row.price });
  }

  /** Series sorted by time; of several rows at one instant the last one read wins. */
  finish(): Map<string, PoolSeries> {
    const out = new Map<string, PoolSeries>();
    for (const [key, p] of this.pools) {
      // A stable sort keeps read order among equal times, so "last read wins" holds across files.
      const rows = p.sorted ? p.rows : [...p.rows].sort((a, b) => a.t - b.t);
      const times: number[] = [];
      const prices: number[] = [];
      for (const r of rows) {
        if (times.length > 0 && times[times.length - 1] === r.t) prices[prices.length - 1] = r.price;
        else {
          times.push(r.t);
          prices.push(r.price);
        }
      }
      out.set(key, {
        key,
        region: p.region,
        az: p.az,
        instanceType: p.instanceType,
        product: p.product,
        times,
        prices,
      });
    }
    return out;
  }
}

/** Parses an on-demand CSV given as lines (header first). */
export function parseOnDemandLines(file: string, lines: Iterable<string>): OnDemandTable {
  const table = new Map<string, number>();
  let lineNo = 0;
  for (const line of lines) {
    lineNo++;
    if (lineNo === 1) {
      checkHeader(file, line, ONDEMAND_HEADER);
      continue;
    }
    if (line.trim() === '') continue;
    const f = line.trimEnd().split(',');
    if (f.length !== 3) throw new PriceDataError(file, lineNo, `expected 3 fields, got ${f.length}`);
    const [region, instanceType, priceText] = f as [string, string, string];
    if (!region || !instanceType) throw new PriceDataError(file, lineNo, 'empty field');
    const price = parsePrice(priceText);
    if (price === undefined || price <= 0)
      throw new PriceDataError(file, lineNo, `bad on-demand price "${priceText}"`);
    const key = onDemandKey(region, instanceType);
    if (table.has(key) && table.get(key) !== price) {
      throw new PriceDataError(file, lineNo, `${region} ${instanceType} listed twice with different prices`);
    }
    table.set(key, price);
  }
  if (lineNo === 0) throw new PriceDataError(file, 0, 'empty file');
  return table;
}
