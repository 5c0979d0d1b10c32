// Time left from a job's progress, measured from its first progress report rather than from its start: what comes
// before that report (starting ffmpeg, opening a model session, the first call's kernel selection) is paid once,
// and extrapolating it over the whole job made the first estimates several times too long.

export class ProgressRate {
  private anchor: { fraction: number; atSec: number } | null = null;

  /** `minProgress` of the job must pass after the anchor before an estimate is given. */
  constructor(private readonly minProgress = 0.02) {}

  /** The seconds left at `fraction` (0..1), or null until there is a rate to go on. */
  observe(fraction: number, nowSec: number): number | null {
    if (fraction >= 1) return 0;
    if (!this.anchor) {
      if (fraction > 0) this.anchor = { fraction, atSec: nowSec };
      return null;
    }
    const progressed = fraction - this.anchor.fraction;
    const elapsed = nowSec - this.anchor.atSec;
    if (progressed < this.minProgress || elapsed <= 0) return null;
    return Math.max(0, (elapsed / progressed) * (1 - fraction));
  }
}
