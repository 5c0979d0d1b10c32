// Domain shapes shared by every process. Pure: no node, no DOM, no electron.
// Timeline positions and clip source ranges are integer frame counts at the project frame rate.
import { z } from 'zod';
import { ClipSettingsSchema } from './settings';

export const RationalSchema = z.object({
  num: z.number().int().positive(),
  den: z.number().int().positive(),
});
export type Rational = z.infer<typeof RationalSchema>;

export const AudioStreamSchema = z.object({
  index: z.number().int(),
  codec: z.string(),
  channels: z.number().int(),
  sampleRate: z.number().int(),
});

export const ProbeDataSchema = z.object({
  container: z.string(),
  durationSec: z.number().nonnegative(),
  videoCodec: z.string(),
  /** Average frame rate as a rational (r_frame_rate when constant). */
  fps: RationalSchema,
  /** True when the stream's frame timing is variable (VFR). */
  variableFrameRate: z.boolean(),
  /** True when the stream is stored as interlaced fields (ffprobe field_order tt/bb/tb/bt); absent in probes
   *  made before this field existed, which count as progressive. */
  interlaced: z.boolean().optional(),
  frameCount: z.number().int().nonnegative(),
  /** Coded size, before rotation. */
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  /** Display rotation in degrees clockwise: 0, 90, 180 or 270. */
  rotation: z.number().int(),
  /** Size as displayed, after rotation. */
  displayWidth: z.number().int().positive(),
  displayHeight: z.number().int().positive(),
  pixelFormat: z.string(),
  bitDepth: z.number().int().positive(),
  audio: z.array(AudioStreamSchema),
});
export type ProbeData = z.infer<typeof ProbeDataSchema>;

export const MediaAssetSchema = z.object({
  id: z.number().int(),
  path: z.string(),
  name: z.string(),
  size: z.number().int().nonnegative(),
  mtimeMs: z.number(),
  fingerprint: z.string(),
  probe: ProbeDataSchema,
  /** The file is missing or changed since import; its clips show as offline until relinked. */
  offline: z.boolean(),
  importedAt: z.number(),
});
export type MediaAsset = z.infer<typeof MediaAssetSchema>;

export const TrackSchema = z.object({
  id: z.number().int(),
  /** 0 is the bottom video track; higher tracks are drawn on top. */
  position: z.number().int().nonnegative(),
  name: z.string(),
  muted: z.boolean(),
  hidden: z.boolean(),
  /** Its clips cannot be added to, moved, trimmed, split or deleted. */
  locked: z.boolean(),
});
export type Track = z.infer<typeof TrackSchema>;

export const ClipSchema = z.object({
  id: z.number().int(),
  mediaId: z.number().int(),
  trackId: z.number().int(),
  /** Timeline start, in project frames. */
  start: z.number().int().nonnegative(),
  /** Source in point (inclusive), in project frames from the start of the media. */
  sourceIn: z.number().int().nonnegative(),
  /** Source out point (exclusive), in project frames. Duration on the timeline = sourceOut - sourceIn. */
  sourceOut: z.number().int().positive(),
  settings: ClipSettingsSchema,
});
export type Clip = z.infer<typeof ClipSchema>;

export const HistoryEntrySchema = z.object({
  id: z.number().int(),
  label: z.string(),
  createdAt: z.number(),
  /** True when the entry is currently undone (it is on the redo side of the head). */
  undone: z.boolean(),
});
export type HistoryEntry = z.infer<typeof HistoryEntrySchema>;

export const ProjectInfoSchema = z.object({
  path: z.string(),
  name: z.string(),
  fps: RationalSchema,
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  /** In/out range on the timeline (project frames), null when unset. */
  markIn: z.number().int().nonnegative().nullable(),
  markOut: z.number().int().nonnegative().nullable(),
  createdAt: z.number(),
});
export type ProjectInfo = z.infer<typeof ProjectInfoSchema>;

/** Everything the timeline editor shows, as one consistent snapshot. */
export const ProjectStateSchema = z.object({
  project: ProjectInfoSchema,
  /** Monotonic counter bumped by every committed action; lets clients drop stale snapshots. */
  revision: z.number().int(),
  media: z.array(MediaAssetSchema),
  tracks: z.array(TrackSchema),
  clips: z.array(ClipSchema),
  canUndo: z.boolean(),
  canRedo: z.boolean(),
  undoLabel: z.string().nullable(),
  redoLabel: z.string().nullable(),
});
export type ProjectState = z.infer<typeof ProjectStateSchema>;

export const RecentProjectSchema = z.object({
  path: z.string(),
  name: z.string(),
  openedAt: z.number(),
  exists: z.boolean(),
});
export type RecentProject = z.infer<typeof RecentProjectSchema>;

export const JobStateSchema = z.enum(['queued', 'running', 'paused', 'done', 'failed', 'cancelled']);
export type JobState = z.infer<typeof JobStateSchema>;

export const JobSchema = z.object({
  id: z.number().int(),
  kind: z.string(),
  state: JobStateSchema,
  label: z.string(),
  /** 0..1 */
  progress: z.number().min(0).max(1),
  /** Seconds left, null while unknown. */
  etaSec: z.number().nullable(),
  message: z.string().nullable(),
  createdAt: z.number(),
  updatedAt: z.number(),
  /** The job's counters: for a preview chunks, fromCache and computed (engine runs); for an export pieces,
   *  piecesDone and frames. */
  stats: z.record(z.string(), z.number()),
  /** The file an export writes (when done: the finished file); null for other jobs. */
  outputPath: z.string().nullable(),
  /** Seconds the job has actually run, across pauses and restarts. */
  elapsedSec: z.number().nonnegative(),
});
export type Job = z.infer<typeof JobSchema>;

/** What a job's owner may change while it runs. */
export type JobPatch = {
  state?: JobState;
  progress?: number;
  etaSec?: number | null;
  message?: string | null;
  stats?: Record<string, number>;
  outputPath?: string | null;
  elapsedSec?: number;
  payload?: unknown;
};
