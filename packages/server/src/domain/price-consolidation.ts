/**
 * Pure: one pool's staging points (already one per time, the PRIMARY's when both roles
 * reported) → its consolidated step-function series. Only price changes are kept (a step
 * function holds its price until the next point). Two consecutive points further apart than
 * `gapMs` are a gap in what our fleet saw: points every `stepMs` are interpolated linearly
 * between the two known prices, flagged so nobody mistakes them for reports. ('backfilled' is
 * the flag of points fetched for a gap through an agent; that path is not built yet.)
 */
export type ConsolidatedFlag = 'reported' | 'backfilled' | 'interpolated';
export interface StagedPoint {
  at: number;
  price: number;
}
export interface ConsolidatedPoint {
  at: number;
  price: number;
  flag: ConsolidatedFlag;
}
export interface PoolConsolidation {
  points: ConsolidatedPoint[];
  gaps: number;
  interpolated: number;
}

export function consolidatePool(
  staged: StagedPoint[],
  opts: { gapMs: number; stepMs: number },
): PoolConsolidation {
  const sorted = [...staged].sort((a, b) => a.at - b.at);
  const points: ConsolidatedPoint[] = [];
  let gaps = 0;
  let interpolated = 0;
  let prev: StagedPoint | undefined;
  for (const p of sorted) {
    if (prev && p.at === prev.at) continue;
    if (prev && p.at - prev.at > opts.gapMs) {
      gaps++;
      // Linear between the last known price and the next one; one point per step inside the gap.
      for (let t = prev.at + opts.stepMs; t < p.at; t += opts.stepMs) {
        const price = round6(prev.price + ((p.price - prev.price) * (t - prev.at)) / (p.at - prev.at));
        if (points[points.length - 1]?.price === price) continue;
        points.push({ at: t, price, flag: 'interpolated' });
        interpolated++;
      }
    }
    const last = points[points.length - 1];
    if (!last || last.price !== p.price) {
      points.push({ at: p.at, price: p.price, flag: 'reported' });
    }
    prev = p;
  }
  return { points, gaps, interpolated };
}

const round6 = (n: number) => Math.round(n * 1e6) / 1e6;
