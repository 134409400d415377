// The one interface every decision policy implements. A policy is pure: it sees what a live
// engine could see at one decision point (no future prices) and its own previous state, and
// returns the option to hold from now on plus its next state. Replay, tests and (later) the
// server's engine all drive policies through this interface.

/** A place a workload can run: a spot pool, or on-demand of one instance type. */
export interface OptionInfo {
  /** `type@az` for a spot pool, `type@ondemand` for on-demand. */
  readonly id: string;
  readonly kind: 'spot' | 'ondemand';
  readonly instanceType: string;
  readonly region: string;
  /** null for on-demand. */
  readonly az: string | null;
  /** The list price of this option's type in its region, USD/h: the availability ceiling. */
  readonly ondemandPrice: number;
}

export interface PolicyContext {
  readonly options: readonly OptionInfo[];
  /** Seconds both instances are billed during a switch. */
  readonly overlapSeconds: number;
  /** Seconds without service after an interruption. */
  readonly bootSeconds: number;
}

export interface DecisionPoint {
  /** Epoch seconds. */
  readonly t: number;
  /** Index of the option held until now; -1 at the first decision point. */
  readonly current: number;
  /** USD/h per option at t; NaN when a pool has no price yet. */
  readonly prices: ArrayLike<number>;
  /** 1 when the option can be taken at t (spot: has a price below on-demand). */
  readonly available: ArrayLike<number>;
}

export interface Decision<S> {
  /** The option to hold from t on: `current` means stay. Must be available at t. */
  readonly choice: number;
  readonly state: S;
  /** Short why, for logs and the decisions feed. */
  readonly reason?: string;
}

export interface Policy<S = unknown> {
  readonly name: string;
  init(ctx: PolicyContext): S;
  decide(ctx: PolicyContext, point: DecisionPoint, state: S): Decision<S>;
}

/** True when the held option can no longer be kept: the policy must move (an interruption). */
export function isForced(point: DecisionPoint): boolean {
  return point.current < 0 || point.available[point.current] !== 1;
}

/** The available option with the lowest `score` (ties: lowest index); -1 when none is. */
export function argminAvailable(
  point: DecisionPoint,
  score: (i: number) => number,
  skip?: (i: number) => boolean,
): number {
  let best = -1;
  let bestScore = Number.POSITIVE_INFINITY;
  for (let i = 0; i < point.available.length; i++) {
    if (point.available[i] !== 1 || skip?.(i)) continue;
    const s = score(i);
    if (s < bestScore) {
      best = i;
      bestScore = s;
    }
  }
  return best;
}
