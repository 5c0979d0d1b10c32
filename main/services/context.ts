// What the feature services (preview, export) may use of the core services: the open project, events, the media
// tools, app-level preferences and packs, and the one chunk renderer (engine process + chunk cache) they share.
import type { AnyEvent, MethodName, MethodOutput, MethodParsedInput } from '../common/api';
import type { FfmpegPaths } from '../media/types';
import type { ChunkRenderer } from '../render/types';
import type { ProjectStore } from '../store/types';
import type { PackService } from './packs';
import type { PreferencesStore } from './preferences';
import type { SerialQueue } from './serial-queue';

export type Handlers = { [M in MethodName]: (input: MethodParsedInput<M>) => Promise<MethodOutput<M>> };

export type ServiceContext = {
  userDataDir: string;
  host: 'electron' | 'web';
  log(message: string): void;
  emit(event: AnyEvent): void;
  /** Project edits and reads run one at a time through this queue. */
  queue: SerialQueue;
  /** The open project, or NO_PROJECT. */
  requireStore(): ProjectStore;
  /** The open project, or null. */
  currentStore(): ProjectStore | null;
  /** Runs a store edit in the queue and announces the new state ('project.changed'). */
  announce(): void;
  requireFfmpeg(): FfmpegPaths;
  preferences: PreferencesStore;
  packs: PackService;
  /** The shared chunk renderer, created on first use (it starts no process until a chunk must be computed). */
  chunkRenderer(): ChunkRenderer;
  /** Called before another project opens or the project closes, and on shutdown: stop work on the old one. */
  onProjectClosing(listener: () => Promise<void> | void): void;
  /** jobs.cancel hands jobs of this kind to `cancel`, which stops their work; it returns false to leave the job
   *  to the plain record update (e.g. a preview that is no longer running). */
  onJobCancel(kind: string, cancel: (jobId: number) => Promise<boolean>): void;
  /** Called once a project has opened (its media checked): pick up its interrupted work. */
  onProjectOpened(listener: (store: ProjectStore) => void): void;
  /** Registers a file the media protocol may serve (preview videos in the cache or a temp folder). */
  allowServedFile(absPath: string): void;
  /** URL on the media protocol (Range support) of a file allowed above. */
  servedFileUrl(absPath: string): string;
  /** The host's native dialogs and shell, where it has them (Electron). */
  chooseFolder?: () => Promise<string | null>;
  showInFolder?: (file: string) => void;
};
