// The ruler's label step, in frames, so labels land on round times at every zoom and rate: below a second, a
// divisor of the (nominal, timecode) rate, so every second starts a label (8 fps: 1, 2, 4 frames; never 5, which
// puts labels at 00:00:01:02); from a second up, whole seconds in the usual 1, 2, 5, 10, 15, 30 s, 1, 2, 5, 10,
// 15, 30 min, 1 h steps.
import type { Rational } from '../../../../main/common/model';

const SECOND_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600];

/** The frame steps a ruler may use at this rate, smallest first. */
export function rulerSteps(fps: Rational): number[] {
  const perSecond = Math.max(1, Math.round(fps.num / fps.den));
  const divisors: number[] = [];
  for (let d = 1; d < perSecond; d++) if (perSecond % d === 0) divisors.push(d);
  return [...divisors, ...SECOND_STEPS.map((s) => s * perSecond)];
}

/** The smallest step whose labels stand at least minSpacingPx apart. */
export function rulerLabelStep(fps: Rational, pxPerFrame: number, minSpacingPx = 90): number {
  const steps = rulerSteps(fps);
  return steps.find((s) => s * pxPerFrame >= minSpacingPx) ?? steps[steps.length - 1];
}
