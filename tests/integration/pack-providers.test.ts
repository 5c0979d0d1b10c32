import { describe, expect, it } from 'vitest';
import type { ExecutionOptions, Tensor } from '../../main/engine/types';
import { builtinPackDir } from '../../main/engine/pack/builtin';
import { PackError } from '../../main/engine/pack/errors';
import { autoProvider, executionOptionsFor, providerPlatformProblem } from '../../main/engine/pack/providers';
import { loadPack } from '../../main/engine/pack/runtime';

const base: ExecutionOptions = { provider: 'cpu', deviceId: 0, threads: 1, fp16: false, allowCpuFallback: false };

/** Whether onnxruntime-node can start CUDA here (then the unavailable path cannot be shown on this machine). */
async function cudaWorks(): Promise<boolean> {
  try {
    const runtime = await loadPack(builtinPackDir('analytic-test'), { ...base, provider: 'cuda' });
    await runtime.release();
    return true;
  } catch (error) {
    if (error instanceof PackError && error.code === 'PROVIDER_UNAVAILABLE') return false;
    throw error;
  }
}

describe('execution providers', () => {
  it('CUDA requested where it cannot start: PROVIDER_UNAVAILABLE with what to do', async (ctx) => {
    if (await cudaWorks()) ctx.skip('CUDA starts on this machine: the unavailable path cannot be shown here');
    const error = await loadPack(builtinPackDir('analytic-test'), { ...base, provider: 'cuda' }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(PackError);
    expect((error as PackError).code).toBe('PROVIDER_UNAVAILABLE');
    expect((error as PackError).message).toMatch(
      /^CUDA is not available: .+\. Run `npm run setup` on a machine with internet to install the CUDA provider, pick CPU in the engine settings, or allow CPU fallback\.$/,
    );
  });

  it('with CPU fallback allowed it runs on CPU and says why', async (ctx) => {
    if (await cudaWorks()) ctx.skip('CUDA starts on this machine: no fallback to show');
    const logs: string[] = [];
    const runtime = await loadPack(builtinPackDir('analytic-test'), { ...base, provider: 'cuda', allowCpuFallback: true }, {
      log: (m) => logs.push(m),
    });
    try {
      expect(runtime.providerInUse).toMatch(/^cpu \(CUDA unavailable: .+\)$/);
      expect(logs.some((m) => /CUDA unavailable/.test(m))).toBe(true);
      const images: Tensor = { dims: [1, 3, 4, 4], data: new Float32Array(48).fill(0.25) };
      // The analytic posterior's mean (the first 12 of its 24 channels) decodes back to the image exactly.
      const moments = await runtime.vaeEncode(images);
      const decoded = await runtime.vaeDecode({ dims: [1, 12, 2, 2], data: moments.data.slice(0, 48) });
      expect(Array.from(decoded.data)).toEqual(Array.from(images.data));
    } finally {
      await runtime.release();
    }
  });

  it('a provider of another platform is refused without trying, or falls back when allowed', async () => {
    const foreign = process.platform === 'darwin' ? 'dml' : 'coreml';
    const error = await loadPack(builtinPackDir('analytic-test'), { ...base, provider: foreign }).then(
      () => null,
      (e: unknown) => e,
    );
    expect((error as PackError).code).toBe('PROVIDER_UNAVAILABLE');
    expect((error as PackError).message).toMatch(/runs only on/);
    const runtime = await loadPack(builtinPackDir('analytic-test'), { ...base, provider: foreign, allowCpuFallback: true });
    expect(runtime.providerInUse).toMatch(/^cpu \((CoreML|DirectML) unavailable: .*runs only on/);
    await runtime.release();
  });

  it("'auto' picks by platform and allows the reported fallback", () => {
    expect(autoProvider('linux')).toBe('cuda');
    expect(autoProvider('win32')).toBe('dml');
    expect(autoProvider('darwin')).toBe('coreml');
    expect(autoProvider('freebsd')).toBe('cpu');
    expect(executionOptionsFor('auto', { platform: 'darwin' })).toMatchObject({ provider: 'coreml', allowCpuFallback: true });
    expect(executionOptionsFor('cuda', { threads: 4 })).toMatchObject({ provider: 'cuda', threads: 4, allowCpuFallback: false });
    expect(providerPlatformProblem('cuda', 'darwin')).toMatch(/CUDA runs only on Linux and Windows/);
    expect(providerPlatformProblem('cpu', 'darwin')).toBeNull();
  });
});
