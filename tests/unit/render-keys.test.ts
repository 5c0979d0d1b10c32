// Cache keys: what invalidates a chunk and what does not.
import { describe, expect, it } from 'vitest';
import { defaultClipSettings, type ClipSettings } from '../../main/common/settings';
import { chunkKey, settingsHash, stableJson } from '../../main/render/variant-key';

const classic = defaultClipSettings();
const diffusion: ClipSettings = { ...defaultClipSettings(), engine: 'diffusion', packId: 'p@1' };
const PACK = 'a'.repeat(64);

describe('settings hash', () => {
  it('is stable JSON: key order does not matter', () => {
    expect(stableJson({ b: 1, a: [2, { d: 3, c: null }] })).toBe(stableJson({ a: [2, { c: null, d: 3 }], b: 1 }));
    expect(() => stableJson({ a: NaN })).toThrow();
  });

  it('ignores what does not change a classic clip\'s pixels', () => {
    const base = settingsHash(classic, 0, null);
    for (const over of [{ prompt: 'a cat' }, { seed: 1 }, { noise: 10 }, { cfg: 3 }, { steps: 'normal' as const }, { provider: 'cpu' as const }, { packId: 'x@1' }]) {
      expect(settingsHash({ ...classic, ...over }, 0, null)).toBe(base);
    }
    // Two target rates with the same k are the same pixels: the hash takes k.
    expect(settingsHash({ ...classic, targetFps: 48 }, 1, null)).toBe(settingsHash({ ...classic, targetFps: 50 }, 1, null));
  });

  it('changes with every pixel setting', () => {
    const base = settingsHash(classic, 0, null);
    expect(settingsHash({ ...classic, scale: 2 }, 0, null)).not.toBe(base);
    expect(settingsHash(classic, 1, null)).not.toBe(base);
    expect(settingsHash({ ...classic, classic: { ...classic.classic, sharpen: 'cas' } }, 0, null)).not.toBe(base);
    expect(settingsHash(diffusion, 0, PACK)).not.toBe(base);
    const d = settingsHash(diffusion, 0, PACK);
    for (const over of [{ prompt: 'a cat' }, { seed: 1 }, { noise: 10 }, { cfg: 3 }, { steps: 'normal' as const }, { sCond: 2 }, { chunkFrames: 16 }, { tileLatent: 32 }, { scale: 2 }]) {
      expect(settingsHash({ ...diffusion, ...over }, 0, PACK)).not.toBe(d);
    }
    expect(settingsHash(diffusion, 0, 'b'.repeat(64))).not.toBe(d);
    // The provider never changes a key.
    expect(settingsHash({ ...diffusion, provider: 'cuda' }, 0, PACK)).toBe(d);
  });

  it('ignores the controls a pack does not take, as the pipeline does', () => {
    const none = { noise: false, cfg: false, prompt: false };
    const d = settingsHash(diffusion, 0, PACK, none);
    for (const over of [{ prompt: 'a cat' }, { noise: 10 }, { cfg: 3 }]) {
      expect(settingsHash({ ...diffusion, ...over }, 0, PACK, none)).toBe(d);
      expect(settingsHash({ ...diffusion, ...over }, 0, PACK, { noise: true, cfg: true, prompt: true })).not.toBe(
        settingsHash(diffusion, 0, PACK, { noise: true, cfg: true, prompt: true }),
      );
    }
    expect(settingsHash({ ...diffusion, seed: 1 }, 0, PACK, none)).not.toBe(d);
  });
});

describe('settings hash: deinterlacing in the model engines', () => {
  it('changes only where the frame reader deinterlaces, so progressive sources keep their cached chunks', () => {
    for (const engine of ['diffusion', 'model'] as const) {
      const settings: ClipSettings = { ...defaultClipSettings(), engine };
      expect(settingsHash(settings, 0, 'p', undefined, false)).toBe(settingsHash(settings, 0, 'p'));
      expect(settingsHash(settings, 0, 'p', undefined, true)).not.toBe(settingsHash(settings, 0, 'p'));
    }
  });
});

describe('chunk key', () => {
  const parts = { fingerprint: 'f1', chunkFrames: 24, contextFrames: 0, index: 3, settingsHash: settingsHash(classic, 0, null) };

  it('covers the media, the grid position and the settings', () => {
    const key = chunkKey(parts);
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(chunkKey({ ...parts })).toBe(key);
    for (const over of [{ fingerprint: 'f2' }, { chunkFrames: 8 }, { contextFrames: 3 }, { index: 4 }, { settingsHash: settingsHash({ ...classic, scale: 2 }, 0, null) }]) {
      expect(chunkKey({ ...parts, ...over })).not.toBe(key);
    }
  });
});
