import { describe, expect, it } from 'vitest';
import { createSampler, type Sampler } from '../../main/engine/sampler/sampler';
import { samplerTimesteps } from '../../main/engine/sampler/timesteps';
import { createNoiseSchedule } from '../../main/engine/schedule/noise-schedule';
import { gaussianNoise } from '../../main/engine/random/gaussian';
import type { SamplerSpec } from '../../main/engine/pack/manifest';
import { VENHANCER_SCHEDULE } from '../helpers/engine-fixtures';

const schedule = createNoiseSchedule(VENHANCER_SCHEDULE);
const samplerSpec: SamplerSpec = {
  solver: 'dpmpp_2m_sde',
  startTimestep: 899,
  eta: 1,
  presets: {
    fast: { timesteps: [899, 799, 699, 599, ...Array.from({ length: 11 }, (_, i) => 500 - (i * 501) / 11)] },
    normal: { steps: 50 },
  },
  minEvaluations: 1,
  cfg: { default: 7.5, rescale: 0.2 },
};

/** Runs a whole sampling loop with a denoiser given as a function of (x, step); noise per step from the seed. */
function run(sampler: Sampler, x: Float32Array, denoise: (x: Float32Array, i: number) => Float32Array, seed = 7): Float32Array {
  const state = sampler.needsState ? new Float32Array(x.length) : null;
  for (let i = 0; i < sampler.evaluations; i++) {
    const noise = sampler.needsNoise(i) ? gaussianNoise(seed, [i], x.length) : null;
    sampler.step(i, x, denoise(x, i), state, noise);
  }
  return x;
}

function startLatent(x0: Float32Array, sigma: number, seed: number): Float32Array {
  const eps = gaussianNoise(seed, [999], x0.length);
  return x0.map((v, e) => v + sigma * eps[e]);
}

describe('samplers with an exact oracle denoiser', () => {
  const x0 = gaussianNoise(1, [0], 257).map((v) => 0.5 * v);
  const cases: Array<[string, number[]]> = [
    ['1 evaluation', samplerTimesteps(samplerSpec, 1)],
    ['2 evaluations', samplerTimesteps(samplerSpec, 2)],
    ['14 evaluations (fast)', samplerTimesteps(samplerSpec, 'fast')],
    ['50 evaluations', samplerTimesteps(samplerSpec, 50)],
  ];
  for (const [name, timesteps] of cases) {
    it(`DPM-Solver++(2M) SDE reaches x0 exactly: ${name}`, () => {
      const sampler = createSampler('dpmpp_2m_sde', schedule, timesteps, { eta: 1 });
      expect(sampler.evaluations).toBe(timesteps.length);
      const x = run(sampler, startLatent(x0, sampler.sigmaVe(0), 3), () => x0);
      expect(Array.from(x)).toEqual(Array.from(x0));
    });
    it(`DDIM (eta 0) reaches x0 exactly: ${name}`, () => {
      const sampler = createSampler('ddim', schedule, timesteps, { eta: 0 });
      const x = run(sampler, startLatent(x0, sampler.sigmaVe(0), 3), () => x0);
      expect(Array.from(x)).toEqual(Array.from(x0));
    });
  }

  it('stays on the oracle trajectory without noise: x_i = x0 + (sigma_i / sigma_0) (x_start - x0)', () => {
    const timesteps = samplerTimesteps(samplerSpec, 'fast');
    for (const kind of ['dpmpp_2m_sde', 'ddim'] as const) {
      const sampler = createSampler(kind, schedule, timesteps, { eta: 0 });
      const start = startLatent(x0, sampler.sigmaVe(0), 5);
      const x = Float32Array.from(start);
      const state = new Float32Array(x.length);
      for (let i = 0; i < sampler.evaluations - 1; i++) {
        sampler.step(i, x, x0, state, null);
        const ratio = sampler.sigmaVe(i + 1) / sampler.sigmaVe(0);
        for (let e = 0; e < x.length; e += 17) expect(x[e]).toBeCloseTo(x0[e] + ratio * (start[e] - x0[e]), 4);
      }
    }
  });
});

describe('slicing invariance', () => {
  for (const kind of ['dpmpp_2m_sde', 'ddim'] as const) {
    it(`${kind}: stepping the whole latent equals stepping two halves with their noise and state slices`, () => {
      const sampler = createSampler(kind, schedule, samplerTimesteps(samplerSpec, 'fast'), { eta: kind === 'ddim' ? 0.5 : 1 });
      const n = 1000;
      const cut = 389;
      const whole = gaussianNoise(11, [0], n).map((v) => v * sampler.sigmaVe(0));
      const parts = [whole.slice(0, cut), whole.slice(cut)];
      const wholeState = new Float32Array(n);
      const partStates = [new Float32Array(cut), new Float32Array(n - cut)];
      // An elementwise stand-in for a model, different at every step.
      const denoise = (x: Float32Array, i: number) => x.map((v) => Math.tanh(v / (i + 2)) + 0.1 * i);
      for (let i = 0; i < sampler.evaluations; i++) {
        const noise = sampler.needsNoise(i) ? gaussianNoise(42, [i], n) : null;
        sampler.step(i, whole, denoise(whole, i), sampler.needsState ? wholeState : null, noise);
        [0, 1].forEach((p) => {
          const offset = p === 0 ? 0 : cut;
          const len = parts[p].length;
          const partNoise = sampler.needsNoise(i) ? gaussianNoise(42, [i], len, offset) : null;
          sampler.step(i, parts[p], denoise(parts[p], i), sampler.needsState ? partStates[p] : null, partNoise);
        });
      }
      expect(Array.from(parts[0]).concat(Array.from(parts[1]))).toEqual(Array.from(whole));
    });
  }
});

describe('DPM-Solver++(2M) SDE update values', () => {
  it('matches a hand computation of the first two steps (k-diffusion form, midpoint, eta 1)', () => {
    const timesteps = [899, 600, 300];
    const sampler = createSampler('dpmpp_2m_sde', schedule, timesteps, { eta: 1 });
    const s = timesteps.map((t) => Math.sqrt(1 / (1 + Math.exp(schedule.logSnr(t)))) / Math.sqrt(1 / (1 + Math.exp(-schedule.logSnr(t)))));
    expect(sampler.sigmaVe(0)).toBeCloseTo(s[0], 9);
    expect(sampler.sigmaVe(3)).toBe(0);
    const x = new Float32Array([20]);
    const d0 = 0.3;
    const d1 = -0.2;
    const z0 = 0.7;
    const z1 = -1.1;
    const state = new Float32Array(1);
    // Step 0 (no history): t = -ln s0, s = -ln s1, h = s - t.
    const h0 = -Math.log(s[1]) + Math.log(s[0]);
    let expected = (s[1] / s[0]) * Math.exp(-h0) * 20 + (1 - Math.exp(-2 * h0)) * d0 + z0 * s[1] * Math.sqrt(1 - Math.exp(-2 * h0));
    sampler.step(0, x, new Float32Array([d0]), state, new Float32Array([z0]));
    expect(x[0]).toBeCloseTo(expected, 5);
    expect(state[0]).toBeCloseTo(d0, 7);
    // Step 1: r = h0 / h1, midpoint correction 0.5 (1 - e^{-2 h1}) / r (d1 - d0).
    const h1 = -Math.log(s[2]) + Math.log(s[1]);
    const xPrev = expected;
    expected =
      (s[2] / s[1]) * Math.exp(-h1) * xPrev +
      (1 - Math.exp(-2 * h1)) * d1 +
      0.5 * (1 - Math.exp(-2 * h1)) * (h1 / h0) * (d1 - d0) +
      z1 * s[2] * Math.sqrt(1 - Math.exp(-2 * h1));
    sampler.step(1, x, new Float32Array([d1]), state, new Float32Array([z1]));
    expect(x[0]).toBeCloseTo(expected, 5);
    // Last step: to sigma 0, x becomes the prediction.
    expect(sampler.needsNoise(2)).toBe(false);
    sampler.step(2, x, new Float32Array([0.125]), state, null);
    expect(x[0]).toBe(0.125);
  });

  it('is second order on a toy probability-flow ODE (eta 0), DDIM first order', () => {
    // Data x0 ~ N(0, 1): the exact denoiser is D(x, s) = x / (1 + s^2) and the ODE solution is
    // x(s) = x(s0) sqrt((1 + s^2) / (1 + s0^2)). Compare after all but the final jump, at t = 100.
    const errorFor = (kind: 'dpmpp_2m_sde' | 'ddim', n: number): number => {
      const timesteps = Array.from({ length: n }, (_, i) => 899 - (i * (899 - 100)) / (n - 1));
      const sampler = createSampler(kind, schedule, timesteps, { eta: 0 });
      const x = new Float32Array([sampler.sigmaVe(0)]);
      const state = new Float32Array(1);
      for (let i = 0; i < n - 1; i++) {
        const s = sampler.sigmaVe(i);
        sampler.step(i, x, new Float32Array([x[0] / (1 + s * s)]), state, null);
      }
      const s0 = sampler.sigmaVe(0);
      const sEnd = sampler.sigmaVe(n - 1);
      return Math.abs(x[0] - s0 * Math.sqrt((1 + sEnd * sEnd) / (1 + s0 * s0)));
    };
    // Step counts in the asymptotic range: doubling them divides the error by ~4 (2M) and ~2 (DDIM).
    const dpm = [40, 80, 160].map((n) => errorFor('dpmpp_2m_sde', n));
    const ddim = [40, 80, 160].map((n) => errorFor('ddim', n));
    expect(dpm[0] / dpm[1]).toBeGreaterThan(3.5);
    expect(dpm[1] / dpm[2]).toBeGreaterThan(3.5);
    expect(ddim[0] / ddim[1]).toBeGreaterThan(1.6);
    expect(ddim[0] / ddim[1]).toBeLessThan(2.5);
    expect(dpm[2]).toBeLessThan(ddim[2]);
  });
});

describe('DDIM', () => {
  it('with eta 0 is deterministic and needs no noise or state', () => {
    const sampler = createSampler('ddim', schedule, samplerTimesteps({ ...samplerSpec, solver: 'ddim' }, 8), { eta: 0 });
    expect(sampler.needsState).toBe(false);
    for (let i = 0; i < sampler.evaluations; i++) expect(sampler.needsNoise(i)).toBe(false);
    const start = gaussianNoise(3, [1], 64).map((v) => 20 * v);
    const denoise = (x: Float32Array) => x.map((v) => 0.05 * v);
    const a = run(sampler, Float32Array.from(start), denoise, 1);
    const b = run(sampler, Float32Array.from(start), denoise, 2);
    expect(Array.from(a)).toEqual(Array.from(b));
  });

  it('with eta > 0 draws noise on every step but the last', () => {
    const sampler = createSampler('ddim', schedule, [899, 500, 100], { eta: 1 });
    expect([0, 1, 2].map((i) => sampler.needsNoise(i))).toEqual([true, true, false]);
  });
});

describe('sampler contract', () => {
  const sampler = createSampler('dpmpp_2m_sde', schedule, [899, 500], { eta: 1 });
  it('reports timesteps, sigmas and the final sigma', () => {
    expect(sampler.timestep(1)).toBe(500);
    expect(sampler.sigmaVe(1)).toBeCloseTo(schedule.sigmaVe(500), 12);
    expect(sampler.finalSigmaVe).toBe(0);
    expect(() => sampler.timestep(2)).toThrow(/outside/);
  });
  it('refuses slices without the state or noise the step needs', () => {
    const x = new Float32Array(4);
    expect(() => sampler.step(0, x, new Float32Array(4), null, new Float32Array(4))).toThrow(/state/);
    expect(() => sampler.step(0, x, new Float32Array(4), new Float32Array(4), null)).toThrow(/noise/);
    expect(() => sampler.step(0, x, new Float32Array(3), new Float32Array(4), new Float32Array(4))).toThrow(/denoised/);
  });
  it('rejects timesteps that are not strictly descending', () => {
    expect(() => createSampler('ddim', schedule, [500, 600], { eta: 0 })).toThrow(/descending/);
    expect(() => createSampler('ddim', schedule, [], { eta: 0 })).toThrow(/at least one/);
  });
});
