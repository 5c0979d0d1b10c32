// The model engine's pure rules: which graph serves a requested scale, the output size, and what its chunk keys
// and context depend on.
import { describe, expect, it } from 'vitest';
import { defaultClipSettings } from '../../main/common/settings';
import { chooseModel } from '../../main/engine/perframe/per-frame-job';
import { modelOutputSize } from '../../main/engine/perframe/output-size';
import { contextFramesFor } from '../../main/render/chunk-grid';
import { settingsHash } from '../../main/render/variant-key';

const ESRGAN = [2, 3, 4, 8].map((scale) => ({ file: `x${scale}.onnx`, scale }));

describe('model engine plan', () => {
  it('runs the smallest whole scale at or above the request, the largest above it', () => {
    expect([1, 1.5, 2, 2.25, 3, 3.5, 4, 5, 8].map((s) => chooseModel(ESRGAN, s).scale)).toEqual([2, 2, 2, 3, 3, 4, 4, 8, 8]);
    expect(chooseModel([{ file: 'a', scale: 2 }], 6).scale).toBe(2);
    expect(chooseModel([{ file: 'a', scale: null }], 3).file).toBe('a');
  });

  it('keeps the classic engine output size rule (even sides)', () => {
    expect(modelOutputSize(320, 180, 4)).toEqual({ width: 1280, height: 720 });
    expect(modelOutputSize(101, 57, 1.5)).toEqual({ width: 150, height: 84 });
  });

  it('keys chunks by pack hash, scale and k, and nothing the model ignores', () => {
    const base = { ...defaultClipSettings(), engine: 'model' as const, scale: 2 };
    const key = settingsHash(base, 0, 'pack-a');
    expect(settingsHash(base, 0, 'pack-b')).not.toBe(key);
    expect(settingsHash({ ...base, scale: 3 }, 0, 'pack-a')).not.toBe(key);
    expect(settingsHash(base, 1, 'pack-a')).not.toBe(key);
    expect(settingsHash({ ...base, prompt: 'sharper', noise: 10, seed: 1 }, 0, 'pack-a')).toBe(key);
    expect(settingsHash({ ...base, engine: 'diffusion' }, 0, 'pack-a')).not.toBe(key);
  });

  it('needs temporal context only for inserted frames', () => {
    const s = { ...defaultClipSettings(), engine: 'model' as const };
    expect(contextFramesFor(s, 0)).toBe(0);
    expect(contextFramesFor(s, 1)).toBeGreaterThan(0);
  });
});
