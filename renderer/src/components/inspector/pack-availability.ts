// What a clip's settings need from the installed model packs, so every picker can say, where the choice is made,
// that an option cannot render here. Mirrors the pack registry's rule (main/engine/pack/registry.ts): "Default pack"
// is the first installed pack that is neither built in nor a test pack and verifies ok.
import type { PackInfo } from '../../../../main/common/api';
import type { Preset } from '../../../../main/common/render-model';
import type { ClipSettings } from '../../../../main/common/settings';

export const NO_DEFAULT_PACK = 'needs a VEnhancer model pack; none is installed';

/** The pack a clip with packId null would use, or null when none qualifies. */
export function defaultPack(packs: readonly PackInfo[]): PackInfo | null {
  // Per-frame packs (the model engine's) never stand in for a diffusion pack.
  return packs.find((p) => !p.builtin && !p.testPack && p.family !== 'per-frame' && p.status === 'ok') ?? null;
}

/** Why settings cannot render with these packs (null: they can). `packs` null: not known yet, so no verdict. */
export function settingsUnavailableReason(settings: Pick<ClipSettings, 'engine' | 'packId'>, packs: readonly PackInfo[] | null): string | null {
  if (settings.engine !== 'diffusion' || packs === null) return null;
  if (settings.packId === null) return defaultPack(packs) ? null : NO_DEFAULT_PACK;
  const pack = packs.find((p) => p.id === settings.packId);
  if (!pack) return `needs the model pack ${settings.packId}, which is not installed`;
  if (pack.status !== 'ok') return `needs the model pack ${pack.label}, which is ${pack.status.replace('-', ' ')}`;
  return null;
}

export function presetUnavailableReason(preset: Preset, packs: readonly PackInfo[] | null): string | null {
  return settingsUnavailableReason(preset.settings, packs);
}
