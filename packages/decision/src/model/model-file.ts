// Reads a model for replay: FILE.onnx and, when present, its manifest FILE.json beside it (the
// declared contract: input/output names, feature version, threshold).
import { readFile } from 'node:fs/promises';
import { ModelManifest } from '@spot/contract';
import { FEATURE_COUNT, FEATURE_VERSION } from './features.ts';
import { loadOnnxScorer, type OnnxScorer } from './onnx-runner.ts';

export class ModelFileError extends Error {
  override name = 'ModelFileError';
}

export interface ModelFile {
  readonly scorer: OnnxScorer;
  readonly manifest: ModelManifest | null;
  readonly threshold: number;
}

export async function readModelFile(file: string): Promise<ModelFile> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (err) {
    throw new ModelFileError(`${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const manifestFile = `${file.replace(/\.onnx$/i, '')}.json`;
  let manifest: ModelManifest | null = null;
  const text = await readFile(manifestFile, 'utf8').catch(() => null);
  if (text !== null) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new ModelFileError(`${manifestFile}: not JSON`);
    }
    const parsed = ModelManifest.safeParse(json);
    if (!parsed.success) throw new ModelFileError(`${manifestFile}: ${parsed.error.issues[0]?.message}`);
    manifest = parsed.data;
    if (manifest.contract.features.version !== FEATURE_VERSION)
      throw new ModelFileError(
        `${manifestFile}: features ${manifest.contract.features.version}, replay computes ${FEATURE_VERSION}`,
      );
  }
  let scorer: OnnxScorer;
  try {
    scorer = await loadOnnxScorer(bytes, {
      ...(manifest ? { input: manifest.contract.input.name, output: manifest.contract.output.name } : {}),
      featureCount: FEATURE_COUNT,
    });
  } catch (err) {
    throw new ModelFileError(`${file}: not a loadable ONNX model (${(err as Error).message.split('\n')[0]})`);
  }
  return { scorer, manifest, threshold: manifest?.contract.threshold ?? 0.5 };
}
