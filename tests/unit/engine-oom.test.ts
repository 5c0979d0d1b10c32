import { describe, expect, it } from 'vitest';
import { describeFittingSettings, isOutOfMemoryError, shrinkPlan, type WorkPlan } from '../../main/engine/plan/oom';

describe('isOutOfMemoryError', () => {
  it('recognises allocation failures as onnxruntime and V8 report them', () => {
    const messages = [
      'Failed to allocate memory for requested buffer of size 8589934592',
      '[ONNXRuntimeError] : 6 : RUNTIME_EXCEPTION : CUDA failure 2: out of memory ; GPU=0',
      'CUDNN failure 4: CUDNN_STATUS_ALLOC_FAILED',
      'std::bad_alloc',
      'DmlExecutionProvider: E_OUTOFMEMORY (0x8007000E)',
      'Array buffer allocation failed',
    ];
    for (const m of messages) expect(isOutOfMemoryError(new Error(m))).toBe(true);
    expect(isOutOfMemoryError(new RangeError('Array buffer allocation failed'))).toBe(true);
    expect(isOutOfMemoryError(Object.assign(new Error('x'), { code: 'ERR_MEMORY_ALLOCATION_FAILED' }))).toBe(true);
    expect(isOutOfMemoryError(new Error('denoiser failed', { cause: new Error('CUDA out of memory') }))).toBe(true);
    expect(isOutOfMemoryError('bad_alloc')).toBe(true);
  });

  it('does not mistake other failures for memory', () => {
    for (const e of [new Error('File not found: model.onnx'), new Error('Invalid input shape'), null, undefined, 42]) {
      expect(isOutOfMemoryError(e)).toBe(false);
    }
    const cyclic = new Error('loop') as Error & { cause?: unknown };
    cyclic.cause = cyclic;
    expect(isOutOfMemoryError(cyclic)).toBe(false);
  });
});

describe('shrinkPlan', () => {
  it('halves the tiles to the floor first, then the chunks, then gives up', () => {
    const floor: WorkPlan = { chunkLength: 3, tileH: 8, tileW: 8 };
    const seen: WorkPlan[] = [];
    let plan: WorkPlan | null = { chunkLength: 33, tileH: 36, tileW: 64 };
    while (plan !== null) {
      seen.push(plan);
      plan = shrinkPlan(plan, floor);
    }
    expect(seen).toEqual([
      { chunkLength: 33, tileH: 36, tileW: 64 },
      { chunkLength: 33, tileH: 18, tileW: 32 },
      { chunkLength: 33, tileH: 9, tileW: 16 },
      { chunkLength: 33, tileH: 8, tileW: 8 },
      { chunkLength: 17, tileH: 8, tileW: 8 },
      { chunkLength: 9, tileH: 8, tileW: 8 },
      { chunkLength: 5, tileH: 8, tileW: 8 },
      { chunkLength: 3, tileH: 8, tileW: 8 },
    ]);
  });

  it('never shrinks an unchunked clip in time', () => {
    expect(shrinkPlan({ chunkLength: null, tileH: 8, tileW: 8 }, { chunkLength: 3, tileH: 8, tileW: 8 })).toBeNull();
  });
});

describe('describeFittingSettings', () => {
  it('names what was tried and concrete settings that use less memory', () => {
    const message = describeFittingSettings({
      stage: 'denoise',
      plan: { chunkLength: 9, tileH: 16, tileW: 16 },
      outputWidth: 2048,
      outputHeight: 1152,
      scale: 4,
      insertedFrames: 1,
      provider: 'cuda',
    });
    expect(message).toContain('Out of memory during denoise at 2048x1152');
    expect(message).toContain('chunks of 9 frames');
    expect(message).toContain('Scale to 2.75x');
    expect(message).toContain('Chunk frames to 5');
    expect(message).toContain('Tile latent to 8');
    expect(message).toContain('target frame rate');
    expect(message).toContain('CPU provider');
  });

  it('leaves out settings that cannot go lower', () => {
    const message = describeFittingSettings({
      stage: 'vae_decode',
      plan: { chunkLength: null, tileH: 8, tileW: 8 },
      outputWidth: 64,
      outputHeight: 48,
      scale: 1,
      insertedFrames: 0,
      provider: 'cpu',
    });
    expect(message).not.toMatch(/Scale to|Chunk frames|Tile latent|CPU provider|frame rate/);
    expect(message).toContain('close other applications');
  });
});
