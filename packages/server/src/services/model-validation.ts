import type { ModelContract, ModelTensorSpec, ModelValidationReport } from '@spot/contract';
import { FEATURE_COUNT, FEATURE_NAMES, FEATURE_VERSION, type PoolWindow, pairFeatures } from '@spot/decision';
import type { OnnxScorer, TensorInfo } from '@spot/decision/onnx';

/**
 * A model's validation against its declared contract, before it may be activated: the
 * features it declares are the ones the server computes, its real graph's input and output
 * have the declared names, types and shapes, and on fixture inputs (realistic feature rows
 * from the shared extractor, one at a time and in a batch) it answers one finite score per
 * row inside the declared range.
 */
type Check = ModelValidationReport['checks'][number];

function dimsMatch(declared: ModelTensorSpec['shape'], actual: readonly (number | string)[]): boolean {
  return (
    declared.length === actual.length &&
    declared.every((d, i) => {
      const a = actual[i]!;
      // A symbolic dimension (the batch) matches any symbolic one; sizes must be equal.
      return typeof d === 'number' ? a === d : typeof a === 'string' || a === -1;
    })
  );
}

function tensorCheck(
  side: 'input' | 'output',
  declared: ModelTensorSpec,
  actual: readonly TensorInfo[],
): Check {
  const found = actual.find((t) => t.name === declared.name);
  const names = actual.map((t) => t.name).join(', ') || 'none';
  if (actual.length !== 1 || !found)
    return {
      name: `${side} tensor`,
      ok: false,
      detail: `declared one ${side} "${declared.name}", the graph has ${actual.length} (${names})`,
    };
  const ok = found.type === declared.type && dimsMatch(declared.shape, found.shape);
  return {
    name: `${side} tensor`,
    ok,
    detail: `declared ${declared.name} ${declared.type} [${declared.shape.join(', ')}], graph ${found.name} ${found.type} [${found.shape.join(', ')}]`,
  };
}

const H = 3600;
const pool = (price: number, ondemand: number, steps: [number, number][]): PoolWindow => ({
  price,
  ondemand,
  times: steps.map(([t]) => t * H),
  prices: steps.map(([, p]) => p),
});

/** Feature rows of typical and edge situations (flat, volatile, spiking, just changed, long cheaper). */
export function fixtureRows(): Float32Array {
  const pairs: [PoolWindow, PoolWindow][] = [
    [pool(0.1, 0.2, [[-10, 0.1]]), pool(0.05, 0.2, [[-10, 0.05]])],
    [pool(0.1, 0.2, [[-10, 0.1]]), pool(0.09, 0.2, [[-1, 0.09]])],
    [
      pool(0.3, 0.4, [
        [-5, 0.1],
        [-2, 0.3],
      ]),
      pool(0.12, 0.4, [
        [-6, 0.5],
        [-4, 0.11],
        [-3, 0.45],
        [-0.1, 0.12],
      ]),
    ],
    [pool(2, 2.5, []), pool(0.01, 2.5, [])],
    [pool(0.5, 0.6, [[-0.01, 0.5]]), pool(0.499, 0.6, [[-0.01, 0.499]])],
  ];
  const rows = new Float32Array(pairs.length * FEATURE_COUNT);
  pairs.forEach(([cur, cand], i) => {
    pairFeatures(cur, cand, 0, rows, i * FEATURE_COUNT);
  });
  return rows;
}

export async function validateModel(
  contract: ModelContract,
  scorer: OnnxScorer,
  now: Date,
): Promise<ModelValidationReport> {
  const checks: Check[] = [];
  const featuresOk =
    contract.features.version === FEATURE_VERSION &&
    contract.features.names.length === FEATURE_NAMES.length &&
    contract.features.names.every((n, i) => n === FEATURE_NAMES[i]);
  checks.push({
    name: 'features',
    ok: featuresOk,
    detail: featuresOk
      ? `${FEATURE_VERSION}: ${FEATURE_NAMES.join(', ')}`
      : `declared ${contract.features.version} [${contract.features.names.join(', ')}]; the server computes ${FEATURE_VERSION} [${FEATURE_NAMES.join(', ')}]`,
  });
  const input = tensorCheck('input', contract.input, scorer.inputs);
  const output = tensorCheck('output', contract.output, scorer.outputs);
  checks.push(input, output);
  if (featuresOk && input.ok && output.ok) {
    const rows = fixtureRows();
    const n = rows.length / FEATURE_COUNT;
    const [lo, hi] = contract.output.range;
    for (const [label, batch, count] of [
      ['one row', rows.subarray(0, FEATURE_COUNT), 1],
      [`${n} rows`, rows, n],
    ] as const) {
      try {
        const scores = await scorer.score(batch, count);
        const bad = [...scores].filter((s) => !(Number.isFinite(s) && s >= lo && s <= hi));
        checks.push({
          name: `fixtures: ${label}`,
          ok: scores.length === count && bad.length === 0,
          detail:
            bad.length > 0
              ? `scores outside [${lo}, ${hi}]: ${bad.slice(0, 3).join(', ')}`
              : `${scores.length} scores in [${lo}, ${hi}]: ${[...scores].map((s) => s.toFixed(4)).join(', ')}`,
        });
      } catch (err) {
        checks.push({
          name: `fixtures: ${label}`,
          ok: false,
          detail: `threw: ${(err as Error).message}`.slice(0, 300),
        });
      }
    }
  }
  return { ok: checks.every((c) => c.ok), checks, validated_at: now.toISOString() };
}
