// The model's features, pure and shared: the training script, the replay `model` policy and the
// server's model engine all call `pairFeatures`, so what a model is trained on and what it is
// served cannot drift. One row per (current pool, candidate pool) pair at one moment: "is
// moving from the current pool to this candidate worth it over the next hours?"
//
// Times are seconds on any common axis (the server passes cloud seconds relative to now,
// replay and training pass epoch seconds); only differences are used.

/** Bump when a feature's meaning changes: a model declares the version it was trained on. */
export const FEATURE_VERSION = 'pool-pair-v1';

export const FEATURE_NAMES = [
  /** ln(candidate price / current price): negative when the candidate is cheaper. */
  'log_price_ratio',
  /** Candidate price / its on-demand price. */
  'candidate_price_to_ondemand',
  /** Current price / its on-demand price. */
  'current_price_to_ondemand',
  /** Coefficient of variation of the candidate's price changes over the lookback (capped at 2). */
  'candidate_volatility',
  /** Same for the current pool. */
  'current_volatility',
  /** Hours since the candidate's price last changed, capped at the lookback. */
  'candidate_hours_since_change',
  /** Spike episodes of the candidate in the lookback (price ≥ half on-demand), capped at 5. */
  'candidate_spikes',
  /** Hours the candidate has been continuously cheaper than the current pool, capped at the lookback. */
  'cheaper_for_hours',
] as const;
export const FEATURE_COUNT = FEATURE_NAMES.length;

/** How far back features look (seconds). */
export const LOOKBACK_SECONDS = 6 * 3600;
/** A price at or above this fraction of on-demand counts as a spike (as in the rules policy). */
export const SPIKE_FRACTION = 0.5;
const MAX_SPIKES = 5;
const MAX_VOLATILITY = 2;

/** What the features need to know about one pool at `now`. */
export interface PoolWindow {
  /** The price in force now, USD/h. */
  readonly price: number;
  /** On-demand list price of the pool's type, USD/h (> 0). */
  readonly ondemand: number;
  /**
   * The pool's price changes, oldest first, ending at or before now: at least those inside the
   * lookback plus the one in force at its start (older ones are ignored). May be empty (flat).
   */
  readonly times: ArrayLike<number>;
  readonly prices: ArrayLike<number>;
}

/** The step function's points inside [now - lookback, now], the one in force at its start clamped to it. */
function windowOf(w: PoolWindow, now: number): { t: number[]; p: number[] } {
  const start = now - LOOKBACK_SECONDS;
  const t: number[] = [];
  const p: number[] = [];
  for (let i = 0; i < w.times.length; i++) {
    const ti = w.times[i]!;
    if (ti > now) break;
    const next = i + 1 < w.times.length ? w.times[i + 1]! : Number.POSITIVE_INFINITY;
    if (next <= start) continue; // superseded before the window began
    t.push(Math.max(ti, start));
    p.push(w.prices[i]!);
  }
  if (p.length === 0 || p[p.length - 1] !== w.price) {
    t.push(Math.min(now, t[t.length - 1] ?? start));
    p.push(w.price);
  }
  return { t, p };
}

function cv(prices: readonly number[]): number {
  if (prices.length < 2) return 0;
  const mean = prices.reduce((a, b) => a + b, 0) / prices.length;
  if (mean <= 0) return 0;
  const variance = prices.reduce((a, b) => a + (b - mean) ** 2, 0) / prices.length;
  return Math.min(MAX_VOLATILITY, Math.sqrt(variance) / mean);
}

function spikes(p: readonly number[], ondemand: number): number {
  let n = 0;
  let high = false;
  for (const x of p) {
    const h = x >= SPIKE_FRACTION * ondemand;
    if (h && !high) n++;
    high = h;
  }
  return Math.min(MAX_SPIKES, n);
}

/** Seconds (≤ lookback) the candidate has been strictly cheaper than the current pool, ending now. */
function cheaperFor(
  cur: { t: number[]; p: number[] },
  cand: { t: number[]; p: number[] },
  now: number,
): number {
  const start = now - LOOKBACK_SECONDS;
  // Walk the merged change points backwards from now.
  const times = [...new Set([...cur.t, ...cand.t])].sort((a, b) => b - a);
  const at = (s: { t: number[]; p: number[] }, x: number) => {
    let v = Number.NaN;
    for (let i = 0; i < s.t.length && s.t[i]! <= x; i++) v = s.p[i]!;
    return v;
  };
  let since = now;
  for (const x of times) {
    if (x > now) continue;
    const c = at(cand, x);
    const k = at(cur, x);
    if (!(c < k)) break;
    since = x;
  }
  // Cheaper over the whole known window: the lookback caps it.
  return now - Math.max(start, since);
}

/** The feature vector of moving from `current` to `candidate` at `now`, written into `out` at `offset`. */
export function pairFeatures(
  current: PoolWindow,
  candidate: PoolWindow,
  now: number,
  out: Float32Array = new Float32Array(FEATURE_COUNT),
  offset = 0,
): Float32Array {
  const cur = windowOf(current, now);
  const cand = windowOf(candidate, now);
  const lastChange = cand.t[cand.t.length - 1]!;
  const f = [
    Math.log(Math.max(1e-6, candidate.price) / Math.max(1e-6, current.price)),
    candidate.price / candidate.ondemand,
    current.price / current.ondemand,
    cv(cand.p),
    cv(cur.p),
    Math.min(LOOKBACK_SECONDS, Math.max(0, now - lastChange)) / 3600,
    spikes(cand.p, candidate.ondemand),
    cheaperFor(cur, cand, now) / 3600,
  ];
  for (let i = 0; i < FEATURE_COUNT; i++) out[offset + i] = f[i]!;
  return out;
}

/** The logistic scorer a pool-pair model computes: sigmoid(x·w + b). The ONNX graph is this function. */
export function logistic(weights: ArrayLike<number>, bias: number, x: ArrayLike<number>, offset = 0): number {
  let z = bias;
  for (let i = 0; i < weights.length; i++) z += weights[i]! * x[offset + i]!;
  return 1 / (1 + Math.exp(-z));
}
