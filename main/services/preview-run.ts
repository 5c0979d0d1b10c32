// One running preview: the chunks covering a segment are ensured (cached ones at once, missing ones through the
// engine, in order), and after each chunk the chunks ready so far are joined into a new preview file the viewer
// can play. The job record, 'job.updated' and 'preview.updated' follow every step. A preview ends exactly once:
// done, cancelled (never followed by a 'done') or failed with a message saying what to do.
import { ApiError } from '../common/api';
import type { AnyEvent } from '../common/api';
import type { JobPatch, MediaAsset, Rational } from '../common/model';
import type { Preview } from '../common/render-model';
import { CancelledError } from '../engine/types';
import type { QualityCache } from '../quality/quality-cache';
import { readoutOf } from '../quality/quality-sums';
import { cachedChunkRangeQuality, measureChunkRange } from '../quality/range-quality';
import type { CachedChunk, ChunkProgress, ChunkRef, ChunkRenderer, RenderVariant } from '../render/types';
import type { ProjectStore } from '../store/types';
import type { PreviewFiles } from './preview-files';

/** Progress events at most this often (a chunk's end is always announced). */
const PROGRESS_EVERY_MS = 250;
/** How often the job record is checked for a cancel made through jobs.cancel. */
const CANCEL_POLL_MS = 250;

export type PreviewRunOptions = {
  store: ProjectStore;
  /** Whether `store` is still the open project; updates stop once it is not. */
  isOpen(): boolean;
  renderer: ChunkRenderer;
  files: PreviewFiles;
  emit(event: AnyEvent): void;
  log(message: string): void;
  allowServedFile(file: string): void;
  servedFileUrl(file: string): string;
  jobId: number;
  clipId: number;
  media: MediaAsset;
  /** The media's original side (URL on the media protocol). */
  originalUrl: string;
  segment: Preview['segment'];
  variant: RenderVariant;
  chunks: ChunkRef[];
  /** Where the preview's quality readout is measured with and kept. */
  quality: { ffmpeg: string; cache: QualityCache };
};

const fpsOf = (r: Rational) => r.num / r.den;

export class PreviewRun {
  readonly id: number;
  /** Settles when the run has ended and its last update is out; never rejects. */
  readonly finished: Promise<void>;
  private preview: Preview;
  private readonly abort = new AbortController();
  private cancelRequested = false;
  private failure: string | null = null;
  private ready: CachedChunk[] = [];
  private fromCache = 0;
  private computed = 0;
  private publishing: Promise<void> = Promise.resolve();
  private publishQueued = false;
  private currentFile: string | null = null;
  /** The chunks joined in currentFile. */
  private shownChunks: CachedChunk[] = [];
  /** currentFile is the first chunk's own file in the cache, shown without a join: pinned only while the run
   *  lasts, so the run replaces it with a joined file of its own before it ends. */
  private showingCacheFile = false;
  private ensureFinished = false;
  private lastProgressAt = 0;
  private readonly startedAt = performance.now();
  private release: (() => void) | null = null;
  private readonly pins: Array<() => void> = [];
  private readonly measuring = new AbortController();
  /** Settles when the quality readout is measured (or found, or given up); never rejects. */
  measured: Promise<void> = Promise.resolve();

  constructor(private readonly opts: PreviewRunOptions) {
    this.id = opts.jobId;
    const { media, variant, chunks } = opts;
    const k = variant.insertedFrames;
    const first = chunks[0];
    this.preview = {
      id: opts.jobId,
      clipId: opts.clipId,
      mediaId: media.id,
      state: 'running',
      segment: opts.segment,
      original: {
        url: opts.originalUrl,
        width: variant.media.width,
        height: variant.media.height,
        fps: fpsOf(variant.media.fps),
        mediaStartSec: 0,
        firstFrame: 0,
        frames: variant.media.frameCount,
      },
      enhanced: {
        url: null,
        width: variant.output.width,
        height: variant.output.height,
        fps: fpsOf(variant.output.fps),
        mediaStartSec: first ? (first.firstFrame * variant.media.fps.den) / variant.media.fps.num : opts.segment.startSec,
        firstFrame: first ? first.firstFrame * (k + 1) : 0,
        frames: 0,
      },
      chunks: { total: chunks.length, done: 0, fromCache: 0 },
      progress: 0,
      etaSec: null,
      message: `Preparing ${chunks.length} chunk${chunks.length === 1 ? '' : 's'}…`,
    };
    this.finished = this.run();
  }

  snapshot(): Preview {
    return structuredClone(this.preview);
  }

  get ended(): boolean {
    return this.preview.state === 'done' || this.preview.state === 'failed' || this.preview.state === 'cancelled';
  }

  /** Stops the run (finished chunks stay cached) and waits for it to end. False when it had already ended. */
  async cancel(): Promise<boolean> {
    if (this.ended) return false;
    this.cancelRequested = true;
    this.abort.abort();
    await this.finished;
    return true;
  }

  /** Schedules the deletion of this preview's file (a newer preview replaces it in the viewer). */
  retireFiles(): void {
    void this.stopMeasuring();
    if (this.currentFile) this.opts.files.retire(this.currentFile);
  }

  /** Stops a quality measurement still running after the preview ended, and waits for it to end. */
  async stopMeasuring(): Promise<void> {
    this.measuring.abort();
    await this.measured;
  }

  private async run(): Promise<void> {
    const { renderer, variant, chunks } = this.opts;
    this.update({ state: 'running', message: this.preview.message, stats: this.stats() }, true);
    const watch = setInterval(() => this.checkCancelledJob(), CANCEL_POLL_MS);
    watch.unref();
    try {
      const result = await renderer.ensure(variant, chunks, {
        signal: this.abort.signal,
        onChunk: (chunk, fromCache) => this.onChunk(chunk, fromCache),
        onProgress: (progress) => this.onProgress(progress),
      });
      this.release = result.release;
      this.computed = result.computed;
      this.ensureFinished = true;
      if (!this.abort.signal.aborted) {
        // The final join uses the renderer's own list: it is the whole segment, whatever onChunk saw.
        this.ready = result.chunks;
        this.schedulePublish();
      }
      await this.publishing;
      await this.replaceCacheFile();
      if (this.failure !== null) this.finish('failed', this.failure);
      else if (this.abort.signal.aborted || this.jobCancelledElsewhere()) this.finishCancelled();
      else {
        // Figures measured before are part of the 'done' itself; new ones follow it, so they never delay the end.
        const measure = await this.readCachedQuality();
        this.finish('done', this.doneMessage());
        if (measure) this.measured = this.measureQuality();
      }
    } catch (error) {
      await this.publishing;
      await this.replaceCacheFile();
      if (this.failure !== null) this.finish('failed', this.failure);
      else if (this.cancelRequested || error instanceof CancelledError || (error instanceof ApiError && error.code === 'CANCELLED')) {
        this.finishCancelled();
      } else this.finish('failed', failureMessage(error, this.opts.log));
    } finally {
      clearInterval(watch);
      this.release?.();
      for (const release of this.pins.splice(0)) release();
    }
  }

  private onChunk(chunk: CachedChunk, fromCache: boolean): void {
    if (this.abort.signal.aborted) return;
    // Kept from eviction until the run ends: a later join in this run reads it again.
    this.pins.push(this.opts.renderer.cache.pin([chunk.key]));
    this.ready.push(chunk);
    if (fromCache) this.fromCache += 1;
    else this.computed += 1;
    this.preview.chunks = { total: this.preview.chunks.total, done: this.ready.length, fromCache: this.fromCache };
    this.schedulePublish();
  }

  private onProgress(progress: ChunkProgress): void {
    if (this.abort.signal.aborted) return;
    this.preview.progress = Math.min(1, Math.max(0, progress.fraction));
    this.preview.etaSec = progress.etaSec === null ? null : Math.max(0, progress.etaSec);
    this.preview.message = progress.message;
    const now = performance.now();
    if (now - this.lastProgressAt < PROGRESS_EVERY_MS) return;
    this.lastProgressAt = now;
    this.update({ progress: this.preview.progress, etaSec: this.preview.etaSec, message: progress.message, stats: this.stats() });
  }

  /** Joins the chunks ready so far once the join in flight (if any) is done; chunks arriving meanwhile share it. */
  private schedulePublish(): void {
    if (this.publishQueued) return;
    this.publishQueued = true;
    this.publishing = this.publishing.then(async () => {
      this.publishQueued = false;
      try {
        await this.publish();
      } catch (error) {
        this.failure ??= failureMessage(error, this.opts.log);
        this.abort.abort();
      }
    });
  }

  private async publish(): Promise<void> {
    const chunks = this.ready.slice();
    if (this.abort.signal.aborted || chunks.length === 0) return;
    if (chunks.length === this.shownChunks.length && !this.showingCacheFile) return;
    if (chunks.length === 1 && this.shownChunks.length === 0 && !this.ensureFinished) {
      // The first chunk alone is already a playable file: shown as it is, it saves a join (an ffmpeg start) on the
      // time to the first enhanced frame.
      this.show(chunks, chunks[0].file, true);
      return;
    }
    const file = this.opts.files.next(this.id);
    await this.opts.renderer.concat(chunks, file);
    if (this.abort.signal.aborted) {
      this.opts.files.retire(file);
      return;
    }
    this.show(chunks, file, false);
  }

  private show(chunks: CachedChunk[], file: string, cacheFile: boolean, announce = true): void {
    this.opts.allowServedFile(file);
    if (this.currentFile && !this.showingCacheFile) this.opts.files.retire(this.currentFile);
    this.currentFile = file;
    this.showingCacheFile = cacheFile;
    this.shownChunks = chunks;
    this.preview.enhanced = {
      ...this.preview.enhanced,
      url: this.opts.servedFileUrl(file),
      mediaStartSec: (chunks[0].firstFrame * this.opts.variant.media.fps.den) / this.opts.variant.media.fps.num,
      firstFrame: chunks[0].firstOutputFrame,
      frames: chunks.reduce((sum, c) => sum + c.frames, 0),
    };
    this.preview.chunks = { total: this.preview.chunks.total, done: this.ready.length, fromCache: this.fromCache };
    if (!announce) return;
    this.lastProgressAt = performance.now();
    this.update({ progress: this.preview.progress, etaSec: this.preview.etaSec, message: this.preview.message, stats: this.stats() }, true);
  }

  /** Before the run ends (and unpins its chunks), a cache file still shown is replaced by a joined copy, so the
   *  ended preview stays playable whatever the cache evicts; the end's own update announces it. */
  private async replaceCacheFile(): Promise<void> {
    if (!this.showingCacheFile) return;
    const chunks = this.shownChunks;
    const file = this.opts.files.next(this.id);
    try {
      await this.opts.renderer.concat(chunks, file);
      this.show(chunks, file, false, false);
    } catch (error) {
      this.opts.log(`could not keep the preview's first chunk (${file}): ${(error as Error).stack ?? error}`);
      this.opts.files.retire(file);
      this.preview.enhanced = { ...this.preview.enhanced, url: null, frames: 0 };
      this.showingCacheFile = false;
    }
  }

  /** Sets the readout from the cache; true when it must be measured. */
  private async readCachedQuality(): Promise<boolean> {
    const file = this.currentFile;
    if (!file || this.showingCacheFile || this.shownChunks.length !== this.preview.chunks.total) {
      this.preview.quality = { state: 'failed', readout: null, fromCache: false, message: 'Not measured: the enhanced video is not complete.' };
      return false;
    }
    try {
      const sums = await cachedChunkRangeQuality(this.opts.quality.cache, this.shownChunks);
      if (sums) {
        this.preview.quality = { state: 'ready', readout: readoutOf(sums), fromCache: true, message: null };
        return false;
      }
    } catch (error) {
      this.opts.log(`preview ${this.id}: reading its cached quality failed: ${(error as Error).stack ?? error}`);
    }
    this.preview.quality = { state: 'measuring', readout: null, fromCache: false, message: null };
    return true;
  }

  private async measureQuality(): Promise<void> {
    const file = this.currentFile!;
    try {
      const sums = await measureChunkRange({
        ffmpeg: this.opts.quality.ffmpeg,
        cache: this.opts.quality.cache,
        variant: this.opts.variant,
        chunks: this.shownChunks,
        enhancedFile: file,
        signal: this.measuring.signal,
      });
      this.preview.quality = { state: 'ready', readout: readoutOf(sums), fromCache: false, message: null };
    } catch (error) {
      const stopped = this.measuring.signal.aborted;
      if (!stopped) this.opts.log(`preview ${this.id}: measuring its quality failed: ${(error as Error).stack ?? error}`);
      const message = stopped
        ? 'Not measured: the preview was replaced or closed first.'
        : `Measuring failed: ${(error as Error).message}. Preview again to retry.`;
      this.preview.quality = { state: 'failed', readout: null, fromCache: false, message };
    }
    this.opts.emit({ event: 'preview.updated', payload: this.snapshot() });
  }

  private stats(): Record<string, number> {
    return { chunks: this.preview.chunks.total, fromCache: this.fromCache, computed: this.computed };
  }

  private doneMessage(): string {
    const seconds = (performance.now() - this.startedAt) / 1000;
    const total = this.preview.chunks.total;
    if (this.computed === 0) return `Instant: all ${total} chunk${total === 1 ? '' : 's'} came from the cache.`;
    return `Done in ${seconds.toFixed(1)} s: ${this.computed} of ${total} chunk${total === 1 ? '' : 's'} enhanced, ${total - this.computed} from the cache.`;
  }

  private finishCancelled(): void {
    const total = this.preview.chunks.total;
    this.finish('cancelled', `Cancelled after ${this.ready.length} of ${total} chunk${total === 1 ? '' : 's'}; finished chunks stay in the cache.`);
  }

  private finish(state: 'done' | 'cancelled' | 'failed', message: string): void {
    this.preview.state = state;
    this.preview.message = message;
    this.preview.etaSec = null;
    if (state === 'done') this.preview.progress = 1;
    this.update({ state, progress: this.preview.progress, etaSec: null, message, stats: this.stats() }, true);
    const { store, isOpen, emit, media, renderer } = this.opts;
    if ((state === 'done' || this.computed > 0) && isOpen()) {
      const clipIds = store.listClips().filter((c) => c.mediaId === media.id).map((c) => c.id);
      emit({ event: 'render.statusChanged', payload: { clipIds } });
    }
    if (this.computed > 0) emit({ event: 'cache.changed', payload: renderer.cache.info() });
  }

  /** Writes the job record (never its state while running: a jobs.cancel may have written 'cancelled') and
   *  announces the job and the preview. */
  private update(patch: JobPatch, always = false): void {
    const { store, isOpen, emit } = this.opts;
    if (!always && this.ended) return;
    if (isOpen()) {
      const job = store.updateJob(this.id, { ...patch, elapsedSec: (performance.now() - this.startedAt) / 1000 });
      emit({ event: 'job.updated', payload: job });
    }
    emit({ event: 'preview.updated', payload: this.snapshot() });
  }

  private jobCancelledElsewhere(): boolean {
    return this.opts.isOpen() && this.opts.store.getJob(this.id)?.state === 'cancelled';
  }

  /** jobs.cancel marks the record cancelled; this makes the engine stop too. */
  private checkCancelledJob(): void {
    if (this.ended || this.abort.signal.aborted) return;
    if (this.jobCancelledElsewhere()) {
      this.cancelRequested = true;
      this.abort.abort();
    }
  }
}

function failureMessage(error: unknown, log: (message: string) => void): string {
  if (error instanceof ApiError) return error.message;
  log(`preview failed: ${(error as Error)?.stack ?? error}`);
  return `The preview failed: ${(error as Error)?.message ?? String(error)}. Try again; if it keeps failing, see the log.`;
}
