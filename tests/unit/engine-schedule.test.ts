import { describe, expect, it } from 'vitest';
import { createNoiseSchedule } from '../../main/engine/schedule/noise-schedule';
import { VENHANCER_SCHEDULE } from '../helpers/engine-fixtures';

/** The reference's table construction (schedules_sdedit.py), written out independently: two shifted cosine
 *  schedules over linspace(1, 0, n), blended linearly. */
function referenceLogSnrTable(n: number, lmin: number, lmax: number, s0: number, s1: number): number[] {
  const tMin = Math.atan(Math.exp(-0.5 * lmin));
  const tMax = Math.atan(Math.exp(-0.5 * lmax));
  const table: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = 1 - i / (n - 1);
    const cosine = -2 * Math.log(Math.tan(tMin + t * (tMax - tMin)));
    const shiftedMin = cosine + 2 * Math.log(1 / s0);
    const shiftedMax = cosine + 2 * Math.log(1 / s1);
    table.push(t * shiftedMin + (1 - t) * shiftedMax);
  }
  return table;
}

describe('logsnr_cosine_interp noise schedule', () => {
  const schedule = createNoiseSchedule(VENHANCER_SCHEDULE);

  it('matches the published check values to 5 decimals', () => {
    expect(schedule.sigma(199)).toBeCloseTo(0.59676, 5);
    expect(schedule.sigma(249)).toBeCloseTo(0.70071, 5);
    expect(schedule.sigma(299)).toBeCloseTo(0.78118, 5);
    expect(schedule.sigma(899)).toBeCloseTo(0.99909, 5);
  });

  it('equals the reference table at every integer timestep', () => {
    const table = referenceLogSnrTable(1000, -15, 15, 2, 4);
    for (let t = 0; t < 1000; t++) expect(schedule.logSnr(t)).toBeCloseTo(table[t], 9);
  });

  it('keeps alpha^2 + sigma^2 = 1 and sigmaVe = sigma / alpha, also at fractional timesteps', () => {
    for (const t of [0, 0.5, 44.54545, 199, 454.4545, 899, 998.25, 999]) {
      const a = schedule.alpha(t);
      const s = schedule.sigma(t);
      expect(a * a + s * s).toBeCloseTo(1, 12);
      expect(schedule.sigmaVe(t) / (s / a)).toBeCloseTo(1, 10);
      expect(Math.log(schedule.sigmaVe(t))).toBeCloseTo(-schedule.logSnr(t) / 2, 10);
    }
  });

  it('is monotonic: noise grows with t', () => {
    let previous = schedule.sigma(0);
    for (let t = 0.25; t <= 999; t += 0.25) {
      const s = schedule.sigma(t);
      expect(s).toBeGreaterThan(previous);
      expect(schedule.logSnr(t)).toBeLessThan(schedule.logSnr(t - 0.25));
      previous = s;
    }
    expect(schedule.alpha(0)).toBeGreaterThan(schedule.alpha(500));
  });

  it('reduces to the plain cosine schedule ending at logsnrMax / logsnrMin without shifts', () => {
    const plain = createNoiseSchedule({ ...VENHANCER_SCHEDULE, trainTimesteps: 100, logsnrMin: -10, logsnrMax: 10, shiftStart: 1, shiftEnd: 1 });
    expect(plain.trainTimesteps).toBe(100);
    expect(plain.logSnr(0)).toBeCloseTo(10, 10);
    expect(plain.logSnr(99)).toBeCloseTo(-10, 10);
  });

  it('rejects timesteps outside the schedule', () => {
    expect(() => schedule.sigma(-1)).toThrow(/outside/);
    expect(() => schedule.sigma(1000)).toThrow(/outside/);
    expect(() => schedule.alpha(Number.NaN)).toThrow(/outside/);
  });
});
