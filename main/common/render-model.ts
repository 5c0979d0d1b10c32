// Shapes of enhancement previews, render status, the chunk cache, presets and exports, shared by every process.
// Pure: no node, no DOM, no electron. Times in media seconds; timeline positions in project frames.
import { z } from 'zod';
import { JobSchema, JobStateSchema, RationalSchema } from './model';
import { QualityStatusSchema } from './quality-model';
import { ClipSettingsSchema } from './settings';

const int = z.number().int();
const frame = int.nonnegative();

// --- Render status (the bar above the timeline) ---

/** For the clip's current settings: cached (enhanced result on disk), stale (enhanced, but with other settings or
 *  another pack) or none. */
export const RenderRangeStateSchema = z.enum(['cached', 'stale', 'none']);
export type RenderRangeState = z.infer<typeof RenderRangeStateSchema>;

export const ClipRenderStatusSchema = z.object({
  clipId: int,
  /** Consecutive runs covering the clip's span on the timeline, in timeline frames [start, end). */
  ranges: z.array(z.object({ start: frame, end: frame, state: RenderRangeStateSchema })),
  /** Why the clip cannot be enhanced now (offline media, missing pack), or null. */
  problem: z.string().nullable(),
});
export type ClipRenderStatus = z.infer<typeof ClipRenderStatusSchema>;

// --- What a clip's settings produce ---

export const ClipEstimateSchema = z.object({
  width: int.positive(),
  height: int.positive(),
  fps: z.number().positive(),
  /** Frames inserted between two source frames (k). */
  insertedFrames: int.nonnegative(),
  /** Output frames for the clip's trimmed range. */
  frames: int.nonnegative(),
  /** Seconds the whole clip would take on this machine, from rates measured by earlier jobs; null until the engine
   *  (and pack) has run once here. */
  estimateSec: z.number().nonnegative().nullable(),
  /** What the pack or engine changes about the settings (capped insertion, adjusted size), for the person. */
  notes: z.array(z.string()),
});
export type ClipEstimate = z.infer<typeof ClipEstimateSchema>;

// --- Preview ---

/** One side of the compare viewer: a video file on the media protocol and how its frames map to media time. */
export const PreviewSideSchema = z.object({
  /** Null while nothing of this side is ready. */
  url: z.string().nullable(),
  width: int.positive(),
  height: int.positive(),
  fps: z.number().positive(),
  /** Media time (seconds) shown by the first frame of the video at url. */
  mediaStartSec: z.number().nonnegative(),
  /** Number (in this side's own frame numbering from the media's start) of the video's first frame. */
  firstFrame: frame,
  /** Frames playable at url now. */
  frames: frame,
});
export type PreviewSide = z.infer<typeof PreviewSideSchema>;

export const PreviewSchema = z.object({
  /** The preview's job id (its record in jobs.list). */
  id: int,
  clipId: int,
  mediaId: int,
  state: JobStateSchema,
  /** The segment asked for: media seconds [startSec, endSec), and the same span on the timeline. */
  segment: z.object({ startSec: z.number().nonnegative(), endSec: z.number().positive(), timelineStart: frame, timelineEnd: frame }),
  original: PreviewSideSchema,
  enhanced: PreviewSideSchema,
  /** Chunks covering the segment: how many, how many are ready, how many came from the cache. */
  chunks: z.object({ total: int.nonnegative(), done: int.nonnegative(), fromCache: int.nonnegative() }),
  progress: z.number().min(0).max(1),
  etaSec: z.number().nonnegative().nullable(),
  /** What is happening now, or why it failed. */
  message: z.string().nullable(),
  /** Fidelity and stability of the enhanced side against the original, measured once the chunks are ready
   *  (absent before; cached with the chunks, so a second preview of the range reads it at once). */
  quality: QualityStatusSchema.optional(),
});
export type Preview = z.infer<typeof PreviewSchema>;

// --- Chunk cache ---

export const CacheInfoSchema = z.object({
  dir: z.string(),
  sizeBytes: int.nonnegative(),
  limitBytes: int.positive(),
  entries: int.nonnegative(),
});
export type CacheInfo = z.infer<typeof CacheInfoSchema>;

/** Smallest and largest cache size limits a person may set. */
export const MIN_CACHE_LIMIT_BYTES = 256 * 1024 ** 2;
export const MAX_CACHE_LIMIT_BYTES = 4 * 1024 ** 4;

// --- Presets ---

export const PresetSchema = z.object({
  id: z.string().min(1),
  name: z.string().min(1),
  /** Built-in presets ship with the app and cannot be removed. */
  builtin: z.boolean(),
  settings: ClipSettingsSchema,
  /** When set, applying the preset sets each clip's targetFps to its own source rate times this (a preset cannot
   *  know each clip's rate: "Interpolate x2" is 2); settings.targetFps is then ignored. */
  fpsMultiplier: z.number().min(1).max(8).nullable(),
});
export type Preset = z.infer<typeof PresetSchema>;

export const PresetNameSchema = z
  .string()
  .trim()
  .min(1, 'Name the preset.')
  .max(80, 'A preset name must be at most 80 characters.');

// --- Export ---

export const ExportCodecIdSchema = z.enum([
  'h264',
  'h265',
  'prores_hq',
  'png',
  'h264_nvenc',
  'hevc_nvenc',
  'h264_qsv',
  'hevc_qsv',
  'h264_vaapi',
  'hevc_vaapi',
  'h264_videotoolbox',
  'hevc_videotoolbox',
  'h264_amf',
  'hevc_amf',
]);
export type ExportCodecId = z.infer<typeof ExportCodecIdSchema>;

export const ExportCodecSchema = z.object({
  id: ExportCodecIdSchema,
  label: z.string(),
  /** File extension of the output ('png' writes a folder of numbered frames). */
  container: z.enum(['mp4', 'mov', 'png']),
  hardware: z.boolean(),
  /** Whether the installed ffmpeg has the encoder and a trial encode with it ran on this machine. */
  available: z.boolean(),
  /** Why it cannot be used here (not in this ffmpeg, or the hardware it needs is missing); null when available. */
  reason: z.string().nullable(),
  /** Quality modes the encoder takes. */
  qualityModes: z.array(z.enum(['crf', 'bitrate'])),
});
export type ExportCodec = z.infer<typeof ExportCodecSchema>;

export const ExportRangeSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('timeline') }),
  z.object({ kind: z.literal('marks') }),
  z.object({ kind: z.literal('clips'), clipIds: z.array(int).min(1, 'Select at least one clip to export.') }),
]);
export type ExportRange = z.infer<typeof ExportRangeSchema>;

export const ExportQualitySchema = z.discriminatedUnion('mode', [
  z.object({ mode: z.literal('crf'), crf: int.min(0, 'CRF is 0 (lossless) to 51.').max(51, 'CRF is 0 (lossless) to 51.') }),
  z.object({
    mode: z.literal('bitrate'),
    kbps: int.min(100, 'The bitrate must be at least 100 kb/s.').max(1_000_000, 'The bitrate must be at most 1,000,000 kb/s.'),
  }),
]);

export const ExportRateConversionSchema = z.enum(['nearest', 'blend', 'motion']);
export type ExportRateConversion = z.infer<typeof ExportRateConversionSchema>;

export const ExportConformSchema = z.object({
  /** When clips' output sizes or rates differ: conform to the first clip's, the largest, the project's (Project
   *  settings), or a custom size and rate. */
  policy: z.enum(['first', 'largest', 'project', 'custom']),
  width: int.min(16).max(16384).optional(),
  height: int.min(16).max(16384).optional(),
  fps: RationalSchema.optional(),
});

/** File-name template tokens: {project}, {range}, {codec}, {date} (YYYY-MM-DD), {time} (HH-MM-SS). */
export const EXPORT_NAME_TOKENS = ['project', 'range', 'codec', 'date', 'time'] as const;

export const ExportSpecSchema = z.object({
  range: ExportRangeSchema,
  folder: z.string().min(1, 'Choose the output folder.'),
  /** Name without extension; may use the tokens above. */
  fileName: z.string().trim().min(1, 'Name the output file.').max(200, 'The file name must be at most 200 characters.'),
  codec: ExportCodecIdSchema,
  quality: ExportQualitySchema,
  conform: ExportConformSchema,
  /** copy: the source audio as it is where the container takes it (else AAC); aac: always AAC; none: no audio. */
  audio: z.enum(['copy', 'aac', 'none']),
  /** How a clip whose frame rate (after its inserted frames) is not the output's reaches it: nearest (frames
   *  dropped or repeated; also when absent, as in exports queued before the option existed), blend (neighbouring
   *  frames mixed by their distance: what the dialog and the CLI choose unless told otherwise) or motion
   *  (motion-compensated). */
  rateConversion: ExportRateConversionSchema.optional(),
  /** Replace an existing output. Without it an existing file fails with FILE_EXISTS, so the UI can ask. */
  overwrite: z.boolean().default(false),
  /** Render the pieces on a farm (redis:// or rediss:// URL of its Redis); absent or null: on this machine. */
  farm: z
    .string()
    .trim()
    .regex(/^rediss?:\/\/\S+$/, 'A farm URL starts with redis:// or rediss:// (TLS), e.g. redis://render-host:6379.')
    .nullable()
    .optional(),
});
export type ExportSpec = z.infer<typeof ExportSpecSchema>;

/** What an export would produce, shown in the export dialog before it starts. */
export const ExportSummarySchema = z.object({
  width: int.positive(),
  height: int.positive(),
  fps: RationalSchema,
  frames: int.nonnegative(),
  durationSec: z.number().nonnegative(),
  /** Clips the range shows (each counted once). */
  clips: int.nonnegative(),
  /** Seconds the enhancement would take here, from rates measured on this machine; null until every engine and
   *  pack the range uses has run once here. */
  estimateSec: z.number().nonnegative().nullable(),
  /** Clips whose frame rate (after their inserted frames) is not the output's, and so are converted. */
  rateChanges: z.array(z.object({ name: z.string(), fromFps: RationalSchema })),
});
export type ExportSummary = z.infer<typeof ExportSummarySchema>;

/** What the render queue shows of a farm export: each piece's state and who renders it, and the workers. */
export const FarmStatusSchema = z.object({
  /** The farm's URL without its password. */
  url: z.string(),
  pieces: z.array(
    z.object({
      state: z.enum(['waiting', 'rendering', 'done', 'failed']),
      worker: z.string().nullable(),
      fraction: z.number().min(0).max(1),
    }),
  ),
  workers: z.array(
    z.object({ id: z.string(), device: z.string(), state: z.enum(['idle', 'rendering', 'stopping']), serves: z.array(z.string()), piecesDone: int.nonnegative() }),
  ),
  /** When the farm was last heard from (ms since the epoch). */
  checkedAt: z.number(),
});
export type FarmStatus = z.infer<typeof FarmStatusSchema>;

export const ExportJobSchema = JobSchema.extend({
  spec: ExportSpecSchema,
  /** The final path (a folder for a PNG sequence). */
  outputPath: z.string(),
  /** Frames per second rendered over the last few seconds; null while unknown. */
  renderFps: z.number().nonnegative().nullable(),
  pieces: z.object({ done: int.nonnegative(), total: int.nonnegative() }),
  /** Output size, rate and frame count the plan settled on. */
  output: z.object({ width: int.positive(), height: int.positive(), fps: RationalSchema, frames: int.nonnegative() }).nullable(),
  /** Fidelity and stability of the whole render against its sources (the preview's figures, over every clip),
   *  measured on the finished output; absent until the export is done. */
  measuredQuality: QualityStatusSchema.optional(),
  /** Null for an export rendered on this machine. */
  farm: FarmStatusSchema.nullable(),
});
export type ExportJob = z.infer<typeof ExportJobSchema>;
