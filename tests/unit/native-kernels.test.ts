// The native kernels against the formulas they implement, written out here in TypeScript, and their argument checks.
import kernels from '@upframe/native-kernels';
import { describe, expect, it } from 'vitest';
import { gaussianNoise } from '../../main/engine/random/gaussian';

function random(n: number, seed = 1): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}

/** The rgb24 level of one value: (v + 1) 127.5 rounded half up, clamped. */
const level = (v: number) => Math.min(255, Math.max(0, Math.floor((v + 1) * 127.5 + 0.5)));

describe('blendFrame', () => {
  // Two tiles side by side over a 6x4 padded picture, overlapping in columns 2-3, with two frames each; the crop
  // drops one column and one row on each side.
  const th = 4;
  const tw = 4;
  const frames = 2;
  const left = { data: random(frames * 3 * th * tw, 2), y0: 0, x0: 0, th, tw, wy: new Float32Array([1, 1, 1, 1]), wx: new Float32Array([1, 1, 0.75, 0.25]) };
  const right = { data: random(frames * 3 * th * tw, 3), y0: 0, x0: 2, th, tw, wy: new Float32Array([1, 1, 1, 1]), wx: new Float32Array([0.25, 0.75, 1, 1]) };
  const crop = new Int32Array([6, 4, 1, 1, 4, 2]);

  /** The blended value of channel ch at crop pixel (x, y) of `frame`, in float64 as the formula reads. */
  function expected(frame: number, ch: number, x: number, y: number): number {
    let sum = 0;
    for (const tile of [left, right]) {
      const tx = x + 1 - tile.x0;
      const ty = y + 1 - tile.y0;
      if (tx < 0 || tx >= tile.tw) continue;
      sum += tile.wy[ty] * tile.wx[tx] * tile.data[((frame * 3 + ch) * th + ty) * tw + tx];
    }
    return sum;
  }

  it('blends the tiles inside the crop and quantises to packed rgb24', () => {
    const rgb = new Uint8Array(4 * 2 * 3);
    const keep = new Float32Array(3 * 4 * 2);
    expect(kernels.blendFrame([left, right], 1, crop, null, 1, keep, rgb, new Float32Array(16))).toBe(true);
    for (let y = 0; y < 2; y++) {
      for (let x = 0; x < 4; x++) {
        for (let ch = 0; ch < 3; ch++) {
          const v = expected(1, ch, x, y);
          expect(keep[(ch * 2 + y) * 4 + x]).toBeCloseTo(v, 6);
          expect(rgb[(y * 4 + x) * 3 + ch]).toBe(level(Math.fround(v)));
        }
      }
    }
  });

  it('cross-fades with the previous frame: (1 - fade) previous + fade blended; fade 0 is the previous frame', () => {
    const previous = random(3 * 4 * 2, 9);
    const keep = new Float32Array(previous.length);
    kernels.blendFrame([left, right], 0, crop, previous, 0.25, keep, null, new Float32Array(16));
    for (let i = 0; i < keep.length; i++) {
      const ch = Math.floor(i / 8);
      const y = Math.floor((i % 8) / 4);
      const x = i % 4;
      expect(keep[i]).toBeCloseTo(0.75 * previous[i] + 0.25 * expected(0, ch, x, y), 6);
    }
    kernels.blendFrame([left, right], 0, crop, previous, 0, keep, null, new Float32Array(16));
    expect(Array.from(keep)).toEqual(Array.from(previous));
  });

  it('rounds half up and clamps, and reports NaN or infinity in what it quantises', () => {
    // (v + 1) 127.5 = 127.5 exactly at v = 0 rounds up to 128; -1 gives 0, 1 gives 255 (255.5 clamped).
    const data = new Float32Array([0, -1, 1, 3, -3, 0.5]);
    const tile = { data, y0: 0, x0: 0, th: 1, tw: 2, wy: new Float32Array([1]), wx: new Float32Array([1, 1]) };
    const rgb = new Uint8Array(6);
    expect(kernels.blendFrame([tile], 0, new Int32Array([2, 1, 0, 0, 2, 1]), null, 1, null, rgb, new Float32Array(8))).toBe(true);
    // Planes: r = [0, -1], g = [1, 3], b = [-3, 0.5]; packed per pixel.
    expect(Array.from(rgb)).toEqual([128, 255, 0, 0, 255, level(0.5)]);
    data[3] = Number.NaN;
    expect(kernels.blendFrame([tile], 0, new Int32Array([2, 1, 0, 0, 2, 1]), null, 1, null, rgb, new Float32Array(8))).toBe(false);
    data[3] = Number.POSITIVE_INFINITY;
    expect(kernels.blendFrame([tile], 0, new Int32Array([2, 1, 0, 0, 2, 1]), null, 1, null, rgb, new Float32Array(8))).toBe(false);
  });

  it('blends a batch of frames on a worker thread as blendFrame does one by one', async () => {
    const previous = random(3 * 4 * 2, 11);
    const outputs = () => ({ keep: new Float32Array(24), rgb: [new Uint8Array(24), new Uint8Array(24)] });
    const sync = outputs();
    kernels.blendFrame([left, right], 0, crop, previous, 0.5, sync.keep, sync.rgb[0], new Float32Array(16));
    kernels.blendFrame([left, right], 1, crop, null, 1, null, sync.rgb[1], new Float32Array(16));
    const async = outputs();
    const batch = [
      { frame: 0, previous, fade: 0.5, keep: async.keep, rgb: async.rgb[0] },
      { frame: 1, previous: null, fade: 1, keep: null, rgb: async.rgb[1] },
    ];
    await expect(kernels.blendFramesAsync([left, right], crop, batch)).resolves.toBe(true);
    expect(Array.from(async.keep)).toEqual(Array.from(sync.keep));
    expect(async.rgb.map((a) => Array.from(a))).toEqual(sync.rgb.map((a) => Array.from(a)));
    // Checked before any work starts: an output short for the crop, or keep over previous.
    expect(() => kernels.blendFramesAsync([left], crop, [{ frame: 0, previous: null, fade: 1, keep: null, rgb: new Uint8Array(3) }])).toThrow(/rgb has 3 values/);
    expect(() => kernels.blendFramesAsync([left], crop, [{ frame: 0, previous, fade: 1, keep: previous, rgb: null }])).toThrow(/different arrays/);
  });

  it('refuses arrays too short for the frame, tiles outside the picture and crops outside it, naming the argument', () => {
    const scratch = new Float32Array(16);
    expect(() => kernels.blendFrame([left, right], 2, crop, null, 1, null, new Uint8Array(24), scratch)).toThrow(/tile data has 96 values; 144 needed/);
    expect(() => kernels.blendFrame([{ ...right, x0: 3 }], 0, crop, null, 1, null, new Uint8Array(24), scratch)).toThrow(/outside the padded picture/);
    expect(() => kernels.blendFrame([left], 0, new Int32Array([6, 4, 3, 1, 4, 2]), null, 1, null, new Uint8Array(24), scratch)).toThrow(RangeError);
    expect(() => kernels.blendFrame([left], 0, crop, null, 1, null, new Uint8Array(23), scratch)).toThrow(/rgb has 23 values; 24 needed/);
    expect(() => kernels.blendFrame([left], 0, crop, null, 1, null, new Float32Array(24) as unknown as Uint8Array, scratch)).toThrow(TypeError);
    expect(() => kernels.blendFrame([left], 0, crop, null, 1, null, null, new Float32Array(15))).toThrow(/scratch has 15 values; 16 needed/);
  });
});

describe('latent kernels', () => {
  const n = 1000;
  const x = random(n, 4);
  const d = random(n, 5);
  const old = random(n, 6);
  const z = random(n, 7);

  it('solverStep: x = cx x + cd d + cold old + cnoise z, then old = d; absent terms dropped', () => {
    const xs = x.slice();
    const olds = old.slice();
    kernels.solverStep(xs, d, olds, z, 0.9, 0.3, -0.1, 0.05);
    for (let e = 0; e < n; e++) expect(xs[e]).toBe(Math.fround(0.9 * x[e] + 0.3 * d[e] + -0.1 * old[e] + 0.05 * z[e]));
    expect(Array.from(olds)).toEqual(Array.from(d));
    const plain = x.slice();
    kernels.solverStep(plain, d, null, null, 0.5, 0.5, 7, 7);
    for (let e = 0; e < n; e++) expect(plain[e]).toBe(Math.fround(0.5 * x[e] + 0.5 * d[e]));
  });

  it('guidance: u + s (c - u) and the shifted float64 sums, in place over cond', () => {
    const cond = x.slice();
    const sums = new Float64Array(4);
    kernels.guidance(cond, d, cond, 7.5, sums);
    let [cs, cq, os, oq] = [0, 0, 0, 0];
    const o0 = d[0] + 7.5 * (x[0] - d[0]);
    for (let e = 0; e < n; e++) {
      const o = d[e] + 7.5 * (x[e] - d[e]);
      expect(cond[e]).toBe(Math.fround(o));
      cs += x[e] - x[0];
      cq += (x[e] - x[0]) ** 2;
      os += o - o0;
      oq += (o - o0) ** 2;
    }
    expect(Array.from(sums)).toEqual([cs, cq, os, oq]);
  });

  it('guidance over a long pass (two threads, two halves): the same output, the sums within float64 rounding', () => {
    const n = 300_001;
    const c = random(n, 12);
    const u = random(n, 13);
    const out = new Float32Array(n);
    const sums = new Float64Array(4);
    kernels.guidance(c, u, out, 3, sums);
    const o0 = u[0] + 3 * (c[0] - u[0]);
    const expected = [0, 0, 0, 0];
    for (let e = 0; e < n; e++) {
      const o = u[e] + 3 * (c[e] - u[e]);
      expect(out[e]).toBe(Math.fround(o));
      expected[0] += c[e] - c[0];
      expected[1] += (c[e] - c[0]) ** 2;
      expected[2] += o - o0;
      expected[3] += (o - o0) ** 2;
    }
    expected.forEach((value, k) => expect(Math.abs(sums[k] - value)).toBeLessThan(1e-9 * Math.max(1, Math.abs(value))));
    // x0 over a long pass, in two halves, reports a bad value in either.
    const broken = random(n, 14);
    broken[n - 1] = Number.POSITIVE_INFINITY;
    expect(kernels.predictionToX0(broken, c, 2, 1, 1, 1)).toBe(false);
    expect(kernels.predictionToX0(random(n, 14), c, 0, 0.5, 0.5, 1)).toBe(true);
  });

  it('predictionToX0: v, eps and x0 predictions, reporting a non-finite result', () => {
    const v = d.slice();
    expect(kernels.predictionToX0(v, x, 0, 0.8, 0.6, 1)).toBe(true);
    for (let e = 0; e < n; e++) expect(v[e]).toBe(Math.fround(0.8 * x[e] - 0.6 * d[e]));
    const eps = d.slice();
    kernels.predictionToX0(eps, x, 1, 0.8, 0.6, 1);
    for (let e = 0; e < n; e++) expect(eps[e]).toBe(Math.fround((x[e] - 0.6 * d[e]) / 0.8));
    const x0 = d.slice();
    kernels.predictionToX0(x0, x, 2, 0.8, 0.6, 2);
    for (let e = 0; e < n; e++) expect(x0[e]).toBe(Math.fround(2 * d[e]));
    const broken = d.slice();
    broken[500] = Number.NaN;
    expect(kernels.predictionToX0(broken, x, 2, 1, 1, 1)).toBe(false);
    // Finite in float64 but past float32: the stored value is infinite.
    expect(kernels.predictionToX0(new Float32Array([3e38]), new Float32Array([0]), 2, 1, 1, 10)).toBe(false);
  });

  it('scale, fade and copyRect', () => {
    const scaled = new Float32Array(n);
    kernels.scale(scaled, x, 0.3);
    for (let e = 0; e < n; e++) expect(scaled[e]).toBe(Math.fround(0.3 * x[e]));
    const next = x.slice();
    kernels.fade(next, d, 0.25);
    for (let e = 0; e < n; e++) expect(next[e]).toBe(Math.fround(0.75 * d[e] + 0.25 * x[e]));
    // Two 3x4 planes; rows 1-2, columns 1-3 of each.
    const planes = Float32Array.from({ length: 24 }, (_, i) => i);
    const out = new Float32Array(12);
    kernels.copyRect(planes, 2, 3, 4, 1, 1, 2, 3, out);
    expect(Array.from(out)).toEqual([5, 6, 7, 9, 10, 11, 17, 18, 19, 21, 22, 23]);
    expect(() => kernels.copyRect(planes, 2, 3, 4, 2, 1, 2, 3, out)).toThrow(/outside the planes/);
  });

  it('refuses a wrong array type or a short array, naming it', () => {
    expect(() => kernels.scale(new Float32Array(10), new Float64Array(10) as unknown as Float32Array, 1)).toThrow(/scale: src must be a Float32Array/);
    expect(() => kernels.solverStep(new Float32Array(10), new Float32Array(9), null, null, 1, 1, 0, 0)).toThrow(/solverStep: d has 9 values; 10 needed/);
    expect(() => kernels.guidance(new Float32Array(4), new Float32Array(4), new Float32Array(4), 1, new Float64Array(3))).toThrow(/sums has 3 values/);
  });
});

describe('normals (through gaussianNoise)', () => {
  it('gives the values the TypeScript generator gave, across a block boundary and in the exact tails', () => {
    // Pinned from the generator before its inner loop moved to C: noise is part of what makes a job reproducible.
    expect(Array.from(gaussianNoise(666, [3, 14], 8, 1020))).toEqual([
      -0.7805667519569397, 0.27525240182876587, -1.5625941753387451, -1.2658153772354126, 0.9806541204452515, -0.2564427852630615, 0.3601246178150177,
      0.03570281341671944,
    ]);
    expect(Array.from(gaussianNoise(42, [7], 1, 27570))).toEqual([4.283523082733154]);
  });

  it('refuses a skip past the block', () => {
    const table = new Float64Array(2 * 65536);
    const tails = new Float32Array(2 * 65536);
    expect(() => kernels.normals(new Uint32Array(4), 0, 1024, new Float32Array(1), table, tails)).toThrow(/skip must be a whole number in \[0, 1023\]/);
    expect(() => kernels.normals(new Uint32Array(3), 0, 0, new Float32Array(1), table, tails)).toThrow(/ids has 3 values; 4 needed/);
  });
});
