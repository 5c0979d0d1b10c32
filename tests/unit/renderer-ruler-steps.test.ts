// Ruler labels land on round times at every zoom: sub-second steps divide the rate, longer ones are whole seconds.
import { describe, expect, it } from 'vitest';
import { formatTimecode } from '../../renderer/src/lib/frames';
import { rulerLabelStep, rulerSteps } from '../../renderer/src/components/timeline/ruler-steps';

const rates = [
  { num: 8, den: 1 },
  { num: 24, den: 1 },
  { num: 25, den: 1 },
  { num: 30000, den: 1001 },
  { num: 60, den: 1 },
  { num: 12, den: 1 },
];

describe('ruler label steps', () => {
  it('never puts a label at an odd time such as 00:00:01:02 at 8 fps', () => {
    expect(rulerSteps({ num: 8, den: 1 }).slice(0, 4)).toEqual([1, 2, 4, 8]);
    const step = rulerLabelStep({ num: 8, den: 1 }, 20);
    expect(step).toBe(8);
    expect(formatTimecode(step, { num: 8, den: 1 })).toBe('00:00:01:00');
  });

  it('at every zoom and rate, labels start every second (below 1 s) or fall on whole seconds', () => {
    for (const fps of rates) {
      const perSecond = Math.round(fps.num / fps.den);
      for (let px = 0.005; px <= 64; px *= 1.37) {
        const step = rulerLabelStep(fps, px);
        expect(step * px >= 90 || step === rulerSteps(fps).at(-1)).toBe(true);
        if (step < perSecond) expect(perSecond % step).toBe(0);
        else expect(step % perSecond).toBe(0);
        // The smallest step that keeps labels apart: the step below it would crowd them.
        const steps = rulerSteps(fps);
        const i = steps.indexOf(step);
        if (i > 0) expect(steps[i - 1] * px).toBeLessThan(90);
      }
    }
  });
});
