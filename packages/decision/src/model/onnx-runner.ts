// Runs an ONNX scorer with onnxruntime-node (CPU). The only file of @spot/decision that loads
// native code, exported on its own path (`@spot/decision/onnx`) so the pure package stays pure.
import * as ort from 'onnxruntime-node';
import type { Scorer } from './model-policy.ts';

export interface TensorInfo {
  readonly name: string;
  /** onnxruntime's element type name (`float32`, `int64`, …); null for a non-tensor value. */
  readonly type: string | null;
  /** Dimensions: a number, or a string for a symbolic one (the batch). */
  readonly shape: ReadonlyArray<number | string>;
}

export interface OnnxScorer extends Scorer {
  readonly inputs: readonly TensorInfo[];
  readonly outputs: readonly TensorInfo[];
  release(): Promise<void>;
}

const info = (m: ort.InferenceSession.ValueMetadata): TensorInfo =>
  m.isTensor ? { name: m.name, type: m.type, shape: [...m.shape] } : { name: m.name, type: null, shape: [] };

/**
 * Loads a model from its bytes. Throws on bytes that are not a loadable ONNX model. `io`
 * names the input and output to use; they default to the graph's first ones.
 */
export async function loadOnnxScorer(
  bytes: Uint8Array,
  io: { input?: string; output?: string; featureCount?: number } = {},
): Promise<OnnxScorer> {
  const session = await ort.InferenceSession.create(bytes, {
    executionProviders: ['cpu'],
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
  });
  const inputs = session.inputMetadata.map(info);
  const outputs = session.outputMetadata.map(info);
  const input = io.input ?? session.inputNames[0]!;
  const output = io.output ?? session.outputNames[0]!;
  return {
    inputs,
    outputs,
    async score(rows, n) {
      const f = io.featureCount ?? (n > 0 ? rows.length / n : 0);
      const result = await session.run({ [input]: new ort.Tensor('float32', rows, [n, f]) }, [output]);
      const t = result[output];
      if (!t) throw new Error(`the model gave no output "${output}"`);
      const data = t.data;
      if (!(data instanceof Float32Array)) throw new Error(`output "${output}" is ${t.type}, not float32`);
      if (data.length !== n) throw new Error(`output "${output}" has ${data.length} values for ${n} rows`);
      return data;
    },
    release: () => session.release(),
  };
}
