// Where the built-in per-frame packs live: converted at set-up (scripts/setup.mjs -> scripts/convert-esrgan.ts) into
// native-models/generated/, which is not committed (4 x 28 MB of weights come from the npm package instead). In a
// packaged app the folder is copied into the resources folder (electron-builder.yml).
import fs from 'node:fs';
import path from 'node:path';

export const BUILTIN_PER_FRAME_PACKS = ['esrgan-thick'] as const;
export type BuiltinPerFramePackName = (typeof BUILTIN_PER_FRAME_PACKS)[number];

/** Folders that may hold native-models/generated, most specific first. */
export function generatedPackRoots(): string[] {
  const roots: string[] = [];
  const resourcesPath = (process as NodeJS.Process & { resourcesPath?: string }).resourcesPath;
  if (resourcesPath) roots.push(path.join(resourcesPath, 'native-models', 'generated'));
  // main/engine/pack -> repo root (source); dist/main/engine/pack -> repo root (build).
  roots.push(path.resolve(__dirname, '..', '..', '..', 'native-models', 'generated'));
  roots.push(path.resolve(__dirname, '..', '..', '..', '..', 'native-models', 'generated'));
  return roots;
}

/** The folder set-up converts the pack into (the source tree's, or the build's repository root). */
export function generatedPackDir(name: BuiltinPerFramePackName): string {
  return path.join(generatedPackRoots().find((root) => fs.existsSync(path.dirname(root))) ?? generatedPackRoots()[0], name);
}

/** The built-in per-frame pack's folder, or null when set-up has not converted it. */
export function builtinPerFramePackDir(name: BuiltinPerFramePackName): string | null {
  for (const root of generatedPackRoots()) {
    const dir = path.join(root, name);
    if (fs.existsSync(path.join(dir, 'manifest.json'))) return dir;
  }
  return null;
}

export function builtinPerFramePackDirs(): string[] {
  return BUILTIN_PER_FRAME_PACKS.map(builtinPerFramePackDir).filter((d): d is string => d !== null);
}
