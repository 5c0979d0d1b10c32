// The chunk renderer: works out what a clip's settings produce (the variant), lays the media's frame grid, and
// makes sure chunks exist in the cache, computing each missing one with one engine job in the engine process.
// Preview and export both render through it, so they share every chunk.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { ApiError } from '../common/api';
import type { MediaAsset, Rational } from '../common/model';
import { insertedFrames, type ClipSettings } from '../common/settings';
import { buildClassicFilterGraph, shouldDeinterlace } from '../engine/classic/filter-graph';
import { defaultExecutionOptions } from '../engine/execution';
import { planResolution } from '../engine/plan/resolution';
import { modelOutputSize } from '../engine/perframe/output-size';
import { EngineHost } from '../engine/process/engine-host';
import type { EngineProcessLauncher } from '../engine/process/launcher';
import { CancelledError, type EngineProgress, type ExecutionOptions, type EnhanceJobSpec } from '../engine/types';
import { runTool } from '../media/run-process';
import type { FfmpegPaths } from '../media/types';
import type { PackService } from '../services/packs';
import type { PreferencesStore } from '../services/preferences';
import { SqliteChunkCache } from './chunk-cache';
import {
  chunkFramesFor,
  chunkJobRange,
  chunkOutputFrames,
  chunksForSeconds,
  contextFramesFor,
  firstOutputFrame,
  secondsForFrames,
} from './chunk-grid';
import { PackIdentities } from './pack-identity';
import type { CachedChunk, ChunkProgress, ChunkRef, ChunkRenderer, EnsureOptions, RenderVariant } from './types';
import { chunkKey, settingsHash } from './variant-key';

export type ChunkRendererOptions = {
  /** Folder of the chunk files and their index (index.sqlite). */
  cacheDir: string;
  ffmpeg: FfmpegPaths;
  /** Starts the engine process; a Node child process by default. */
  launcher?: EngineProcessLauncher;
  /** Engine preferences (provider, device, threads, fp16, fallback) for the jobs' execution options. */
  preferences: Pick<PreferencesStore, 'getEngine'>;
  /** Resolves a clip's pack id to a verified folder. */
  packs: Pick<PackService, 'registry'>;
  nativeBinding?: string;
  log(message: string): void;
  /** Cache size limit when none is stored yet. */
  defaultLimitBytes?: number;
};

export function createChunkRenderer(opts: ChunkRendererOptions): ChunkRenderer & { readonly cache: SqliteChunkCache } {
  return new EngineChunkRenderer(opts);
}

/** A chunk computed by one ensure() that another may wait for instead of computing it again. */
type InFlight = Promise<CachedChunk>;

class EngineChunkRenderer implements ChunkRenderer {
  readonly cache: SqliteChunkCache;
  private host: EngineHost | null = null;
  private readonly packIdentities: PackIdentities;
  private readonly inFlight = new Map<string, InFlight>();
  private disposed = false;

  constructor(private readonly opts: ChunkRendererOptions) {
    this.cache = new SqliteChunkCache({
      dir: opts.cacheDir,
      nativeBinding: opts.nativeBinding,
      log: opts.log,
      defaultLimitBytes: opts.defaultLimitBytes,
    });
    this.packIdentities = new PackIdentities(opts.packs);
  }

  async variant(media: MediaAsset, settings: ClipSettings): Promise<RenderVariant> {
    await requireOnline(media);
    const { probe } = media;
    if (!(probe.frameCount > 0)) {
      throw new ApiError('MEDIA_UNREADABLE', `${media.name} has no video frames to enhance. Re-import it, or use another file.`);
    }
    const source = { width: probe.displayWidth, height: probe.displayHeight, fps: probe.fps, interlaced: probe.interlaced, variableFrameRate: probe.variableFrameRate };
    const mediaPart: RenderVariant['media'] = {
      path: media.path,
      fingerprint: media.fingerprint,
      fps: { ...probe.fps },
      frameCount: probe.frameCount,
      width: source.width,
      height: source.height,
    };
    const chunkFrames = chunkFramesFor(settings.engine);
    if (settings.engine === 'classic') {
      const plan = buildClassicFilterGraph(settings, source);
      const k = plan.insertedFrames;
      return {
        media: mediaPart,
        settings,
        engine: 'classic',
        pack: null,
        settingsHash: settingsHash(settings, k, null),
        chunkFrames,
        contextFrames: contextFramesFor(settings, k),
        insertedFrames: k,
        output: { width: plan.width, height: plan.height, fps: plan.fps },
      };
    }
    if (settings.engine === 'model') {
      const pack = await this.packIdentities.resolvePerFrame(settings.packId);
      const k = insertedFrames(probe.fps.num / probe.fps.den, settings.targetFps);
      return {
        media: mediaPart,
        settings,
        engine: 'model',
        pack: { id: pack.id, dir: pack.dir, hash: pack.hash },
        settingsHash: settingsHash(settings, k, pack.hash, undefined, deinterlaces(settings, source.interlaced)),
        chunkFrames,
        contextFrames: contextFramesFor(settings, k),
        insertedFrames: k,
        output: { ...modelOutputSize(source.width, source.height, settings.scale), fps: reduce({ num: probe.fps.num * (k + 1), den: probe.fps.den }) },
      };
    }
    const pack = await this.packIdentities.resolve(settings.packId);
    const { manifest } = pack;
    const [minScale, maxScale] = manifest.supports.scale;
    if (settings.scale < minScale || settings.scale > maxScale) {
      throw new ApiError(
        'BAD_REQUEST',
        `Scale ${settings.scale}x is outside what the pack ${pack.id} supports (${minScale}x-${maxScale}x): choose a scale in that range.`,
      );
    }
    const k = Math.min(insertedFrames(probe.fps.num / probe.fps.den, settings.targetFps), manifest.supports.maxInsertedFrames);
    const size = planResolution(source.width, source.height, settings.scale, manifest.resolution, manifest.latent.downscale);
    return {
      media: mediaPart,
      settings,
      engine: 'diffusion',
      pack: { id: pack.id, dir: pack.dir, hash: pack.hash },
      settingsHash: settingsHash(settings, k, pack.hash, manifest.supports, deinterlaces(settings, source.interlaced)),
      chunkFrames,
      contextFrames: contextFramesFor(settings, k),
      insertedFrames: k,
      output: { width: size.width, height: size.height, fps: reduce({ num: probe.fps.num * (k + 1), den: probe.fps.den }) },
    };
  }

  chunksFor(variant: RenderVariant, startSec: number, endSec: number): ChunkRef[] {
    return chunksForSeconds(variant.media.fps, variant.media.frameCount, variant.chunkFrames, startSec, endSec);
  }

  status(variant: RenderVariant, chunks: ChunkRef[]) {
    return chunks.map((chunk) => {
      if (this.cache.peek(this.keyOf(variant, chunk))) return 'cached' as const;
      return this.cache.hasAnyVariant(variant.media.fingerprint, variant.chunkFrames, chunk.index) ? ('stale' as const) : ('none' as const);
    });
  }

  async ensure(
    variant: RenderVariant,
    chunks: ChunkRef[],
    opts: EnsureOptions = {},
  ): Promise<{ chunks: CachedChunk[]; computed: number; release(): void }> {
    this.requireOpen();
    const keys = chunks.map((chunk) => this.keyOf(variant, chunk));
    // Pinned from the start: a long job's later chunks must not evict its earlier ones.
    const release = this.cache.pin(keys);
    try {
      const frames = chunks.map((chunk) => chunkOutputFrames(chunk, variant.media.frameCount, variant.insertedFrames));
      const tracker = new EnsureProgress(chunks, frames, this.measuredRate(variant), variant.output, opts.onProgress);
      keys.forEach((key, i) => {
        if (this.cache.peek(key)) tracker.markCached(i);
      });
      const result: CachedChunk[] = [];
      let computed = 0;
      for (let i = 0; i < chunks.length; i++) {
        if (opts.signal?.aborted) throw new CancelledError();
        const cached = this.cache.get(keys[i]);
        if (cached) {
          result.push(cached);
          tracker.finished(i, null);
          opts.onChunk?.(cached, true);
          continue;
        }
        tracker.starting(i);
        const started = performance.now();
        const { chunk, ranEngine } = await this.computeShared(variant, chunks[i], keys[i], opts.signal, (p) => tracker.engineProgress(i, p));
        if (ranEngine) computed++;
        result.push(chunk);
        tracker.finished(i, ranEngine ? (performance.now() - started) / 1000 : null);
        opts.onChunk?.(chunk, false);
      }
      return { chunks: result, computed, release };
    } catch (error) {
      release();
      throw error;
    }
  }

  async concat(chunks: CachedChunk[], outFile: string): Promise<void> {
    if (chunks.length === 0) throw new Error('Nothing to join: no chunks were given.');
    for (let i = 1; i < chunks.length; i++) {
      const [a, b] = [chunks[i - 1], chunks[i]];
      if (b.index !== a.index + 1 || b.firstFrame !== a.endFrame) {
        throw new Error(`Chunks ${a.index} and ${b.index} are not consecutive: only consecutive chunks of one clip can be joined.`);
      }
      if (a.width !== b.width || a.height !== b.height || a.fps.num * b.fps.den !== b.fps.num * a.fps.den) {
        throw new Error(`Chunks ${a.index} and ${b.index} differ in size or frame rate: they come from different settings and cannot be joined.`);
      }
    }
    const target = path.resolve(outFile);
    const ext = path.extname(target);
    const token = `${process.pid}-${randomBytes(4).toString('hex')}`;
    const temp = path.join(path.dirname(target), `.${path.basename(target, ext)}.partial-${token}${ext}`);
    const list = path.join(this.cache.tempDir, `concat-${token}.txt`);
    const release = this.cache.pin(chunks.map((c) => c.key));
    try {
      await fs.mkdir(this.cache.tempDir, { recursive: true });
      await fs.writeFile(list, chunks.map((c) => `file '${c.file.replace(/'/g, `'\\''`)}'`).join('\n') + '\n');
      const args = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', '-f', 'concat', '-safe', '0', '-i', list];
      args.push('-map', '0:v:0', '-c', 'copy');
      if (/^\.(mp4|mov|m4v)$/i.test(ext)) args.push('-movflags', '+faststart');
      args.push(temp);
      await runTool(this.opts.ffmpeg.ffmpeg, args);
      await fs.rename(temp, target);
    } catch (error) {
      await fs.rm(temp, { force: true });
      throw error;
    } finally {
      release();
      await fs.rm(list, { force: true });
    }
  }

  estimateSec(variant: RenderVariant, frames: number): number | null {
    const rate = this.measuredRate(variant);
    return rate === null ? null : rate * frames;
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    const host = this.host;
    this.host = null;
    try {
      await host?.dispose();
    } finally {
      this.cache.close();
    }
  }

  private keyOf(variant: RenderVariant, chunk: ChunkRef): string {
    return chunkKey({
      fingerprint: variant.media.fingerprint,
      chunkFrames: variant.chunkFrames,
      contextFrames: variant.contextFrames,
      index: chunk.index,
      settingsHash: variant.settingsHash,
    });
  }

  /** Seconds per output frame of this variant, from the rate measured for its engine (or pack); null if none yet. */
  private measuredRate(variant: RenderVariant): number | null {
    const rate = this.cache.rate(rateKeyOf(variant));
    return rate === null ? null : (rate * variant.output.width * variant.output.height) / 1e6;
  }

  /** Computes the chunk, or waits for the same chunk another ensure() is computing (and computes it itself if that
   *  one was cancelled). */
  private async computeShared(
    variant: RenderVariant,
    chunk: ChunkRef,
    key: string,
    signal: AbortSignal | undefined,
    onProgress: (p: EngineProgress) => void,
  ): Promise<{ chunk: CachedChunk; ranEngine: boolean }> {
    for (;;) {
      const running = this.inFlight.get(key);
      if (!running) break;
      try {
        return { chunk: await abortable(running, signal), ranEngine: false };
      } catch (error) {
        if (signal?.aborted || !(error instanceof CancelledError)) throw error;
      }
    }
    const computing = this.compute(variant, chunk, key, signal, onProgress);
    this.inFlight.set(key, computing);
    try {
      return { chunk: await computing, ranEngine: true };
    } finally {
      if (this.inFlight.get(key) === computing) this.inFlight.delete(key);
    }
  }

  private async compute(
    variant: RenderVariant,
    chunk: ChunkRef,
    key: string,
    signal: AbortSignal | undefined,
    onProgress: (p: EngineProgress) => void,
  ): Promise<CachedChunk> {
    const { media, output } = variant;
    const range = chunkJobRange(chunk, media.frameCount, variant.contextFrames, variant.insertedFrames);
    const temp = this.cache.tempFileFor(key);
    const spec: EnhanceJobSpec = {
      input: media.path,
      ...secondsForFrames(media.fps, range.first, range.end),
      settings: variant.settings,
      ...(variant.pack ? { packDir: variant.pack.dir } : {}),
      execution: this.executionFor(variant.settings),
      output: { kind: 'chunk', path: temp },
      keep: range.keep,
    };
    const started = performance.now();
    const describe = `chunk ${chunk.index} (frames ${chunk.firstFrame}-${chunk.endFrame - 1}) of ${path.basename(media.path)}`;
    let result;
    try {
      result = await this.engine().run(spec, { signal, onProgress });
      if (result.frames !== range.keep.count || result.width !== output.width || result.height !== output.height) {
        throw new Error(
          `The engine returned ${result.frames} frames of ${result.width}x${result.height} for ${describe}, expected ` +
            `${range.keep.count} of ${output.width}x${output.height}; nothing was cached. Report this with the log.`,
        );
      }
    } catch (error) {
      await fs.rm(temp, { force: true });
      if (error instanceof Error && !(error instanceof CancelledError)) error.message = `Enhancing ${describe} failed: ${error.message}`;
      throw error;
    }
    const seconds = (performance.now() - started) / 1000;
    this.cache.recordRate(rateKeyOf(variant), seconds / ((result.frames * output.width * output.height) / 1e6));
    return this.cache.put(
      {
        ...chunk,
        key,
        frames: range.keep.count,
        firstOutputFrame: firstOutputFrame(chunk, variant.insertedFrames),
        width: output.width,
        height: output.height,
        fps: output.fps,
        fingerprint: media.fingerprint,
        settingsHash: variant.settingsHash,
        chunkFrames: variant.chunkFrames,
      },
      temp,
    );
  }

  /** The person's engine preferences, with the clip's provider when it names one. */
  private executionFor(settings: ClipSettings): ExecutionOptions {
    const prefs = this.opts.preferences.getEngine();
    const execution = defaultExecutionOptions({
      provider: settings.provider === 'auto' ? prefs.provider : settings.provider,
      threads: prefs.threads,
      deviceId: prefs.deviceId,
      allowCpuFallback: prefs.allowCpuFallback,
    });
    return { ...execution, fp16: execution.fp16 && prefs.fp16 };
  }

  private engine(): EngineHost {
    this.requireOpen();
    this.host ??= new EngineHost({ launcher: this.opts.launcher, log: this.opts.log });
    return this.host;
  }

  private requireOpen(): void {
    if (this.disposed) throw new Error('The chunk renderer was shut down.');
  }
}

/** Progress over one ensure() list: cached chunks count as done; the ETA comes from the time per output frame
 *  measured in this run, or the stored rate before the first chunk finished. */
class EnsureProgress {
  private readonly done: boolean[];
  private measuredSec = 0;
  private measuredFrames = 0;
  private readonly totalFrames: number;

  constructor(
    private readonly chunks: ChunkRef[],
    private readonly frames: number[],
    private readonly storedSecPerFrame: number | null,
    private readonly output: { width: number; height: number },
    private readonly emit: ((p: ChunkProgress) => void) | undefined,
  ) {
    this.done = chunks.map(() => false);
    this.totalFrames = frames.reduce((a, b) => a + b, 0);
  }

  markCached(i: number): void {
    this.done[i] = true;
  }

  starting(i: number): void {
    this.report(i, 0, null);
  }

  engineProgress(i: number, p: EngineProgress): void {
    this.report(i, p.fraction, p.etaSec);
  }

  finished(i: number, computeSec: number | null): void {
    this.done[i] = true;
    if (computeSec !== null) {
      this.measuredSec += computeSec;
      this.measuredFrames += this.frames[i];
    }
    const next = this.done.indexOf(false);
    this.report(next === -1 ? i : next, 0, null);
  }

  private report(position: number, current: number, currentEta: number | null): void {
    if (!this.emit) return;
    let doneFrames = 0;
    let remainingOthers = 0;
    this.frames.forEach((f, j) => {
      if (this.done[j]) doneFrames += f;
      else if (j !== position) remainingOthers += f;
    });
    const currentFrames = this.done[position] ? 0 : this.frames[position];
    const fraction = this.totalFrames === 0 ? 1 : Math.min(1, (doneFrames + current * currentFrames) / this.totalFrames);
    const perFrame = this.measuredFrames > 0 ? this.measuredSec / this.measuredFrames : this.storedSecPerFrame;
    const currentLeft = currentEta ?? (perFrame === null ? null : (1 - current) * currentFrames * perFrame);
    const etaSec =
      fraction >= 1 ? 0 : currentLeft === null || (perFrame === null && remainingOthers > 0) ? null : currentLeft + remainingOthers * (perFrame ?? 0);
    const chunk = this.chunks[position];
    const ready = this.done.filter(Boolean).length;
    const message =
      ready === this.chunks.length
        ? `All ${this.chunks.length} chunks ready`
        : `Enhancing chunk ${position + 1} of ${this.chunks.length} (source frames ${chunk.firstFrame}-${chunk.endFrame - 1}, ` +
          `${this.output.width}x${this.output.height}); ${ready} ready`;
    this.emit({ position, fraction, etaSec: etaSec === null ? null : Math.max(0, etaSec), message });
  }
}

function rateKeyOf(variant: RenderVariant): string {
  // A per-frame pack runs a different graph per whole scale, each with its own cost per output pixel.
  if (variant.engine === 'model' && variant.pack) return `pack:${variant.pack.hash}:x${Math.ceil(variant.settings.scale)}`;
  return variant.pack ? `pack:${variant.pack.hash}` : 'classic';
}

async function requireOnline(media: MediaAsset): Promise<void> {
  const offline = () =>
    new ApiError(
      'MEDIA_OFFLINE',
      `${media.name} is offline (${media.path} was moved, renamed or changed since import): relink the media to enhance its clips.`,
    );
  if (media.offline) throw offline();
  try {
    await fs.access(media.path);
  } catch {
    throw offline();
  }
}

/** Waits for a computation another caller started, giving up (with CancelledError) when this caller's signal aborts. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(new CancelledError());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new CancelledError());
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

function reduce(r: Rational): Rational {
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  const g = gcd(r.num, r.den);
  return { num: r.num / g, den: r.den / g };
}

/** Whether the model engines' frame reader deinterlaces this source (the clip's Deinterlace option, auto by default). */
function deinterlaces(settings: ClipSettings, interlaced: boolean | undefined): boolean {
  return shouldDeinterlace(settings.classic.deinterlace ?? 'auto', interlaced === true);
}
