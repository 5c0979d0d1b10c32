// The engine's per-element loops in C. Each computes in float64 and stores float32 exactly where the TypeScript loops
// it replaced did, so results are the same to the bit; only guidance's float64 sums, split over two threads on long
// passes, add in another order. Arrays are checked for type and size; a wrong one throws a TypeError or RangeError
// naming it.

/** One decoded spatial tile: frames of [3, th, tw] at (y0, x0) of the padded picture, with its normalised blend
 *  weights (all tiles' w(y) w(x) sum to 1 at every pixel). Tiles come in row-major order and cover the picture. */
declare namespace kernels {
  type BlendTile = { data: Float32Array; y0: number; x0: number; th: number; tw: number; wy: Float32Array; wx: Float32Array };
  /** resizeBilinear's source, placement and taps. */
  type ResizeInputs = [
    src: Uint8Array,
    dims: Int32Array,
    pad: number,
    xlo: Int32Array,
    xhi: Int32Array,
    xfrac: Float64Array,
    ylo: Int32Array,
    yhi: Int32Array,
    yfrac: Float64Array,
  ];
  /** One frame of a blendFramesAsync batch, with blendFrame's outputs. */
  type BlendOutput = { frame: number; previous: Float32Array | null; fade: number; keep: Float32Array | null; rgb: Uint8Array | null };
}

declare const kernels: {
  /**
   * Frame `frame` of the tiles, blended (the first tile over a pixel writes its share, later ones add theirs) inside
   * `crop` = [paddedWidth, paddedHeight, left, top, width, height]; cross-faded with `previous` ([3, height, width])
   * as (1 - fade) previous + fade v when given; stored to `keep` ([3, height, width]) when given; quantised to packed
   * rgb24 ((v + 1) 127.5 rounded, clamped) when `rgb` is given. `scratch` holds 4 width floats. `previous` and
   * `keep` must not be the same array. Returns false when a value to quantise is NaN or infinite.
   */
  blendFrame(
    tiles: kernels.BlendTile[],
    frame: number,
    crop: Int32Array,
    previous: Float32Array | null,
    fade: number,
    keep: Float32Array | null,
    rgb: Uint8Array | null,
    scratch: Float32Array,
  ): boolean;
  /** blendFrame for each entry in order, on a libuv worker thread (with scratch of its own). The arrays are held until
   *  the promise settles and must not be written (the outputs not read) before; it resolves false when a value to
   *  quantise was NaN or infinite. */
  blendFramesAsync(tiles: kernels.BlendTile[], crop: Int32Array, frames: kernels.BlendOutput[]): Promise<boolean>;
  /**
   * Bilinear resize of packed rgb24 to planar [3, ph, pw] in [-1, 1]: dims = [sw, sh, dw, dh, pw, ph, left, top], the
   * dw x dh picture at (left, top), the rest `pad`. Taps per destination column / row: lo, hi and the weight of hi.
   * `rows` holds sh 3 dw doubles of scratch.
   */
  resizeBilinear(...args: [...kernels.ResizeInputs, rows: Float64Array, out: Float32Array]): void;
  /** As resizeBilinear, on a libuv worker thread with scratch of its own; the arrays are held until the promise
   *  settles and `out` must not be touched before. */
  resizeBilinearAsync(...args: [...kernels.ResizeInputs, out: Float32Array]): Promise<void>;
  /** dst = c src (dst may be src). */
  scale(dst: Float32Array, src: Float32Array, c: number): void;
  /** out = u + scale (c - u) (out may be cond or uncond); with `sums`, also sum(c - c0), sum((c - c0)^2),
   *  sum(o - o0), sum((o - o0)^2) in float64. Under 65536 elements the sums run in element order; a longer pass is
   *  split at n / 2 over two threads, each half summed in order and the halves added (the same on every machine). */
  guidance(cond: Float32Array, uncond: Float32Array, out: Float32Array, scale: number, sums: Float64Array | null): void;
  /** x0 in place of the prediction: kind 0 (v) alpha x - s p, 1 (eps) (x - s p) / alpha, 2 (x0) scale p; s is sigma
   *  times the guidance rescale. Returns false when a result is NaN or infinite. A long pass takes two threads. */
  predictionToX0(prediction: Float32Array, x: Float32Array, kind: 0 | 1 | 2, alpha: number, sigmaScaled: number, scale: number): boolean;
  /** x = cx x + cd d + cold old + cnoise z, then old = d; a null `old` or `z` drops its term. */
  solverStep(x: Float32Array, d: Float32Array, old: Float32Array | null, z: Float32Array | null, cx: number, cd: number, cold: number, cnoise: number): void;
  /** A posterior sample in place of its standard-normal noise: eps = (mean + std eps) scale, the mean being the first
   *  eps.length moments. */
  posteriorSample(eps: Float32Array, moments: Float32Array, std: Float64Array, scale: number): void;
  /** next = (1 - c) previous + c next; c = 0 copies previous. */
  fade(next: Float32Array, previous: Float32Array, c: number): void;
  /** out.length standard normals of one stream (ids: stream hash a, b, then the seed's low and high words) from its
   *  blocks firstBlock, firstBlock + 1, ... of 1024: each a xoshiro128** generator seeded by Philox4x32-10 of (block,
   *  stream) under the seed; the first `skip` of the first block dropped; mapped through the quantile table (segments:
   *  base and step side by side for each of 65536 segments; tails: the outermost two segments' values, 65536 each). */
  normals(ids: Uint32Array, firstBlock: number, skip: number, out: Float32Array, segments: Float64Array, tails: Float32Array): void;
  /** As normals, on a libuv worker thread; `out` must not be touched until the promise settles. */
  normalsAsync(ids: Uint32Array, firstBlock: number, skip: number, out: Float32Array, segments: Float64Array, tails: Float32Array): Promise<void>;
  /** One Philox4x32-10 block: four counter words and two key words to four words. */
  philox4x32(counter: Uint32Array, key: Uint32Array, out: Uint32Array): void;
  /** Rows [y0, y0 + th) and columns [x0, x0 + tw) of each of `planes` [h, w] planes into out ([planes, th, tw]). */
  copyRect(src: Float32Array, planes: number, h: number, w: number, y0: number, x0: number, th: number, tw: number, out: Float32Array): void;
};

export = kernels;
