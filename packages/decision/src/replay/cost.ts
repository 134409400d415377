// The cost model applied to one path (the option held on each segment). Replay scores
// every policy with it, and the tests score brute-force paths with it, so the oracle is
// checked against the same definition.
import type { Market } from './market.ts';

export interface CostParams {
  /** A switch at t to q bills q's price at t for this many seconds. */
  readonly overlapSeconds: number;
  /** Downtime added by each interruption. */
  readonly bootSeconds: number;
}

export interface Outcome {
  readonly costUsd: number;
  readonly switches: number;
  readonly interruptions: number;
  readonly downtimeSeconds: number;
}

export class PathError extends Error {
  override name = 'PathError';
}

export function evaluatePath(m: Market, path: ArrayLike<number>, params: CostParams): Outcome {
  const O = m.options.length;
  const K = m.times.length;
  if (path.length !== K) throw new PathError(`path has ${path.length} steps, the market ${K}`);
  let cost = 0;
  let switches = 0;
  let interruptions = 0;
  for (let k = 0; k < K; k++) {
    const o = path[k]!;
    if (!(o >= 0 && o < O) || m.available[k * O + o] !== 1) {
      throw new PathError(
        `step ${k}: option ${o} is not available at ${new Date(m.times[k]! * 1000).toISOString()}`,
      );
    }
    const price = m.prices[k * O + o]!;
    if (k > 0 && o !== path[k - 1]) {
      switches++;
      if (m.available[k * O + path[k - 1]!] !== 1) interruptions++;
      cost += (params.overlapSeconds * price) / 3600; // the first pick is free
    }
    cost += (price * m.durations[k]!) / 3600;
  }
  return { costUsd: cost, switches, interruptions, downtimeSeconds: interruptions * params.bootSeconds };
}

/** Lexicographic order of the oracle: cost (to a relative 1e-9), then interruptions, then switches. */
export function compareKeys(ca: number, ia: number, sa: number, cb: number, ib: number, sb: number): number {
  const scale = Math.max(1, Math.abs(ca), Math.abs(cb));
  const eps = Number.isFinite(scale) ? 1e-9 * scale : 0; // an infinite cost (unreachable state) compares exactly
  if (ca < cb - eps) return -1;
  if (ca > cb + eps) return 1;
  if (ia !== ib) return ia - ib;
  return sa - sb;
}

export function compareOutcome(a: Outcome, b: Outcome): number {
  return compareKeys(a.costUsd, a.interruptions, a.switches, b.costUsd, b.interruptions, b.switches);
}
