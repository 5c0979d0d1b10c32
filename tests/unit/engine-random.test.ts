import { describe, expect, it } from 'vitest';
import { drawNoiseAhead, fillGaussianNoiseAsync, gaussianNoise } from '../../main/engine/random/gaussian';
import kernels from '@upframe/native-kernels';

function mean(a: Float32Array): number {
  let s = 0;
  for (const v of a) s += v;
  return s / a.length;
}
function std(a: Float32Array): number {
  const m = mean(a);
  let s = 0;
  for (const v of a) s += (v - m) ** 2;
  return Math.sqrt(s / a.length);
}
function correlation(a: Float32Array, b: Float32Array): number {
  const ma = mean(a);
  const mb = mean(b);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - ma) * (b[i] - mb);
  return s / a.length / (std(a) * std(b));
}

describe('philox4x32', () => {
  it("matches Random123's Philox4x32-10 known-answer vectors", () => {
    const out = new Uint32Array(4);
    const philox = (c: number[], k: number[]) => {
      kernels.philox4x32(new Uint32Array(c), new Uint32Array(k), out);
      return Array.from(out);
    };
    expect(philox([0, 0, 0, 0], [0, 0])).toEqual([0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]);
    expect(philox([0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], [0xffffffff, 0xffffffff])).toEqual([0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd]);
    expect(philox([0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0])).toEqual([0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1]);
  });
});

describe('gaussianNoise', () => {
  const n = 100_000;

  it('is deterministic for a seed and stream', () => {
    expect(Array.from(gaussianNoise(666, [3, 14], 1000))).toEqual(Array.from(gaussianNoise(666, [3, 14], 1000)));
  });

  it('draws noise ahead for a run of items, each item with its own streams, in order', async () => {
    const seen: number[][][] = [];
    for await (const arrays of drawNoiseAhead(7, (i) => [{ seed: 5, stream: [1, i] }, { seed: 6, stream: [2, i] }], 300, 3)) {
      seen.push(arrays.map((a) => Array.from(a)));
    }
    expect(seen).toHaveLength(7);
    seen.forEach((arrays, i) => {
      expect(arrays[0]).toEqual(Array.from(gaussianNoise(5, [1, i], 300)));
      expect(arrays[1]).toEqual(Array.from(gaussianNoise(6, [2, i], 300)));
    });
  });

  it('draws the same values on a worker thread, several draws at once', async () => {
    const outs = [new Float32Array(5000), new Float32Array(3000), new Float32Array(1)];
    await Promise.all([fillGaussianNoiseAsync(666, [3, 14], outs[0]), fillGaussianNoiseAsync(666, [3, 15], outs[1], 1500), fillGaussianNoiseAsync(1, [2], outs[2], 1023)]);
    expect(Array.from(outs[0])).toEqual(Array.from(gaussianNoise(666, [3, 14], 5000)));
    expect(Array.from(outs[1])).toEqual(Array.from(gaussianNoise(666, [3, 15], 3000, 1500)));
    expect(Array.from(outs[2])).toEqual(Array.from(gaussianNoise(1, [2], 1, 1023)));
  });

  it('has mean ~0 and std ~1', () => {
    const a = gaussianNoise(666, [0, 0], n);
    expect(Math.abs(mean(a))).toBeLessThan(0.02);
    expect(Math.abs(std(a) - 1)).toBeLessThan(0.02);
    expect(a.every((v) => Number.isFinite(v))).toBe(true);
  });

  it('follows the normal distribution in the body and the tails (quantile table and its exact ends)', () => {
    const a = gaussianNoise(42, [7], 1_000_000);
    const below = (x: number) => a.filter((v) => v < x).length / a.length;
    // Phi(-1.96) = 0.0250, Phi(0) = 0.5, Phi(1) = 0.8413, 1 - Phi(3) = 0.00135; tolerances ~4 standard errors.
    expect(Math.abs(below(-1.96) - 0.025)).toBeLessThan(0.0007);
    expect(Math.abs(below(0) - 0.5)).toBeLessThan(0.002);
    expect(Math.abs(below(1) - 0.8413)).toBeLessThan(0.0015);
    expect(Math.abs(1 - below(3) - 0.00135)).toBeLessThan(0.00015);
    // The outermost 2^-16 of each tail comes from the exact quantile, past the last table entry (~4.17).
    expect(a.some((v) => Math.abs(v) > 4.2)).toBe(true);
  });

  it('separates streams and seeds: |corr| < 0.05 on 10^5 samples', () => {
    const base = gaussianNoise(666, [1, 2], n);
    const others = [
      gaussianNoise(666, [2, 1], n),
      gaussianNoise(666, [1, 3], n),
      gaussianNoise(666, [1, 2, 0], n),
      gaussianNoise(667, [1, 2], n),
      gaussianNoise(666, [1, 2 + 2 ** 32], n),
    ];
    for (const other of others) expect(Math.abs(correlation(base, other))).toBeLessThan(0.05);
    // Neighbouring elements within a stream are uncorrelated too.
    expect(Math.abs(correlation(base.subarray(0, n - 1), base.subarray(1)))).toBeLessThan(0.05);
    expect(Array.from(gaussianNoise(1, [], 8))).not.toEqual(Array.from(gaussianNoise(1, [0], 8)));
  });

  it('with an offset equals the same positions generated from the start', () => {
    const whole = gaussianNoise(9, [4, 2], 1037);
    for (const [offset, length] of [
      [0, 1037],
      [1, 5],
      [3, 400],
      [4, 4],
      [517, 520],
      [1036, 1],
    ]) {
      expect(Array.from(gaussianNoise(9, [4, 2], length, offset))).toEqual(Array.from(whole.subarray(offset, offset + length)));
    }
    expect(gaussianNoise(9, [4, 2], 0)).toHaveLength(0);
  });

  it('rejects ids that are not whole non-negative numbers', () => {
    expect(() => gaussianNoise(-1, [], 4)).toThrow(/seed/);
    expect(() => gaussianNoise(1, [0.5], 4)).toThrow(/stream id 0/);
    expect(() => gaussianNoise(1, [], 4, -2)).toThrow(/offset/);
  });
});
