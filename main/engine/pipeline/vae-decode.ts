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
  let layout: TileLayout | null = null;
  let output: Float32Array | null = null;

  for (let s = 0; s < spans.length; s++) {
    const span = spans[s];
    const count = span.end - span.start;
    await hooks.checkpoint();
    const chunkLatents = await clock.time('vae_decode', () => latents.read(span.start, span.end));
    let images: Float32Array;
    for (;;) {
      try {
        if (!layout || layout.tileH !== tiling.tileH || layout.tileW !== tiling.tileW) layout = planTileLayout(runtime.manifest.latent.downscale, latents.shape, tiling);
        // One output array per chunk length: every emitted frame has been handed on before the next chunk.
        const size = count * 3 * layout.outH * layout.outW;
        if (!output || output.length !== size) output = new Float32Array(size);
        images = await decodeTiled(runtime, chunkLatents, count, latents.shape, layout, output, clock);
        break;
      } catch (error) {
        tiling = opts.retryTile(error, tiling);
      }
    }
    frameSize = images.length / count;

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

/** Where each spatial tile goes and its blend weights w(y) w(x) / sum of all tiles' weights at that pixel, so
 *  blending is one multiply-add per tile pixel (no weight-sum array, no division pass). Planned once per tiling. */
type TileLayout = {
  tileH: number;
  tileW: number;
  outH: number;
  outW: number;
  tiles: { row: Span; col: Span; y0: number; x0: number; th: number; tw: number; weights: Float32Array | null }[];
};

function planTileLayout(scale: number, shape: { height: number; width: number }, tiling: DecodeTiling): TileLayout {
  const { height, width } = shape;
  const outH = height * scale;
  const outW = width * scale;
  const rows = spansFor(height, tiling.tileH, tiling.overlapH);
  const cols = spansFor(width, tiling.tileW, tiling.overlapW);
  const tiles: TileLayout['tiles'] = [];
  for (const row of rows) {
    for (const col of cols) {
      tiles.push({ row, col, y0: row.start * scale, x0: col.start * scale, th: (row.end - row.start) * scale, tw: (col.end - col.start) * scale, weights: null });
    }
  }
  if (tiles.length > 1) {
    const weightSum = new Float64Array(outH * outW);
    const separable = tiles.map((t) => ({ wy: gaussianWeights(t.th, tiling.gaussianVar), wx: gaussianWeights(t.tw, tiling.gaussianVar) }));
    tiles.forEach((t, i) => {
      const { wy, wx } = separable[i];
      for (let y = 0; y < t.th; y++) {
        for (let x = 0; x < t.tw; x++) weightSum[(t.y0 + y) * outW + t.x0 + x] += wy[y] * wx[x];
      }
    });
    tiles.forEach((t, i) => {
      const { wy, wx } = separable[i];
      const weights = new Float32Array(t.th * t.tw);
      for (let y = 0; y < t.th; y++) {
        for (let x = 0; x < t.tw; x++) weights[y * t.tw + x] = (wy[y] * wx[x]) / weightSum[(t.y0 + y) * outW + t.x0 + x];
      }
      t.weights = weights;
    });
  }
  return { tileH: tiling.tileH, tileW: tiling.tileW, outH, outW, tiles };
}

async function decodeTiled(
  runtime: PackRuntime,
  latents: Float32Array,
  count: number,
  shape: { channels: number; height: number; width: number },
  layout: TileLayout,
  sum: Float32Array,
  clock: StageClock,
): Promise<Float32Array> {
  const { channels, height, width } = shape;
  const scale = runtime.manifest.latent.downscale;
  const { outH, outW } = layout;

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
    return out.data;
  };

  if (layout.tiles.length === 1) {
    const only = layout.tiles[0];
    const image = await decodeTile(only.row, only.col);
    checkFinite(image);
    return image;
  }

  const decoded: Float32Array[] = [];
  for (const tile of layout.tiles) decoded.push(await decodeTile(tile.row, tile.col));
  const started = performance.now();
  // Plane by plane, every tile in turn: one output plane stays in cache while all its tiles are added to it.
  // The first tile is also checked for finite values on the way (a float64 sum of float32 values is non-finite
  // only if one of them is); the others below.
  const plane = outH * outW;
  sum.fill(0);
  const checks = new Float64Array(decoded.length);
  for (let p = 0; p < count * 3; p++) {
    for (let i = 0; i < layout.tiles.length; i++) {
      const { th, tw, y0, x0 } = layout.tiles[i];
      const weights = layout.tiles[i].weights as Float32Array;
      const data = decoded[i];
      let check = 0;
      for (let y = 0; y < th; y++) {
        const from = (p * th + y) * tw;
        const to = p * plane + (y0 + y) * outW + x0;
        const w = y * tw;
        for (let x = 0; x < tw; x++) {
          const v = data[from + x];
          check += v;
          sum[to + x] += weights[w + x] * v;
        }
      }
      checks[i] += check;
    }
  }
  for (let i = 0; i < decoded.length; i++) if (!Number.isFinite(checks[i])) checkFinite(decoded[i]);
  clock.add('blend', (performance.now() - started) / 1000);
  return sum;
}

function checkFinite(image: Float32Array): void {
  let check = 0;
  for (let i = 0; i < image.length; i++) check += image[i];
  if (!Number.isFinite(check)) assertFinite(image, 'The VAE decoder');
}

function spansFor(size: number, tile: number, overlap: number): Span[] {
  if (tile >= size) return [{ start: 0, end: size }];
  return planSpans(size, tile, Math.min(overlap, Math.floor(tile / 2)));
}
