import { describe, expect, it } from 'vitest';
import { JobProgress } from '../../main/engine/pipeline/progress';
import { ProgressRate } from '../../main/engine/progress-rate';
import type { EngineProgress } from '../../main/engine/types';

describe('ProgressRate', () => {
  it('measures from the first report, so a slow start is not extrapolated over the job', () => {
    const rate = new ProgressRate();
    // 2 s of start-up before the first report at 5 %, then 1 % per 0.1 s: 9.5 s left at 5 %, not 38 s.
    expect(rate.observe(0.05, 2)).toBeNull();
    expect(rate.observe(0.06, 2.1)).toBeNull(); // under 2 % since the anchor: no estimate yet
    expect(rate.observe(0.1, 2.5)).toBeCloseTo(9, 6);
    expect(rate.observe(0.5, 6.5)).toBeCloseTo(5, 6);
    expect(rate.observe(1, 9)).toBe(0);
  });

  it('waits for progress before anchoring', () => {
    const rate = new ProgressRate();
    expect(rate.observe(0, 1)).toBeNull();
    expect(rate.observe(0.1, 3)).toBeNull();
    expect(rate.observe(0.2, 4)).toBeCloseTo(8, 6);
  });
});

describe('JobProgress (diffusion)', () => {
  it('drops the first denoiser call, which pays the warm-up, once a second one is measured', () => {
    const seen: EngineProgress[] = [];
    const progress = new JobProgress({ onProgress: (p) => seen.push(p), checkpoint: async () => {} });
    progress.planCalls(10);
    progress.call(20); // warm-up
    expect(seen.at(-1)?.etaSec).toBe(9 * 20);
    progress.call(2);
    expect(seen.at(-1)?.etaSec).toBe(8 * 2);
    progress.call(2);
    expect(seen.at(-1)?.etaSec).toBeCloseTo(7 * 2, 6);
  });
});
