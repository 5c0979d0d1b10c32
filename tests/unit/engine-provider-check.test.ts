// The provider check opens a real onnxruntime session per candidate in a child process; Settings › Engine states
// what will run from its outcomes, never from the platform name.
import { describe, expect, it } from 'vitest';
import { ProviderCheck } from '../../main/services/provider-probe';
import { effectiveProvider } from '../../renderer/src/components/settings/effective-provider';

describe('provider check', () => {
  it('opens a session on the CPU, and reports every other candidate as started or with the reason it did not', async () => {
    const check = new ProviderCheck(() => 0, () => {});
    const { outcomes } = await check.get(false);
    expect(outcomes.map((o) => o.provider)).toEqual(['cuda', 'dml', 'coreml', 'cpu']);
    expect(outcomes.find((o) => o.provider === 'cpu')).toMatchObject({ loaded: true, reason: null });
    for (const o of outcomes) expect(o.loaded || (typeof o.reason === 'string' && o.reason.length > 0)).toBe(true);
    // DirectML and CoreML are not tried off their platforms, and say so.
    if (process.platform === 'linux') expect(outcomes.find((o) => o.provider === 'dml')?.reason).toMatch(/runs only on Windows/);
    // Kept for the app's run: asked again, the same result without a new process.
    expect(await check.get(false)).toBe(await check.get(false));
  }, 60_000);
});

describe('effective provider', () => {
  const noGpu = [
    { provider: 'cuda' as const, loaded: false, reason: 'Failed to load shared library', ms: 5 },
    { provider: 'cpu' as const, loaded: true, reason: null, ms: 5 },
  ];
  const gpu = [
    { provider: 'cuda' as const, loaded: true, reason: null, ms: 5 },
    { provider: 'cpu' as const, loaded: true, reason: null, ms: 5 },
  ];

  it('says Automatic runs on the CPU where CUDA does not start, and on CUDA where it does', () => {
    expect(effectiveProvider('auto', 'cuda', false, noGpu)).toEqual({ runs: 'cpu', summary: 'CPU — CUDA did not start (Failed to load shared library), so jobs run on the CPU.' });
    expect(effectiveProvider('auto', 'cuda', false, gpu).runs).toBe('cuda');
  });

  it('says an explicit GPU choice fails without the CPU fallback, and falls back with it', () => {
    expect(effectiveProvider('cuda', 'cuda', false, noGpu)).toMatchObject({ runs: null, summary: expect.stringMatching(/CPU fallback is off: enhancement jobs will fail/) });
    expect(effectiveProvider('cuda', 'cuda', true, noGpu).runs).toBe('cpu');
    expect(effectiveProvider('cpu', 'cuda', false, noGpu).runs).toBe('cpu');
  });
});
