// Which timesteps the denoiser is evaluated at, from the pack's sampler spec and the user's `steps` setting.
//
// Reference: VEnhancer video_to_video/diffusion/diffusion_sdedit.py, GaussianDiffusion.sample with
// discretization='trailing', t_max = startTimestep, t_min = 0:
//   - n steps: `torch.arange(t_max, t_min - 1, -((t_max - t_min + 1) / n'))`, clamped to [t_min, t_max], where
//     n' = n + 1 when the solver discards the penultimate step (dpmpp_2m_sde does, `discard_penultimate_step`);
//   - solver_mode 'fast': the grid 899, 799, 699, 599 then 11 values from 500 down to 44.5 (a pack lists that
//     grid explicitly as its "fast" preset);
//   - then a sigma of 0 is appended, and for dpmpp_2m_sde the second-to-last sigma (that of the grid's last
//     timestep) is dropped: the last evaluation jumps straight to sigma 0.
// So for dpmpp_2m_sde the evaluated timesteps are the grid without its last value (fast: 14 evaluations; n
// steps: 899 - i * 900 / (n + 1) for i < n), and for ddim the grid as is. A one-value grid is never shortened.
import type { SamplerSpec } from '../pack/manifest';
import type { Steps } from '../../common/settings';

/** The timesteps at which the model is evaluated, descending; length = number of evaluations. */
export function samplerTimesteps(sampler: SamplerSpec, steps: Steps): number[] {
  const preset = typeof steps === 'number' ? { steps } : sampler.presets[steps];
  if (preset === undefined) throw new Error(`Unknown steps preset "${String(steps)}": use fast, normal or a number`);
  const tMax = sampler.startTimestep;
  let grid: number[];
  if ('timesteps' in preset) {
    grid = [...preset.timesteps];
    validateExplicitGrid(grid, tMax, String(steps));
  } else {
    if (!Number.isInteger(preset.steps) || preset.steps < 1) {
      throw new Error(`Steps must be a whole number of at least 1, got ${preset.steps}`);
    }
    grid = trailingGrid(tMax, 0, preset.steps + (discardsPenultimate(sampler.solver) ? 1 : 0));
  }
  const evaluated = discardsPenultimate(sampler.solver) && grid.length >= 2 ? grid.slice(0, -1) : grid;
  if (evaluated.length < sampler.minEvaluations) {
    throw new Error(
      `Steps "${String(steps)}" give ${evaluated.length} model evaluations, but this pack needs at least ` +
        `${sampler.minEvaluations}: choose more steps`,
    );
  }
  return evaluated;
}

/** Whether the solver skips the grid's last timestep (reference: `discard_penultimate_step` defaults). */
function discardsPenultimate(solver: SamplerSpec['solver']): boolean {
  return solver === 'dpmpp_2m_sde';
}

/**
 * `torch.arange(tMax, tMin - 1, -(tMax - tMin + 1) / count).clamp(tMin, tMax)`, with exactly `count` values: torch
 * sizes arange as ceil(span / step) in float64, which for some counts (e.g. 95) rounds up to one extra value just
 * below tMin, clamped to tMin; that would silently add a model evaluation the user did not ask for.
 */
function trailingGrid(tMax: number, tMin: number, count: number): number[] {
  const step = (tMax - tMin + 1) / count;
  const grid: number[] = [];
  for (let i = 0; i < count; i++) grid.push(Math.min(tMax, Math.max(tMin, tMax - i * step)));
  return grid;
}

function validateExplicitGrid(grid: number[], startTimestep: number, name: string): void {
  if (grid.length === 0) throw new Error(`Sampler preset "${name}" lists no timesteps`);
  if (grid[0] !== startTimestep) {
    throw new Error(
      `Sampler preset "${name}" starts at timestep ${grid[0]}, but sampler.startTimestep is ${startTimestep}: ` +
        'the pack manifest must make them equal',
    );
  }
  for (let i = 1; i < grid.length; i++) {
    if (!(grid[i] < grid[i - 1]) || grid[i] < 0) {
      throw new Error(`Sampler preset "${name}" timesteps must be non-negative and strictly descending`);
    }
  }
}
