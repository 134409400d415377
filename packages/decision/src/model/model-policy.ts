// The `model` policy: a scorer (an ONNX model, or its TS twin in tests) ranks the candidate pools
// by the probability that moving there keeps paying, and the policy moves to the best expected
// saving when that probability clears the model's threshold. The product's hard rules stay in
// code, not in the model: never to a pool seen unavailable lately, never within the dwell of the
// previous move, never for less than minSavingsPercent. Replay drives it through simulateAsync
// (onnxruntime answers asynchronously).
import type { Decision, DecisionPoint, OptionInfo, PolicyContext } from '../policy/types.ts';
import { FEATURE_COUNT, LOOKBACK_SECONDS, type PoolWindow, pairFeatures } from './features.ts';

/** Scores rows of features: `rows` is n × FEATURE_COUNT row-major; one score (0..1) per row. */
export interface Scorer {
  score(rows: Float32Array, n: number): Promise<Float32Array>;
}

/** A policy whose decision is asynchronous; otherwise the same contract as `Policy`. */
export interface AsyncPolicy<S = unknown> {
  readonly name: string;
  init(ctx: PolicyContext): S;
  decide(ctx: PolicyContext, point: DecisionPoint, state: S): Promise<Decision<S>>;
}

export interface ModelPolicyParams {
  /** Least score (probability) to move. */
  readonly threshold: number;
  readonly minSavingsPercent: number;
  readonly minDwellSeconds: number;
  readonly unavailableMemorySeconds: number;
}

export const DEFAULT_MODEL_POLICY: ModelPolicyParams = {
  threshold: 0.5,
  minSavingsPercent: 5,
  minDwellSeconds: 300,
  unavailableMemorySeconds: 180,
};

export interface ModelState {
  readonly lastMoveAt: number;
  readonly avoidUntil: Float64Array;
  /** Per option: its price changes within the lookback (plus the one in force at its start). */
  readonly times: readonly number[][];
  readonly prices: readonly number[][];
}

/** Among candidates with their score and saving per hour, the best expected saving at or above the threshold. */
export function pickByScore(
  scores: ArrayLike<number>,
  savings: ArrayLike<number>,
  threshold: number,
): { index: number; best: number } {
  let index = -1;
  let value = Number.NEGATIVE_INFINITY;
  let best = -1;
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i]!;
    if (best < 0 || s > scores[best]!) best = i;
    if (!(s >= threshold)) continue;
    const v = s * savings[i]!;
    if (v > value) {
      value = v;
      index = i;
    }
  }
  return { index, best };
}

function window(o: OptionInfo, price: number, times: number[], prices: number[]): PoolWindow {
  return o.kind === 'ondemand'
    ? { price: o.ondemandPrice, ondemand: o.ondemandPrice, times: [], prices: [] }
    : { price, ondemand: o.ondemandPrice, times, prices };
}

export function createModelPolicy(
  scorer: Scorer,
  params: Partial<ModelPolicyParams> = {},
  name = 'model',
): AsyncPolicy<ModelState> {
  const p = { ...DEFAULT_MODEL_POLICY, ...params };
  return {
    name,
    init(ctx) {
      const n = ctx.options.length;
      return {
        lastMoveAt: Number.NEGATIVE_INFINITY,
        avoidUntil: new Float64Array(n),
        times: Array.from({ length: n }, () => []),
        prices: Array.from({ length: n }, () => []),
      };
    },
    async decide(ctx, point, prev): Promise<Decision<ModelState>> {
      const n = ctx.options.length;
      const t = point.t;
      // Copy-on-write: only the options whose price changed get new arrays (the state stays immutable).
      const times = [...prev.times];
      const prices = [...prev.prices];
      const avoidUntil = Float64Array.from(prev.avoidUntil);
      for (let i = 0; i < n; i++) {
        const price = point.prices[i]!;
        const o = ctx.options[i]!;
        if (o.kind !== 'spot' || Number.isNaN(price)) continue;
        if (point.available[i] !== 1) avoidUntil[i] = t + p.unavailableMemorySeconds;
        const pt = prev.prices[i]!;
        if (pt.length > 0 && pt[pt.length - 1] === price) continue;
        let from = 0;
        const tt = prev.times[i]!;
        while (from + 1 < tt.length && tt[from + 1]! <= t - LOOKBACK_SECONDS) from++;
        times[i] = [...tt.slice(from), t];
        prices[i] = [...pt.slice(from), price];
      }
      const s: ModelState = { lastMoveAt: prev.lastMoveAt, avoidUntil, times, prices };
      const avoided = (i: number) => avoidUntil[i]! > t;
      const move = (choice: number, reason: string) => ({ choice, state: { ...s, lastMoveAt: t }, reason });

      const cur = point.current;
      if (cur < 0 || point.available[cur] !== 1) {
        // Forced: the cheapest available option not remembered unavailable (else any available).
        let best = -1;
        for (const skip of [true, false]) {
          for (let i = 0; i < n; i++) {
            if (point.available[i] !== 1 || (skip && avoided(i))) continue;
            if (best < 0 || point.prices[i]! < point.prices[best]!) best = i;
          }
          if (best >= 0) break;
        }
        return move(best, cur < 0 ? 'first pick' : 'current pool unavailable');
      }
      const stay = (reason: string) => ({ choice: cur, state: s, reason });
      const curOption = ctx.options[cur]!;
      if (curOption.kind === 'spot' && t - s.lastMoveAt < p.minDwellSeconds) return stay('dwell');
      const curPrice = point.prices[cur]!;
      const candidates: number[] = [];
      for (let i = 0; i < n; i++) {
        if (i === cur || ctx.options[i]!.kind !== 'spot' || point.available[i] !== 1 || avoided(i)) continue;
        if (point.prices[i]! < curPrice * (1 - p.minSavingsPercent / 100)) candidates.push(i);
      }
      if (candidates.length === 0) return stay('no candidate cheaper by min_savings_percent');
      const rows = new Float32Array(candidates.length * FEATURE_COUNT);
      const current = window(curOption, curPrice, times[cur]!, prices[cur]!);
      candidates.forEach((i, r) => {
        const c = window(ctx.options[i]!, point.prices[i]!, times[i]!, prices[i]!);
        pairFeatures(current, c, t, rows, r * FEATURE_COUNT);
      });
      const scores = await scorer.score(rows, candidates.length);
      const savings = candidates.map((i) => curPrice - point.prices[i]!);
      const pick = pickByScore(scores, savings, p.threshold);
      if (pick.index < 0)
        return stay(`model: best score ${scores[pick.best]!.toFixed(3)} below ${p.threshold}`);
      return move(candidates[pick.index]!, `model: score ${scores[pick.index]!.toFixed(3)}`);
    },
  };
}
