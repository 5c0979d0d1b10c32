// VAE decoding of the final latents in temporal chunks (linear cross-fade over their overlap) and spatial tiles
// (Gaussian-weighted: sum(w tile) / sum(w)), streaming each finished frame to the caller. Memory is bounded by
// one temporal chunk of decoded frames.
import { crossFadeWeight } from '../plan/temporal-chunks';
import { gaussianWeights, planSpans, type Span } from '../plan/tiles';
import type { JobHooks, PackRuntime } from '../types';
import type { LatentStore } from './latent-store';
import type { StageClock } from './progress';
import { assertFinite, cropPlanes, crossFadeFrames } from './tensor-layout';

export type DecodeTiling = {
  temporalChunk: number;
  temporalOverlap: number;
  tileH: number;
  tileW: number;
  overlapH: number;
  overlapW: number;
  gaussianVar: number;
};

/**
 * Decodes frames [0, latents.frames) and calls `emit` once per frame, in order, with [3, H, W] in [-1, 1].
 * `retryTile` is asked for a smaller tiling when a tile runs out of memory; it throws when none is left.
 */
export async function decodeLatents(opts: {
  runtime: PackRuntime;
  latents: LatentStore;
  tiling: DecodeTiling;
  retryTile: (error: unknown, tiling: DecodeTiling) => DecodeTiling;
  emit: (frame: Float32Array, index: number) => Promise<void>;
  hooks: JobHooks;
  clock: StageClock;
}): Promise<void> {
  const { runtime, latents, hooks, clock } = opts;
  const frames = latents.frames;
  let tiling = opts.tiling;
  const spans = tiling.temporalChunk >= frames ? [{ start: 0, end: frames }] : planSpans(frames, tiling.temporalChunk, Math.min(tiling.temporalOverlap, tiling.temporalChunk - 1));
  let pending: { start: number; images: Float32Array } | null = null;
  let frameSize = 0;

  for (let s = 0; s < spans.length; s++) {
    const span = spans[s];
    await hooks.checkpoint();
    const chunkLatents = await clock.time('vae_decode', () => latents.read(span.start, span.end));
    let images: Float32Array;
    for (;;) {
      try {
        images = await decodeTiled(runtime, chunkLatents, span.end - span.start, latents.shape, tiling, clock);
        break;
      } catch (error) {
        tiling = opts.retryTile(error, tiling);
      }
    }
    frameSize = images.length / (span.end - span.start);

    const blendStarted = performance.now();
    if (pending) {
      const overlap = pending.images.length / frameSize;
      if (pending.start !== span.start) throw new Error(`Decode chunk [${span.start}, ${span.end}) does not start where the previous overlap does (${pending.start}).`);
      crossFadeFrames(pending.images, images, overlap, frameSize, crossFadeWeight);
    }
    const finalEnd = s + 1 < spans.length ? spans[s + 1].start : span.end;
    pending = finalEnd < span.end ? { start: finalEnd, images: images.slice((finalEnd - span.start) * frameSize) } : null;
    clock.add('blend', (performance.now() - blendStarted) / 1000);

    for (let f = span.start; f < finalEnd; f++) {
      await opts.emit(images.subarray((f - span.start) * frameSize, (f - span.start + 1) * frameSize), f);
    }
  }
}

async function decodeTiled(
  runtime: PackRuntime,
  latents: Float32Array,
  count: number,
  shape: { channels: number; height: number; width: number },
  tiling: DecodeTiling,
  clock: StageClock,
): Promise<Float32Array> {
  const { channels, height, width } = shape;
  const scale = runtime.manifest.latent.downscale;
  const outH = height * scale;
  const outW = width * scale;
  const rows = spansFor(height, tiling.tileH, tiling.overlapH);
  const cols = spansFor(width, tiling.tileW, tiling.overlapW);

  const decodeTile = async (row: Span, col: Span): Promise<Float32Array> => {
    const th = row.end - row.start;
    const tw = col.end - col.start;
    const whole = th === height && tw === width;
    const data = whole ? latents : cropPlanes(latents, count * channels, height, width, row.start, col.start, th, tw);
    const out = await clock.time('vae_decode', () => runtime.vaeDecode({ dims: [count, channels, th, tw], data }));
    const expected = [count, 3, th * scale, tw * scale];
    if (out.dims.join('x') !== expected.join('x')) {
      throw new Error(`The VAE decoder returned ${out.dims.join('x')} for latents ${[count, channels, th, tw].join('x')} (expected ${expected.join('x')}): the pack does not match its manifest.`);
    }
    assertFinite(out.data, 'The VAE decoder');
    return out.data;
  };

  if (rows.length === 1 && cols.length === 1) return decodeTile(rows[0], cols[0]);

  const sum = new Float32Array(count * 3 * outH * outW);
  const weightSum = new Float32Array(outH * outW);
  for (const row of rows) {
    for (const col of cols) {
      const tile = await decodeTile(row, col);
      const started = performance.now();
      const th = (row.end - row.start) * scale;
      const tw = (col.end - col.start) * scale;
      const wy = gaussianWeights(th, tiling.gaussianVar);
      const wx = gaussianWeights(tw, tiling.gaussianVar);
      const y0 = row.start * scale;
      const x0 = col.start * scale;
      for (let y = 0; y < th; y++) {
        for (let x = 0; x < tw; x++) weightSum[(y0 + y) * outW + x0 + x] += wy[y] * wx[x];
      }
      for (let p = 0; p < count * 3; p++) {
        for (let y = 0; y < th; y++) {
          const w = wy[y];
          const from = (p * th + y) * tw;
          const to = (p * outH + y0 + y) * outW + x0;
          for (let x = 0; x < tw; x++) sum[to + x] += w * wx[x] * tile[from + x];
        }
      }
      clock.add('blend', (performance.now() - started) / 1000);
    }
  }
  const started = performance.now();
  const plane = outH * outW;
  for (let p = 0; p < count * 3; p++) {
    for (let i = 0; i < plane; i++) sum[p * plane + i] /= weightSum[i];
  }
  clock.add('blend', (performance.now() - started) / 1000);
  return sum;
}

function spansFor(size: number, tile: number, overlap: number): Span[] {
  if (tile >= size) return [{ start: 0, end: size }];
  return planSpans(size, tile, Math.min(overlap, Math.floor(tile / 2)));
}
