import { z } from 'zod';
import { Id, Timestamp } from './common.ts';

/**
 * The model registry (issue 10): ONNX models an admin uploads with their declared contract,
 * validated on fixtures before they can be activated, one active per client or globally.
 */

/** Largest model accepted (bytes); base64 makes the request body about 4/3 of it. */
export const MODEL_MAX_BYTES = 512 * 1024;

const TensorName = z.string().min(1).max(100);
/** A dimension: a size, or a symbolic name (the batch, e.g. "N"). */
const Dim = z.union([z.number().int().positive().max(1_000_000), z.string().min(1).max(40)]);

export const ModelTensorSpec = z.object({
  name: TensorName,
  type: z.literal('float32'),
  shape: z.array(Dim).min(1).max(4),
});
export type ModelTensorSpec = z.infer<typeof ModelTensorSpec>;

/** What a model declares it takes and gives; the registry checks it against the real graph. */
export const ModelContract = z
  .object({
    /** The feature set the model was trained on (@spot/decision's FEATURE_VERSION and FEATURE_NAMES). */
    features: z.object({
      version: z.string().min(1).max(40),
      names: z.array(z.string().min(1).max(60)).min(1).max(64),
    }),
    /** [batch, feature count]. */
    input: ModelTensorSpec,
    /** [batch, 1]: one score per candidate pool. */
    output: ModelTensorSpec.extend({
      /** Every score must lie in this closed range. */
      range: z.tuple([z.number(), z.number()]),
    }),
    /** Least score for a move. */
    threshold: z.number().gt(0).lt(1),
  })
  .superRefine((c, ctx) => {
    if (c.input.shape.length !== 2 || c.input.shape[1] !== c.features.names.length)
      ctx.addIssue({
        code: 'custom',
        path: ['input', 'shape'],
        message: `must be [batch, ${c.features.names.length}] (one column per feature)`,
      });
    if (c.output.shape.length !== 2 || c.output.shape[1] !== 1)
      ctx.addIssue({ code: 'custom', path: ['output', 'shape'], message: 'must be [batch, 1]' });
    if (!(c.output.range[0] < c.output.range[1]))
      ctx.addIssue({
        code: 'custom',
        path: ['output', 'range'],
        message: 'must be [low, high] with low < high',
      });
  });
export type ModelContract = z.infer<typeof ModelContract>;

/** The JSON shipped beside a trained .onnx: its contract and how it was made. */
export const ModelManifest = z.object({
  name: z.string(),
  contract: ModelContract,
  onnx_file: z.string(),
  sha256: z.string(),
  training: z.record(z.string(), z.unknown()),
});
export type ModelManifest = z.infer<typeof ModelManifest>;

export const ModelName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_.-]{0,62}$/, 'lowercase letters, digits, "_", "." and "-", at most 63');

const base64 = z
  .string()
  .min(1)
  .max(Math.ceil(MODEL_MAX_BYTES / 3) * 4, `the model is larger than ${MODEL_MAX_BYTES} bytes`)
  .refine((s) => s.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(s), 'not valid base64');

export const UploadModelRequest = z.object({
  name: ModelName,
  description: z.string().max(500).optional(),
  contract: ModelContract,
  /** The .onnx file, base64. */
  onnx_base64: base64,
});
export type UploadModelRequest = z.infer<typeof UploadModelRequest>;

export const ModelStatus = z.enum(['uploaded', 'validated', 'rejected', 'active', 'retired']);
export type ModelStatus = z.infer<typeof ModelStatus>;

/** Where a model is active: every client without its own model, or one client. */
export const ModelScope = z.union([z.literal('global'), Id]);
export type ModelScope = z.infer<typeof ModelScope>;

export const ModelValidationReport = z.object({
  ok: z.boolean(),
  checks: z.array(z.object({ name: z.string(), ok: z.boolean(), detail: z.string() })),
  validated_at: Timestamp,
});
export type ModelValidationReport = z.infer<typeof ModelValidationReport>;

export const ModelView = z.object({
  model_id: Id,
  name: z.string(),
  version: z.number().int().positive(),
  description: z.string().nullable(),
  status: ModelStatus,
  /** Set while active. */
  scope: ModelScope.nullable(),
  contract: ModelContract,
  size_bytes: z.number().int().nonnegative(),
  sha256: z.string(),
  validation: ModelValidationReport.nullable(),
  created_at: Timestamp,
  updated_at: Timestamp,
});
export type ModelView = z.infer<typeof ModelView>;

/** How a model has served, from the decisions table. */
export const ModelStats = z.object({
  /** Decisions the model answered. */
  decisions: z.number().int().nonnegative(),
  /** Decisions where it was asked but the rules answered (error, timeout, broken contract). */
  fallbacks: z.number().int().nonnegative(),
  latency_ms_p50: z.number().nullable(),
  latency_ms_p99: z.number().nullable(),
});
export type ModelStats = z.infer<typeof ModelStats>;

export const ModelDetail = ModelView.extend({ stats: ModelStats });
export type ModelDetail = z.infer<typeof ModelDetail>;

export const ModelList = z.object({ models: z.array(ModelView) });
export type ModelList = z.infer<typeof ModelList>;

export const ModelIdParams = z.object({ modelId: Id });

export const ActivateModelRequest = z.object({ scope: ModelScope });
export type ActivateModelRequest = z.infer<typeof ActivateModelRequest>;
