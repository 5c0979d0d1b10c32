// The chunk renderer as a process without the editor uses it (`upframe render`, farm workers): the cache, the
// preferences and the packs of one data folder.
import path from 'node:path';
import type { FfmpegPaths } from '../media/types';
import { PackService } from '../services/packs';
import { PreferencesStore } from '../services/preferences';
import { createChunkRenderer } from './chunk-renderer';
import type { ChunkRenderer } from './types';

export function createHeadlessRenderer(dataDir: string, ffmpeg: FfmpegPaths, log: (message: string) => void, packs?: PackService): ChunkRenderer {
  return createChunkRenderer({
    cacheDir: path.join(dataDir, 'cache', 'chunks'),
    ffmpeg,
    preferences: new PreferencesStore(path.join(dataDir, 'preferences.json'), log),
    packs: packs ?? new PackService({ userDataDir: dataDir }),
    log,
  });
}
