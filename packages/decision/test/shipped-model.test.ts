// The model shipped in models/ (made by scripts/train-pool-scorer.ts from the spot traces): its
// manifest is a valid contract for today's features, its bytes are the ones it names, and the
// graph computes the logistic function of the weights it records.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ModelManifest } from '@spot/contract';
import { describe, expect, it } from 'vitest';
import { FEATURE_COUNT, FEATURE_NAMES, FEATURE_VERSION, logistic } from '../src/model/features.ts';
import { readModelFile } from '../src/model/model-file.ts';

const DIR = join(import.meta.dirname, '..', 'models');

describe('the shipped pool scorer', () => {
  const manifest = ModelManifest.parse(JSON.parse(readFileSync(join(DIR, 'pool-scorer.json'), 'utf8')));
  const bytes = readFileSync(join(DIR, manifest.onnx_file));

  it('declares the features replay and the server compute, and its own sha256', () => {
    expect(manifest.contract.features).toEqual({ version: FEATURE_VERSION, names: [...FEATURE_NAMES] });
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(manifest.sha256);
    expect(bytes.length).toBeLessThan(4096);
  });

  it('scores like the TS logistic function of its recorded weights', async () => {
    const training = manifest.training as { weights: number[]; bias: number };
    const model = await readModelFile(join(DIR, manifest.onnx_file));
    try {
      expect(model.threshold).toBe(manifest.contract.threshold);
      const rows = Float32Array.from([
        -0.3, 0.2, 0.3, 0.05, 0.02, 1, 0, 2, -0.01, 0.5, 0.5, 0.4, 0.4, 0, 3, 0,
      ]);
      const scores = await model.scorer.score(rows, 2);
      for (let r = 0; r < 2; r++) {
        expect(scores[r]!).toBeGreaterThanOrEqual(0);
        expect(scores[r]!).toBeLessThanOrEqual(1);
        // Weights are recorded rounded to 1e-6.
        expect(scores[r]!).toBeCloseTo(logistic(training.weights, training.bias, rows, r * FEATURE_COUNT), 4);
      }
    } finally {
      await model.scorer.release();
    }
  });
});
