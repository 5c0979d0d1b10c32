// The diffusion engine for one segment, Video2X-style: one ffmpeg decode, one ffmpeg encode, frames streamed
// between them. Key frames are resized and VAE-encoded as they are decoded, latents live on disk, the sampler
// runs over temporal chunks, and decoded frames go straight to the writer (ENHANCEMENT.md sections 2 and 4).
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import kernels from '@upframe/native-kernels';
import { insertedFrames } from '../../common/settings';
import { openSourceReader, type FrameReader } from '../io/frame-reader';
import { openFrameWriter, type FrameWriter } from '../io/frame-writer';
import type { PackManifest } from '../pack/manifest';
import { exactRateConversion } from '../plan/exact-rate';
import { planFrames } from '../plan/frames';
import { describeFittingSettings, isOutOfMemoryError, shrinkPlan, type WorkPlan } from '../plan/oom';
import { planResolution, resizeBilinearToPaddedAsync, type ResolutionPlan } from '../plan/resolution';
import { planTemporalChunks } from '../plan/temporal-chunks';
import { drawNoiseAhead } from '../random/gaussian';
import { createSampler, type Sampler } from '../sampler/sampler';
import { samplerTimesteps } from '../sampler/timesteps';
import { createNoiseSchedule, type NoiseSchedule } from '../schedule/noise-schedule';
import type { EngineResult, EnhanceJobSpec, ExecutionOptions, JobHooks, PackRuntime, Tensor } from '../types';
import { NOISE_STREAM, plannedDenoiserCalls, runDenoiseLoop } from './denoise';
import { LatentStore, type LatentShape } from './latent-store';
import { JobProgress, StageClock } from './progress';
import { decodeFramesAhead, decodeLatents, type DecodeTiling } from './vae-decode';

export const TEST_PACK_NOTE = 'Test pack: proves the engine, not an enhancement';

/** Key frames VAE-encoded per call; halved on out-of-memory down to one. */
const ENCODE_BATCH = 4;

export type DiffusionDeps = {
  ffmpeg: string;
  ffprobe: string;
  loadPack: (dir: string, execution: ExecutionOptions) => Promise<PackRuntime>;
  /** Parent folder of the job's temporary latent files; the system temp folder by default. */
  workDir?: string;
  /** Latent stores up to this size stay in memory (IN_MEMORY_LATENT_BYTES by default; 0 puts every one in a file). */
  inMemoryLatentBytes?: number;
};

/** Latents of a clip up to this size each (about 360 frames of a 1566x880 output) stay in memory; longer clips
 *  keep theirs in temp files, so memory never grows with the clip's length past it. */
const IN_MEMORY_LATENT_BYTES = 128 * 1024 * 1024;

export async function runDiffusionJob(spec: EnhanceJobSpec, hooks: JobHooks, deps: DiffusionDeps): Promise<EngineResult> {
  if (!spec.packDir) throw new Error('No model pack is set for the diffusion engine: choose a pack in the clip settings.');
  const clock = new StageClock();
  const progress = new JobProgress(hooks);
  const notes: string[] = [];
  const log = (message: string) => hooks.log?.(message);
  const workDir = await mkdtemp(path.join(deps.workDir ?? os.tmpdir(), 'upframe-diffusion-'));
  const stores: LatentStore[] = [];
  const newStore = async (name: string, frames: number, shape: LatentShape) => {
    const store = await LatentStore.create(path.join(workDir, `${name}.f32`), frames, shape, { inMemoryUpToBytes: deps.inMemoryLatentBytes ?? IN_MEMORY_LATENT_BYTES });
    stores.push(store);
    return store;
  };
  let runtime: PackRuntime | null = null;
  let writer: FrameWriter | null = null;
  let reader: FrameReader | null = null;

  try {
    // The pack loads while the source is probed and its decoder starts; whichever fails, both are released below.
    const [loaded, opened] = await Promise.allSettled([deps.loadPack(spec.packDir, spec.execution), openSourceReader(spec, deps, notes)]);
    if (loaded.status === 'fulfilled') runtime = loaded.value;
    if (opened.status === 'fulfilled') reader = opened.value;
    if (loaded.status === 'rejected') throw loaded.reason;
    if (opened.status === 'rejected') throw opened.reason;
    runtime = loaded.value;
    reader = opened.value;
    const manifest = runtime.manifest;
    notes.unshift(`Provider: ${runtime.providerInUse}`);
    if (manifest.testPack) notes.splice(1, 0, TEST_PACK_NOTE);
    const settings = spec.settings;
    checkScale(settings.scale, manifest);

    // 1-4. Decode, resize and VAE-encode the key frames as they arrive.
    await hooks.checkpoint();
    const inputFps = reader.fps;
    const requestedK = insertedFrames(inputFps, settings.targetFps);
    const k = Math.min(requestedK, manifest.supports.maxInsertedFrames);
    if (k < requestedK) notes.push(`Frame insertion capped at ${k} per source frame by the pack (asked for ${requestedK}).`);
    const outputFps = inputFps * (k + 1);
    const plan = planResolution(reader.width, reader.height, settings.scale, manifest.resolution, manifest.latent.downscale);
    if (Math.abs(plan.width - reader.width * settings.scale) > 2 || Math.abs(plan.height - reader.height * settings.scale) > 2) {
      notes.push(`Output size ${plan.width}x${plan.height}: the pack's area limits adjust the ${settings.scale}x scale.`);
    }
    const shape: LatentShape = { channels: manifest.latent.channels, height: plan.latentHeight, width: plan.latentWidth };
    // The key frames' posterior moments (mean and log-variance): every output frame samples its own latent from its
    // key frame's moments, as the reference encodes the k + 1 pixel copies of a key frame one by one.
    const moments = await newStore('moments', reader.expectedFrames, { ...shape, channels: 2 * shape.channels });
    const keyCount = await encodeKeyFrames({ reader, runtime, plan, store: moments, hooks, clock, progress, padValue: manifest.resolution.pad.value });
    log(`Encoded ${keyCount} key frames at ${plan.paddedWidth}x${plan.paddedHeight} (latents ${shape.width}x${shape.height})`);

    // 5-6. The hint and the start latent.
    const frames = planFrames(keyCount, k);
    const schedule = createNoiseSchedule(manifest.schedule);
    const sampler = createSampler(manifest.sampler.solver, schedule, samplerTimesteps(manifest.sampler, settings.steps), {
      eta: manifest.sampler.eta,
    });
    const noiseLevel = manifest.supports.noise ? settings.noise : 0;
    if (!manifest.supports.noise && settings.noise !== 0) notes.push('This pack has no noise-augmentation control: noise level 0 used.');
    // Noise level n noises the hint at t_hint = n - 1, as the reference does. At n = 0 the reference's t_hint is -1,
    // which indexes the LAST schedule entry (sigma 1: a hint of pure noise); Upframe keeps its earlier choice that
    // 0 means a clean hint (t_hint 0, no noise), which is what a user setting "no noise" expects.
    const tHint = noiseLevel === 0 ? 0 : noiseLevel - 1;
    const posterior: PosteriorSampling = { moments, scalingFactor: manifest.latent.scalingFactor, seed: settings.seed };
    // The hint is filled with the first start latents (writeStartLatents) and kept for every retry.
    const hint: Tensor = { dims: [1, shape.channels, keyCount, shape.height, shape.width], data: new Float32Array(shape.channels * keyCount * shape.height * shape.width) };
    let hintTarget: HintTarget | null = {
      data: hint.data as Float32Array,
      keyCount,
      alpha: noiseLevel === 0 ? 1 : schedule.alpha(tHint),
      sigma: noiseLevel === 0 ? 0 : schedule.sigma(tHint),
    };
    const x = await newStore('x', frames.total, shape);
    const state = sampler.needsState ? await newStore('state', frames.total, shape) : null;

    // 7. Sampling over temporal chunks, restarted with shorter chunks when memory runs out.
    const guided = manifest.supports.cfg && settings.cfg !== 1;
    const context = await runtime.encodeText(manifest.supports.prompt ? settings.prompt : '');
    const negative = guided ? await runtime.encodeNegative() : null;
    if (!manifest.supports.prompt && settings.prompt.trim() !== '') notes.push('This pack takes no prompt: the prompt was not used.');
    const ruleChunks = planTemporalChunks(frames.total, k, manifest.temporalChunk);
    let work: WorkPlan = {
      chunkLength: settings.chunkFrames,
      tileH: settings.tileLatent ?? manifest.decode.tileH,
      tileW: settings.tileLatent ?? manifest.decode.tileW,
    };
    const floor: WorkPlan = { chunkLength: k + 2, tileH: Math.min(8, work.tileH), tileW: Math.min(8, work.tileW) };
    const fitting = (stage: string, error: unknown) =>
      new Error(
        `${describeFittingSettings({
          stage,
          plan: work,
          outputWidth: plan.width,
          outputHeight: plan.height,
          scale: settings.scale,
          insertedFrames: k,
          provider: runtime?.providerInUse ?? '',
        })} (${error instanceof Error ? error.message : String(error)})`,
      );
    for (;;) {
      const chunks = work.chunkLength === null ? ruleChunks : planTemporalChunks(frames.total, k, manifest.temporalChunk, { length: work.chunkLength });
      progress.planCalls(plannedDenoiserCalls(sampler, chunks, guided));
      await clock.time('denoise', () =>
        writeStartLatents({ posterior, x, frames, sampler, schedule, startTimestep: manifest.sampler.startTimestep, seed: settings.seed, hint: hintTarget, hooks }),
      );
      hintTarget = null;
      try {
        await runDenoiseLoop({
          runtime,
          sampler,
          schedule,
          frames: frames.total,
          mask: frames.mask,
          chunks,
          x,
          hint,
          state,
          context,
          negative,
          cfgScale: settings.cfg,
          cfgRescale: manifest.sampler.cfg.rescale,
          tHint,
          sCond: settings.sCond,
          seed: settings.seed,
          hooks,
          progress,
          clock,
        });
        break;
      } catch (error) {
        if (!isOutOfMemoryError(error)) throw error;
        const longest = Math.max(...chunks.map((chunk) => chunk.end - chunk.start));
        // The longest chunk in use (the last one may be stretched past the planned length) is what must shrink.
        const smaller = shrinkChunks({ ...work, chunkLength: longest }, floor);
        if (!smaller) throw fitting('denoise', error);
        notes.push(`Out of memory while denoising: retried with chunks of ${smaller.chunkLength} frames.`);
        log(notes[notes.length - 1]);
        work = smaller;
      }
    }

    // 8-10. Decode in chunks and tiles, crop, and stream the frames out (a whole file converted to the exact rate).
    const tiling: DecodeTiling = {
      ...manifest.decode,
      tileH: work.tileH,
      tileW: work.tileW,
    };
    const exact = spec.keep || spec.output.kind === 'chunk' ? null : exactRateConversion(outputFps, settings.targetFps, frames.total);
    if (exact) notes.push(exact.note);
    writer = await clock.time('write', () =>
      openFrameWriter({
        ffmpeg: deps.ffmpeg,
        output: spec.output,
        width: plan.width,
        height: plan.height,
        fps: outputFps,
        audioFrom: spec.output.kind === 'video' ? { file: spec.input, startSec: spec.startSec ?? 0, endSec: (spec.startSec ?? 0) + keyCount / inputFps } : undefined,
        keep: spec.keep,
        ...(exact ? { videoFilter: exact.filters.join(',') } : {}),
        aheadFrames: decodeFramesAhead(tiling, frames.total),
      }),
    );
    const activeWriter = writer;
    await decodeLatents({
      runtime,
      latents: x,
      tiling,
      crop: { left: plan.padLeft, top: plan.padTop, width: plan.width, height: plan.height },
      hooks,
      clock,
      retryTile: (error, current) => {
        if (!isOutOfMemoryError(error)) throw error;
        work = { ...work, tileH: current.tileH, tileW: current.tileW };
        const smaller = shrinkTiles(work, floor);
        if (!smaller) throw fitting('vae_decode', error);
        notes.push(`Out of memory while decoding: retried with tiles of ${smaller.tileH}x${smaller.tileW} latents.`);
        log(notes[notes.length - 1]);
        work = smaller;
        return { ...current, tileH: smaller.tileH, tileW: smaller.tileW };
      },
      frameBuffer: () => activeWriter.frameBuffer(),
      emit: async (rgb, index) => {
        await hooks.checkpoint();
        await clock.time('write', () => activeWriter.write({ width: plan.width, height: plan.height, data: rgb }));
        progress.finish(index + 1, frames.total);
      },
    });
    const outputPath = await clock.time('write', () => activeWriter.finish());
    writer = null;
    const written = activeWriter.framesWritten();
    return { outputPath, frames: exact?.frames ?? written, width: plan.width, height: plan.height, fps: exact?.fps ?? outputFps, stageSeconds: clock.seconds, notes };
  } finally {
    reader?.close();
    const cleanup: Promise<unknown>[] = stores.map((store) => store.dispose());
    if (writer) cleanup.push(writer.abort());
    if (runtime) cleanup.push(runtime.release());
    // Cleanup failures must not hide the job's own error; the temp folder goes last.
    await Promise.allSettled(cleanup);
    await rm(workDir, { recursive: true, force: true });
  }
}

function checkScale(scale: number, manifest: PackManifest): void {
  const [min, max] = manifest.supports.scale;
  if (scale < min || scale > max) {
    throw new Error(`Scale ${scale}x is outside what the pack "${manifest.name}" supports (${min}x-${max}x): choose a scale in that range.`);
  }
}

async function encodeKeyFrames(opts: {
  reader: FrameReader;
  runtime: PackRuntime;
  plan: ResolutionPlan;
  store: LatentStore;
  padValue: number;
  hooks: JobHooks;
  clock: StageClock;
  progress: JobProgress;
}): Promise<number> {
  const { reader, runtime, plan, store, hooks, clock, progress } = opts;
  const { channels, height, width } = store.shape; // channels: the moments' 2C
  const imageSize = 3 * plan.paddedHeight * plan.paddedWidth;
  let batchSize = ENCODE_BATCH;
  // The resized key frames go straight into one reused batch buffer (no per-frame allocation, no copy).
  const batch = new Float32Array(ENCODE_BATCH * imageSize);
  let batched = 0;
  let encoded = 0;

  const encode = async (images: Float32Array, count: number): Promise<Float32Array> => {
    const out = await runtime.vaeEncode({ dims: [count, 3, plan.paddedHeight, plan.paddedWidth], data: images });
    const expected = [count, channels, height, width];
    if (out.dims.join('x') !== expected.join('x')) {
      throw new Error(
        `The VAE encoder returned ${out.dims.join('x')} (expected its posterior moments, ${expected.join('x')}): the pack does not match its manifest.`,
      );
    }
    return out.data;
  };
  // The batch's frames resize on worker threads as they arrive, side by side; the encoder waits for all of them.
  let resizing: Promise<void>[] = [];
  const flush = async () => {
    const started = performance.now();
    const resized = resizing;
    resizing = [];
    await Promise.all(resized);
    clock.add('vae_encode', (performance.now() - started) / 1000);
    let done = 0;
    while (done < batched) {
      const count = Math.min(batchSize, batched - done);
      const part = batch.subarray(done * imageSize, (done + count) * imageSize);
      try {
        const latents = await clock.time('vae_encode', () => encode(part, count));
        if (store.frames < encoded + count) await store.resize(Math.max(encoded + count, store.frames * 2));
        await clock.time('vae_encode', () => store.write(encoded, latents));
        encoded += count;
        done += count;
      } catch (error) {
        if (!isOutOfMemoryError(error) || batchSize === 1) throw error;
        batchSize = Math.max(1, batchSize >> 1);
        hooks.log?.(`Out of memory in the VAE encoder: encoding ${batchSize} frame(s) at a time`);
      }
    }
    batched = 0;
    progress.prepare(encoded, reader.expectedFrames);
  };

  const frames = reader.frames[Symbol.asyncIterator]();
  try {
    for (;;) {
      await hooks.checkpoint();
      const started = performance.now();
      const next = await frames.next();
      clock.add('decode', (performance.now() - started) / 1000);
      if (next.done) break;
      const slot = batch.subarray(batched * imageSize, (batched + 1) * imageSize);
      const resized = resizeBilinearToPaddedAsync(next.value.data, plan, opts.padValue, slot);
      // Awaited by flush() (or the finally below); marked handled now so a failure before then is not "unhandled".
      resized.catch(() => undefined);
      resizing.push(resized);
      batched++;
      if (batched >= batchSize) await flush();
    }
    if (batched > 0) await flush();
  } finally {
    // A failed job leaves no resize writing into the batch.
    await Promise.allSettled(resizing);
    await frames.return?.();
    reader.close();
  }
  if (encoded === 0) throw new Error('The selected range has no frames to enhance: choose a longer range.');
  if (store.frames !== encoded) await store.resize(encoded);
  return encoded;
}

/** Where latents are sampled from: the key frames' posterior moments [2C, h, w] per key frame. */
type PosteriorSampling = { moments: LatentStore; scalingFactor: number; seed: number };

/** A key frame's posterior: its moments [2C, h, w] and the standard deviation exp(logvar / 2) of each element, in
 *  float64, computed once for the k + 1 frames sampled from it. */
type KeyPosterior = { moments: Float32Array; std: Float64Array };

function keyPosterior(moments: Float32Array, size: number): KeyPosterior {
  if (moments.length !== 2 * size) throw new Error(`Posterior moments have ${moments.length} values for a latent of ${size}`);
  const std = new Float64Array(size);
  for (let e = 0; e < size; e++) std[e] = Math.exp(0.5 * moments[size + e]);
  return { moments, std };
}

/**
 * The latent of output frame f, sampled from its key frame's posterior as the reference's
 * `latent_dist.sample() * scaling_factor`: z = (mean + exp(logvar / 2) eps) s, with eps keyed by (seed, f) (the draw
 * posteriorDraw names), so a key frame's hint and its start latent are the same sample, and each inserted slot (a
 * pixel copy of the previous key frame in the reference) gets its own. The log-variance arrives clamped from the
 * graph (CONTRACT-V2.md). Written over eps.
 */
function sampleLatent(posterior: PosteriorSampling, key: KeyPosterior, eps: Float32Array): Float32Array {
  kernels.posteriorSample(eps, key.moments, key.std, posterior.scalingFactor);
  return eps;
}

function posteriorDraw(posterior: PosteriorSampling, f: number): { seed: number; stream: readonly number[] } {
  return { seed: posterior.seed, stream: [NOISE_STREAM.posterior, f] };
}

/** Where writeStartLatents puts the hint [1, C, K, h, w]: the K key-frame latents noised ONCE for the whole clip,
 *  hint = alpha(t_hint) z + sigma(t_hint) eps (the reference's `diffuse`), z itself at noise level 0. Every chunk and
 *  both guidance passes get all of it; the model gathers it by the global key indices in the mask. */
type HintTarget = { data: Float32Array; keyCount: number; alpha: number; sigma: number };

/** The solver's start, the reference's SDEdit start: every frame's latent (inserted slots sampled from the previous
 *  key frame's posterior) diffused to the start timestep, noised = alpha z + sigma eps, then times the first VE sigma
 *  (`x = noise * sigmas[0]` in its dpmpp_2m_sde, with noise = the diffused latent). Solver memory starts at zero:
 *  the denoise loop never reads it at the first step, so its store needs no initialising. With `hint`, the hint is
 *  filled on the way from the key frames' samples (a key frame's hint and start latent share theirs), so each key
 *  frame's posterior is read and exponentiated once for both. */
async function writeStartLatents(opts: {
  posterior: PosteriorSampling;
  x: LatentStore;
  frames: ReturnType<typeof planFrames>;
  sampler: Sampler;
  schedule: NoiseSchedule;
  startTimestep: number;
  seed: number;
  hint: HintTarget | null;
  hooks: JobHooks;
}): Promise<void> {
  const { posterior, x, frames, sampler, schedule, hint } = opts;
  const sigmaVe = sampler.sigmaVe(0);
  const alpha = schedule.alpha(opts.startTimestep) * sigmaVe;
  const sigma = schedule.sigma(opts.startTimestep) * sigmaVe;
  const size = x.frameFloats;
  const { channels } = x.shape;
  const plane = size / channels;
  let cachedKey = -1;
  let moments: KeyPosterior | null = null;
  // Two output buffers: one fills while the other is written to disk.
  const outs = [new Float32Array(size), new Float32Array(size)];
  let writing: Promise<void> = Promise.resolve();
  const draws = drawNoiseAhead(
    frames.total,
    (f) => [
      posteriorDraw(posterior, f),
      { seed: opts.seed, stream: [NOISE_STREAM.start, f] },
      ...(hint && hint.sigma !== 0 && frames.isKey(f) ? [{ seed: posterior.seed, stream: [NOISE_STREAM.hint, frames.keyIndex(f)] }] : []),
    ],
    size,
  );
  for (let f = 0; f < frames.total; f++) {
    const key = frames.sourceKeyForFill(f);
    if (key !== cachedKey) {
      await opts.hooks.checkpoint();
      moments = keyPosterior(await posterior.moments.readFrame(key), size);
      cachedKey = key;
    }
    const [drawn, eps, hintEps] = (await draws.next()).value as Float32Array[];
    const z = sampleLatent(posterior, moments as KeyPosterior, drawn);
    if (hint && frames.isKey(f)) {
      for (let c = 0; c < channels; c++) {
        const to = (c * hint.keyCount + key) * plane;
        const from = c * plane;
        if (hint.sigma === 0) hint.data.set(z.subarray(from, from + plane), to);
        else for (let e = 0; e < plane; e++) hint.data[to + e] = hint.alpha * z[from + e] + hint.sigma * hintEps[from + e];
      }
    }
    const out = outs[f & 1];
    for (let e = 0; e < size; e++) out[e] = alpha * z[e] + sigma * eps[e];
    await writing;
    writing = x.write(f, out);
  }
  await writing;
}

/** Shrinks until the chunk length drops (tile sizes do not matter to the denoiser). */
function shrinkChunks(work: WorkPlan & { chunkLength: number }, floor: WorkPlan): WorkPlan | null {
  let next: WorkPlan | null = work;
  while ((next = shrinkPlan(next, floor))) {
    if (next.chunkLength !== null && next.chunkLength < work.chunkLength) return { ...next, tileH: work.tileH, tileW: work.tileW };
  }
  return null;
}

/** Shrinks until a tile side drops (chunk lengths do not matter to the decoder). */
function shrinkTiles(work: WorkPlan, floor: WorkPlan): WorkPlan | null {
  const next = shrinkPlan(work, floor);
  if (!next || (next.tileH >= work.tileH && next.tileW >= work.tileW)) return null;
  return { ...next, chunkLength: work.chunkLength };
}

