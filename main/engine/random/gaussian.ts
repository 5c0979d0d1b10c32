// Deterministic Gaussian noise addressed by (seed, stream ids, element index), e.g. stream [purpose, step, frame]:
// each element is a pure function of its address (Philox4x32-10 + Box-Muller), so the noise a frame gets at a
// solver step is the same however the clip is chunked or tiled, in any order, on any machine.
import { philox4x32 } from './philox';

const TWO_POW_32 = 4294967296;

/**
 * `length` standard-normal values of stream (seed, stream) starting at element `offset`:
 * gaussianNoise(s, st, n, o) equals gaussianNoise(s, st, o + n).subarray(o).
 * seed and stream ids: whole numbers in [0, 2^53).
 */
export function gaussianNoise(seed: number, stream: readonly number[], length: number, offset = 0): Float32Array {
  checkId('seed', seed);
  stream.forEach((id, i) => checkId(`stream id ${i}`, id));
  if (!Number.isInteger(length) || length < 0) throw new Error(`Noise length must be a whole number >= 0, got ${length}`);
  checkId('noise offset', offset);
  const [streamA, streamB] = hashStream(stream);
  const key0 = seed >>> 0;
  const key1 = Math.floor(seed / TWO_POW_32) >>> 0;
  const out = new Float32Array(length);
  const block = new Uint32Array(4);
  const normals = new Float64Array(4);
  // Each Philox block (counter = block index, stream hash) yields four normals: elements 4b .. 4b + 3.
  let element = offset;
  let written = 0;
  while (written < length) {
    const blockIndex = Math.floor(element / 4);
    philox4x32(blockIndex >>> 0, Math.floor(blockIndex / TWO_POW_32) >>> 0, streamA, streamB, key0, key1, block);
    boxMuller(block[0], block[1], normals, 0);
    boxMuller(block[2], block[3], normals, 2);
    for (let lane = element - blockIndex * 4; lane < 4 && written < length; lane++, element++) {
      out[written++] = normals[lane];
    }
  }
  return out;
}

/** Two uint32 -> two independent standard normals; uniforms on (0, 1) open at 0 so the log is finite. */
function boxMuller(a: number, b: number, out: Float64Array, at: number): void {
  const u1 = (a + 0.5) / TWO_POW_32;
  const u2 = (b + 0.5) / TWO_POW_32;
  const radius = Math.sqrt(-2 * Math.log(u1));
  const angle = 2 * Math.PI * u2;
  out[at] = radius * Math.cos(angle);
  out[at + 1] = radius * Math.sin(angle);
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
