// Writes a logistic scorer as an ONNX graph: score = Sigmoid(MatMul(features, W) + B), input
// [N, F] float32, output [N, 1] float32. Pure (returns bytes); onnx-proto carries the schema.
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

export interface LogisticGraph {
  readonly weights: readonly number[];
  readonly bias: number;
  readonly inputName?: string;
  readonly outputName?: string;
  /** false leaves the Sigmoid out (raw logits): tests use it to make a model whose output breaks its range. */
  readonly sigmoid?: boolean;
  readonly docString?: string;
}

const FLOAT = onnx.TensorProto.DataType.FLOAT;

function tensorType(dims: Array<number | string>) {
  return {
    tensorType: {
      elemType: FLOAT,
      shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
    },
  };
}

export function writeLogisticOnnx(g: LogisticGraph): Uint8Array {
  const input = g.inputName ?? 'features';
  const output = g.outputName ?? 'score';
  const f = g.weights.length;
  const sigmoid = g.sigmoid !== false;
  const nodes = [
    { opType: 'MatMul', input: [input, 'W'], output: ['xw'], name: 'matmul' },
    { opType: 'Add', input: ['xw', 'B'], output: [sigmoid ? 'logit' : output], name: 'add' },
    ...(sigmoid ? [{ opType: 'Sigmoid', input: ['logit'], output: [output], name: 'sigmoid' }] : []),
  ];
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'spot-optimizer',
    producerVersion: '1',
    docString: g.docString ?? '',
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'pool_scorer',
      node: nodes,
      initializer: [
        { name: 'W', dataType: FLOAT, dims: [f, 1], floatData: [...g.weights] },
        { name: 'B', dataType: FLOAT, dims: [1], floatData: [g.bias] },
      ],
      input: [{ name: input, type: tensorType(['N', f]) }],
      output: [{ name: output, type: tensorType(['N', 1]) }],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}
