// VAE decoding of the final latents in temporal chunks (linear cross-fade over their overlap) and spatial tiles
// (Gaussian-weighted: sum(w tile) / sum(w)), streaming each finished frame to the caller as rgb24. Memory is bounded
// by one temporal chunk of decoded tiles. The blend, the cross-fade, the crop and the quantisation are one native pass
// per frame (blendFrame): the decoded tiles are read once and no full-size float frame is written.
import kernels from '@upframe/native-kernels';
import { NON_FINITE_DECODE } from '../plan/resolution';
import { crossFadeWeight } from '../plan/temporal-chunks';
import { gaussianWeights, planSpans, type Span } from '../plan/tiles';
import type { JobHooks, PackRuntime } from '../types';
import type { LatentStore } from './latent-store';
import type { StageClock } from './progress';
import { cropPlanes } from './tensor-layout';

export type DecodeTiling = {
  temporalChunk: number;
  temporalOverlap: number;
  tileH: number;
  tileW: number;
  overlapH: number;
  overlapW: number;
  gaussianVar: number;
};

/** The part of the decoded (padded) picture that is kept. */
export type DecodeCrop = { left: number; top: number; width: number; height: number };

/**
 * Decodes frames [0, latents.frames) and calls `emit` once per frame, in order, with the crop of the frame as packed
 * rgb24 in a buffer from `frameBuffer` (values in [-1, 1] mapped to 0-255, rounded, clamped). Up to twice the
 * decode chunk's length of those buffers are held at once (DECODE_FRAMES_AHEAD).
 * `retryTile` is asked for a smaller tiling when a tile runs out of memory; it throws when none is left.
 *
 * Chunk s is blended on a worker thread (blendFramesAsync) while the decoder runs on chunk s + 1 and while chunk s - 1's
 * frames go to the writer: the tile buffers come in two sets, one decoded into while the other is blended from.
 */
export async function decodeLatents(opts: {
  runtime: PackRuntime;
  latents: LatentStore;
  tiling: DecodeTiling;
  crop: DecodeCrop;
  retryTile: (error: unknown, tiling: DecodeTiling) => DecodeTiling;
  frameBuffer: () => Uint8Array;
  emit: (rgb: Uint8Array, index: number) => Promise<void>;
  hooks: JobHooks;
  clock: StageClock;
}): Promise<void> {
  const { runtime, latents, hooks, clock, crop } = opts;
  const frames = latents.frames;
  let tiling = opts.tiling;
  const spans = tiling.temporalChunk >= frames ? [{ start: 0, end: frames }] : planSpans(frames, tiling.temporalChunk, Math.min(tiling.temporalOverlap, tiling.temporalChunk - 1));
  let layout: TileLayout | null = null;
  const cropBox = new Int32Array(6);
  const cropFloats = 3 * crop.width * crop.height;
  // The frames a chunk shares with the next one, kept (cropped, float) for the next chunk's cross-fade. Two sets:
  // a chunk reads the previous chunk's while it fills its own.
  let held: Float32Array[] = [];
  let holding: Float32Array[] = [];
  let pending: { start: number; frames: number } | null = null;
  /** The chunk being blended on the worker thread, and its frames to emit once it is done. */
  let blending: { done: Promise<boolean>; emitted: { rgb: Uint8Array; index: number }[] } | null = null;

  const blended = async (): Promise<{ rgb: Uint8Array; index: number }[]> => {
    if (!blending) return [];
    const { done, emitted } = blending;
    blending = null;
    const started = performance.now();
    const finite = await done;
    clock.add('blend', (performance.now() - started) / 1000);
    if (!finite) throw new Error(NON_FINITE_DECODE);
    [held, holding] = [holding, held];
    return emitted;
  };
  const emitAll = async (emitted: { rgb: Uint8Array; index: number }[]) => {
    for (const { rgb, index } of emitted) await opts.emit(rgb, index);
  };

  try {
    for (let s = 0; s < spans.length; s++) {
      const span = spans[s];
      const count = span.end - span.start;
      await hooks.checkpoint();
      const chunkLatents = await clock.time('vae_decode', () => latents.read(span.start, span.end));
      for (;;) {
        try {
          if (!layout || layout.tileH !== tiling.tileH || layout.tileW !== tiling.tileW) layout = planTileLayout(runtime.manifest.latent.downscale, latents.shape, tiling);
          await decodeTiles(runtime, chunkLatents, count, latents.shape, layout, layout.sets[s % 2], clock);
          break;
        } catch (error) {
          tiling = opts.retryTile(error, tiling);
        }
      }
      if (crop.left + crop.width > layout.outW || crop.top + crop.height > layout.outH) {
        throw new Error(`The crop ${crop.width}x${crop.height} at (${crop.left}, ${crop.top}) does not fit the decoded ${layout.outW}x${layout.outH} picture.`);
      }
      cropBox.set([layout.outW, layout.outH, crop.left, crop.top, crop.width, crop.height]);
      // The previous chunk's blend must be done: this one cross-fades with the frames it kept.
      const ready = await blended();
      if (pending && pending.start !== span.start) throw new Error(`Decode chunk [${span.start}, ${span.end}) does not start where the previous overlap does (${pending.start}).`);
      const finalEnd = s + 1 < spans.length ? spans[s + 1].start : span.end;
      const set = layout.sets[s % 2];
      const tiles: kernels.BlendTile[] = layout.tiles.map((tile, i) => ({ ...tile, data: set.decoded[i] as Float32Array }));
      const batch: kernels.BlendOutput[] = [];
      const emitted: { rgb: Uint8Array; index: number }[] = [];
      for (let f = span.start; f < span.end; f++) {
        const j = f - span.start;
        const fading = pending !== null && j < pending.frames;
        const keep = f >= finalEnd ? (holding[f - finalEnd] ??= new Float32Array(cropFloats)) : null;
        const rgb = f < finalEnd ? opts.frameBuffer() : null;
        if (rgb) emitted.push({ rgb, index: f });
        batch.push({ frame: j, previous: fading ? held[j] : null, fade: fading ? crossFadeWeight(j, pending!.frames) : 1, keep, rgb });
      }
      const done = kernels.blendFramesAsync(tiles, cropBox, batch);
      // Awaited by blended(); should the decode fail first, its own error is the one reported.
      done.catch(() => undefined);
      blending = { done, emitted };
      pending = finalEnd < span.end ? { start: finalEnd, frames: span.end - finalEnd } : null;
      await emitAll(ready);
    }
    await emitAll(await blended());
  } finally {
    // A failed decode leaves no blend running over buffers it no longer owns.
    if (blending) await (blending as { done: Promise<boolean> }).done.catch(() => undefined);
  }
}

/** frameBuffer() buffers decodeLatents holds at once: one chunk being blended and the previous one being emitted. */
export function decodeFramesAhead(tiling: DecodeTiling, frames: number): number {
  return 2 * Math.max(1, Math.min(tiling.temporalChunk, frames));
}

/** Where each spatial tile goes, with its blend weights: w(y) w(x) over the sum of all tiles' weights at that pixel.
 *  The tiles form a grid (every tile of a row has the same rows, of a column the same columns), so that sum is
 *  (sum of the rows' w(y)) (sum of the columns' w(x)) and each tile's weight splits into a row factor and a column
 *  factor: one multiply-add per tile pixel with both factors in cache. Planned once per tiling. */
type TileLayout = {
  tileH: number;
  tileW: number;
  outH: number;
  outW: number;
  tiles: {
    row: Span;
    col: Span;
    y0: number;
    x0: number;
    th: number;
    tw: number;
    wy: Float32Array;
    wx: Float32Array;
  }[];
  /** Two sets of each tile's decoder input and output buffers (one decoded into while the other is blended from),
   *  reused while the chunk length holds. */
  sets: [TileBuffers, TileBuffers];
};

type TileBuffers = { latents: (Float32Array | undefined)[]; decoded: (Float32Array | undefined)[] };

function planTileLayout(scale: number, shape: { height: number; width: number }, tiling: DecodeTiling): TileLayout {
  const { height, width } = shape;
  const outH = height * scale;
  const outW = width * scale;
  const rows = spansFor(height, tiling.tileH, tiling.overlapH);
  const cols = spansFor(width, tiling.tileW, tiling.overlapW);
  const normalised = (spans: Span[], size: number): Float32Array[] => {
    const raw = spans.map((span) => gaussianWeights((span.end - span.start) * scale, tiling.gaussianVar));
    const total = new Float64Array(size);
    spans.forEach((span, i) => raw[i].forEach((w, j) => (total[span.start * scale + j] += w)));
    return spans.map((span, i) => raw[i].map((w, j) => (spans.length === 1 ? 1 : w / total[span.start * scale + j])));
  };
  const wys = normalised(rows, outH);
  const wxs = normalised(cols, outW);
  const tiles: TileLayout['tiles'] = [];
  rows.forEach((row, r) => {
    cols.forEach((col, c) => {
      tiles.push({
        row,
        col,
        y0: row.start * scale,
        x0: col.start * scale,
        th: (row.end - row.start) * scale,
        tw: (col.end - col.start) * scale,
        wy: wys[r],
        wx: wxs[c],
      });
    });
  });
  return { tileH: tiling.tileH, tileW: tiling.tileW, outH, outW, tiles, sets: [{ latents: [], decoded: [] }, { latents: [], decoded: [] }] };
}

/** Decodes every tile of the chunk into its buffer in `set` (kept across chunks). */
async function decodeTiles(
  runtime: PackRuntime,
  latents: Float32Array,
  count: number,
  shape: { channels: number; height: number; width: number },
  layout: TileLayout,
  set: TileBuffers,
  clock: StageClock,
): Promise<void> {
  const { channels, height, width } = shape;
  const scale = runtime.manifest.latent.downscale;
  for (let i = 0; i < layout.tiles.length; i++) {
    const { row, col } = layout.tiles[i];
    const th = row.end - row.start;
    const tw = col.end - col.start;
    const whole = th === height && tw === width;
    const latentSize = count * channels * th * tw;
    if (!whole && set.latents[i]?.length !== latentSize) set.latents[i] = new Float32Array(latentSize);
    const data = whole ? latents : cropPlanes(latents, count * channels, height, width, row.start, col.start, th, tw, set.latents[i]);
    // Each tile decodes into a buffer of its own kept across chunks: hundreds of MB per chunk at the real geometry,
    // which fresh from onnxruntime cost page faults and garbage collection for every chunk.
    const size = count * 3 * th * scale * tw * scale;
    if (set.decoded[i]?.length !== size) set.decoded[i] = new Float32Array(size);
    const out = await clock.time('vae_decode', () => runtime.vaeDecode({ dims: [count, channels, th, tw], data }, set.decoded[i]));
    const expected = [count, 3, th * scale, tw * scale];
    if (out.dims.join('x') !== expected.join('x')) {
      throw new Error(`The VAE decoder returned ${out.dims.join('x')} for latents ${[count, channels, th, tw].join('x')} (expected ${expected.join('x')}): the pack does not match its manifest.`);
    }
    // A float16 output arrives in an array of its own.
    set.decoded[i] = out.data;
  }
}

function spansFor(size: number, tile: number, overlap: number): Span[] {
  if (tile >= size) return [{ start: 0, end: size }];
  return planSpans(size, tile, Math.min(overlap, Math.floor(tile / 2)));
}
