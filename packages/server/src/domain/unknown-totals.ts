import { poolKey, type UnknownOndemand, type UnknownSpotPrice } from './savings.ts';

/**
 * Running totals of what a client's stored hours could not compare or cost, pure.
 *
 * The totals at a stored hour are the sums over every stored hour up to and including it, per
 * type (unknown on-demand price) or pool (unknown spot price). A window's unknowns are then the
 * totals at its last stored hour less those at the last stored hour before it: two rows read
 * however long the window and however many types or pools it holds. Stored hours only ever grow
 * or lose a suffix, and a prefix sum does not depend on what follows it, so totals stay true.
 */
export interface UnknownTotals {
  /** `region|instance_type|market` → [hours, known spend, hours-rows with unknown spend, rows]. */
  ondemand: Record<string, [number, number, number, number]>;
  /** `instance_type|availability_zone` → [hours, rows]. */
  spot: Record<string, [number, number]>;
}

/** One hour's own unknowns, as the rollup stores them. */
export interface HourUnknowns {
  unknown_ondemand: readonly UnknownOndemand[];
  unknown_spot_price: readonly UnknownSpotPrice[];
}

export const emptyTotals = (): UnknownTotals => ({ ondemand: {}, spot: {} });

const odKey = (u: { region: string; instance_type: string; market: string }) =>
  `${u.region}|${u.instance_type}|${u.market}`;

/** The totals after one more hour (a new object; `totals` is left as it was). */
export function addHour(totals: UnknownTotals, hour: HourUnknowns): UnknownTotals {
  const ondemand = { ...totals.ondemand };
  const spot = { ...totals.spot };
  for (const u of hour.unknown_ondemand) {
    const k = odKey(u);
    const [h, s, n, r] = ondemand[k] ?? [0, 0, 0, 0];
    ondemand[k] = [h + u.hours, s + (u.spend ?? 0), n + (u.spend === null ? 1 : 0), r + 1];
  }
  for (const u of hour.unknown_spot_price) {
    const k = poolKey(u.instance_type, u.availability_zone);
    const [h, r] = spot[k] ?? [0, 0];
    spot[k] = [h + u.hours, r + 1];
  }
  return { ondemand, spot };
}

/**
 * The unknowns of the stored hours after `before` up to `end` (both totals of the same client,
 * `before` of an earlier hour, or null when no stored hour precedes the span). Only types and
 * pools with a row in between are listed; a spend is null when some row's was.
 */
export function unknownsBetween(
  end: UnknownTotals,
  before: UnknownTotals | null,
): { unknownOndemand: UnknownOndemand[]; unknownSpotPrice: UnknownSpotPrice[] } {
  const unknownOndemand: UnknownOndemand[] = [];
  for (const [k, [h, s, n, r]] of Object.entries(end.ondemand)) {
    const [h0, s0, n0, r0] = before?.ondemand[k] ?? [0, 0, 0, 0];
    if (r - r0 <= 0) continue;
    const [region = '', instance_type = '', market] = k.split('|');
    unknownOndemand.push({
      region,
      instance_type,
      market: market === 'on-demand' ? 'on-demand' : 'spot',
      hours: h - h0,
      spend: n - n0 > 0 ? null : s - s0,
    });
  }
  const unknownSpotPrice: UnknownSpotPrice[] = [];
  for (const [k, [h, r]] of Object.entries(end.spot)) {
    const [h0, r0] = before?.spot[k] ?? [0, 0];
    if (r - r0 <= 0) continue;
    const [instance_type = '', availability_zone = ''] = k.split('|');
    unknownSpotPrice.push({ instance_type, availability_zone, hours: h - h0 });
  }
  return { unknownOndemand, unknownSpotPrice };
}

/** Totals read back from storage, checked: anything else is treated as missing (recomputed). */
export function parseTotals(ondemand: unknown, spot: unknown): UnknownTotals | null {
  const od = typeof ondemand === 'string' ? JSON.parse(ondemand) : ondemand;
  const sp = typeof spot === 'string' ? JSON.parse(spot) : spot;
  const isRecord = (x: unknown, width: number): boolean =>
    typeof x === 'object' &&
    x !== null &&
    !Array.isArray(x) &&
    Object.values(x).every(
      (v) => Array.isArray(v) && v.length === width && v.every((n) => typeof n === 'number'),
    );
  if (!isRecord(od, 4) || !isRecord(sp, 2)) return null;
  return { ondemand: od as UnknownTotals['ondemand'], spot: sp as UnknownTotals['spot'] };
}
