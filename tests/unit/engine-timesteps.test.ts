import { describe, expect, it } from 'vitest';
import { samplerTimesteps } from '../../main/engine/sampler/timesteps';
import type { SamplerSpec } from '../../main/engine/pack/manifest';

// VEnhancer's "fast" grid as a pack lists it: 899, 799, 699, 599, then 11 values from 500 down to 44.5.
const fastGrid = [899, 799, 699, 599, ...Array.from({ length: 11 }, (_, i) => 500 - (i * 501) / 11)];

const venhancer: SamplerSpec = {
  solver: 'dpmpp_2m_sde',
  startTimestep: 899,
  eta: 1,
  presets: { fast: { timesteps: fastGrid }, normal: { steps: 50 } },
  minEvaluations: 1,
  cfg: { default: 7.5, rescale: 0.2 },
};

describe('samplerTimesteps', () => {
  it("'fast' through an explicit preset gives the reference's 14 evaluations", () => {
    const ts = samplerTimesteps(venhancer, 'fast');
    expect(ts).toHaveLength(14);
    expect(ts.slice(0, 5)).toEqual([899, 799, 699, 599, 500]);
    // The grid's last value (44.5) is dropped: the last evaluation, at 90.09, jumps to sigma 0.
    expect(ts[13]).toBeCloseTo(90.0909, 3);
  });

  it('n = 1 gives [startTimestep]', () => {
    expect(samplerTimesteps(venhancer, 1)).toEqual([899]);
    expect(samplerTimesteps({ ...venhancer, solver: 'ddim' }, 1)).toEqual([899]);
  });

  it('n trailing steps: descending, distinct, ending where the reference ends', () => {
    for (let n = 1; n <= 100; n++) {
      const ts = samplerTimesteps(venhancer, n);
      expect(ts).toHaveLength(n);
      expect(ts[0]).toBe(899);
      for (let i = 1; i < n; i++) expect(ts[i]).toBeLessThan(ts[i - 1]);
      // Reference: arange(899, -1, -900 / (n + 1)) with the last value dropped.
      expect(ts[n - 1]).toBeCloseTo(899 - ((n - 1) * 900) / (n + 1), 9);
      expect(ts[n - 1]).toBeGreaterThan(0);
    }
  });

  it('matches hand-computed trailing values for 15 steps', () => {
    // arange(899, -1, -56.25) = 899, 842.75, ..., 111.5, 55.25; 55.25 is dropped.
    const ts = samplerTimesteps(venhancer, 15);
    expect(ts[1]).toBe(842.75);
    expect(ts[14]).toBe(111.5);
  });

  it("'normal' resolves through the preset's step count", () => {
    expect(samplerTimesteps(venhancer, 'normal')).toHaveLength(50);
  });

  it('ddim keeps the whole grid (the reference discards the penultimate step only for DPM solvers)', () => {
    const ddim: SamplerSpec = { ...venhancer, solver: 'ddim' };
    expect(samplerTimesteps(ddim, 4)).toEqual([899, 674, 449, 224]);
    expect(samplerTimesteps(ddim, 'fast')).toHaveLength(15);
  });

  it('rejects packs and settings that cannot work, with a message saying why', () => {
    expect(() => samplerTimesteps({ ...venhancer, minEvaluations: 4 }, 2)).toThrow(/at least 4/);
    expect(() =>
      samplerTimesteps({ ...venhancer, presets: { ...venhancer.presets, fast: { timesteps: [799, 500] } } }, 'fast'),
    ).toThrow(/startTimestep/);
    expect(() =>
      samplerTimesteps({ ...venhancer, presets: { ...venhancer.presets, fast: { timesteps: [899, 900] } } }, 'fast'),
    ).toThrow(/descending/);
    expect(() => samplerTimesteps(venhancer, 0)).toThrow(/at least 1/);
  });
});
