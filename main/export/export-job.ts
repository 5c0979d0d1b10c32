// An export job's stored state (the job payload in the project's SQLite file): the spec, the plan it settled on,
// what each clip is rendered from, and how many pieces are finished. Everything a resume needs is here, so a
// resumed export encodes exactly the pieces an uninterrupted one would have, whatever changed in between.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ApiError } from '../common/api-error';
import type { Job, MediaAsset, Rational } from '../common/model';
import type { QualityStatus } from '../common/quality-model';
import { ExportSpecSchema, type ExportJob, type ExportSpec, type FarmStatus } from '../common/render-model';
import { rateAsRational } from '../engine/classic/filter-graph';
import { redactFarmUrl } from '../farm/farm-connection';
import { newFarmKey } from '../farm/farm-pieces';
import type { ChunkRenderer, RenderVariant } from '../render/types';
import type { ProjectStore } from '../store/types';
import { codecDefinition } from './codecs';
import { expandName, outputTarget, type OutputTarget } from './output-target';
import { planExport, type ClipOutput, type ExportPlan } from './plan';

export const EXPORT_JOB_KIND = 'export';
const PAYLOAD_VERSION = 1;

/** Output seconds per piece, chosen by measurement on a 2-core machine (20 s 640x360 -> 720p H.264 medium, two
 *  pieces encoding at a time). Longer pieces cost less against one ffmpeg command (4 s: 1.03-1.08x, 3 s:
 *  1.06-1.11x, 2 s: 1.11-1.16x, 1 s: 1.20-1.23x); shorter ones lose less to a kill, which throws away the two
 *  pieces in flight (a resumed 60 s export cost 0.62 of a full one with 4 s pieces after a kill at half-way,
 *  0.58 with 3 s). 3 s meets both targets (bench/export-throughput.bench.ts, bench/export-resume.bench.ts).
 *  UPFRAME_EXPORT_PIECE_SECONDS overrides it for those benchmarks. */
export const PIECE_SECONDS = pieceSecondsFrom(process.env.UPFRAME_EXPORT_PIECE_SECONDS) ?? 3;

function pieceSecondsFrom(text: string | undefined): number | null {
  const value = Number(text);
  return text && Number.isFinite(value) && value >= 0.25 && value <= 60 ? value : null;
}

export type ExportSource = {
  clipId: number;
  mediaId: number;
  path: string;
  /** The media's own rate and display size (the classic chain works from these). */
  sourceFps: Rational;
  /** Stored as interlaced fields: the classic chain deinterlaces first unless the clip turns it off. */
  interlaced?: boolean;
  width: number;
  height: number;
  /** Codec of the first audio stream, null without audio. */
  audioCodec: string | null;
  variant: RenderVariant;
};

export type ExportPayload = {
  version: typeof PAYLOAD_VERSION;
  spec: ExportSpec;
  plan: ExportPlan;
  /** By clip id. */
  sources: Record<string, ExportSource>;
  target: OutputTarget;
  /** Indices of the finished pieces, in the parts folder (each stored only after the piece's rename). */
  finished: number[];
  /** Fidelity and stability of the finished output against its sources, once measured. */
  measuredQuality?: QualityStatus;
  /** Set when the pieces render on a farm: its URL and this export's key there (piece job ids derive from it). */
  farm?: { url: string; key: string };
  /** The farm's last known view of the pieces and workers, for the render queue. */
  farmStatus?: FarmStatus;
};

/** The first piece not finished (what a resume starts with), counted from 1 for messages. */
export function resumePoint(payload: ExportPayload): string {
  const finished = new Set(payload.finished);
  let first = 0;
  while (finished.has(first)) first += 1;
  return `piece ${first + 1} of ${payload.plan.pieces.length}`;
}

/** Marks the export paused, saying where a resume starts: 'Paused' when stopped on purpose, 'Interrupted' when
 *  found running after a crash or kill. */
export function markPaused(store: ProjectStore, jobId: number, cause: 'Paused' | 'Interrupted' = 'Paused'): Job {
  const message = `${cause}: resume to continue from ${resumePoint(readPayload(store, jobId))}`;
  return store.updateJob(jobId, { state: 'paused', etaSec: null, message });
}

export function readPayload(store: ProjectStore, jobId: number): ExportPayload {
  const raw = store.getJobPayload(jobId) as Partial<ExportPayload> | null;
  if (!raw || raw.version !== PAYLOAD_VERSION || !raw.plan || !raw.target || !Array.isArray(raw.finished)) {
    throw new ApiError('CONFLICT', `Job ${jobId} is not an export this version of Upframe can resume: remove it and export again.`);
  }
  return { ...(raw as ExportPayload), spec: ExportSpecSchema.parse(raw.spec) };
}

export function toExportJob(job: Job, payload: ExportPayload): ExportJob {
  const { plan } = payload;
  return {
    ...job,
    spec: payload.spec.farm ? { ...payload.spec, farm: redactFarmUrl(payload.spec.farm) } : payload.spec,
    outputPath: job.outputPath ?? payload.target.finalPath,
    renderFps: job.stats.renderFps ?? null,
    pieces: { done: payload.finished.length, total: plan.pieces.length },
    output: { width: plan.width, height: plan.height, fps: plan.fps, frames: plan.frames },
    ...(payload.measuredQuality ? { measuredQuality: payload.measuredQuality } : {}),
    farm: payload.farm ? (payload.farmStatus ?? { url: redactFarmUrl(payload.farm.url), pieces: [], workers: [], checkedAt: 0 }) : null,
  };
}

/** Plans the spec against the open project: the range, each clip's variant, the output size and rate. */
export async function planSpec(
  store: ProjectStore,
  renderer: ChunkRenderer,
  spec: Pick<ExportSpec, 'range' | 'conform'>,
): Promise<{ plan: ExportPlan; sources: Record<string, ExportSource> }> {
  const state = store.state();
  const mediaById = new Map(state.media.map((m) => [m.id, m]));
  // Variants of every clip that may appear; resolved before planning (the planner is synchronous).
  const sources: Record<string, ExportSource> = {};
  // Only clips the range can show: a broken pack on a clip outside it must not stop the export.
  const hidden = new Set(state.tracks.filter((t) => t.hidden).map((t) => t.id));
  const { range } = spec;
  const { markIn, markOut } = state.project;
  const wanted = state.clips.filter((c) => {
    if (range.kind === 'clips') return range.clipIds.includes(c.id);
    if (hidden.has(c.trackId)) return false;
    if (range.kind === 'timeline' || markIn === null || markOut === null) return true;
    return c.start < markOut && c.start + (c.sourceOut - c.sourceIn) > markIn;
  });
  for (const clip of wanted) {
    const media = mediaById.get(clip.mediaId);
    if (!media) throw new ApiError('NOT_FOUND', `The media of clip ${clip.id} is not in the project: relink or remove the clip.`);
    sources[clip.id] = await sourceOf(renderer, media, clip.id, clip.settings);
  }
  const plan = planExport({
    projectFps: state.project.fps,
    projectSize: { width: state.project.width, height: state.project.height },
    markIn: state.project.markIn,
    markOut: state.project.markOut,
    tracks: state.tracks,
    clips: state.clips,
    range: spec.range,
    conform: spec.conform,
    outputOf: (clip) => askedOutput(sources[clip.id].variant),
    pieceSec: PIECE_SECONDS,
  });
  // Keep only the clips the plan shows.
  const used: Record<string, ExportSource> = {};
  for (const segment of plan.segments) {
    if (segment.kind !== 'clip') continue;
    const source = sources[segment.clipId];
    if (!existsSync(source.path)) {
      throw new ApiError('MEDIA_OFFLINE', `${source.path} is missing: relink it, then export again.`);
    }
    used[segment.clipId] = source;
  }
  return { plan, sources: used };
}

/** A clip's output as its settings ask for it: the rendered size, and the target frame rate exactly where one is set
 *  (the render itself stays on the source rate x (k + 1) grid; the export converts it). Conforming to the first clip
 *  or the largest then gives the rate the person asked for. */
function askedOutput(variant: RenderVariant): ClipOutput {
  const target = variant.settings.targetFps;
  return { ...variant.output, fps: target === null ? variant.output.fps : rateAsRational(target) };
}

/** The clips whose frame rate after their inserted frames is not the export's (each once, by file name): the
 *  export converts them, and the dialog says so. */
export function rateChangesOf(plan: ExportPlan, sources: Record<string, ExportSource>): { name: string; fromFps: Rational }[] {
  const seen = new Set<number>();
  const changes: { name: string; fromFps: Rational }[] = [];
  for (const segment of plan.segments) {
    if (segment.kind !== 'clip' || seen.has(segment.clipId)) continue;
    seen.add(segment.clipId);
    const source = sources[segment.clipId];
    const fps = source.variant.output.fps;
    if (fps.num * plan.fps.den !== plan.fps.num * fps.den) changes.push({ name: path.basename(source.path), fromFps: fps });
  }
  return changes;
}

/** Seconds the enhancement of the plan's clips would take here (engine time at each clip's own output rate), from
 *  rates measured on this machine; null when one of them has no measured rate yet. */
export function estimatePlanSeconds(renderer: ChunkRenderer, plan: ExportPlan, sources: Record<string, ExportSource>): number | null {
  const exportFps = plan.fps.num / plan.fps.den;
  let total = 0;
  for (const segment of plan.segments) {
    if (segment.kind !== 'clip') continue;
    const { variant } = sources[segment.clipId];
    const variantFrames = Math.ceil(((segment.outputEnd - segment.outputStart) * (variant.output.fps.num / variant.output.fps.den)) / exportFps);
    const seconds = renderer.estimateSec(variant, variantFrames);
    if (seconds === null) return null;
    total += seconds;
  }
  return total;
}

async function sourceOf(renderer: ChunkRenderer, media: MediaAsset, clipId: number, settings: ExportSource['variant']['settings']): Promise<ExportSource> {
  const variant = await renderer.variant(media, settings);
  return {
    clipId,
    mediaId: media.id,
    path: media.path,
    sourceFps: media.probe.fps,
    interlaced: media.probe.interlaced,
    width: media.probe.displayWidth,
    height: media.probe.displayHeight,
    audioCodec: media.probe.audio[0]?.codec ?? null,
    variant,
  };
}

/** The output's name and paths for a new job (the parts folder is named after the job). */
export function nameOutput(store: ProjectStore, spec: ExportSpec, plan: ExportPlan, now = new Date()): string {
  return expandName(spec.fileName, { project: store.info().name, range: plan.rangeLabel, codec: spec.codec, now });
}

/** Creates the export job (state queued) with its plan; the caller checked the folder and the output. */
export function createExportJob(store: ProjectStore, spec: ExportSpec, plan: ExportPlan, sources: Record<string, ExportSource>, name: string): Job {
  const container = codecDefinition(spec.codec).container;
  const label = `Export ${container === 'png' ? name : `${name}.${container}`}`;
  // One transaction: the parts folder is named after the job id, and no job is ever stored without its payload.
  return store.transaction('queue the export', () => {
    const draft = outputTarget(spec.folder, name, spec.codec, 0);
    const job = store.createJob(EXPORT_JOB_KIND, label, null, draft.finalPath);
    const target = outputTarget(spec.folder, name, spec.codec, job.id);
    const payload: ExportPayload = { version: PAYLOAD_VERSION, spec, plan, sources, target, finished: [] };
    if (spec.farm) payload.farm = { url: spec.farm, key: newFarmKey(store.info().path, job.id) };
    return store.updateJob(job.id, {
      payload,
      outputPath: target.finalPath,
      stats: { piecesDone: 0, pieces: plan.pieces.length, frames: plan.frames, framesDone: 0 },
      message: `Queued: ${plan.pieces.length} pieces, ${describeOutput(plan)}`,
    });
  });
}

/** Export jobs of the project, oldest first. */
export function listExportJobs(store: ProjectStore): ExportJob[] {
  return store
    .listJobs()
    .filter((j) => j.kind === EXPORT_JOB_KIND)
    .sort((a, b) => a.id - b.id)
    .map((job) => toExportJob(job, readPayload(store, job.id)));
}

export function describeOutput(plan: ExportPlan): string {
  const fps = plan.fps.num / plan.fps.den;
  return `${plan.width}x${plan.height} at ${Number.isInteger(fps) ? fps : fps.toFixed(3)} fps, ${plan.frames} frames`;
}
