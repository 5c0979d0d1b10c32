import { describe, expect, it } from 'vitest';
import { cropToRgb24, planResolution, resizeBilinearToPadded, resizeBilinearToPaddedAsync, type ResolutionPlan } from '../../main/engine/plan/resolution';
import type { ResolutionPolicy } from '../../main/engine/pack/manifest';

// VENHANCER-REFERENCE.md 4.5-4.6: area clamped to [1.5 x 720p, 1152 x 2048]; then `pad_to_fit`: centred up to
// 720x1280, above it height ((h + 48) // 64) 64 + 16 and width (w // 64 + 1) 64, white.
const venhancer: ResolutionPolicy = {
  areaMin: 1_382_400,
  areaMax: 2_359_296,
  pad: {
    value: 1,
    height: { min: 720, addend: 48, multiple: 64, offset: 16 },
    width: { min: 1280, addend: 0, multiple: 64, offset: 64 },
  },
};
// The test packs' rule: the smallest height = 8 (mod 16) and width = 0 (mod 16), at the bottom / right.
const small: ResolutionPolicy = {
  areaMin: 1,
  areaMax: 16_777_216,
  pad: {
    value: 1,
    height: { min: 0, addend: 7, multiple: 16, offset: 8 },
    width: { min: 0, addend: 15, multiple: 16, offset: 0 },
  },
};

describe('planResolution', () => {
  it('raises small outputs to the minimum area and pads by the reference rule above 720x1280', () => {
    // 320x180 at 4x is 921,600 px < 1,382,400: sides scale by sqrt(24) = 4.899 -> 1567.7 x 881.8 -> 1566 x 880.
    // Height 880 > 720: ((880 + 48) // 64) 64 + 16 = 912; width 1566 > 1280: (1566 // 64 + 1) 64 = 1600.
    const plan = planResolution(320, 180, 4, venhancer, 8);
    expect(plan).toEqual({
      srcWidth: 320,
      srcHeight: 180,
      width: 1566,
      height: 880,
      paddedWidth: 1600,
      paddedHeight: 912,
      padLeft: 0,
      padTop: 0,
      latentWidth: 200,
      latentHeight: 114,
    });
  });

  it('caps large outputs at the maximum area; a width already = 0 (mod 64) still gets 64 more, as the reference does', () => {
    // 640x360 at 4x = 3,686,400 px > 2,359,296: factor sqrt(10.24) = 3.2 -> 2048 x 1152; 1152 -> 1168; 2048 -> 2112.
    const plan = planResolution(640, 360, 4, venhancer, 8);
    expect([plan.width, plan.height, plan.paddedWidth, plan.paddedHeight]).toEqual([2048, 1152, 2112, 1168]);
    expect([plan.latentWidth, plan.latentHeight]).toEqual([264, 146]);
  });

  it('matches the reference example 1214x1942 -> 1232x1984 and centres sides below 720x1280', () => {
    const wide = planResolution(1942, 1214, 1, { ...venhancer, areaMin: 1, areaMax: 1e9 }, 8);
    expect([wide.paddedWidth, wide.paddedHeight, wide.latentWidth, wide.latentHeight]).toEqual([1984, 1232, 248, 154]);
    // A portrait output: width 1050 < 1280 is centred ((1280 - 1050) // 2 = 115 on the left); height above 720.
    const tall = planResolution(700, 1400, 1.5, venhancer, 8);
    expect([tall.width, tall.height]).toEqual([1050, 2100]);
    expect([tall.paddedWidth, tall.padLeft, tall.paddedHeight, tall.padTop]).toEqual([1280, 115, 2128, 0]);
    const exact = planResolution(1280, 720, 1, { ...venhancer, areaMin: 1 }, 8);
    expect([exact.paddedWidth, exact.paddedHeight, exact.padLeft, exact.padTop]).toEqual([1280, 720, 0, 0]);
  });

  it('keeps the scale inside the area range; latent height 2 (mod 8), width 0 (mod 8)', () => {
    const plan = planResolution(800, 600, 2, venhancer, 8);
    expect([plan.width, plan.height, plan.paddedWidth, plan.paddedHeight]).toEqual([1600, 1200, 1664, 1232]);
    for (const p of [plan, planResolution(1920, 1080, 1, venhancer, 8), planResolution(97, 61, 3.7, venhancer, 8)]) {
      expect(p.latentHeight % 8).toBe(2);
      expect(p.latentWidth % 8).toBe(0);
      expect(p.width % 2 + (p.height % 2)).toBe(0);
      expect(p.width * p.height).toBeLessThanOrEqual(venhancer.areaMax);
    }
  });

  it('follows a small custom policy, fractional scales and odd sources', () => {
    const plan = planResolution(48, 32, 2.5, small, 2);
    expect([plan.width, plan.height, plan.paddedWidth, plan.paddedHeight]).toEqual([120, 80, 128, 88]);
    expect([plan.latentWidth, plan.latentHeight]).toEqual([64, 44]);
    // 20 x 1.1 is exactly 22 even though sqrt(1.1^2) is not exactly 1.1 in floating point.
    expect(planResolution(20, 14, 1.1, small, 2).width).toBe(22);
    const odd = planResolution(33, 17, 1, small, 2);
    expect([odd.width, odd.height, odd.paddedWidth, odd.paddedHeight]).toEqual([32, 16, 32, 24]);
  });

  it("names the pack's rule when its padding does not fit the latent downscale", () => {
    expect(() => planResolution(48, 32, 1, small, 16)).toThrow(/resolution\.pad\.height.*40 px.*downscale 16/);
    expect(() => planResolution(0, 32, 1, small, 2)).toThrow(/source width/);
  });
});

/** A plan for resize tests: no area rule, explicit sizes. */
function plan(srcW: number, srcH: number, w: number, h: number, pw = w, ph = h): ResolutionPlan {
  return {
    srcWidth: srcW,
    srcHeight: srcH,
    width: w,
    height: h,
    paddedWidth: pw,
    paddedHeight: ph,
    padLeft: 0,
    padTop: 0,
    latentWidth: pw,
    latentHeight: ph,
  };
}

/** rgb24 frame whose three channels are `values`, `values` / 2 and 255 - `values`. */
function rgb(values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 3);
  values.forEach((v, i) => out.set([v, v >> 1, 255 - v], i * 3));
  return out;
}

const toUnit = (v: number) => v / 127.5 - 1;

describe('resizeBilinearToPadded', () => {
  it('upsamples 2x2 to 4x4 like torch bilinear with align_corners=False', () => {
    const out = resizeBilinearToPadded(rgb([0, 100, 200, 50]), plan(2, 2, 4, 4), 1);
    // Per axis the taps are [v0, 0.75 v0 + 0.25 v1, 0.25 v0 + 0.75 v1, v1].
    const red = [
      [0, 25, 75, 100],
      [50, 59.375, 78.125, 87.5],
      [150, 128.125, 84.375, 62.5],
      [200, 162.5, 87.5, 50],
    ].flat();
    red.forEach((v, i) => expect(out[i]).toBeCloseTo(toUnit(v), 6));
    // Blue is 255 - red: linear, so it resizes to 255 - the red values.
    red.forEach((v, i) => expect(out[32 + i]).toBeCloseTo(toUnit(255 - v), 6));
  });

  it('downsamples 4x4 to 2x2 by averaging 2x2 blocks (no antialias, as torch)', () => {
    const values = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140, 150, 160];
    const out = resizeBilinearToPadded(rgb(values), plan(4, 4, 2, 2), 1);
    expect(Array.from(out.subarray(0, 4))).toEqual([35, 55, 115, 135].map((v) => Math.fround(toUnit(v))));
  });

  it('is the identity at scale 1 and fills the padding with the pad value', () => {
    const values = Array.from({ length: 12 }, (_, i) => i * 21);
    const out = resizeBilinearToPadded(rgb(values), plan(4, 3, 4, 3, 6, 5), 0.5);
    expect(out.length).toBe(3 * 6 * 5);
    for (let y = 0; y < 5; y++) {
      for (let x = 0; x < 6; x++) {
        const inside = x < 4 && y < 3;
        expect(out[y * 6 + x]).toBeCloseTo(inside ? toUnit(values[y * 4 + x]) : 0.5, 6);
        expect(out[30 + y * 6 + x]).toBeCloseTo(inside ? toUnit(values[y * 4 + x] >> 1) : 0.5, 6);
      }
    }
  });

  it('rejects a frame of the wrong size', () => {
    expect(() => resizeBilinearToPadded(new Uint8Array(10), plan(2, 2, 4, 4), 1)).toThrow(/rgb24 needs 12/);
  });

  it('resizes the same on a worker thread, several frames at once', async () => {
    const p = plan(4, 3, 7, 5, 9, 8);
    const frames = [0, 1, 2].map((n) => Uint8Array.from({ length: 4 * 3 * 3 }, (_, i) => (i * 37 + n * 91) % 256));
    const outs = frames.map(() => new Float32Array(3 * 9 * 8));
    await Promise.all(frames.map((frame, i) => resizeBilinearToPaddedAsync(frame, p, 0.5, outs[i])));
    frames.forEach((frame, i) => expect(Array.from(outs[i])).toEqual(Array.from(resizeBilinearToPadded(frame, p, 0.5))));
    await expect(resizeBilinearToPaddedAsync(new Uint8Array(10), p, 0.5, outs[0])).rejects.toThrow(/rgb24 needs 36/);
  });
});

describe('cropToRgb24', () => {
  it('inverts the resize exactly at scale 1 (8-bit round trip, padding cropped)', () => {
    const p = planResolution(21, 13, 1, small, 2);
    expect([p.width, p.height, p.paddedWidth, p.paddedHeight]).toEqual([20, 12, 32, 24]);
    const frame = new Uint8Array(20 * 12 * 3).map((_, i) => (i * 37 + 11) % 256);
    const source = planResolution(20, 12, 1, small, 2);
    const image = resizeBilinearToPadded(frame, source, 1);
    expect(Array.from(cropToRgb24(image, source))).toEqual(Array.from(frame));
  });

  it('rounds and clamps values outside [-1, 1], and refuses NaN', () => {
    const p = plan(1, 1, 1, 1);
    expect(Array.from(cropToRgb24(new Float32Array([1.5, -3, 0]), p))).toEqual([255, 0, 128]);
    expect(() => cropToRgb24(new Float32Array([Number.NaN, 0, 0]), p)).toThrow(/NaN/);
  });
});
