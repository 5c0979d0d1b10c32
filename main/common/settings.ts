// Per-clip enhancement settings: stored as JSON in the project, validated here on every read and write.
// Bump SETTINGS_VERSION and add a step to migrateClipSettings when the shape changes.
import { z } from 'zod';

export const SETTINGS_VERSION = 1;

export const ProviderSchema = z.enum(['auto', 'cuda', 'dml', 'coreml', 'cpu']);
export type Provider = z.infer<typeof ProviderSchema>;

export const StepsSchema = z.union([z.enum(['fast', 'normal']), z.number().int().min(1).max(100)]);
export type Steps = z.infer<typeof StepsSchema>;

export const ClassicFiltersSchema = z.object({
  /** Spatial/temporal denoise: off, hqdn3d (fast) or nlmeans (slow, better). */
  denoise: z.enum(['off', 'hqdn3d', 'nlmeans']).default('off'),
  /** Sharpening: off, cas (contrast adaptive) or unsharp. */
  sharpen: z.enum(['off', 'cas', 'unsharp']).default('off'),
  deflicker: z.boolean().default(false),
  /** Deinterlace (bwdif) before anything else: auto (absent means auto) when the probe finds interlaced fields,
   *  on, or off. Optional so settings written before the field existed stay valid as they are. */
  deinterlace: z.enum(['auto', 'on', 'off']).optional(),
});
export type ClassicFilters = z.infer<typeof ClassicFiltersSchema>;

export const ClipSettingsSchema = z.object({
  version: z.literal(SETTINGS_VERSION),
  /** classic: ffmpeg filters; diffusion: a diffusion pack; model: a per-frame pack (e.g. the built-in ESRGAN). */
  engine: z.enum(['classic', 'diffusion', 'model']).default('classic'),
  /** Installed pack id (manifest name@version) for the diffusion or model engine; null uses the default pack. */
  packId: z.string().nullable().default(null),
  /** Spatial upscale factor, fractional allowed. */
  scale: z.number().min(1, 'Scale must be at least 1x').max(8, 'Scale must be at most 8x').default(1),
  /** Target frame rate; null keeps the source rate (no inserted frames). */
  targetFps: z.number().positive().max(240).nullable().default(null),
  /** Noise augmentation level: 0 keeps fidelity, 300 regenerates most. */
  noise: z.number().int().min(0).max(300).default(250),
  sCond: z.number().min(0).max(16).default(8),
  steps: StepsSchema.default('fast'),
  cfg: z.number().min(1).max(20).default(7.5),
  prompt: z.string().max(1000).default(''),
  seed: z.number().int().min(0).max(2 ** 31 - 1).default(666),
  provider: ProviderSchema.default('auto'),
  /** Advanced overrides; null uses the pack's rule. */
  chunkFrames: z.number().int().min(2).max(128).nullable().default(null),
  tileLatent: z.number().int().min(8).max(512).nullable().default(null),
  classic: ClassicFiltersSchema.default({ denoise: 'off', sharpen: 'off', deflicker: false }),
});
export type ClipSettings = z.infer<typeof ClipSettingsSchema>;

export function defaultClipSettings(): ClipSettings {
  return ClipSettingsSchema.parse({ version: SETTINGS_VERSION });
}

/** Frames inserted between two source frames for a target rate: k = clamp(round(target / input) - 1, 0, 7). */
export function insertedFrames(inputFps: number, targetFps: number | null): number {
  if (targetFps === null || !(inputFps > 0)) return 0;
  return Math.min(7, Math.max(0, Math.round(targetFps / inputFps) - 1));
}

/** Parses stored settings of any known version; throws a ZodError naming the bad field otherwise. */
export function migrateClipSettings(raw: unknown): ClipSettings {
  return ClipSettingsSchema.parse(raw);
}
