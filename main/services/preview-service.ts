// Preview, render status, chunk cache, presets and estimates (issue 4). One preview runs at a time: starting one
// cancels the one running. The chunk renderer (engine process + chunk cache) is shared with the export.
import path from 'node:path';
import { ApiError } from '../common/api';
import { frameToSeconds } from '../common/frame-time';
import type { Clip, MediaAsset } from '../common/model';
import type { CacheInfo, Preview } from '../common/render-model';
import type { ProjectStore } from '../store/types';
import { estimateClip } from './clip-estimate';
import type { Handlers, ServiceContext } from './context';
import { mediaUrl } from './media-urls';
import { QualityCache } from '../quality/quality-cache';
import { PresetStore } from './presets';
import { PreviewFiles } from './preview-files';
import { PreviewRun } from './preview-run';
import { renderStatusOf, timelineRuns } from './render-status';
import { SerialQueue } from './serial-queue';

type PreviewMethods =
  | 'clip.estimate'
  | 'presets.list'
  | 'presets.save'
  | 'presets.remove'
  | 'preview.start'
  | 'preview.get'
  | 'preview.cancel'
  | 'render.status'
  | 'cache.info'
  | 'cache.clear'
  | 'cache.setLimit';

/** Ended previews kept for preview.get (their files are deleted once superseded). */
const KEEP_ENDED_PREVIEWS = 20;

/** The previews of one services instance: the running one and the recent ended ones. */
class PreviewRegistry {
  private readonly runs = new Map<number, PreviewRun>();
  private running: PreviewRun | null = null;

  get(id: number): PreviewRun | undefined {
    return this.runs.get(id);
  }

  /** Cancels the running preview (if any), waits for it to end, and schedules its file's deletion. */
  async stopRunning(): Promise<void> {
    const previous = this.running;
    this.running = null;
    if (!previous) return;
    await previous.cancel();
    // Its quality measurement reads the file about to be retired, and would compete with the new preview.
    await previous.stopMeasuring();
    previous.retireFiles();
  }

  add(run: PreviewRun): void {
    this.running = run;
    this.runs.set(run.id, run);
    for (const id of this.runs.keys()) {
      if (this.runs.size <= KEEP_ENDED_PREVIEWS) break;
      if (this.runs.get(id) !== run) this.runs.delete(id);
    }
  }

  /** Cancels a preview by its job id; null when the id is no preview of this session. */
  async cancel(id: number): Promise<boolean | null> {
    const run = this.runs.get(id);
    if (!run) return null;
    return run.cancel();
  }

  async closeAll(): Promise<void> {
    await this.stopRunning();
    await Promise.all([...this.runs.values()].map((run) => run.stopMeasuring()));
    this.runs.clear();
  }
}


/** The clip's timeline span intersected with [start, end), or BAD_REQUEST saying where the clip is. */
export function clampSegment(clip: Clip, start: number, end: number): { start: number; end: number } {
  const clipEnd = clip.start + (clip.sourceOut - clip.sourceIn);
  const from = Math.max(start, clip.start);
  const to = Math.min(end, clipEnd);
  if (to <= from) {
    throw new ApiError(
      'BAD_REQUEST',
      `The segment (frames ${start} to ${end}) misses clip ${clip.id}, which spans frames ${clip.start} to ${clipEnd}: select a segment over the clip.`,
    );
  }
  return { start: from, end: to };
}

export function previewHandlers(ctx: ServiceContext): Pick<Handlers, PreviewMethods> {
  const registry = new PreviewRegistry();
  // jobs.cancel on a running preview stops it where it is (its engine job too), waiting until it has ended; a
  // preview that is not running is left to the plain record update.
  ctx.onJobCancel('preview', async (jobId) => (await registry.cancel(jobId)) === true);
  const presets = new PresetStore(path.join(ctx.userDataDir, 'presets.json'), ctx.log);
  const files = new PreviewFiles(path.join(ctx.userDataDir, 'cache', 'previews'), ctx.log);
  // Starts one at a time, so two quick starts cannot both pass "cancel the running one" and both run.
  const starts = new SerialQueue();
  let quality: QualityCache | null = null;

  ctx.onProjectClosing(async () => {
    // Through the start queue: a start already past its checks must not add a run after the close.
    await starts.run(() => registry.closeAll());
    await files.removeAll();
  });

  function requireClip(store: ProjectStore, clipId: number): { clip: Clip; media: MediaAsset } {
    const clip = store.getClip(clipId);
    if (!clip) throw new ApiError('NOT_FOUND', `Clip ${clipId} is not on the timeline (deleted or undone?).`);
    const media = store.getMedia(clip.mediaId);
    if (!media) throw new ApiError('NOT_FOUND', `The media of clip ${clipId} is not in the project.`);
    return { clip, media };
  }

  async function startPreview(clipId: number, start: number, end: number): Promise<Preview> {
    const store = ctx.requireStore();
    const { clip, media } = requireClip(store, clipId);
    if (media.offline) {
      throw new ApiError('MEDIA_OFFLINE', `${media.path} is offline (missing or changed): relink it to preview this clip.`);
    }
    const span = clampSegment(clip, start, end);
    const fps = store.info().fps;
    const startSec = frameToSeconds(clip.sourceIn + (span.start - clip.start), fps);
    const endSec = frameToSeconds(clip.sourceIn + (span.end - clip.start), fps);

    const renderer = ctx.chunkRenderer();
    const variant = await renderer.variant(media, clip.settings);
    const chunks = renderer.chunksFor(variant, startSec, endSec);
    quality ??= new QualityCache(renderer.cache.dir, ctx.log);
    if (chunks.length === 0) {
      throw new ApiError('BAD_REQUEST', `The segment starts after the last frame of ${media.name}: select a segment over the clip's picture.`);
    }
    // Only once this one can start: a start refused for its settings leaves the running preview alone.
    await registry.stopRunning();
    if (ctx.currentStore() !== store) throw new ApiError('NO_PROJECT', 'The project was closed before the preview started.');
    tidyPreviewJobs(store);
    const allCached = renderer.status(variant, chunks).every((state) => state === 'cached');
    const segment = { startSec, endSec, timelineStart: span.start, timelineEnd: span.end };
    const job = store.createJob('preview', `Preview ${media.name} ${startSec.toFixed(2)}–${endSec.toFixed(2)} s`, {
      clipId,
      mediaId: media.id,
      segment,
      settingsHash: variant.settingsHash,
      chunks: chunks.map((c) => c.index),
    });
    const run = new PreviewRun({
      store,
      isOpen: () => ctx.currentStore() === store,
      renderer,
      files,
      emit: ctx.emit,
      log: ctx.log,
      allowServedFile: ctx.allowServedFile,
      servedFileUrl: ctx.servedFileUrl,
      jobId: job.id,
      clipId,
      media,
      originalUrl: mediaUrl(ctx.host, media.id, media.fingerprint),
      segment,
      variant,
      chunks,
      quality: { ffmpeg: ctx.requireFfmpeg().ffmpeg, cache: quality },
    });
    registry.add(run);
    // Everything cached: no engine work, only a join, so the caller gets the finished preview.
    if (allCached) await run.finished;
    return run.snapshot();
  }

  /** Keeps the project's job list from filling with previews: the recent ended ones stay (their counters are what
   *  a person or a test reads), older ones go, and one left running by an app that quit is marked as interrupted. */
  function tidyPreviewJobs(store: ProjectStore): void {
    const previews = store.listJobs().filter((job) => job.kind === 'preview').sort((a, b) => b.id - a.id);
    let kept = 0;
    for (const job of previews) {
      if (job.state === 'queued' || job.state === 'running' || job.state === 'paused') {
        if (registry.get(job.id)) continue;
        const interrupted = store.updateJob(job.id, { state: 'cancelled', etaSec: null, message: 'Interrupted: the app quit during this preview.' });
        ctx.emit({ event: 'job.updated', payload: interrupted });
      } else if (++kept > KEEP_ENDED_PREVIEWS) {
        store.deleteJob(job.id);
      }
    }
  }

  function cacheChanged(info: CacheInfo): CacheInfo {
    ctx.emit({ event: 'cache.changed', payload: info });
    ctx.emit({ event: 'render.statusChanged', payload: { clipIds: null } });
    return info;
  }

  return {
    'clip.estimate': async ({ clipId, settings }) => {
      const store = ctx.requireStore();
      const { clip, media } = requireClip(store, clipId);
      return estimateClip(ctx.chunkRenderer(), clip, media, settings, store.info().fps);
    },

    'presets.list': async () => presets.list(),
    'presets.save': async ({ name, settings }) => presets.save(name, settings),
    'presets.remove': async ({ id }) => {
      presets.remove(id);
      return { ok: true as const };
    },

    'preview.start': ({ clipId, start, end }) => starts.run(() => startPreview(clipId, start, end)),
    'preview.get': async ({ id }) => {
      const run = registry.get(id);
      if (run) return run.snapshot();
      const job = ctx.currentStore()?.getJob(id);
      if (job?.kind === 'preview') {
        throw new ApiError('NOT_FOUND', `Preview ${id} ran earlier and its video is gone: preview the segment again (cached chunks make it quick).`);
      }
      throw new ApiError('NOT_FOUND', `There is no preview ${id}.`);
    },
    'preview.cancel': async ({ id }) => {
      const cancelled = await registry.cancel(id);
      if (cancelled !== null) return { cancelled };
      const job = ctx.currentStore()?.getJob(id);
      if (job?.kind === 'preview') return { cancelled: false };
      throw new ApiError('NOT_FOUND', `There is no preview ${id}.`);
    },

    'render.status': async () => {
      const store = ctx.requireStore();
      const clips = store.listClips();
      if (clips.length === 0) return { clips: [] };
      const media = new Map(store.listMedia().map((m) => [m.id, m]));
      const fps = store.info().fps;
      let renderer;
      try {
        renderer = ctx.chunkRenderer();
      } catch (error) {
        // Without ffmpeg nothing can be enhanced: every clip says why instead of the bar failing.
        if (!(error instanceof ApiError)) throw error;
        return { clips: clips.map((c) => ({ clipId: c.id, ranges: timelineRuns(c, fps, fps, [], []), problem: error.message })) };
      }
      return { clips: await renderStatusOf(renderer, clips, media, fps) };
    },
    'cache.info': async () => ctx.chunkRenderer().cache.info(),
    'cache.clear': async () => cacheChanged(await ctx.chunkRenderer().cache.clear()),
    'cache.setLimit': async ({ limitBytes }) => cacheChanged(await ctx.chunkRenderer().cache.setLimit(limitBytes)),
  };
}
