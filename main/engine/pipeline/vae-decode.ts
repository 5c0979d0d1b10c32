// VAE decoding of the final latents in temporal chunks (linear cross-fade over their overlap) and spatial tiles
// (Gaussian-weighted: sum(w tile) / sum(w)), streaming each finished frame to the caller. Memory is bounded by
// one temporal chunk of decoded frames.
import { crossFadeWeight } from '../plan/temporal-chunks';
import { gaussianWeights, planSpans, type Span } from '../plan/tiles';
import type { JobHooks, PackRuntime } from '../types';
import type { LatentStore } from './latent-store';
import type { StageClock } from './progress';
import { cropPlanes, crossFadeFrames } from './tensor-layout';

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
  let pending: { start: number; frames: number } | null = null;
  let layout: TileLayout | null = null;
  // Buffers kept across chunks (a few hundred MB at the real geometry): allocating them per chunk costs more in page
  // faults and garbage collection than the blend itself. `held` keeps the overlap frames for the next chunk's fade.
  let output: Float32Array | null = null;
  let held = new Float32Array(0);

  for (let s = 0; s < spans.length; s++) {
    const span = spans[s];
    const count = span.end - span.start;
    await hooks.checkpoint();
    const chunkLatents = await clock.time('vae_decode', () => latents.read(span.start, span.end));
    let images: Float32Array;
    for (;;) {
      try {
        if (!layout || layout.tileH !== tiling.tileH || layout.tileW !== tiling.tileW) layout = planTileLayout(runtime.manifest.latent.downscale, latents.shape, tiling);
        const size = count * 3 * layout.outH * layout.outW;
        if (!output || output.length !== size) output = new Float32Array(size);
        images = await decodeTiled(runtime, chunkLatents, count, latents.shape, layout, output, clock);
        break;
      } catch (error) {
        tiling = opts.retryTile(error, tiling);
      }
    }
    const frameSize = images.length / count;

    const blendStarted = performance.now();
    if (pending) {
      if (pending.start !== span.start) throw new Error(`Decode chunk [${span.start}, ${span.end}) does not start where the previous overlap does (${pending.start}).`);
      crossFadeFrames(held, images, pending.frames, frameSize, crossFadeWeight);
    }
    const finalEnd = s + 1 < spans.length ? spans[s + 1].start : span.end;
    if (finalEnd < span.end) {
      const kept = images.subarray((finalEnd - span.start) * frameSize);
      if (held.length < kept.length) held = new Float32Array(kept.length);
      held.set(kept);
      pending = { start: finalEnd, frames: span.end - finalEnd };
    } else {
      pending = null;
    }
    clock.add('blend', (performance.now() - blendStarted) / 1000);

    for (let f = span.start; f < finalEnd; f++) {
      await opts.emit(images.subarray((f - span.start) * frameSize, (f - span.start + 1) * frameSize), f);
    }
  }
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
    soleY: Span;
    soleX: Span;
    /** Rows from freshY and columns from freshX are covered by no earlier tile (in row-major order): there this
     *  tile's share is written, not added, so the output needs no zeroing pass. */
    freshY: number;
    freshX: number;
  }[];
  /** Each tile's decoder output buffer, reused while the chunk length holds. */
  decoded: (Float32Array | undefined)[];
};

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
  // Where a tile is the only one along an axis its normalised weight is exactly 1 (w / w): over the rectangle
  // where it is alone on both axes (most of the picture) the blend is a copy.
  const sole = (spans: Span[], i: number): Span => {
    const covered = (j: number) => spans.filter((other) => other.start <= j && j < other.end).length;
    let start = spans[i].start;
    while (start < spans[i].end && covered(start) > 1) start++;
    let end = start;
    while (end < spans[i].end && covered(end) === 1) end++;
    return { start: (start - spans[i].start) * scale, end: (end - spans[i].start) * scale };
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
        soleY: sole(rows, r),
        soleX: sole(cols, c),
        // Spans start and end in increasing order, so only the previous row (column) can overlap this one.
        freshY: r === 0 ? 0 : Math.max(0, rows[r - 1].end - row.start) * scale,
        freshX: c === 0 ? 0 : Math.max(0, cols[c - 1].end - col.start) * scale,
      });
    });
  });
  return { tileH: tiling.tileH, tileW: tiling.tileW, outH, outW, tiles, decoded: [] };
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

  const decodeTile = async (i: number): Promise<Float32Array> => {
    const { row, col } = layout.tiles[i];
    const th = row.end - row.start;
    const tw = col.end - col.start;
    const whole = th === height && tw === width;
    const data = whole ? latents : cropPlanes(latents, count * channels, height, width, row.start, col.start, th, tw);
    // Each tile decodes into a buffer of its own kept across chunks: hundreds of MB per chunk at the real geometry,
    // which fresh from onnxruntime cost page faults and garbage collection for every chunk.
    const size = count * 3 * th * scale * tw * scale;
    if (layout.decoded[i]?.length !== size) layout.decoded[i] = new Float32Array(size);
    const out = await clock.time('vae_decode', () => runtime.vaeDecode({ dims: [count, channels, th, tw], data }, layout.decoded[i]));
    const expected = [count, 3, th * scale, tw * scale];
    if (out.dims.join('x') !== expected.join('x')) {
      throw new Error(`The VAE decoder returned ${out.dims.join('x')} for latents ${[count, channels, th, tw].join('x')} (expected ${expected.join('x')}): the pack does not match its manifest.`);
    }
    return out.data;
  };

  // Non-finite values are not looked for here: cropToRgb24 rejects any in what is kept, one pass fewer.
  if (layout.tiles.length === 1) return decodeTile(0);

  const decoded: Float32Array[] = [];
  for (let i = 0; i < layout.tiles.length; i++) decoded.push(await decodeTile(i));
  const started = performance.now();
  // Plane by plane, every tile in turn: one output plane stays in cache while all its tiles go into it. The first
  // tile over a pixel writes its share, later ones add theirs; where a tile is alone (weight 1) its row segment is
  // copied.
  const plane = outH * outW;
  for (let p = 0; p < count * 3; p++) {
    for (let i = 0; i < layout.tiles.length; i++) {
      const { th, tw, y0, x0, wy, wx, soleY, soleX, freshY, freshX } = layout.tiles[i];
      const data = decoded[i];
      for (let y = 0; y < th; y++) {
        const from = (p * th + y) * tw;
        const to = p * plane + (y0 + y) * outW + x0;
        const rowWeight = wy[y];
        if (y < freshY) {
          for (let x = 0; x < tw; x++) sum[to + x] += rowWeight * wx[x] * data[from + x];
          continue;
        }
        for (let x = 0; x < freshX; x++) sum[to + x] += rowWeight * wx[x] * data[from + x];
        // From freshX on nothing is there yet: soleX lies inside [freshX, tw) (a pixel alone is covered by no earlier tile).
        const copyFrom = y >= soleY.start && y < soleY.end ? soleX.start : tw;
        const copyTo = copyFrom < tw ? soleX.end : tw;
        for (let x = freshX; x < copyFrom; x++) sum[to + x] = rowWeight * wx[x] * data[from + x];
        if (copyTo > copyFrom) sum.set(data.subarray(from + copyFrom, from + copyTo), to + copyFrom);
        for (let x = copyTo; x < tw; x++) sum[to + x] = rowWeight * wx[x] * data[from + x];
      }
    }
  }
  clock.add('blend', (performance.now() - started) / 1000);
  return sum;
}

function spansFor(size: number, tile: number, overlap: number): Span[] {
  if (tile >= size) return [{ start: 0, end: size }];
  return planSpans(size, tile, Math.min(overlap, Math.floor(tile / 2)));
}
