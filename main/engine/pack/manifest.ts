// The model pack manifest (manifest.json in a pack folder). Everything the engine knows about a model comes from
// here: no checkpoint property is a constant in the engine. native-models/manifest.schema.json is generated
// from this schema (npm run gen:schema) so exporters outside this codebase can validate against it.
import { z } from 'zod';

export const DtypeSchema = z.enum(['float32', 'float16', 'int64', 'int32']);
export type Dtype = z.infer<typeof DtypeSchema>;

/** A dimension is a fixed size or a symbolic name (e.g. "F", "h"). */
export const DimSchema = z.union([z.number().int().nonnegative(), z.string().min(1)]);

export const TensorSpecSchema = z.object({
  name: z.string().min(1),
  dtype: DtypeSchema,
  shape: z.array(DimSchema),
  /** Human-readable layout, e.g. "NCHW" or "BCFHW". */
  layout: z.string().optional(),
});
export type TensorSpec = z.infer<typeof TensorSpecSchema>;

export const GraphSpecSchema = z.object({
  /** Pack-relative path of the .onnx file (its external-data files are listed in `files`). */
  file: z.string().min(1),
  inputs: z.array(TensorSpecSchema).min(1),
  outputs: z.array(TensorSpecSchema).min(1),
});
export type GraphSpec = z.infer<typeof GraphSpecSchema>;

export const PackFileSchema = z.object({
  path: z.string().min(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'sha256 must be 64 lowercase hex digits'),
  size: z.number().int().nonnegative(),
  role: z.enum(['graph', 'external-data', 'tokenizer', 'other']),
});

export const ScheduleSchema = z.object({
  /** logSNR(tau) = -2 ln tan(t0 + tau (t1 - t0)) - 2 ln(shiftStart^(1-tau) * shiftEnd^tau), tau = i / (trainTimesteps - 1). */
  type: z.literal('logsnr_cosine_interp'),
  trainTimesteps: z.number().int().positive(),
  logsnrMin: z.number(),
  logsnrMax: z.number(),
  shiftStart: z.number().positive(),
  shiftEnd: z.number().positive(),
  prediction: z.enum(['v', 'eps', 'x0']),
});
export type ScheduleSpec = z.infer<typeof ScheduleSchema>;

export const SamplerPresetSchema = z.union([
  /** Explicit timesteps, from noisy to clean (e.g. VEnhancer "fast"). */
  z.object({ timesteps: z.array(z.number().nonnegative()).min(1) }),
  /** `steps` trailing timesteps from `startTimestep` down to 0. */
  z.object({ steps: z.number().int().positive() }),
]);
export type SamplerPreset = z.infer<typeof SamplerPresetSchema>;

export const SamplerSchema = z.object({
  solver: z.enum(['dpmpp_2m_sde', 'ddim']),
  /** SDEdit-style start: all latents are noised to this timestep, not to pure noise. */
  startTimestep: z.number().nonnegative(),
  eta: z.number().min(0).default(1),
  presets: z.object({ fast: SamplerPresetSchema, normal: SamplerPresetSchema }),
  /** 1 for one-step distilled packs. */
  minEvaluations: z.number().int().positive(),
  cfg: z.object({ default: z.number().min(1), rescale: z.number().min(0).max(1) }),
});
export type SamplerSpec = z.infer<typeof SamplerSchema>;

/**
 * One axis of the padding rule (reference: VEnhancer `pad_to_fit`, VENHANCER-REFERENCE.md 4.6), as data so that test
 * packs can use small sizes. For a resized side of `size` pixels:
 *   size < min:  padded to `min`, centred (floor((min - size) / 2) before, the rest after);
 *   size == min: unchanged;
 *   size > min:  padded to floor((size + addend) / multiple) * multiple + offset, all of it after (bottom / right).
 * The reference: height {min 720, addend 48, multiple 64, offset 16}, width {min 1280, addend 0, multiple 64,
 * offset 64}. "Smallest size >= s with size = b (mod m)" is {min 0, addend m - 1 - b, multiple m, offset b}.
 */
export const PadAxisRuleSchema = z.object({
  min: z.number().int().nonnegative(),
  addend: z.number().int().nonnegative(),
  multiple: z.number().int().positive(),
  offset: z.number().int().nonnegative(),
});
export type PadAxisRule = z.infer<typeof PadAxisRuleSchema>;

export const ResolutionPolicySchema = z.object({
  /** Output area (px) is clamped to [areaMin, areaMax]; sides scale by sqrt(area / (h w)), floored to even. */
  areaMin: z.number().int().positive(),
  areaMax: z.number().int().positive(),
  /** Padding applied to the resized frames before encoding, cropped after decoding. */
  pad: z.object({
    /** Pad value in the model's [-1, 1] image range (the reference pads with 1 = white). */
    value: z.number().min(-1).max(1),
    height: PadAxisRuleSchema,
    width: PadAxisRuleSchema,
  }),
});
export type ResolutionPolicy = z.infer<typeof ResolutionPolicySchema>;

export const TemporalChunkRuleSchema = z.object({
  /** Chunking applies when the frame count F exceeds this. */
  maxFrames: z.number().int().positive(),
  /** L = (lengthBase // (k+1)) (k+1) + 1; O = (overlapBase // (k+1)) (k+1) + 1. */
  lengthBase: z.number().int().positive(),
  overlapBase: z.number().int().positive(),
  /** The last chunk is stretched to the end when start + round(stretch * L) >= F. */
  stretch: z.number().min(1),
});
export type TemporalChunkRule = z.infer<typeof TemporalChunkRuleSchema>;

export const DecodeRuleSchema = z.object({
  temporalChunk: z.number().int().positive(),
  temporalOverlap: z.number().int().nonnegative(),
  /** Spatial tile size and overlap, in latent pixels. */
  tileH: z.number().int().positive(),
  tileW: z.number().int().positive(),
  overlapH: z.number().int().nonnegative(),
  overlapW: z.number().int().nonnegative(),
  /** Gaussian blend weight exp(-(x - m)^2 / (2 var W^2)) per axis. */
  gaussianVar: z.number().positive(),
});
export type DecodeRule = z.infer<typeof DecodeRuleSchema>;

export const TextSchema = z.object({
  /** Pack-relative tokenizer.json (Hugging Face tokenizers format). */
  tokenizer: z.string().min(1),
  maxTokens: z.number().int().positive(),
  hiddenSize: z.number().int().positive(),
  padTokenId: z.number().int().nonnegative(),
  positiveSuffix: z.string(),
  negativePrompt: z.string(),
});

export const PackManifestSchema = z.object({
  /** 2: the reference-exact denoiser inputs (key-frame hint + gather mask, int64 t / t_hint / s_cond) and VAE
   *  moments (CONTRACT-V2.md). Version 1 packs must be re-exported. */
  schemaVersion: z.literal(2),
  name: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'name: lowercase letters, digits, ".", "_" and "-"'),
  version: z.string().min(1),
  license: z.string().min(1),
  family: z.enum(['venhancer', 'analytic-test', 'tiny-test']),
  /** Test packs prove the engine; the UI and CLI never present them as enhancement. */
  testPack: z.boolean(),
  description: z.string(),
  files: z.array(PackFileSchema).min(1),
  graphs: z.object({
    text_encoder: GraphSpecSchema.optional(),
    vae_encoder: GraphSpecSchema,
    vae_decoder: GraphSpecSchema,
    denoiser: GraphSpecSchema,
  }),
  /** vae_encoder outputs the posterior moments [N, 2 channels, H / downscale, W / downscale] (mean, then the
   *  clamped log-variance); the host samples z = (mean + exp(logvar / 2) eps) scalingFactor with seeded eps, and
   *  feeds vae_decoder z / scalingFactor (CONTRACT-V2.md). */
  latent: z.object({
    channels: z.number().int().positive(),
    downscale: z.number().int().positive(),
    scalingFactor: z.number().positive(),
  }),
  schedule: ScheduleSchema,
  sampler: SamplerSchema,
  resolution: ResolutionPolicySchema,
  temporalChunk: TemporalChunkRuleSchema,
  decode: DecodeRuleSchema,
  text: TextSchema.nullable(),
  defaults: z.object({
    scale: z.number().min(1).max(8),
    targetFps: z.number().positive().nullable(),
    noise: z.number().int().min(0).max(300),
    sCond: z.number(),
    steps: z.union([z.enum(['fast', 'normal']), z.number().int().positive()]),
    cfg: z.number().min(1),
  }),
  supports: z.object({
    scale: z.tuple([z.number().min(1), z.number().max(8)]),
    maxInsertedFrames: z.number().int().min(0).max(7),
    prompt: z.boolean(),
    cfg: z.boolean(),
    noise: z.boolean(),
  }),
});
export type PackManifest = z.infer<typeof PackManifestSchema>;
