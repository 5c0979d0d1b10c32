import { describe, expect, it } from 'vitest';
import { applyGuidance, combineGuidance } from '../../main/engine/sampler/guidance';
import { gaussianNoise } from '../../main/engine/random/gaussian';

/** The reference's std, two-pass (torch.std's default, unbiased), to hold the engine's one-pass sums to. */
function unbiasedStd(values: Float32Array): number {
  const n = values.length;
  if (n === 0) return 0;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i];
  const mean = sum / n;
  let squares = 0;
  for (let i = 0; i < n; i++) {
    const d = values[i] - mean;
    squares += d * d;
  }
  return n < 2 ? Number.NaN : Math.sqrt(squares / (n - 1));
}

const cond = gaussianNoise(1, [1], 5000).map((v) => 0.8 * v + 0.1);
const uncond = gaussianNoise(1, [2], 5000).map((v) => 1.3 * v - 0.2);

describe('applyGuidance', () => {
  it('with rescale 0 is plain classifier-free guidance u + w (c - u)', () => {
    const out = applyGuidance(cond, uncond, 7.5, 0);
    const expected = Float32Array.from(cond, (c, i) => uncond[i] + 7.5 * (c - uncond[i]));
    expect(Array.from(out)).toEqual(Array.from(expected));
  });

  it('with scale 1 returns cond, whatever the rescale', () => {
    for (const rescale of [0, 0.2, 1]) {
      const out = applyGuidance(cond, uncond, 1, rescale);
      for (let i = 0; i < cond.length; i += 7) expect(out[i]).toBeCloseTo(cond[i], 6);
    }
  });

  it('with rescale 1 brings the output std to std(cond)', () => {
    const out = applyGuidance(cond, uncond, 7.5, 1);
    expect(unbiasedStd(out) / unbiasedStd(cond)).toBeCloseTo(1, 6);
  });

  it('with rescale 0.2 blends the factor as the reference does', () => {
    const plain = applyGuidance(cond, uncond, 5, 0);
    const factor = 0.2 * (unbiasedStd(cond) / unbiasedStd(plain)) + 0.8;
    const out = applyGuidance(cond, uncond, 5, 0.2);
    for (let i = 0; i < out.length; i += 11) expect(out[i]).toBeCloseTo(plain[i] * factor, 5);
  });

  it('takes its one-pass factor as exactly as two-pass stds, also where the mean dwarfs the spread', () => {
    for (const offset of [0, 1000]) {
      const c = cond.map((v) => v * 0.01 + offset);
      const u = uncond.map((v) => v * 0.01 + offset);
      const plain = applyGuidance(c, u, 5, 0);
      const expected = 0.7 * (unbiasedStd(c) / unbiasedStd(plain)) + 0.3;
      const out = new Float32Array(c.length);
      expect(combineGuidance(c, u, 5, 0.7, out)).toBeCloseTo(expected, 9);
      expect(Array.from(out)).toEqual(Array.from(plain));
    }
  });

  it('unbiased std (torch.std) matches a direct computation', () => {
    expect(unbiasedStd(new Float32Array([1, 2, 3, 4]))).toBeCloseTo(Math.sqrt(5 / 3), 12);
  });

  it('rejects mismatched inputs and a rescale outside [0, 1]', () => {
    expect(() => applyGuidance(cond, uncond.subarray(1), 2, 0)).toThrow(/equal-length/);
    expect(() => applyGuidance(cond, uncond, 2, 1.5)).toThrow(/rescale/);
  });
});
