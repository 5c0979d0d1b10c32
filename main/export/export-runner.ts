// Runs one export job to its end, or to where it is stopped: encodes the missing pieces one by one (each its own
// ffmpeg, each finished under a temporary name and renamed, then recorded in the job payload), joins them with the
// audio into a temporary file beside the output and renames it. Used by the render queue and `upframe render`.
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { ApiError } from '../common/api-error';
import type { Job } from '../common/model';
import { buildClassicFilterGraph } from '../engine/classic/filter-graph';
import { CancelledError } from '../engine/types';
import type { FfmpegPaths } from '../media/types';
import type { CachedChunk, ChunkRenderer } from '../render/types';
import type { ProjectStore } from '../store/types';
import { codecDefinition } from './codecs';
import { SerialQueue } from '../services/serial-queue';
import { readPayload, resumePoint, type ExportPayload, type ExportSource } from './export-job';
import { assembleArgs, audioTrackArgs, concatList, copiesSourceAudio, pieceArgs, type AudioPart, type PieceFrames } from './ffmpeg-args';
import { checkNotExisting, diskFull, isDiskFull } from './output-target';
import { runFarmExportJob } from '../farm/farm-submitter';
import { mediaTimeOf, type ClipSegment, type ExportPiece } from './plan';
import { FfmpegFailure, runFfmpeg } from './run-ffmpeg';

export type RunnerDeps = {
  store: ProjectStore;
  ffmpeg: FfmpegPaths;
  /** The shared chunk renderer (diffusion clips, and classic clips whose chunks are cached). */
  renderer(): ChunkRenderer;
  log(message: string): void;
  /** Every stored change of the job (progress, state), for events and progress bars. */
  onUpdate(job: Job): void;
  /** The export computed chunks into the cache (diffusion clips): the status bar and cache size change. */
  onChunksComputed?(): void;
};

/** How the run ended. 'stopped': the signal aborted it (the caller decides: paused or cancelled). */
export type RunOutcome = 'done' | 'stopped' | 'paused' | 'failed';

const UPDATE_EVERY_MS = 500;
/** renderFps is measured over this window: recent enough to follow a change of engine, long enough to be steady. */
const FPS_WINDOW_MS = 5000;

export function pieceFile(payload: ExportPayload, index: number): string {
  const codec = codecDefinition(payload.spec.codec);
  const name = `piece-${String(index + 1).padStart(5, '0')}`;
  return path.join(payload.target.partsDir, codec.container === 'png' ? name : `${name}.${codec.container}`);
}

export async function runExportJob(deps: RunnerDeps, jobId: number, outerSignal: AbortSignal): Promise<RunOutcome> {
  // Stopped from outside (pause, cancel, Ctrl+C), or by jobs.cancel marking the job cancelled in the store.
  const stop = new AbortController();
  const onOuterAbort = () => stop.abort();
  outerSignal.addEventListener('abort', onOuterAbort, { once: true });
  if (outerSignal.aborted) stop.abort();
  try {
    // A farm export renders its pieces elsewhere; everything else (assembly, audio, records) is the same.
    if (readPayload(deps.store, jobId).farm) return await runFarmExportJob(deps, jobId, stop.signal);
    return await runJob(deps, jobId, stop);
  } finally {
    outerSignal.removeEventListener('abort', onOuterAbort);
  }
}

async function runJob(deps: RunnerDeps, jobId: number, stop: AbortController): Promise<RunOutcome> {
  const { store } = deps;
  const signal = stop.signal;
  const payload = readPayload(store, jobId);
  const { plan, target } = payload;
  const startJob = store.getJob(jobId);
  if (!startJob) throw new ApiError('NOT_FOUND', `Export ${jobId} no longer exists.`);
  const baseElapsed = startJob.elapsedSec;
  const started = performance.now();
  const samples: Array<{ t: number; frames: number }> = [];
  let lastUpdate = 0;
  let renderFps: number | null = null;

  // A recorded piece whose file is gone (parts deleted by hand) is encoded again.
  await fs.mkdir(target.partsDir, { recursive: true });
  const finished = new Set(payload.finished.filter((i) => existsSync(pieceFile(payload, i))));
  payload.finished = [...finished].sort((a, b) => a - b);
  let finishedFrames = plan.pieces.filter((p) => finished.has(p.index)).reduce((sum, p) => sum + p.frames, 0);
  const inFlightFrames = new Map<number, number>();
  const framesNow = () => finishedFrames + [...inFlightFrames.values()].reduce((a, b) => a + b, 0);

  const update = (patch: Parameters<ProjectStore['updateJob']>[1]) => {
    const job = store.updateJob(jobId, { elapsedSec: baseElapsed + (performance.now() - started) / 1000, ...patch });
    deps.onUpdate(job);
    return job;
  };
  const statsOf = (framesDone: number): Record<string, number> => {
    const stats: Record<string, number> = { piecesDone: payload.finished.length, pieces: plan.pieces.length, frames: plan.frames, framesDone };
    if (renderFps !== null) stats.renderFps = renderFps;
    return stats;
  };
  let reported = 0;
  const report = (frames: number, message: string, force = false) => {
    // Chunk progress and encoder progress of one piece both report: the count only moves forward.
    const framesDone = Math.max(frames, reported);
    reported = framesDone;
    const now = performance.now();
    samples.push({ t: now, frames: framesDone });
    while (samples.length > 2 && now - samples[0].t > FPS_WINDOW_MS) samples.shift();
    if (!force && now - lastUpdate < UPDATE_EVERY_MS) return;
    lastUpdate = now;
    const first = samples[0];
    if (now - first.t > 500 && framesDone > first.frames) renderFps = ((framesDone - first.frames) * 1000) / (now - first.t);
    const left = plan.frames - framesDone;
    const job = update({
      progress: plan.frames ? framesDone / plan.frames : 0,
      etaSec: renderFps ? left / renderFps : null,
      message,
      stats: statsOf(framesDone),
      payload,
    });
    // jobs.cancel (the generic job list) marks the job cancelled without reaching this run: honour it here. This
    // runs inside ffmpeg's progress callback, so it stops the run instead of throwing.
    if (job.state === 'cancelled') stop.abort();
  };

  const progressMessage = () => `Encoding: ${payload.finished.length} of ${plan.pieces.length} pieces done`;
  update({
    state: 'running',
    payload,
    message: finished.size > 0 ? `Resuming at ${resumePoint(payload)}` : `Starting: ${plan.pieces.length} pieces`,
  });
  try {
    // Two pieces at a time: each ffmpeg has a serial start and end (decode and scale on one thread, the encoder's
    // look-ahead filling and draining) that the other piece's middle overlaps. Engine work stays one chunk job
    // at a time (engineTurn).
    const pending = plan.pieces.filter((p) => !finished.has(p.index));
    const engineTurn = new SerialQueue();
    let failure: unknown = null;
    const pool = new AbortController();
    const onStop = () => pool.abort();
    signal.addEventListener('abort', onStop, { once: true });
    const worker = async () => {
      for (let piece = pending.shift(); piece && !pool.signal.aborted; piece = pending.shift()) {
        const current = piece;
        inFlightFrames.set(current.index, 0);
        const onFrames = (frames: number) => {
          inFlightFrames.set(current.index, Math.min(frames, current.frames));
          report(framesNow(), progressMessage());
        };
        try {
          await encodePiece(deps, payload, current, pool.signal, engineTurn, {
            onFrames,
            // Engine work (diffusion chunks) takes most of a piece's time: it counts for up to 90 % of the piece.
            onChunkProgress: (fraction, chunkMessage) => {
              inFlightFrames.set(current.index, Math.floor(fraction * current.frames * 0.9));
              report(framesNow(), `${progressMessage()}; ${chunkMessage}`);
            },
          });
        } catch (error) {
          inFlightFrames.delete(current.index);
          if (failure === null && !(error instanceof CancelledError)) failure = error;
          pool.abort();
          return;
        }
        inFlightFrames.delete(current.index);
        finished.add(current.index);
        finishedFrames += current.frames;
        payload.finished = [...finished].sort((a, b) => a - b);
        report(framesNow(), progressMessage(), true);
      }
    };
    // The audio track is encoded beside the pieces (it is short work), so the assembly only copies streams.
    const audio = needsAudioTrack(payload) && !existsSync(audioTrackFile(payload)) ? encodeAudioTrack(deps, payload, pool.signal) : Promise.resolve();
    const audioDone = audio.catch((error: unknown) => {
      if (failure === null && !(error instanceof CancelledError)) failure = error;
      pool.abort();
    });
    await Promise.all([worker(), worker(), audioDone]);
    signal.removeEventListener('abort', onStop);
    if (failure !== null) throw failure;
    if (signal.aborted || finished.size < plan.pieces.length) throw new CancelledError();
    report(plan.frames, 'Joining the pieces and the audio', true);
    await assemble(deps, payload, signal);
    // The parts go before the job is marked done: whoever sees 'done' (the queue's next job, the UI, a test) sees
    // the output folder as the export leaves it.
    await fs.rm(target.partsDir, { recursive: true, force: true });
    update({ state: 'done', progress: 1, etaSec: 0, message: `Wrote ${target.finalPath}`, outputPath: target.finalPath, stats: statsOf(plan.frames), payload });
    return 'done';
  } catch (error) {
    if (error instanceof CancelledError || signal.aborted) {
      update({ etaSec: null, payload });
      return 'stopped';
    }
    if (isDiskFull(error)) {
      update({ state: 'paused', etaSec: null, message: diskFull(path.dirname(target.finalPath)).message, payload });
      return 'paused';
    }
    if (error instanceof ApiError && error.code === 'FILE_EXISTS') {
      update({ state: 'paused', etaSec: null, message: `${error.message} Then resume: the finished pieces are kept.`, payload });
      return 'paused';
    }
    const message = error instanceof ApiError || error instanceof FfmpegFailure ? error.message : `${(error as Error).message ?? error}`;
    deps.log(`export ${jobId} failed: ${(error as Error).stack ?? error}`);
    update({ state: 'failed', etaSec: null, message: `Failed: ${message}`, payload });
    return 'failed';
  }
}

export type PieceProgress = { onFrames(frames: number): void; onChunkProgress(fraction: number, message: string): void };

/** What encoding one piece needs: no project store, so a farm worker runs exactly this code. */
export type PieceDeps = Pick<RunnerDeps, 'ffmpeg' | 'renderer' | 'onChunksComputed'> & {
  /** Checks the finished temporary file before it is renamed into place (a farm worker counts its frames). */
  verifyPiece?(tempFile: string, piece: ExportPiece): Promise<void>;
};

/** Encodes one piece into the parts folder: a temporary name, renamed only when complete (and verified). */
export async function encodePiece(
  deps: PieceDeps,
  payload: ExportPayload,
  piece: ExportPiece,
  signal: AbortSignal,
  engineTurn: SerialQueue,
  progress: PieceProgress,
): Promise<void> {
  const { plan, spec } = payload;
  const codec = codecDefinition(spec.codec);
  const finalFile = pieceFile(payload, piece.index);
  const tempFile = codec.container === 'png' ? `${finalFile}.tmp` : finalFile.replace(/(\.\w+)$/, '.tmp$1');
  await fs.rm(tempFile, { recursive: true, force: true });
  if (codec.container === 'png') await fs.mkdir(tempFile, { recursive: true });

  const segment = plan.segments[piece.segment];
  let release = () => {};
  try {
    let frames: PieceFrames = { kind: 'gap' };
    if (segment.kind === 'clip') {
      const chosen = await pieceFrames(deps, payload, segment, piece, tempFile, signal, engineTurn, progress);
      frames = chosen.frames;
      release = chosen.release;
    }
    const args = pieceArgs(frames, {
      width: plan.width,
      height: plan.height,
      fps: plan.fps,
      frames: piece.frames,
      codec,
      quality: spec.quality,
      rateConversion: spec.rateConversion ?? 'nearest',
      target: codec.container === 'png' ? { kind: 'frames', dir: tempFile, startNumber: piece.outputStart + 1 } : { kind: 'file', path: tempFile },
    });
    await runFfmpeg(deps.ffmpeg.ffmpeg, args, { signal, onFrames: progress.onFrames });
    await deps.verifyPiece?.(tempFile, piece);
    await fs.rename(tempFile, finalFile);
  } catch (error) {
    await fs.rm(tempFile, { recursive: true, force: true });
    throw error;
  } finally {
    release();
    await fs.rm(`${tempFile}.chunks.txt`, { force: true });
  }
}

/** Where a clip piece's frames come from: enhanced chunk files (diffusion; classic when all are cached) or the
 *  source through the classic filter chain. */
async function pieceFrames(
  deps: PieceDeps,
  payload: ExportPayload,
  segment: ClipSegment,
  piece: ExportPiece,
  tempFile: string,
  signal: AbortSignal,
  engineTurn: SerialQueue,
  progress: PieceProgress,
): Promise<{ frames: PieceFrames; release: () => void }> {
  const { plan } = payload;
  const source: ExportSource = payload.sources[segment.clipId];
  if (!existsSync(source.path)) throw new ApiError('MEDIA_OFFLINE', `${source.path} is missing: relink it, then resume the export.`);
  const mediaStartSec = mediaTimeOf(segment, plan.fps, piece.outputStart);
  const mediaEndSec = mediaTimeOf(segment, plan.fps, piece.outputStart + piece.frames);
  const { variant } = source;

  let chunks: CachedChunk[] | null = null;
  let release = () => {};
  // Model engines (diffusion, per-frame) render through the chunk cache: their chunks are costly to compute again.
  if (variant.engine !== 'classic') {
    const renderer = deps.renderer();
    // Half an output frame past the end: the last output frame may show the media frame just after the piece.
    const refs = renderer.chunksFor(variant, mediaStartSec, mediaEndSec + (0.5 * plan.fps.den) / plan.fps.num);
    const ensured = await engineTurn.run(() =>
      renderer.ensure(variant, refs, { signal, onProgress: (p) => progress.onChunkProgress(p.fraction, p.message) }),
    );
    chunks = ensured.chunks;
    release = ensured.release;
    if (ensured.computed > 0) deps.onChunksComputed?.();
  } else {
    const renderer = deps.renderer();
    const refs = renderer.chunksFor(variant, mediaStartSec, mediaEndSec + (0.5 * plan.fps.den) / plan.fps.num);
    if (refs.length > 0 && renderer.status(variant, refs).every((s) => s === 'cached')) {
      const ensured = await engineTurn.run(() => renderer.ensure(variant, refs, { signal }));
      chunks = ensured.chunks;
      release = ensured.release;
    }
    // Otherwise one ffmpeg from the source. These frames are not written into the chunk cache: that would cost a
    // second encode, and classic chunks are cheap to compute again whenever a preview needs them.
  }

  if (chunks) {
    const listFile = `${tempFile}.chunks.txt`;
    await fs.writeFile(listFile, concatList(chunks.map((c) => c.file)));
    const fps = variant.media.fps;
    return {
      frames: {
        kind: 'chunks',
        listFile,
        chunkStartSec: (chunks[0].firstFrame * fps.den) / fps.num,
        width: variant.output.width,
        height: variant.output.height,
        fps: variant.output.fps,
        mediaStartSec,
      },
      release,
    };
  }
  const classic = buildClassicFilterGraph(variant.settings, {
    width: source.width,
    height: source.height,
    fps: source.sourceFps,
    interlaced: source.interlaced,
  });
  return {
    frames: {
      kind: 'classic',
      path: source.path,
      sourceFps: source.sourceFps,
      filters: classic.filters,
      width: classic.width,
      height: classic.height,
      fps: classic.fps,
      mediaStartSec,
      mediaEndSec,
    },
    release,
  };
}

function audioPartsOf(payload: ExportPayload): AudioPart[] {
  return payload.plan.segments.map((segment) => {
    if (segment.kind !== 'clip' || segment.muted) return { kind: 'silence' };
    const source = payload.sources[segment.clipId];
    return source.audioCodec ? { kind: 'source', path: source.path, mediaStartSec: segment.mediaStartSec, codec: source.audioCodec } : { kind: 'silence' };
  });
}

export function audioTrackFile(payload: ExportPayload): string {
  return path.join(payload.target.partsDir, 'audio.m4a');
}

/** An AAC track is made unless there is no audio (none, PNG) or the source's packets are copied. */
export function needsAudioTrack(payload: ExportPayload): boolean {
  const container = codecDefinition(payload.spec.codec).container;
  if (container === 'png' || payload.spec.audio === 'none') return false;
  return copiesSourceAudio({ audio: payload.spec.audio, audioParts: audioPartsOf(payload), container }) === null;
}

/** Encodes the whole range's AAC track into the parts folder (temp name, renamed when complete). */
export async function encodeAudioTrack(deps: Pick<RunnerDeps, 'ffmpeg'>, payload: ExportPayload, signal: AbortSignal): Promise<void> {
  const file = audioTrackFile(payload);
  const temp = file.replace(/\.m4a$/, '.tmp.m4a');
  try {
    await runFfmpeg(deps.ffmpeg.ffmpeg, audioTrackArgs({ plan: payload.plan, audioParts: audioPartsOf(payload) }, temp), { signal });
    await fs.rename(temp, file);
  } catch (error) {
    await fs.rm(temp, { force: true });
    throw error;
  }
}

export async function assemble(deps: Pick<RunnerDeps, 'ffmpeg' | 'log'>, payload: ExportPayload, signal: AbortSignal): Promise<void> {
  const { plan, spec, target } = payload;
  const codec = codecDefinition(spec.codec);
  const pieces = plan.pieces.map((p) => pieceFile(payload, p.index));
  await fs.rm(target.tempPath, { recursive: true, force: true });
  if (codec.container === 'png') {
    // The frames are numbered across the whole export: moving them into one folder is the whole assembly.
    await fs.mkdir(target.tempPath, { recursive: true });
    for (const dir of pieces) {
      for (const name of await fs.readdir(dir)) await fs.rename(path.join(dir, name), path.join(target.tempPath, name));
    }
  } else {
    const listFile = path.join(target.partsDir, 'pieces.txt');
    await fs.writeFile(listFile, concatList(pieces));
    const audioTrack = needsAudioTrack(payload) ? audioTrackFile(payload) : null;
    if (audioTrack && !existsSync(audioTrack)) await encodeAudioTrack(deps, payload, signal);
    const { args, audioNote } = assembleArgs({
      plan,
      piecesList: listFile,
      container: codec.container,
      audio: spec.audio,
      audioParts: audioPartsOf(payload),
      tempPath: target.tempPath,
      audioTrack,
    });
    deps.log(`export: ${audioNote}`);
    try {
      await runFfmpeg(deps.ffmpeg.ffmpeg, args, { signal });
    } catch (error) {
      await fs.rm(target.tempPath, { force: true });
      throw error;
    }
  }
  // Checked again: the file may have appeared while the export ran.
  try {
    checkNotExisting(target.finalPath, spec.overwrite);
  } catch (error) {
    await fs.rm(target.tempPath, { recursive: true, force: true });
    throw error;
  }
  if (codec.container === 'png') await fs.rm(target.finalPath, { recursive: true, force: true });
  await fs.rename(target.tempPath, target.finalPath);
}
