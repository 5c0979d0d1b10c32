// The diffusion noise schedule as a pure function of a continuous timestep. Everything here comes from the pack
// manifest's `schedule`; nothing about a checkpoint is a constant in the engine.
//
// Reference: VEnhancer video_to_video/diffusion/schedules_sdedit.py (`_logsnr_cosine_interp`, `logsnrs_to_sigmas`).
// The reference tabulates 1000 values of an interpolated, shifted cosine logSNR; here the same closed form is
// evaluated at any t (fractional timesteps in the sampler grid, e.g. VEnhancer "fast" 454.45), so the value at
// an integer t equals the reference table entry. The reference also applies `zero_terminal_snr`, a rescale that
// is a no-op in float32 for these parameters (sigma(999) already rounds to 1), so it is not reproduced.
import type { ScheduleSpec } from '../pack/manifest';

export interface NoiseSchedule {
  readonly trainTimesteps: number;
  logSnr(t: number): number;
  alpha(t: number): number;
  sigma(t: number): number;
  /** sigma / alpha */
  sigmaVe(t: number): number;
  /** The sampler's VE sigma at a possibly fractional t as the reference computes it (`_t_to_sigma`): ln(sigma_ve)
   *  interpolated linearly between the integer timesteps floor(t) and ceil(t). Equals sigmaVe at integers. */
  samplerSigmaVe(t: number): number;
}

/** Builds the schedule; t is continuous in [0, trainTimesteps - 1] (0 = clean, trainTimesteps - 1 = noisiest). */
export function createNoiseSchedule(spec: ScheduleSpec): NoiseSchedule {
  if (spec.type !== 'logsnr_cosine_interp') {
    throw new Error(`Unsupported noise schedule "${String(spec.type)}": this engine implements logsnr_cosine_interp`);
  }
  if (!(spec.trainTimesteps >= 2)) {
    throw new Error(`schedule.trainTimesteps must be at least 2, got ${spec.trainTimesteps}`);
  }
  if (!(spec.logsnrMin < spec.logsnrMax)) {
    throw new Error(`schedule.logsnrMin (${spec.logsnrMin}) must be below schedule.logsnrMax (${spec.logsnrMax})`);
  }
  const last = spec.trainTimesteps - 1;
  // Angles of the cosine schedule at the clean (t0) and noisy (t1) ends: logSNR = -2 ln tan(angle).
  const t0 = Math.atan(Math.exp(-spec.logsnrMax / 2));
  const t1 = Math.atan(Math.exp(-spec.logsnrMin / 2));
  const lnShiftStart = Math.log(spec.shiftStart);
  const lnShiftEnd = Math.log(spec.shiftEnd);

  function logSnr(t: number): number {
    if (!Number.isFinite(t) || t < 0 || t > last) {
      throw new RangeError(`Timestep ${t} is outside the schedule's range [0, ${last}]`);
    }
    const tau = t / last;
    // The reference interpolates linearly between the cosine schedule shifted by shiftStart and by shiftEnd;
    // a shift by s subtracts 2 ln s, so the interpolated shift is 2 ((1 - tau) ln s0 + tau ln s1).
    const shift = 2 * ((1 - tau) * lnShiftStart + tau * lnShiftEnd);
    return -2 * Math.log(Math.tan(t0 + tau * (t1 - t0))) - shift;
  }

  // sigmoid written to stay accurate for large |x| (logSNR reaches about +-18).
  function sigmoid(x: number): number {
    return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
  }

  return {
    trainTimesteps: spec.trainTimesteps,
    logSnr,
    alpha: (t) => Math.sqrt(sigmoid(logSnr(t))),
    sigma: (t) => Math.sqrt(sigmoid(-logSnr(t))),
    // sigma / alpha = sqrt(exp(-logSNR)): exact, and finite where alpha underflows.
    sigmaVe: (t) => Math.exp(-logSnr(t) / 2),
    samplerSigmaVe(t) {
      const lo = Math.floor(t);
      const hi = Math.ceil(t);
      const w = t - lo;
      // ln sigma_ve = -logSNR / 2 at each integer timestep.
      return Math.exp(-((1 - w) * logSnr(lo) + w * logSnr(hi)) / 2);
    },
  };
}
