// Parsers for the two price file formats (pure: text in, rows out, errors name file and line).
//   spot:      timestamp_iso,region,az,instance_type,product_description,spot_price_usd
//   on-demand: region,instance_type,ondemand_price_usd

export interface SpotPriceRow {
  at: number;
  region: string;
  az: string;
  instanceType: string;
  productDescription: string;
  price: number;
}

export interface OnDemandRow {
  region: string;
  instanceType: string;
  price: number;
}

export const SPOT_HEADER = 'timestamp_iso,region,az,instance_type,product_description,spot_price_usd';
export const ONDEMAND_HEADER = 'region,instance_type,ondemand_price_usd';

const TYPE_RE = /^[a-z][a-z0-9-]*\.[a-z0-9-]+$/;

/** Data lines of a CSV: skips blank lines and `#` comment lines (our synthetic file labels itself). */
function dataLines(text: string): { line: number; text: string }[] {
  const out: { line: number; text: string }[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const t = raw.trim();
    if (t !== '' && !t.startsWith('#')) out.push({ line: i + 1, text: t });
  });
  return out;
}

function price(text: string, where: string): number {
  const n = Number(text);
  if (text === '' || !Number.isFinite(n) || n <= 0)
    throw new Error(`${where}: price '${text}' is not a positive number`);
  return n;
}

export function parseSpotPriceCsv(text: string, source: string): SpotPriceRow[] {
  const lines = dataLines(text);
  const header = lines.shift();
  if (!header || header.text !== SPOT_HEADER) {
    throw new Error(`${source}: expected the header '${SPOT_HEADER}'`);
  }
  return lines.map(({ line, text: t }) => {
    const where = `${source}:${line}`;
    const f = t.split(',');
    if (f.length !== 6) throw new Error(`${where}: expected 6 fields, got ${f.length}`);
    const [ts, region, az, instanceType, productDescription, p] = f as [
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    const at = Date.parse(ts);
    if (!/^\d{4}-\d\d-\d\dT/.test(ts) || Number.isNaN(at)) throw new Error(`${where}: bad timestamp '${ts}'`);
    if (!region) throw new Error(`${where}: empty region`);
    if (!az.startsWith(region) || az.length !== region.length + 1) {
      throw new Error(`${where}: availability zone '${az}' is not in region '${region}'`);
    }
    if (!TYPE_RE.test(instanceType)) throw new Error(`${where}: bad instance type '${instanceType}'`);
    return { at, region, az, instanceType, productDescription, price: price(p, where) };
  });
}

export function parseOnDemandCsv(text: string, source: string): OnDemandRow[] {
  const lines = dataLines(text);
  const header = lines.shift();
  if (!header || header.text !== ONDEMAND_HEADER) {
    throw new Error(`${source}: expected the header '${ONDEMAND_HEADER}'`);
  }
  return lines.map(({ line, text: t }) => {
    const where = `${source}:${line}`;
    const f = t.split(',');
    if (f.length !== 3) throw new Error(`${where}: expected 3 fields, got ${f.length}`);
    const [region, instanceType, p] = f as [string, string, string];
    if (!region) throw new Error(`${where}: empty region`);
    if (!TYPE_RE.test(instanceType)) throw new Error(`${where}: bad instance type '${instanceType}'`);
    return { region, instanceType, price: price(p, where) };
  });
}
