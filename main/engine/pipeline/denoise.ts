// The sampler loop over temporal chunks. Latents live on disk (LatentStore); each denoiser call reads one chunk,
// so memory is bounded by the chunk size. Per solver step, chunks run in order; each chunk's predicted x0 is
// cross-faded with the previous chunk's over their overlap, and the solver step is applied only to frames no
// later chunk will touch at this step. Overlap frames wait (x unchanged, x0 kept in memory) until the next
// chunk has blended them, so every frame is stepped exactly once per step with the blended x0.
import kernels from '@upframe/native-kernels';
import type { PackManifest } from '../pack/manifest';
import { crossFadeWeight, type TemporalChunk } from '../plan/temporal-chunks';
import { fillGaussianNoiseAsync } from '../random/gaussian';
import { combineGuidance } from '../sampler/guidance';
import type { Sampler } from '../sampler/sampler';
import type { NoiseSchedule } from '../schedule/noise-schedule';
import type { JobHooks, PackRuntime, Tensor } from '../types';
import type { LatentStore } from './latent-store';
import type { JobProgress, StageClock } from './progress';
import { assertFinite } from './tensor-layout';

/** Noise stream ids: every random draw is keyed by (seed, stream, ...indices), never by call order. */
export const NOISE_STREAM = { start: 1, hint: 2, step: 3, posterior: 4 } as const;

export type DenoiseInputs = {
  runtime: PackRuntime;
  sampler: Sampler;
  schedule: NoiseSchedule;
  /** Output frame count F and the [F] key-frame mask (key index, -1 at inserted frames). */
  frames: number;
  mask: BigInt64Array;
  chunks: TemporalChunk[];
  /** VE latents, initialised to the start latent; updated in place to the result. */
  x: LatentStore;
  /** [1, C, K, h, w]: the K key-frame latents noised once for the whole clip; every chunk gets all of them and the
   *  model gathers them by the (global) mask, as the reference does. */
  hint: Tensor;
  /** Solver memory, when the sampler needs it (zeros at the start). */
  state: LatentStore | null;
  context: Tensor;
  /** Null: one pass per evaluation (no classifier-free guidance). */
  negative: Tensor | null;
  cfgScale: number;
  cfgRescale: number;
  tHint: number;
  sCond: number;
  seed: number;
  hooks: JobHooks;
  progress: JobProgress;
  clock: StageClock;
};

/** Denoiser calls the loop will make for these chunks. */
export function plannedDenoiserCalls(sampler: Sampler, chunks: TemporalChunk[], guided: boolean): number {
  return sampler.evaluations * chunks.length * (guided ? 2 : 1);
}

export async function runDenoiseLoop(inputs: DenoiseInputs): Promise<void> {
  const { runtime, sampler, schedule, chunks, x, hint, state, hooks, clock } = inputs;
  const manifest = runtime.manifest;
  const { channels, height, width } = x.shape;
  const plane = height * width;
  const frameSize = x.frameFloats;
  checkChunks(chunks, inputs.frames);
  // Chunk-sized buffers in the denoiser's channel-major layout [C, F, h, w], reused while the chunk length holds
  // (every pass over a latent costs like a pass over the output pixels, and fresh arrays of this size cost GC).
  const buffers = new ChunkBuffers(frameSize, state !== null);

  for (let i = 0; i < sampler.evaluations; i++) {
    const sigmaVe = sampler.sigmaVe(i);
    // The model sees x_ve c_in with c_in = 1 / sqrt(sigma_ve^2 + 1) (the reference's get_scalings) and the rounded
    // timestep; x0 comes from its output with the schedule's alpha and sigma AT THAT INTEGER t, as the reference's
    // `denoise` indexes its tables with it (not the solver's fractional sigma).
    const cIn = 1 / Math.sqrt(sigmaVe * sigmaVe + 1);
    const t = sampler.modelTimestep(i);
    const alpha = schedule.alpha(t);
    const sigma = schedule.sigma(t);
    const noisy = sampler.needsNoise(i);
    /** x0 of the frames shared with the next chunk, channel-major [C, overlap, h, w]. */
    let pending: { frames: number; x0: Float32Array } | null = null;

    for (let c = 0; c < chunks.length; c++) {
      const chunk = chunks[c];
      const count = chunk.end - chunk.start;
      const { xVe, xVp, stateCm } = buffers.forFrames(count);
      // Frames from the next chunk's start on are shared with it: they are stepped with it, after the cross-fade.
      const finalEnd = c + 1 < chunks.length ? chunks[c + 1].start : chunk.end;
      const finalFrames = finalEnd - chunk.start;
      // The step noise of this chunk's final frames is drawn on worker threads while the model runs. Should this chunk
      // fail before its step, the error that ends the loop is the one reported; the draw's own outcome no longer
      // matters, so it is marked handled here and awaited (rethrowing) only at the step.
      const noise = noisy ? buffers.noise(finalFrames) : null;
      const noiseDrawn = noise ? drawStepNoise(inputs.seed, i, chunk.start, finalFrames, frameSize, noise) : null;
      noiseDrawn?.catch(() => undefined);
      // x of the chunk in place (in memory) or staged through xVe (in a file), and the model's input from it.
      const xs = await clock.time('denoise', () => x.lease(chunk.start, chunk.end, xVe, count));
      let started = performance.now();
      for (let f = 0; f < count; f++) {
        for (let ch = 0; ch < channels; ch++) {
          const to = (ch * count + f) * plane;
          kernels.scale(xVp.subarray(to, to + plane), xs.plane(f, ch), cIn);
        }
      }
      clock.add('denoise', (performance.now() - started) / 1000);

      const dims = [1, channels, count, height, width];
      const modelX: Tensor = { dims, data: xVp };
      // Only the mask is sliced per chunk; its values stay global key indices into the whole-clip hint.
      const mask = inputs.mask.slice(chunk.start, chunk.end);
      const evaluate = async (context: Tensor, pass: string, into: Float32Array): Promise<Float32Array> => {
        await hooks.checkpoint();
        const started = performance.now();
        const out = await runtime.denoise({ x: modelX, t, context, hint, mask, tHint: inputs.tHint, sCond: inputs.sCond }, into);
        const seconds = (performance.now() - started) / 1000;
        clock.add('denoise', seconds);
        if (out.data.length !== modelX.data.length) {
          throw new Error(`The denoiser returned ${out.data.length} values for an input of ${modelX.data.length}: the pack does not match its manifest.`);
        }
        inputs.progress.call(seconds, `Step ${i + 1}/${sampler.evaluations}, frames ${chunk.start}-${chunk.end - 1}${pass}`);
        return out.data;
      };

      // The model writes into the chunk's own output buffers (no allocation per call); guidance combines them into
      // the first, and x0 replaces the prediction in place: nothing outlives this chunk but the pending x0 copy.
      const cond = await evaluate(inputs.context, inputs.negative ? ' (prompt)' : '', buffers.forFrames(count).cond);
      // Guidance combines the two passes into `cond`; its rescale factor is applied by the x0 pass below.
      const guidanceFactor = inputs.negative
        ? combineGuidance(cond, await evaluate(inputs.negative, ' (negative)', buffers.forFrames(count).uncond), inputs.cfgScale, inputs.cfgRescale, cond)
        : 1;

      started = performance.now();
      const x0 = cond;
      predictionToX0InPlace(x0, xVp, alpha, sigma, guidanceFactor, manifest.schedule.prediction, 'The denoiser');
      if (pending) crossFadeChannelMajor(pending.x0, pending.frames, x0, count, channels, plane);
      // The frames shared with the next chunk keep their x0 for its cross-fade.
      const shared = chunk.end - finalEnd;
      pending = shared > 0 ? { frames: shared, x0: sliceFramesChannelMajor(x0, count, finalFrames, shared, channels, plane, buffers.pendingBuffer(pending, shared * frameSize)) } : null;
      clock.add('blend', (performance.now() - started) / 1000);

      await clock.time('denoise', async () => {
        // Solver memory starts at zero: the first step clears what an earlier, failed attempt (out of memory, shorter
        // chunks) may have left. Nothing reads it after the last step.
        const states = state && stateCm ? await state.lease(chunk.start, finalEnd, stateCm, count) : null;
        await noiseDrawn;
        for (let f = 0; f < finalFrames; f++) {
          for (let ch = 0; ch < channels; ch++) {
            const from = (ch * count + f) * plane;
            const old = states ? states.plane(f, ch) : null;
            if (old && i === 0) old.fill(0);
            sampler.step(
              i,
              xs.plane(f, ch),
              x0.subarray(from, from + plane),
              old,
              noise ? noise.subarray(f * frameSize + ch * plane, f * frameSize + (ch + 1) * plane) : null,
            );
          }
        }
        await Promise.all([xs.release(finalFrames), states?.release(i + 1 < sampler.evaluations ? finalFrames : 0)]);
      });
    }
  }
}

type ChunkArrays = { xVe: Float32Array; xVp: Float32Array; cond: Float32Array; uncond: Float32Array; stateCm: Float32Array | null };

/** Reusable channel-major chunk arrays: views of the first `frames` frames of arrays sized for the longest chunk
 *  so far (chunk lengths alternate, the last chunk of a step being stretched). */
class ChunkBuffers {
  private capacity = 0;
  private arrays: ChunkArrays | null = null;
  private views: { frames: number; arrays: ChunkArrays } | null = null;

  constructor(
    private readonly frameSize: number,
    private readonly withState: boolean,
  ) {}

  private spare: Float32Array | null = null;

  /** The other of two alternating pending-x0 buffers: `current` is still read while the returned one is filled. */
  pendingBuffer(current: { x0: Float32Array } | null, size: number): Float32Array {
    const reuse = this.spare && this.spare.length === size ? this.spare : new Float32Array(size);
    this.spare = current ? current.x0 : null;
    return reuse;
  }

  private noiseArray: Float32Array | null = null;

  /** Room for the step noise of `frames` frames (frame-major), reused across chunks. */
  noise(frames: number): Float32Array {
    const size = frames * this.frameSize;
    if (!this.noiseArray || this.noiseArray.length < size) this.noiseArray = new Float32Array(size);
    return this.noiseArray.subarray(0, size);
  }

  forFrames(frames: number): ChunkArrays {
    if (this.views?.frames === frames) return this.views.arrays;
    if (frames > this.capacity || !this.arrays) {
      this.arrays = null; // drop the old set before allocating the new one
      this.views = null;
      const size = frames * this.frameSize;
      this.arrays = {
        xVe: new Float32Array(size),
        xVp: new Float32Array(size),
        cond: new Float32Array(size),
        uncond: new Float32Array(size),
        stateCm: this.withState ? new Float32Array(size) : null,
      };
      this.capacity = frames;
    }
    const size = frames * this.frameSize;
    const all = this.arrays;
    const arrays = { xVe: all.xVe.subarray(0, size), xVp: all.xVp.subarray(0, size), cond: all.cond.subarray(0, size), uncond: all.uncond.subarray(0, size), stateCm: all.stateCm?.subarray(0, size) ?? null };
    this.views = { frames, arrays };
    return arrays;
  }
}

/** The step-i noise of frames [start, start + frames), one stream per (step, frame), frame-major into `out`. */
function drawStepNoise(seed: number, step: number, start: number, frames: number, frameSize: number, out: Float32Array): Promise<unknown> {
  const draws: Promise<void>[] = [];
  for (let f = 0; f < frames; f++) {
    draws.push(fillGaussianNoiseAsync(seed, [NOISE_STREAM.step, step, start + f], out.subarray(f * frameSize, (f + 1) * frameSize)));
  }
  return Promise.all(draws);
}

/** Frames [from, from + n) of a channel-major [C, frames, plane] array into `out` as [C, n, plane]. */
function sliceFramesChannelMajor(data: Float32Array, frames: number, from: number, n: number, channels: number, plane: number, out: Float32Array): Float32Array {
  for (let c = 0; c < channels; c++) out.set(data.subarray((c * frames + from) * plane, (c * frames + from + n) * plane), c * n * plane);
  return out;
}

/** Linear cross-fade (crossFadeWeight) of the first `overlap` frames of channel-major `next` with `previous`
 *  ([C, overlap, plane]): next = (1 - c_j) previous + c_j next. */
function crossFadeChannelMajor(previous: Float32Array, overlap: number, next: Float32Array, frames: number, channels: number, plane: number): void {
  for (let j = 0; j < overlap; j++) {
    const w = crossFadeWeight(j, overlap);
    for (let c = 0; c < channels; c++) {
      const p = (c * overlap + j) * plane;
      const n = (c * frames + j) * plane;
      kernels.fade(next.subarray(n, n + plane), previous.subarray(p, p + plane), w);
    }
  }
}

const PREDICTION_KIND = { v: 0, eps: 1, x0: 2 } as const;

/** x0 from the model's prediction (VP space) times `scale` (the guidance rescale factor), written over the prediction,
 *  checking on the way that every value is finite (no extra pass). */
function predictionToX0InPlace(
  prediction: Float32Array,
  xVp: Float32Array,
  alpha: number,
  sigma: number,
  scale: number,
  type: PackManifest['schedule']['prediction'],
  what: string,
): void {
  if (!kernels.predictionToX0(prediction, xVp, PREDICTION_KIND[type], alpha, sigma * scale, scale)) assertFinite(prediction, what);
}

function checkChunks(chunks: TemporalChunk[], frames: number): void {
  if (chunks.length === 0 || chunks[0].start !== 0 || chunks[chunks.length - 1].end !== frames) {
    throw new Error(`Temporal chunks must cover frames [0, ${frames}).`);
  }
  for (let c = 1; c < chunks.length; c++) {
    const previous = chunks[c - 1];
    const chunk = chunks[c];
    // The carried x0 covers [chunk.start, previous.end); it already holds every earlier chunk's share, so a frame
    // may lie in more than two chunks as long as starts and ends both increase.
    if (!(chunk.start > previous.start && chunk.start <= previous.end && chunk.end > previous.end)) {
      throw new Error(`Temporal chunk [${chunk.start}, ${chunk.end}) does not follow [${previous.start}, ${previous.end}).`);
    }
  }
}
