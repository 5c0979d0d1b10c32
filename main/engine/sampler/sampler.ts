// Solvers as per-step elementwise updates, so the pipeline can apply a step to any slice of a latent that lives on
// disk (chunk by chunk, frame by frame) with the same result as a whole-tensor step.
//
// Everything runs in variance-exploding (VE) space: x_ve = x_vp / alpha, noise level sigma_ve = sigma / alpha,
// and the model's prediction enters as `denoised` (the predicted x0). Reference: VEnhancer
// video_to_video/diffusion/solvers_sdedit.py `sample_dpmpp_2m_sde` (after k-diffusion's sampling.py), with
// solver_type 'midpoint' and s_noise 1. Differences from the reference, on purpose:
//   - the SDE noise is i.i.d. standard normal per step (counter-based, supplied by the caller) instead of a
//     torchsde Brownian tree; increments of Brownian motion over disjoint intervals are independent normals,
//     so the distribution is the same and the result does not depend on chunking;
//   - the last step goes to sigma 0 and returns `denoised`, exactly as the reference (its sigma list ends in 0);
//   - sigmas come from the grid timesteps as the reference's `_t_to_sigma` computes them (log-linear between
//     integer timesteps), and the model is fed t = round(t_grid) (the reference's
//     `_sigma_to_t(sigma).round().long()`; _sigma_to_t inverts _t_to_sigma, so this is the grid value rounded, half
//     to even like torch.round). modelTimestep(i) gives that integer; the denoise loop computes x0 with the
//     schedule's alpha and sigma at it, as the reference's `denoise` indexes its tables with the rounded t.
import kernels from '@upframe/native-kernels';
import type { NoiseSchedule } from '../schedule/noise-schedule';

export interface Sampler {
  readonly evaluations: number;
  timestep(i: number): number;
  /** The integer timestep the model is fed at step i (torch.round of the grid timestep). */
  modelTimestep(i: number): number;
  /** VE sigma before step i */
  sigmaVe(i: number): number;
  /** VE sigma after the last step (0 or the schedule's final) */
  readonly finalSigmaVe: number;
  readonly needsState: boolean;
  needsNoise(i: number): boolean;
  /** Elementwise update of any slice of the latent, in place: x (VE space) <- step(x, denoised); `state` is this
   *  slice's solver memory (e.g. 2M's previous denoised), read and written in place; `noise` standard normal. */
  step(i: number, x: Float32Array, denoised: Float32Array, state: Float32Array | null, noise: Float32Array | null): void;
}

/** Per-step update x <- cX x + cD denoised + cOld old + cNoise noise, precomputed once per step. */
type StepCoefficients = { cX: number; cD: number; cOld: number; cNoise: number };

/**
 * @param timesteps evaluation timesteps, strictly descending (samplerTimesteps' output)
 * @param opts.eta SDE noise amount: 0 makes both solvers deterministic (ODE / DDIM), 1 is the reference default.
 */
export function createSampler(
  kind: 'dpmpp_2m_sde' | 'ddim',
  schedule: NoiseSchedule,
  timesteps: number[],
  opts: { eta: number },
): Sampler {
  if (timesteps.length === 0) throw new Error('A sampler needs at least one timestep');
  for (let i = 1; i < timesteps.length; i++) {
    if (!(timesteps[i] < timesteps[i - 1])) throw new Error('Sampler timesteps must be strictly descending');
  }
  if (!(opts.eta >= 0) || !Number.isFinite(opts.eta)) throw new Error(`Sampler eta must be >= 0, got ${opts.eta}`);
  const n = timesteps.length;
  const sigmas = timesteps.map((t) => schedule.samplerSigmaVe(t));
  sigmas.push(0);
  for (const s of sigmas.slice(0, n)) {
    if (!(s > 0) || !Number.isFinite(s)) throw new Error(`Timestep gives an unusable VE sigma ${s}`);
  }
  const coefficients =
    kind === 'dpmpp_2m_sde' ? dpmpp2mSdeCoefficients(sigmas, opts.eta) : kind === 'ddim' ? ddimCoefficients(sigmas, opts.eta) : null;
  if (coefficients === null) throw new Error(`Unknown solver "${String(kind)}": use dpmpp_2m_sde or ddim`);
  const needsState = kind === 'dpmpp_2m_sde';

  function checkIndex(i: number): void {
    if (!Number.isInteger(i) || i < 0 || i >= n) throw new RangeError(`Step ${i} is outside [0, ${n})`);
  }

  return {
    evaluations: n,
    finalSigmaVe: 0,
    needsState,
    timestep(i) {
      checkIndex(i);
      return timesteps[i];
    },
    modelTimestep(i) {
      checkIndex(i);
      return roundHalfToEven(timesteps[i]);
    },
    sigmaVe(i) {
      if (i === n) return 0;
      checkIndex(i);
      return sigmas[i];
    },
    needsNoise(i) {
      checkIndex(i);
      return coefficients[i].cNoise !== 0;
    },
    step(i, x, denoised, state, noise) {
      checkIndex(i);
      const { cX, cD, cOld, cNoise } = coefficients[i];
      const len = x.length;
      if (denoised.length !== len) throw new Error(`denoised has ${denoised.length} values, x has ${len}`);
      if (needsState && (state === null || state.length !== len)) {
        throw new Error(`This solver needs a state slice of ${len} values (its previous prediction)`);
      }
      if (cNoise !== 0 && (noise === null || noise.length !== len)) {
        throw new Error(`Step ${i} needs a standard-normal noise slice of ${len} values`);
      }
      kernels.solverStep(x, denoised, needsState ? state : null, cNoise !== 0 ? noise : null, cX, cD, cOld, cNoise);
    },
  };
}

/**
 * DPM-Solver++(2M) SDE in the data-prediction form, per step i from sigma_i to sigma_{i+1}, with lambda = -ln sigma:
 *   h = ln(sigma_i / sigma_{i+1}), x <- (sigma_{i+1} / sigma_i) e^{-eta h} x + (1 - e^{-(1 + eta) h}) D_i
 *   + (midpoint correction, from the second step) 0.5 (1 - e^{-(1 + eta) h}) (h_{i-1} / h) (D_i - D_{i-1})
 *   + sigma_{i+1} sqrt(1 - e^{-2 eta h}) z.
 * The step into sigma 0 returns D_i.
 */
function dpmpp2mSdeCoefficients(sigmas: number[], eta: number): StepCoefficients[] {
  const steps: StepCoefficients[] = [];
  let hLast: number | null = null;
  for (let i = 0; i < sigmas.length - 1; i++) {
    const sigma = sigmas[i];
    const next = sigmas[i + 1];
    if (next === 0) {
      steps.push({ cX: 0, cD: 1, cOld: 0, cNoise: 0 });
      continue;
    }
    const h = Math.log(sigma / next);
    const etaH = eta * h;
    const cX = (next / sigma) * Math.exp(-etaH);
    const cD = -Math.expm1(-h - etaH);
    // Midpoint correction: 0.5 cD (1 / r) (D - D_old) with r = h_last / h.
    const cCorr = hLast === null ? 0 : (0.5 * cD * h) / hLast;
    const cNoise = eta === 0 ? 0 : next * Math.sqrt(-Math.expm1(-2 * etaH));
    steps.push({ cX, cD: cD + cCorr, cOld: -cCorr, cNoise });
    hLast = h;
  }
  return steps;
}

/**
 * DDIM (Song et al. 2021) rewritten in VE space: with eps = (x - D) / sigma_i,
 *   x <- D + sqrt(sigma_{i+1}^2 - up^2) eps + up z, up = min(sigma_{i+1}, eta sigma_{i+1} sqrt(1 - sigma_{i+1}^2 / sigma_i^2)).
 * Dividing DDIM's VP update by alpha_{i+1} gives exactly this `up` (it equals k-diffusion's ancestral sigma_up).
 * eta 0 is the deterministic DDIM (first-order ODE step); the step into sigma 0 returns D.
 */
function ddimCoefficients(sigmas: number[], eta: number): StepCoefficients[] {
  const steps: StepCoefficients[] = [];
  for (let i = 0; i < sigmas.length - 1; i++) {
    const sigma = sigmas[i];
    const next = sigmas[i + 1];
    if (next === 0) {
      steps.push({ cX: 0, cD: 1, cOld: 0, cNoise: 0 });
      continue;
    }
    const up = Math.min(next, eta * next * Math.sqrt(Math.max(0, 1 - (next * next) / (sigma * sigma))));
    const down = Math.sqrt(next * next - up * up);
    const cX = down / sigma;
    steps.push({ cX, cD: 1 - cX, cOld: 0, cNoise: up });
  }
  return steps;
}

/** torch.round: halves go to the even neighbour. */
export function roundHalfToEven(value: number): number {
  const floor = Math.floor(value);
  const fraction = value - floor;
  if (fraction > 0.5) return floor + 1;
  if (fraction < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}
