// The sampler loop over temporal chunks. Latents live on disk (LatentStore); each denoiser call reads one chunk,
// so memory is bounded by the chunk size. Per solver step, chunks run in order; each chunk's predicted x0 is
// cross-faded with the previous chunk's over their overlap, and the solver step is applied only to frames no
// later chunk will touch at this step. Overlap frames wait (x unchanged, x0 kept in memory) until the next
// chunk has blended them, so every frame is stepped exactly once per step with the blended x0.
import type { PackManifest } from '../pack/manifest';
import { crossFadeWeight, type TemporalChunk } from '../plan/temporal-chunks';
import { gaussianNoise } from '../random/gaussian';
import { applyGuidance } from '../sampler/guidance';
import type { Sampler } from '../sampler/sampler';
import type { JobHooks, PackRuntime, Tensor } from '../types';
import type { LatentStore } from './latent-store';
import type { JobProgress, StageClock } from './progress';
import { assertFinite, channelsToFrames, crossFadeFrames, framesToChannels } from './tensor-layout';

/** Noise stream ids: every random draw is keyed by (seed, stream, ...indices), never by call order. */
export const NOISE_STREAM = { start: 1, hint: 2, step: 3 } as const;

export type DenoiseInputs = {
  runtime: PackRuntime;
  sampler: Sampler;
  /** Output frame count F and the [F] key-frame mask (key index, -1 at inserted frames). */
  frames: number;
  mask: BigInt64Array;
  chunks: TemporalChunk[];
  /** VE latents, initialised to the start latent; updated in place to the result. */
  x: LatentStore;
  /** VP hints (zeros at inserted frames). */
  hint: LatentStore;
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
  const { runtime, sampler, chunks, x, hint, state, hooks, clock } = inputs;
  const manifest = runtime.manifest;
  const { channels, height, width } = x.shape;
  const plane = height * width;
  const frameSize = x.frameFloats;
  checkChunks(chunks, inputs.frames);

  for (let i = 0; i < sampler.evaluations; i++) {
    const sigmaVe = sampler.sigmaVe(i);
    // The model sees VP latents: x_vp = alpha x_ve with alpha = 1 / sqrt(sigma_ve^2 + 1), sigma = sigma_ve alpha.
    const alpha = 1 / Math.sqrt(sigmaVe * sigmaVe + 1);
    const sigma = sigmaVe * alpha;
    const t = sampler.timestep(i);
    let pending: { start: number; x0: Float32Array } | null = null;

    for (let c = 0; c < chunks.length; c++) {
      const chunk = chunks[c];
      const count = chunk.end - chunk.start;
      const xChunk = await clock.time('denoise', () => x.read(chunk.start, chunk.end));
      const hintChunk = await clock.time('denoise', () => hint.read(chunk.start, chunk.end));
      const xVp = new Float32Array(xChunk.length);
      for (let e = 0; e < xVp.length; e++) xVp[e] = alpha * xChunk[e];

      const dims = [1, channels, count, height, width];
      const modelX: Tensor = { dims, data: framesToChannels(xVp, count, channels, plane) };
      const modelHint: Tensor = { dims, data: framesToChannels(hintChunk, count, channels, plane) };
      const mask = chunkMask(inputs.mask, chunk);
      const evaluate = async (context: Tensor, pass: string): Promise<Float32Array> => {
        await hooks.checkpoint();
        const started = performance.now();
        const out = await runtime.denoise({ x: modelX, t, context, hint: modelHint, mask, tHint: inputs.tHint, sCond: inputs.sCond });
        const seconds = (performance.now() - started) / 1000;
        clock.add('denoise', seconds);
        if (out.data.length !== modelX.data.length) {
          throw new Error(`The denoiser returned ${out.data.length} values for an input of ${modelX.data.length}: the pack does not match its manifest.`);
        }
        inputs.progress.call(seconds, `Step ${i + 1}/${sampler.evaluations}, frames ${chunk.start}-${chunk.end - 1}${pass}`);
        return out.data;
      };

      const cond = await evaluate(inputs.context, inputs.negative ? ' (prompt)' : '');
      const prediction = inputs.negative
        ? applyGuidance(cond, await evaluate(inputs.negative, ' (negative)'), inputs.cfgScale, inputs.cfgRescale)
        : cond;

      const blendStarted = performance.now();
      const x0 = predictionToX0(channelsToFrames(prediction, count, channels, plane), xVp, alpha, sigma, manifest.schedule.prediction);
      assertFinite(x0, 'The denoiser');
      if (pending) {
        const overlap = pending.x0.length / frameSize;
        crossFadeFrames(pending.x0, x0, overlap, frameSize, crossFadeWeight);
      }
      // Frames from the next chunk's start on are shared with it: keep their x0 for its cross-fade.
      const finalEnd = c + 1 < chunks.length ? chunks[c + 1].start : chunk.end;
      const finalFrames = finalEnd - chunk.start;
      pending = finalEnd < chunk.end ? { start: finalEnd, x0: x0.slice(finalFrames * frameSize) } : null;
      clock.add('blend', (performance.now() - blendStarted) / 1000);

      await clock.time('denoise', async () => {
        const xFinal = xChunk.subarray(0, finalFrames * frameSize);
        const stateFinal = state ? await state.read(chunk.start, finalEnd) : null;
        const noise = sampler.needsNoise(i) ? stepNoise(inputs.seed, i, chunk.start, finalEnd, frameSize) : null;
        sampler.step(i, xFinal, x0.subarray(0, finalFrames * frameSize), stateFinal, noise);
        await x.write(chunk.start, xFinal);
        if (state && stateFinal) await state.write(chunk.start, stateFinal);
      });
    }
  }
}

/** Noise for frames [start, end) at solver step i, the same whatever the chunking. */
function stepNoise(seed: number, step: number, start: number, end: number, frameSize: number): Float32Array {
  const out = new Float32Array((end - start) * frameSize);
  for (let f = start; f < end; f++) out.set(gaussianNoise(seed, [NOISE_STREAM.step, step, f], frameSize), (f - start) * frameSize);
  return out;
}

/** x0 from the model's prediction (VP space) and x_vp at alpha, sigma. */
export function predictionToX0(
  prediction: Float32Array,
  xVp: Float32Array,
  alpha: number,
  sigma: number,
  type: PackManifest['schedule']['prediction'],
): Float32Array {
  if (type === 'x0') return prediction;
  const out = new Float32Array(prediction.length);
  if (type === 'v') {
    for (let e = 0; e < out.length; e++) out[e] = alpha * xVp[e] - sigma * prediction[e];
  } else {
    for (let e = 0; e < out.length; e++) out[e] = (xVp[e] - sigma * prediction[e]) / alpha;
  }
  return out;
}

/** The mask as the model sees a chunk: key indices counted from the chunk's first key frame, -1 elsewhere,
 *  as for a clip that starts at the chunk (the model was trained on single windows). */
export function chunkMask(mask: BigInt64Array, chunk: TemporalChunk): BigInt64Array {
  const out = mask.slice(chunk.start, chunk.end);
  let first = -1n;
  for (const value of out) {
    if (value >= 0n) {
      first = value;
      break;
    }
  }
  for (let j = 0; j < out.length; j++) if (out[j] >= 0n) out[j] -= first;
  return out;
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
