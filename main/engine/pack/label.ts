// How a pack is named to people. Test packs are always labelled as test packs, never as enhancement.
import type { PackManifest } from './manifest';

export function packLabel(manifest: Pick<PackManifest, 'name' | 'version' | 'family' | 'testPack'>): string {
  if (manifest.family === 'analytic-test') return 'Analytic test pack (proves the engine; does not enhance)';
  if (manifest.family === 'tiny-test') return 'Tiny test pack (exercises the model contract; does not enhance)';
  if (manifest.testPack) return `Test pack ${manifest.name} ${manifest.version} (does not enhance)`;
  return `${manifest.name} ${manifest.version}`;
}

/** True for packs that must never be offered as enhancement. */
export function isTestPack(manifest: Pick<PackManifest, 'family' | 'testPack'>): boolean {
  return manifest.testPack || manifest.family !== 'venhancer';
}
