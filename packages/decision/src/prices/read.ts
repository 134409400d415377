// The only file I/O of the price pipeline: streams each file (gunzipping `.gz`, or any file
// starting with the gzip magic) line by line into the pure parsers of csv.ts.
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { parseOnDemandLines, SpotSeriesBuilder } from './csv.ts';
import { type OnDemandTable, type PoolSeries, PriceDataError } from './types.ts';

async function isGzip(file: string): Promise<boolean> {
  if (file.endsWith('.gz')) return true;
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(2);
    const { bytesRead } = await fh.read(buf, 0, 2, 0);
    return bytesRead === 2 && buf[0] === 0x1f && buf[1] === 0x8b;
  } finally {
    await fh.close();
  }
}

async function* lines(file: string): AsyncGenerator<string> {
  let gz: boolean;
  try {
    gz = await isGzip(file);
  } catch (err) {
    throw new PriceDataError(file, 0, (err as Error).message);
  }
  const raw = createReadStream(file);
  const input = gz ? raw.pipe(createGunzip()) : raw;
  // Errors of the file stream or of gunzip surface through the readline iterator only if
  // forwarded; a truncated .gz must fail loudly, not look like a short file.
  const failures: Error[] = [];
  raw.on('error', (e: Error) => failures.push(e));
  if (gz) input.on('error', (e: Error) => failures.push(e));
  const rl = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  try {
    for await (const line of rl) yield line;
  } catch (err) {
    failures.push(err as Error);
  }
  if (failures.length > 0) throw new PriceDataError(file, 0, `cannot read: ${failures[0]!.message}`);
}

export interface ReadSpotOptions {
  /** Keep only these pools (drops the rest while streaming). */
  accept?: (instanceType: string, az: string) => boolean;
}

/** Reads spot price files in the spotdata format into one series per pool. */
export async function readSpotPrices(
  files: readonly string[],
  opts: ReadSpotOptions = {},
): Promise<Map<string, PoolSeries>> {
  const builder = new SpotSeriesBuilder(opts.accept);
  for (const file of files) {
    let lineNo = 0;
    for await (const line of lines(file)) {
      lineNo++;
      if (lineNo === 1) builder.header(file, line);
      else builder.line(file, lineNo, line);
    }
    if (lineNo === 0) throw new PriceDataError(file, 0, 'empty file');
  }
  return builder.finish();
}

/** Reads an on-demand CSV (`region,instance_type,ondemand_price_usd`). */
export async function readOnDemand(file: string): Promise<OnDemandTable> {
  const all: string[] = [];
  for await (const line of lines(file)) all.push(line);
  return parseOnDemandLines(file, all);
}
