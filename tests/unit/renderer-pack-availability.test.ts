// Which settings and presets can render with the installed packs: the rule every picker uses to disable an option.
import { describe, expect, it } from 'vitest';
import type { PackInfo } from '../../main/common/api';
import { BUILTIN_PRESETS } from '../../main/services/presets';
import { defaultPack, NO_DEFAULT_PACK, presetUnavailableReason, settingsUnavailableReason } from '../../renderer/src/components/inspector/pack-availability';

function pack(id: string, extra: Partial<PackInfo> = {}): PackInfo {
  return { id, name: id, version: '1', label: id, family: 'venhancer', testPack: false, builtin: false, sizeBytes: 1, status: 'ok', problem: null, ...extra };
}
const testPacks = [pack('tiny@1', { testPack: true, builtin: true }), pack('analytic@1', { testPack: true, builtin: true })];

describe('pack availability', () => {
  it('finds no default pack among built-in test packs, nor among broken installed packs', () => {
    expect(defaultPack(testPacks)).toBeNull();
    expect(defaultPack([...testPacks, pack('real@1', { status: 'corrupt' })])).toBeNull();
    expect(defaultPack([...testPacks, pack('real@1')])?.id).toBe('real@1');
  });

  it('disables the diffusion presets without an installed pack, and enables them with one', () => {
    const byName = (name: string) => BUILTIN_PRESETS.find((p) => p.name === name)!;
    expect(presetUnavailableReason(byName('AI clip x4, 24 fps'), testPacks)).toBe(NO_DEFAULT_PACK);
    expect(presetUnavailableReason(byName('Refine only'), testPacks)).toBe(NO_DEFAULT_PACK);
    expect(presetUnavailableReason(byName('Interpolate x2'), testPacks)).toBeNull();
    expect(presetUnavailableReason(byName('AI clip x4, 24 fps'), [...testPacks, pack('real@1')])).toBeNull();
    // Packs not listed yet: no verdict rather than a false one.
    expect(presetUnavailableReason(byName('AI clip x4, 24 fps'), null)).toBeNull();
  });

  it('names a missing or broken chosen pack', () => {
    expect(settingsUnavailableReason({ engine: 'diffusion', packId: 'tiny@1' }, testPacks)).toBeNull();
    expect(settingsUnavailableReason({ engine: 'diffusion', packId: 'gone@2' }, testPacks)).toMatch(/gone@2, which is not installed/);
    expect(settingsUnavailableReason({ engine: 'diffusion', packId: 'real@1' }, [pack('real@1', { status: 'missing-files' })])).toMatch(/which is missing files/);
    expect(settingsUnavailableReason({ engine: 'classic', packId: null }, [])).toBeNull();
  });
});
