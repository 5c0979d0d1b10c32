// Placeholder until the chunk renderer lands.
import type { EngineProcessLauncher } from '../engine/process/launcher';
import type { FfmpegPaths } from '../media/types';
import type { PackService } from '../services/packs';
import type { PreferencesStore } from '../services/preferences';
import type { ChunkRenderer } from './types';

export type ChunkRendererOptions = {
  /** Folder of the chunk files and their index (index.sqlite). */
  cacheDir: string;
  ffmpeg: FfmpegPaths;
  /** Starts the engine process; a Node child process by default. */
  launcher?: EngineProcessLauncher;
  /** Engine preferences (provider, device, threads, fp16, fallback) for the jobs' execution options. */
  preferences: Pick<PreferencesStore, 'getEngine'>;
  /** Resolves a clip's pack id to a verified folder. */
  packs: Pick<PackService, 'registry'>;
  nativeBinding?: string;
  log(message: string): void;
  /** Cache size limit when none is stored yet. */
  defaultLimitBytes?: number;
};

export function createChunkRenderer(opts: ChunkRendererOptions): ChunkRenderer {
  void opts;
  throw new Error('The chunk renderer is not implemented yet.');
}
