// What a provider choice really runs, from the engine check's sessions (engine.check), by the engine's own rule
// (main/engine/pack/providers.ts): 'auto' is the platform's GPU provider and always falls back to the CPU; an
// explicit GPU provider falls back only when the CPU fallback is allowed.
import type { MethodOutput } from '../../../../main/common/api';
import type { Provider } from '../../../../main/common/settings';

type Outcome = MethodOutput<'engine.check'>['outcomes'][number];
type Explicit = Outcome['provider'];

const NAMES: Record<Explicit, string> = { cuda: 'CUDA', dml: 'DirectML', coreml: 'CoreML', cpu: 'CPU' };

/** How an execution provider is named to people. */
export function providerLabel(provider: Explicit): string {
  return NAMES[provider];
}

export function effectiveProvider(
  choice: Provider,
  autoProvider: Explicit,
  allowCpuFallback: boolean,
  outcomes: readonly Outcome[],
): { runs: Explicit | null; summary: string } {
  const requested = choice === 'auto' ? autoProvider : choice;
  const outcome = outcomes.find((o) => o.provider === requested);
  const cpu = outcomes.find((o) => o.provider === 'cpu');
  const name = NAMES[requested];
  if (outcome?.loaded) return { runs: requested, summary: `${name} — a test session opened on it.` };
  const why = outcome?.reason ?? 'not tried';
  if (requested !== 'cpu' && (choice === 'auto' || allowCpuFallback) && cpu?.loaded) {
    return { runs: 'cpu', summary: `CPU — ${name} did not start (${why}), so jobs run on the CPU.` };
  }
  const fallback = requested !== 'cpu' ? ' and the CPU fallback is off' : '';
  return { runs: null, summary: `Nothing — ${name} did not start (${why})${fallback}: enhancement jobs will fail.` };
}
