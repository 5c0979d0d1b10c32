// Spatial tiles for VAE decoding (ENHANCEMENT.md 2.9; reference: VEnhancer's tiled temporal-VAE decode with
// Gaussian blending). Tiles overlap and are blended as sum(w tile) / sum(w), so seams vanish and a constant image
// stays constant.

export type Span = { start: number; end: number };

/**
 * Spans of length `tile` covering [0, size), consecutive spans overlapping by at least `overlap`; the last span is
 * aligned to the end (so it may overlap its neighbour by more). size <= tile gives one span [0, size).
 */
export function planSpans(size: number, tile: number, overlap: number): Span[] {
  if (!Number.isInteger(size) || size < 1) throw new Error(`Size to tile must be a whole number >= 1, got ${size}`);
  if (!Number.isInteger(tile) || tile < 1) throw new Error(`Tile size must be a whole number >= 1, got ${tile}`);
  if (!Number.isInteger(overlap) || overlap < 0) throw new Error(`Tile overlap must be a whole number >= 0, got ${overlap}`);
  if (size <= tile) return [{ start: 0, end: size }];
  const stride = tile - overlap;
  if (stride <= 0) throw new Error(`Tile overlap ${overlap} must be smaller than the tile size ${tile}`);
  const spans: Span[] = [];
  for (let start = 0; start + tile < size; start += stride) spans.push({ start, end: start + tile });
  spans.push({ start: size - tile, end: size });
  return spans;
}

/** Blend weights along one axis of a tile: w(x) = exp(-(x - m)^2 / (2 variance W^2)), m = (W - 1) / 2. */
export function gaussianWeights(length: number, variance: number): Float32Array {
  if (!Number.isInteger(length) || length < 1) throw new Error(`Weight length must be a whole number >= 1, got ${length}`);
  if (!(variance > 0)) throw new Error(`Gaussian variance must be positive, got ${variance}`);
  const m = (length - 1) / 2;
  const denominator = 2 * variance * length * length;
  const weights = new Float32Array(length);
  for (let x = 0; x < length; x++) weights[x] = Math.exp(-((x - m) * (x - m)) / denominator);
  return weights;
}
