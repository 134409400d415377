// `@spot/decision/onnx`: what needs onnxruntime (native) or the ONNX schema, kept off the pure index.
export * from './model-file.ts';
export * from './onnx-runner.ts';
export * from './onnx-writer.ts';
