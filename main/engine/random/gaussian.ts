// Deterministic Gaussian noise addressed by (seed, stream ids, element index), e.g. stream [purpose, step, frame]:
// each element is a pure function of its address, so the noise a frame gets at a solver step is the same however
// the clip is chunked or tiled, in any order, on any machine.
//
// Elements come in blocks of BLOCK: one Philox4x32-10 call (counter = block index and stream hash, key = seed)
// seeds a xoshiro128** generator, one output word per element, mapped to a normal by a tabulated quantile
// function. Philox per element plus Box-Muller's log, sqrt, sin and cos would dominate the engine's time, and a clip
// needs as many normals as output pixels x 3; xoshiro128** is shift/xor/multiply only and the table needs no
// transcendental outside the extreme tails. Any element is still reached directly: a read from the middle of a block
// regenerates that block from its start (cheap, and chunks normally start at a frame's first element). The generators
// run in native-kernels (normals); the table is built here, once, in float64.
import kernels from '@upframe/native-kernels';

const TWO_POW_32 = 4294967296;
/** Elements per independently seeded block (a power of two). */
const BLOCK = 1024;

/**
 * `length` standard-normal values of stream (seed, stream) starting at element `offset`:
 * gaussianNoise(s, st, n, o) equals gaussianNoise(s, st, o + n).subarray(o).
 * seed and stream ids: whole numbers in [0, 2^53).
 */
export function gaussianNoise(seed: number, stream: readonly number[], length: number, offset = 0): Float32Array {
  if (!Number.isInteger(length) || length < 0) throw new Error(`Noise length must be a whole number >= 0, got ${length}`);
  const out = new Float32Array(length);
  fillGaussianNoise(seed, stream, out, offset);
  return out;
}

/** As gaussianNoise, written into `out` (its whole length), so hot loops reuse one buffer. */
export function fillGaussianNoise(seed: number, stream: readonly number[], out: Float32Array, offset = 0): void {
  if (out.length === 0) return checkAddress(seed, stream, offset);
  const { ids, first, skip } = address(seed, stream, offset);
  const tables = quantileTables();
  kernels.normals(ids, first, skip, out, tables.segments, tables.tails);
}

/** As fillGaussianNoise, on a worker thread: `out` is written when the promise resolves and must not be used before,
 *  so the caller can go on with other work (the denoise loop draws the next step's noise while the model runs). */
export async function fillGaussianNoiseAsync(seed: number, stream: readonly number[], out: Float32Array, offset = 0): Promise<void> {
  if (out.length === 0) return checkAddress(seed, stream, offset);
  const { ids, first, skip } = address(seed, stream, offset);
  const tables = quantileTables();
  await kernels.normalsAsync(ids, first, skip, out, tables.segments, tables.tails);
}

/**
 * Noise for items 0 .. count - 1, drawn on worker threads `ahead` items before the caller takes them: item i gets one
 * array of `size` values per draw `draws(i)` names (a seed and a stream), in that order. An item's arrays are the
 * caller's until it asks for the next item; then they are refilled for a later one.
 */
export async function* drawNoiseAhead(
  count: number,
  draws: (item: number) => { seed: number; stream: readonly number[] }[],
  size: number,
  ahead = 4,
): AsyncGenerator<Float32Array[]> {
  const slots = ahead + 1;
  const buffers: Float32Array[][] = [];
  const drawn: Promise<Float32Array[]>[] = [];
  const start = (item: number) => {
    const slot = item % slots;
    const arrays = (buffers[slot] ??= []);
    const wanted = draws(item);
    wanted.forEach((_, k) => (arrays[k] ??= new Float32Array(size)));
    const filled = arrays.slice(0, wanted.length);
    const done = Promise.all(wanted.map((draw, k) => fillGaussianNoiseAsync(draw.seed, draw.stream, filled[k]))).then(() => filled);
    // Awaited below when its item comes up; should the caller stop first, nothing waits for it.
    done.catch(() => undefined);
    drawn[slot] = done;
  };
  for (let item = 0; item < Math.min(ahead, count); item++) start(item);
  for (let item = 0; item < count; item++) {
    const arrays = await drawn[item % slots];
    // The slot of item - 1, which the caller has finished with.
    if (item + ahead < count) start(item + ahead);
    yield arrays;
  }
}

function checkAddress(seed: number, stream: readonly number[], offset: number): void {
  checkId('seed', seed);
  stream.forEach((id, i) => checkId(`stream id ${i}`, id));
  checkId('noise offset', offset);
}

/** The stream's hash and the seed as the kernel's ids, the block holding element `offset` and its place in it. */
function address(seed: number, stream: readonly number[], offset: number): { ids: Uint32Array; first: number; skip: number } {
  checkAddress(seed, stream, offset);
  const [streamA, streamB] = hashStream(stream);
  const first = Math.floor(offset / BLOCK);
  return { ids: new Uint32Array([streamA, streamB, seed >>> 0, Math.floor(seed / TWO_POW_32) >>> 0]), first, skip: offset - first * BLOCK };
}

const SEGMENTS = 65536;
const INV_2_32 = 1 / TWO_POW_32;

/**
 * Each block's normals (kernels.normals): xoshiro128** (Blackman and Vigna) seeded with the block's Philox words, one
 * 32-bit output per normal, mapped through the normal quantile function: its top 16 bits pick one of 65536
 * equal-probability segments, the low 16 bits interpolate linearly inside it (a 65536-piece approximation of the
 * density, exact to ~1e-9 in the centre): segment i starts at Q(i / 65536) and rises by
 * (Q((i + 1) / 65536) - Q(i / 65536)) / 65536 per unit of the low bits. The two outermost segments, where the quantile
 * curves too much to interpolate, take the exact quantile of the whole 32-bit uniform, tabulated per word (tails:
 * segment 0, then segment 65535), computed here in float64.
 */
let tables: { segments: Float64Array; tails: Float32Array } | null = null;

function quantileTables(): NonNullable<typeof tables> {
  if (tables) return tables;
  // (start, rise) side by side, so a lookup touches one cache line.
  const segments = new Float64Array(2 * SEGMENTS);
  for (let i = 1; i < SEGMENTS - 1; i++) {
    const start = normalQuantile(i / SEGMENTS);
    segments[2 * i] = start;
    segments[2 * i + 1] = (normalQuantile((i + 1) / SEGMENTS) - start) / 65536;
  }
  const tails = new Float32Array(2 * 65536);
  for (let low = 0; low < 65536; low++) {
    tails[low] = normalQuantile((low + 0.5) * INV_2_32);
    tails[65536 + low] = normalQuantile((0xffff0000 + low + 0.5) * INV_2_32);
  }
  tables = { segments, tails };
  return tables;
}

/**
 * Standard normal quantile, Wichura's AS241 PPND16 (relative error ~1e-16), for p in (0, 1). The p used here are
 * at least 2^-33, so r = sqrt(-ln p) <= 4.8 and the algorithm's r > 5 branch is never needed.
 */
function normalQuantile(p: number): number {
  const q = p - 0.5;
  if (Math.abs(q) <= 0.425) {
    const r = 0.180625 - q * q;
    return (
      (q *
        (((((((2509.0809287301226727 * r + 33430.575583588128105) * r + 67265.770927008700853) * r + 45921.953931549871457) * r +
          13731.693765509461125) *
          r +
          1971.5909503065514427) *
          r +
          133.14166789178437745) *
          r +
          3.387132872796366608)) /
      (((((((5226.495278852545561 * r + 28729.085735721942674) * r + 39307.89580009271061) * r + 21213.794301586595867) * r +
        5394.1960214247511077) *
        r +
        687.1870074920579083) *
        r +
        42.313330701600911252) *
        r +
        1)
    );
  }
  const r = Math.sqrt(-Math.log(q < 0 ? p : 1 - p)) - 1.6;
  const x =
    (((((((7.7454501427834140764e-4 * r + 0.0227238449892691845833) * r + 0.24178072517745061177) * r + 1.27045825245236838258) * r +
      3.64784832476320460504) *
      r +
      5.7694972214606914055) *
      r +
      4.6303378461565452959) *
      r +
      1.42343711074968357734) /
    (((((((1.05075007164441684324e-9 * r + 5.475938084995344946e-4) * r + 0.0151986665636164571966) * r + 0.14810397642748007459) * r +
      0.68976733498510000455) *
      r +
      1.6763848301838038494) *
      r +
      2.05319162663775882187) *
      r +
      1);
  return q < 0 ? -x : x;
}

/** Two independent 32-bit MurmurHash3-style hashes of the stream ids (and their count, so [] != [0]). */
function hashStream(stream: readonly number[]): [number, number] {
  let a = 0x243f6a88;
  let b = 0x85a308d3;
  for (const id of stream) {
    const lo = id >>> 0;
    const hi = Math.floor(id / TWO_POW_32) >>> 0;
    a = murmurMix(murmurMix(a, lo), hi);
    b = murmurMix(murmurMix(b, hi ^ 0x5bd1e995), lo ^ 0x1b873593);
  }
  return [finalMix(a ^ stream.length), finalMix(b ^ (stream.length * 0x9e3779b9))];
}

function murmurMix(h: number, word: number): number {
  let k = Math.imul(word, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  let x = h ^ k;
  x = (x << 13) | (x >>> 19);
  return (Math.imul(x, 5) + 0xe6546b64) >>> 0;
}

function finalMix(h: number): number {
  let x = h >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

function checkId(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`The ${name} must be a whole number >= 0, got ${value}`);
}
