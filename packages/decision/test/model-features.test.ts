// The model's features (shared by training, replay and the server) and the ONNX writer: the graph
// written from TypeScript computes exactly the TS logistic function when onnxruntime runs it.
import { describe, expect, it } from 'vitest';
import {
  FEATURE_COUNT,
  FEATURE_NAMES,
  logistic,
  type PoolWindow,
  pairFeatures,
} from '../src/model/features.ts';
import { loadOnnxScorer, writeLogisticOnnx } from '../src/model/onnx.ts';

const H = 3600;
const NOW = 100 * H;

describe('pairFeatures', () => {
  it('computes each feature from the two pools over the lookback', () => {
    // Current: 0.10 for 10 h (flat). Candidate: 0.09, a spike to 0.6 × on-demand 3 h ago, back to 0.05 2 h ago.
    const current: PoolWindow = { price: 0.1, ondemand: 0.2, times: [NOW - 10 * H], prices: [0.1] };
    const candidate: PoolWindow = {
      price: 0.05,
      ondemand: 0.2,
      times: [NOW - 10 * H, NOW - 3 * H, NOW - 2 * H],
      prices: [0.09, 0.12, 0.05],
    };
    const f = pairFeatures(current, candidate, NOW);
    expect(f).toHaveLength(FEATURE_COUNT);
    const byName = Object.fromEntries(FEATURE_NAMES.map((n, i) => [n, f[i]!]));
    expect(byName.log_price_ratio).toBeCloseTo(Math.log(0.5), 6);
    expect(byName.candidate_price_to_ondemand).toBeCloseTo(0.25, 6);
    expect(byName.current_price_to_ondemand).toBeCloseTo(0.5, 6);
    // Points in the 6 h window: 0.09 (clamped to its start), 0.12, 0.05.
    const mean = (0.09 + 0.12 + 0.05) / 3;
    const sd = Math.sqrt(((0.09 - mean) ** 2 + (0.12 - mean) ** 2 + (0.05 - mean) ** 2) / 3);
    expect(byName.candidate_volatility).toBeCloseTo(sd / mean, 5);
    expect(byName.current_volatility).toBe(0);
    expect(byName.candidate_hours_since_change).toBeCloseTo(2, 6);
    expect(byName.candidate_spikes).toBe(1); // 0.12 ≥ 0.5 × 0.2
    // Cheaper than 0.10 since 2 h ago (at 0.12 it was dearer).
    expect(byName.cheaper_for_hours).toBeCloseTo(2, 6);
  });

  it('caps durations at the lookback and ignores points after now', () => {
    const flat = (price: number): PoolWindow => ({
      price,
      ondemand: 1,
      times: [0, NOW + H],
      prices: [price, 9],
    });
    const f = pairFeatures(flat(0.5), flat(0.4), NOW);
    expect(f[5]).toBeCloseTo(6, 6); // hours since change, capped
    expect(f[7]).toBeCloseTo(6, 6); // cheaper for the whole lookback
    expect(f[6]).toBe(0); // 0.4 < 0.5 × 1: no spike (the 9 after now is unseen)
  });

  it('treats an empty history as a flat price', () => {
    const f = pairFeatures(
      { price: 0.3, ondemand: 0.6, times: [], prices: [] },
      { price: 0.2, ondemand: 0.6, times: [], prices: [] },
      NOW,
    );
    expect([...f].every(Number.isFinite)).toBe(true);
    expect(f[3]).toBe(0); // no volatility
    expect(f[5]).toBeCloseTo(6, 6); // unchanged for the whole lookback
    expect(f[7]).toBeCloseTo(6, 6);
  });
});

describe('the ONNX writer', () => {
  it('round-trips: onnxruntime gives the TS logistic function on the same rows', async () => {
    const weights = [-6, 1.9, 0.5, -0.27, 0.1, -0.005, -0.17, 0.32];
    const bias = -0.99;
    const scorer = await loadOnnxScorer(writeLogisticOnnx({ weights, bias }));
    try {
      expect(scorer.inputs).toEqual([{ name: 'features', type: 'float32', shape: ['N', FEATURE_COUNT] }]);
      expect(scorer.outputs).toEqual([{ name: 'score', type: 'float32', shape: ['N', 1] }]);
      const n = 20;
      const rows = new Float32Array(n * FEATURE_COUNT);
      for (let i = 0; i < rows.length; i++) rows[i] = Math.sin(i * 1.7) * (i % 3);
      const scores = await scorer.score(rows, n);
      for (let r = 0; r < n; r++)
        expect(scores[r]!).toBeCloseTo(
          logistic(Float32Array.from(weights), Math.fround(bias), rows, r * FEATURE_COUNT),
          6,
        );
    } finally {
      await scorer.release();
    }
  });

  it('writes raw logits without the sigmoid when asked (a model that breaks its range)', async () => {
    const scorer = await loadOnnxScorer(writeLogisticOnnx({ weights: [10], bias: 5, sigmoid: false }));
    try {
      expect([...(await scorer.score(new Float32Array([1]), 1))]).toEqual([15]);
    } finally {
      await scorer.release();
    }
  });

  it('refuses bytes that are not a model', async () => {
    await expect(loadOnnxScorer(new Uint8Array([1, 2, 3, 4]))).rejects.toThrow();
  });
});
