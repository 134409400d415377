// Trains the shipped pool scorer from the real spot traces and writes it as ONNX + manifest.
//
//   npx tsx packages/decision/scripts/train-pool-scorer.ts [--data DIR] [--out DIR]
//
// Data: ../shared/spotdata/ beside the repository (read in place, never copied): the traces
// with one instance type in several AZs (2016 us-east-1 a/b/c, 2023 c5a.2xlarge in 5 AZs), so
// that a pair of pools is a real choice between two places to run the same workload.
//
// Sample: for every ordered pair (current, candidate) of pools of one type, every hour where
// both are priced below on-demand and the candidate is the cheaper, the features of
// @spot/decision (the same function the replay policy and the server call) and the label
// "moving there paid": over the next HORIZON, the candidate's cost plus the switch (an overlap
// at its price) is below the current pool's cost, where a pool at or above on-demand costs
// on-demand plus an interruption (an overlap and the boot time at on-demand).
//
// Model: logistic regression fitted by Newton's method (IRLS) on standardised features with a
// small L2 penalty, the standardisation folded back into the weights, written as
// Sigmoid(MatMul + Add). Train on the first 70 % of each trace's time span, report on the rest.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import {
  FEATURE_COUNT,
  FEATURE_NAMES,
  FEATURE_VERSION,
  LOOKBACK_SECONDS,
  logistic,
  pairFeatures,
} from '../src/model/features.ts';
import { writeLogisticOnnx } from '../src/model/onnx-writer.ts';
import { readOnDemand, readSpotPrices } from '../src/prices/read.ts';
import { onDemandKey, type PoolSeries } from '../src/prices/types.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const NAME = 'pool-scorer';
const TRACES = ['spot_use1_2016_legacy_3az.csv.gz', 'spot_use1_2023_c5a2xlarge_5az.csv'];
const HORIZON_SECONDS = 6 * 3600;
const STEP_SECONDS = 3600;
const OVERLAP_SECONDS = 300;
const BOOT_SECONDS = 120;
const TRAIN_FRACTION = 0.7;
const L2 = 1e-3;
/**
 * Least score to move. Most cheaper candidates do pay over 6 h (positive rate ≈ 0.8), so 0.5
 * moves nearly always. Chosen by replay of 2016 m4.10xlarge 03-01 → 04-15 (in-sample: inside
 * the training span), regret vs the oracle at 0.5 / 0.7 / 0.85: 3.41 / 2.06 / 2.41 %.
 */
const THRESHOLD = 0.7;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

/** Index of the last time ≤ t, or -1. */
function floorIndex(times: readonly number[], t: number): number {
  let lo = 0;
  let hi = times.length - 1;
  let ans = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (times[mid]! <= t) {
      ans = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return ans;
}

/** Cost (USD) of holding the pool over [t, t+h): price while below on-demand, else on-demand plus one interruption per episode. */
function holdCost(s: PoolSeries, od: number, t: number, h: number): number {
  let i = floorIndex(s.times, t);
  let cost = 0;
  let at = t;
  let high = false;
  while (at < t + h) {
    const next = Math.min(t + h, i + 1 < s.times.length ? s.times[i + 1]! : Number.POSITIVE_INFINITY);
    const price = s.prices[i]!;
    const spiking = price >= od;
    if (spiking && !high) cost += ((OVERLAP_SECONDS + BOOT_SECONDS) * od) / 3600;
    high = spiking;
    cost += ((spiking ? od : price) * (next - at)) / 3600;
    at = next;
    i++;
  }
  return cost;
}

/** The pool's window as the features want it: the points from the one in force at now − lookback up to now. */
function windowAt(s: PoolSeries, od: number, t: number) {
  const end = floorIndex(s.times, t);
  const start = Math.max(0, floorIndex(s.times, t - LOOKBACK_SECONDS));
  return {
    price: s.prices[end]!,
    ondemand: od,
    times: s.times.slice(start, end + 1),
    prices: s.prices.slice(start, end + 1),
  };
}

interface Sample {
  x: Float32Array;
  y: number;
  train: boolean;
}

function samples(series: PoolSeries[], od: number): Sample[] {
  const out: Sample[] = [];
  const first = Math.max(...series.map((s) => s.times[0]!)) + LOOKBACK_SECONDS;
  const last = Math.min(...series.map((s) => s.times[s.times.length - 1]!)) - HORIZON_SECONDS;
  const split = first + TRAIN_FRACTION * (last - first);
  for (let t = Math.ceil(first / STEP_SECONDS) * STEP_SECONDS; t <= last; t += STEP_SECONDS) {
    for (const cur of series) {
      for (const cand of series) {
        if (cur === cand) continue;
        const pc = cur.prices[floorIndex(cur.times, t)]!;
        const pn = cand.prices[floorIndex(cand.times, t)]!;
        if (!(pc < od && pn < od && pn < pc)) continue;
        const x = pairFeatures(windowAt(cur, od, t), windowAt(cand, od, t), t);
        const gain =
          holdCost(cur, od, t, HORIZON_SECONDS) -
          holdCost(cand, od, t, HORIZON_SECONDS) -
          (OVERLAP_SECONDS * pn) / 3600;
        // A train sample's horizon must not reach into the test span.
        if (t < split && t + HORIZON_SECONDS >= split) continue;
        out.push({ x, y: gain > 0 ? 1 : 0, train: t < split });
      }
    }
  }
  return out;
}

/** Solves A x = b (n small) by Gaussian elimination with partial pivoting. */
function solve(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]!]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[p]![c]!)) p = r;
    [m[c], m[p]] = [m[p]!, m[c]!];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r]![c]! / m[c]![c]!;
      for (let k = c; k <= n; k++) m[r]![k]! -= f * m[c]![k]!;
    }
  }
  return m.map((row, i) => row[n]! / row[i]!);
}

/** Logistic regression by IRLS on standardised features; returns raw-feature weights and bias. */
function fit(train: Sample[]): { weights: number[]; bias: number; iterations: number } {
  const f = FEATURE_COUNT;
  const mean = new Array<number>(f).fill(0);
  const sd = new Array<number>(f).fill(0);
  for (const s of train) for (let j = 0; j < f; j++) mean[j]! += s.x[j]! / train.length;
  for (const s of train) for (let j = 0; j < f; j++) sd[j]! += (s.x[j]! - mean[j]!) ** 2 / train.length;
  for (let j = 0; j < f; j++) sd[j] = Math.sqrt(sd[j]!) || 1;
  const z = (s: Sample, j: number) => (j === f ? 1 : (s.x[j]! - mean[j]!) / sd[j]!);
  let beta = new Array<number>(f + 1).fill(0);
  let iterations = 0;
  for (; iterations < 50; iterations++) {
    const h = Array.from({ length: f + 1 }, () => new Array<number>(f + 1).fill(0));
    const g = new Array<number>(f + 1).fill(0);
    for (const s of train) {
      let eta = 0;
      for (let j = 0; j <= f; j++) eta += beta[j]! * z(s, j);
      const p = 1 / (1 + Math.exp(-eta));
      const w = Math.max(1e-9, p * (1 - p));
      for (let j = 0; j <= f; j++) {
        const zj = z(s, j);
        g[j]! += (s.y - p) * zj;
        for (let k = 0; k <= f; k++) h[j]![k]! += w * zj * z(s, k);
      }
    }
    // L2 on the weights (not the intercept), scaled to the sample count.
    for (let j = 0; j < f; j++) {
      g[j]! -= L2 * train.length * beta[j]!;
      h[j]![j]! += L2 * train.length;
    }
    const step = solve(h, g);
    beta = beta.map((b, j) => b + step[j]!);
    if (Math.max(...step.map(Math.abs)) < 1e-8) break;
  }
  const weights = beta.slice(0, f).map((b, j) => b / sd[j]!);
  const bias = beta[f]! - beta.slice(0, f).reduce((a, b, j) => a + (b * mean[j]!) / sd[j]!, 0);
  return { weights, bias, iterations: iterations + 1 };
}

function metrics(set: Sample[], weights: number[], bias: number) {
  const scored = set.map((s) => ({ p: logistic(weights, bias, s.x), y: s.y }));
  const n = scored.length;
  const logloss = -scored.reduce((a, s) => a + Math.log(Math.max(1e-12, s.y ? s.p : 1 - s.p)), 0) / n;
  const accuracy = scored.filter((s) => (s.p >= THRESHOLD ? 1 : 0) === s.y).length / n;
  const positives = scored.filter((s) => s.y === 1).length;
  // AUC by ranks (ties averaged).
  const sorted = [...scored].sort((a, b) => a.p - b.p);
  let rankSum = 0;
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1]!.p === sorted[i]!.p) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) if (sorted[k]!.y === 1) rankSum += rank;
    i = j + 1;
  }
  const negatives = n - positives;
  const auc =
    positives && negatives ? (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives) : null;
  const r = (x: number | null) => (x === null ? null : Math.round(x * 1e4) / 1e4);
  return {
    samples: n,
    positive_rate: r(positives / n),
    logloss: r(logloss),
    accuracy: r(accuracy),
    auc: r(auc),
  };
}

async function main() {
  const dataDir = resolve(arg('data', join(ROOT, '..', 'shared', 'spotdata')));
  const outDir = resolve(arg('out', join(ROOT, 'packages', 'decision', 'models')));
  const onDemand = await readOnDemand(join(dataDir, 'ondemand.csv'));
  const all: Sample[] = [];
  const used: Record<string, string> = {};
  for (const file of TRACES) {
    const path = join(dataDir, file);
    used[file] = createHash('sha256').update(readFileSync(path)).digest('hex');
    const pools = await readSpotPrices([path]);
    const groups = new Map<string, PoolSeries[]>();
    for (const s of pools.values()) {
      const key = onDemandKey(s.region, s.instanceType);
      groups.set(key, [...(groups.get(key) ?? []), s]);
    }
    for (const [key, series] of groups) {
      const od = onDemand.get(key);
      if (od === undefined || series.length < 2) continue;
      all.push(...samples(series, od));
    }
  }
  const train = all.filter((s) => s.train);
  const test = all.filter((s) => !s.train);
  const { weights, bias, iterations } = fit(train);
  const onnx = writeLogisticOnnx({
    weights,
    bias,
    docString: `${NAME}: P(moving from the current pool to the candidate pays over ${HORIZON_SECONDS / 3600} h), features ${FEATURE_VERSION}`,
  });
  const sha256 = createHash('sha256').update(onnx).digest('hex');
  const manifest = {
    name: NAME,
    contract: {
      features: { version: FEATURE_VERSION, names: [...FEATURE_NAMES] },
      input: { name: 'features', type: 'float32', shape: ['N', FEATURE_COUNT] },
      output: { name: 'score', type: 'float32', shape: ['N', 1], range: [0, 1] },
      threshold: THRESHOLD,
    },
    onnx_file: `${NAME}.onnx`,
    sha256,
    training: {
      script: relative(ROOT, import.meta.filename),
      data: used,
      trained_at: new Date().toISOString().slice(0, 10),
      label: `1 when, over the next ${HORIZON_SECONDS / 3600} h, the candidate's cost plus an overlap of ${OVERLAP_SECONDS} s at its price is below the current pool's (a pool at or above on-demand costs on-demand plus an interruption: ${OVERLAP_SECONDS} s overlap + ${BOOT_SECONDS} s boot at on-demand)`,
      sampling: `every ${STEP_SECONDS / 3600} h, every ordered pair of pools of one type and region, both below on-demand, candidate cheaper`,
      split: `first ${TRAIN_FRACTION * 100}% of each trace's span for training, the rest for test`,
      model: `logistic regression, IRLS, L2 ${L2}, ${iterations} iterations`,
      weights: weights.map((w) => Math.round(w * 1e6) / 1e6),
      bias: Math.round(bias * 1e6) / 1e6,
      train: metrics(train, weights, bias),
      test: metrics(test, weights, bias),
    },
  };
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, `${NAME}.onnx`), onnx);
  writeFileSync(join(outDir, `${NAME}.json`), `${JSON.stringify(manifest, null, 2)}\n`);
  console.log(JSON.stringify({ out: relative(process.cwd(), outDir), ...manifest.training }, null, 2));
}

await main();
