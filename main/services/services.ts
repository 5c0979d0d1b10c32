// The API's handlers over the project store and the media layer. One project is open at a time; every committed
// change is announced with 'project.changed' so every connected client (window or browser tab) refetches.
import { randomUUID } from 'node:crypto';
import { existsSync, promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApiError, type AnyEvent } from '../common/api';
import type { MediaAsset, ProjectState } from '../common/model';
import { describeFfmpeg, locateFfmpeg } from '../media/ffmpeg-locate';
import { inspectMedia } from '../media/fingerprint';
import { durationInFrames, frameToSeconds } from '../common/frame-time';
import { ThumbnailCache } from '../media/thumbnails';
import type { FfmpegPaths, MediaFacts } from '../media/types';
import { openProjectStore } from '../store/project-store';
import { RecentProjects } from '../store/recent-projects';
import type { NewMedia, ProjectStore } from '../store/types';
import { listFolder } from './fs-list';
import { ImportRegistry, estimateSecondsLeft, importCancelled } from './import-progress';
import { relinkMismatch } from './media-match';
import { mediaUrl, thumbnailUrl, type HostKind } from './media-urls';
import { PackService, providerAvailability } from './packs';
import { PreferencesStore } from './preferences';
import { VenhancerSetup } from './venhancer-setup';
import { SerialQueue } from './serial-queue';
import { ProviderCheck } from './provider-probe';
import type { EngineProcessLauncher } from '../engine/process/launcher';
import { createChunkRenderer } from '../render/chunk-renderer';
import type { ChunkRenderer } from '../render/types';
import type { Handlers, ServiceContext } from './context';
import { exportHandlers } from './export-service';
import { previewHandlers } from './preview-service';
import { ServedFiles } from './served-files';

export type { Handlers };

export type ServicesOptions = {
  userDataDir: string;
  host: HostKind;
  log?: (message: string) => void;
  /** better-sqlite3 binding built for the running runtime's ABI (Electron). */
  nativeBinding?: string;
  /** The host's native open dialog; absent where there is none (web host). */
  openDialog?: () => Promise<string[]>;
  /** How often the open project's media files are checked for going missing or coming back. 0 disables. */
  mediaWatchMs?: number;
  /** Folders of the built-in model packs; the app's test packs by default. */
  builtinPackDirs?: string[];
  /** Starts the engine process (Electron: a utilityProcess); a Node child process by default. */
  engineLauncher?: EngineProcessLauncher;
  /** The host's native folder dialog, where it has one (Electron). */
  chooseFolder?: () => Promise<string | null>;
  /** Shows a file in the system file manager, where the host can (Electron). */
  showInFolder?: (file: string) => void;
  /** Tiny model configurations for the VEnhancer exporter, so an end-to-end test exports in seconds; by default
   *  UPFRAME_TEST_VENHANCER_TINY when set (tests only: a real export never sets it). */
  venhancerTinyConfig?: string;
};

export type Services = {
  handlers: Handlers;
  subscribe(listener: (event: AnyEvent) => void): () => void;
  /** True only for media files of the open project and files produced by its thumbnail cache. */
  authorizeFile(absPath: string): boolean;
  /** The file behind /media/<id>, or null when the open project has no such (online) media. */
  mediaFilePath(mediaId: number): string | null;
  /** The file behind /thumbs/<relPath>, or null when the path leaves the thumbnail folder. */
  thumbnailFilePath(relPath: string): string | null;
  /** The file behind /files/<token> (preview videos), or null when no such token was handed out. */
  servedFilePath(token: string): string | null;
  readonly thumbnailDir: string;
  /** App-level preferences (engine settings); read by whatever starts engine jobs. */
  readonly preferences: PreferencesStore;
  /** Installed and built-in model packs; resolves a clip's pack id to a folder for engine jobs. */
  readonly packs: PackService;
  log(message: string): void;
  close(): Promise<void>;
};

export const PROJECT_EXTENSION = '.upframe';
const DEFAULT_MEDIA_WATCH_MS = 3000;

export function createServices(opts: ServicesOptions): Services {
  const log = opts.log ?? ((message: string) => console.error(message));
  const thumbnailDir = path.join(opts.userDataDir, 'cache', 'thumbnails');
  const recent = new RecentProjects(path.join(opts.userDataDir, 'recent-projects.json'), log);
  const preferences = new PreferencesStore(path.join(opts.userDataDir, 'preferences.json'), log);
  const packs = new PackService({ userDataDir: opts.userDataDir, builtinDirs: opts.builtinPackDirs });
  const venhancer = new VenhancerSetup({
    packs,
    emit: (event) => emit(event),
    log,
    tinyConfig: opts.venhancerTinyConfig ?? (process.env.UPFRAME_TEST_VENHANCER_TINY || undefined),
  });
  const providerCheck = new ProviderCheck(() => preferences.getEngine().deviceId, log);
  const listeners = new Set<(event: AnyEvent) => void>();
  const queue = new SerialQueue();
  const imports = new ImportRegistry();
  const served = new ServedFiles();
  const closingListeners: Array<() => Promise<void> | void> = [];
  const openedListeners: Array<(store: ProjectStore) => void> = [];
  const jobCancellers = new Map<string, (jobId: number) => Promise<boolean>>();
  let chunkRenderer: ChunkRenderer | null = null;

  // ffmpeg missing is not fatal: the app starts, app.info says why, and only media calls fail. A failed lookup is
  // retried on the next media call, so installing ffmpeg while the app runs is enough.
  let ffmpeg: FfmpegPaths | null = null;
  let thumbnails: ThumbnailCache | null = null;
  function findFfmpeg(): FfmpegPaths | null {
    if (ffmpeg) return ffmpeg;
    try {
      ffmpeg = locateFfmpeg();
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      return null;
    }
    thumbnails = new ThumbnailCache({ dir: thumbnailDir, ffmpeg: ffmpeg.ffmpeg });
    return ffmpeg;
  }
  if (!findFfmpeg()) log(`ffmpeg not available: ${describeFfmpeg().error}`);

  let store: ProjectStore | null = null;
  // Verdicts of files whose size or mtime changed, so the watcher does not re-fingerprint them every tick.
  const changedFileVerdicts = new Map<string, boolean>();
  let watchTimer: NodeJS.Timeout | null = null;
  let watchBusy = false;

  function emit(event: AnyEvent): void {
    for (const listener of [...listeners]) {
      try {
        listener(event);
      } catch (err) {
        log(`event listener failed: ${(err as Error).stack ?? err}`);
      }
    }
  }

  function announce(): ProjectState {
    const state = requireStore().state();
    emit({ event: 'project.changed', payload: { revision: state.revision } });
    return state;
  }

  /** Another project (or none) is now open: its revisions do not compare with the previous project's, so the
   *  event carries -1 ("unknown"), which clients treat as "refetch whatever you hold". */
  function announceSwitch(): void {
    emit({ event: 'project.changed', payload: { revision: -1 } });
  }

  function requireStore(): ProjectStore {
    if (!store) throw new ApiError('NO_PROJECT', 'No project is open: open or create a project first.');
    return store;
  }

  /** ffmpeg and ffprobe, or the FFMPEG_MISSING error saying where they were looked for and how to install them. */
  function requireFfmpeg(): FfmpegPaths {
    return findFfmpeg() ?? locateFfmpeg();
  }

  function requireMedia(id: number): MediaAsset {
    const media = requireStore().getMedia(id);
    if (!media) throw new ApiError('NOT_FOUND', `Media ${id} is not in this project (it was removed?).`);
    return media;
  }

  /** Runs a store edit in the queue and announces it; the edit returns nothing, the handler the new state. */
  function edit(apply: (s: ProjectStore) => void): Promise<ProjectState> {
    return queue.run(() => {
      apply(requireStore());
      return announce();
    });
  }

  function closeStore(): void {
    if (watchTimer) clearInterval(watchTimer);
    watchTimer = null;
    changedFileVerdicts.clear();
    const open = store;
    store = null;
    open?.close();
  }

  /** Marks missing or replaced media offline and returning media online. Returns whether anything changed. */
  async function checkMediaFiles(s: ProjectStore): Promise<boolean> {
    let changed = false;
    for (const asset of s.listMedia()) {
      const online = await isFileStillTheAsset(asset);
      if (store !== s) return false;
      if (online.facts) {
        // Same content with a new mtime (copied back, touched): remember the new stat so later checks are cheap.
        s.relinkMedia(asset.id, toNewMedia(online.facts));
        changed = true;
      }
      if (online.online === asset.offline) {
        s.setMediaOffline(asset.id, !online.online);
        changed = true;
        log(online.online ? `media back online: ${asset.path}` : `media offline: ${asset.path}`);
      }
    }
    return changed;
  }

  async function isFileStillTheAsset(asset: MediaAsset): Promise<{ online: boolean; facts?: MediaFacts }> {
    const stat = await fs.stat(asset.path).catch(() => null);
    if (!stat || !stat.isFile()) return { online: false };
    if (stat.size === asset.size && stat.mtimeMs === asset.mtimeMs) return { online: true };
    const key = `${asset.id}\0${asset.path}\0${stat.size}\0${stat.mtimeMs}`;
    const known = changedFileVerdicts.get(key);
    if (known !== undefined) return { online: known };
    // Without ffprobe the content cannot be compared: a changed file stays offline until ffmpeg is available.
    const tools = findFfmpeg();
    if (!tools) return { online: false };
    let facts: MediaFacts;
    try {
      facts = await inspectMedia(asset.path, tools.ffprobe);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      changedFileVerdicts.set(key, false);
      return { online: false };
    }
    const same = facts.fingerprint === asset.fingerprint;
    changedFileVerdicts.set(key, same);
    return same ? { online: true, facts } : { online: false };
  }

  function startMediaWatch(s: ProjectStore): void {
    const every = opts.mediaWatchMs ?? DEFAULT_MEDIA_WATCH_MS;
    if (every <= 0) return;
    watchTimer = setInterval(() => {
      if (watchBusy) return;
      watchBusy = true;
      queue
        .run(async () => {
          if (store !== s) return;
          if (await checkMediaFiles(s)) announce();
        })
        .catch((err) => log(`media check failed: ${(err as Error).stack ?? err}`))
        .finally(() => {
          watchBusy = false;
        });
    }, every);
    watchTimer.unref();
  }

  /** Stops the feature services' work on the open project (previews, exports) before it closes. */
  async function beforeClose(): Promise<void> {
    for (const listener of closingListeners) {
      try {
        await listener();
      } catch (err) {
        log(`stopping work before closing the project failed: ${(err as Error).stack ?? err}`);
      }
    }
  }

  async function openStore(open: () => ProjectStore): Promise<ProjectState> {
    await beforeClose();
    closeStore();
    const s = open();
    store = s;
    try {
      await checkMediaFiles(s);
    } catch (err) {
      closeStore();
      throw err;
    }
    const info = s.info();
    recent.touch(info.path, info.name);
    startMediaWatch(s);
    for (const listener of openedListeners) {
      try {
        listener(s);
      } catch (err) {
        log(`resuming work of ${info.path} failed: ${(err as Error).stack ?? err}`);
      }
    }
    announceSwitch();
    return s.state();
  }

  const context: ServiceContext = {
    userDataDir: opts.userDataDir,
    host: opts.host,
    log,
    emit,
    queue,
    requireStore,
    currentStore: () => store,
    announce: () => void announce(),
    requireFfmpeg,
    preferences,
    packs,
    chunkRenderer() {
      chunkRenderer ??= createChunkRenderer({
        cacheDir: path.join(opts.userDataDir, 'cache', 'chunks'),
        ffmpeg: requireFfmpeg(),
        launcher: opts.engineLauncher,
        preferences,
        packs,
        nativeBinding: opts.nativeBinding,
        log,
      });
      return chunkRenderer;
    },
    onProjectClosing: (listener) => void closingListeners.push(listener),
    onProjectOpened: (listener) => void openedListeners.push(listener),
    onJobCancel: (kind, cancel) => void jobCancellers.set(kind, cancel),
    allowServedFile: (file) => served.allow(file),
    servedFileUrl: (file) => served.url(opts.host, file),
    chooseFolder: opts.chooseFolder,
    showInFolder: opts.showInFolder,
  };

  const handlers: Handlers = {
    'app.info': async () => ({
      version: appVersion(),
      platform: process.platform,
      host: opts.host,
      homeDir: os.homedir(),
      ffmpeg: describeFfmpeg(),
    }),
    'app.recentProjects': async () => recent.list(),
    'fs.list': async ({ dir, extensions }) => listFolder(dir, extensions),
    'dialog.openMedia': async () => {
      if (!opts.openDialog) return { supported: false, paths: [] };
      return { supported: true, paths: await opts.openDialog() };
    },

    'project.create': ({ path: file, name, fps }) =>
      queue.run(async () => {
        const abs = withProjectExtension(path.resolve(file));
        if (existsSync(abs)) {
          throw new ApiError('CONFLICT', `${abs} already exists: open it instead, or choose another name.`);
        }
        if (!existsSync(path.dirname(abs))) {
          throw new ApiError('NOT_FOUND', `The folder ${path.dirname(abs)} does not exist: choose an existing folder.`);
        }
        const projectName = name?.trim() || path.basename(abs, PROJECT_EXTENSION);
        return openStore(() =>
          openProjectStore(abs, { create: { name: projectName, fps }, nativeBinding: opts.nativeBinding, log }),
        );
      }),
    'project.open': ({ path: file }) =>
      queue.run(async () => {
        const abs = path.resolve(file);
        if (store && path.resolve(store.path) === abs) return store.state();
        if (!existsSync(abs)) {
          throw new ApiError('NOT_FOUND', `${abs} does not exist (moved or deleted?). Choose the project file again.`);
        }
        return openStore(() => openProjectStore(abs, { nativeBinding: opts.nativeBinding, log }));
      }),
    'project.close': () =>
      queue.run(async () => {
        if (store) {
          await beforeClose();
          closeStore();
          announceSwitch();
        }
        return { ok: true as const };
      }),
    'project.state': () => queue.run(async () => requireStore().state()),
    'project.setFormat': ({ fps, width, height }) => edit((s) => s.setFormat({ fps, width, height })),
    'project.setMarks': ({ markIn, markOut }) => {
      if (markIn !== null && markOut !== null && markOut <= markIn) {
        return Promise.reject(new ApiError('BAD_REQUEST', `The out mark (${markOut}) must be after the in mark (${markIn}).`));
      }
      return edit((s) => s.setMarks(markIn, markOut));
    },

    'media.import': ({ paths, importId: givenId }) => {
      const importId = givenId ?? randomUUID();
      let signal: AbortSignal;
      try {
        // Registered now, not when the queue reaches it, so an import still waiting can be cancelled too.
        signal = imports.begin(importId);
      } catch (err) {
        return Promise.reject(err);
      }
      return queue
        .run(async () => {
          if (signal.aborted) throw importCancelled();
          const s = requireStore();
          const tools = requireFfmpeg();
          const known = new Set(s.listMedia().map((m) => path.resolve(m.path)));
          const good: MediaFacts[] = [];
          const errors: { path: string; message: string }[] = [];
          const startedAt = performance.now();
          const progress = (done: number) =>
            emit({
              event: 'media.importProgress',
              payload: {
                importId,
                done,
                total: paths.length,
                currentName: done < paths.length ? path.basename(paths[done]) : null,
                etaSec: estimateSecondsLeft(done, paths.length, performance.now() - startedAt),
              },
            });
          progress(0);
          // In sequence: probing is CPU and disk bound, and the order of the good files is the order given.
          for (const [index, given] of paths.entries()) {
            if (signal.aborted) throw importCancelled();
            const abs = path.resolve(given);
            if (known.has(abs)) {
              errors.push({ path: given, message: `${path.basename(abs)} is already in this project.` });
            } else {
              try {
                const facts = await inspectMedia(abs, tools.ffprobe, signal);
                known.add(abs);
                good.push(facts);
              } catch (err) {
                // A cancel kills the running ffprobe, which fails the probe: that is the cancel, not a bad file.
                if (signal.aborted) throw importCancelled();
                if (!(err instanceof ApiError)) throw err;
                errors.push({ path: given, message: err.message });
              }
            }
            progress(index + 1);
          }
          if (signal.aborted) throw importCancelled();
          if (store !== s) throw new ApiError('NO_PROJECT', 'The project was closed during the import: nothing was imported.');
          if (good.length === 0) return { state: s.state(), imported: [], errors };
          const imported = s.transaction('import media', () => {
            const firstMedia = s.listMedia().length === 0 && s.listClips().length === 0 && !s.formatChosen();
            const added = s.addMedia(good.map(toNewMedia));
            if (firstMedia) {
              // The first clip of an empty project decides its frame rate and size, as editors usually do, unless
              // the person chose them in Project settings.
              const probe = good[0].probe;
              s.setFps(probe.fps);
              s.setSize(probe.displayWidth, probe.displayHeight);
            }
            return added;
          });
          return { state: announce(), imported, errors };
        })
        .finally(() => imports.end(importId));
    },
    // Not queued: it must reach an import that holds the queue.
    'media.cancelImport': async ({ importId }) => ({ cancelled: imports.cancel(importId) }),
    'media.relink': ({ mediaId, path: file }) =>
      queue.run(async () => {
        const s = requireStore();
        const tools = requireFfmpeg();
        const asset = requireMedia(mediaId);
        const facts = await inspectMedia(path.resolve(file), tools.ffprobe);
        const mismatch = relinkMismatch(asset, facts);
        if (mismatch) throw new ApiError('CONFLICT', mismatch);
        if (store !== s) throw new ApiError('NO_PROJECT', 'The project was closed during the relink.');
        s.relinkMedia(mediaId, toNewMedia(facts));
        if (s.getMedia(mediaId)?.offline) s.setMediaOffline(mediaId, false);
        return announce();
      }),
    'media.remove': ({ mediaId }) =>
      edit((s) => {
        requireMedia(mediaId);
        s.removeMedia(mediaId);
      }),
    'media.thumbnails': async ({ mediaId, frames, height }) => {
      const s = requireStore();
      requireFfmpeg();
      const cache = thumbnails!;
      const asset = requireMedia(mediaId);
      // An offline file has no frames to show: the filmstrip shows its offline state instead.
      if (asset.offline) return { urls: frames.map(() => null) };
      const projectFps = s.info().fps;
      const lastSec = Math.max(0, asset.probe.durationSec - (0.5 * asset.probe.fps.den) / asset.probe.fps.num);
      const urls = await Promise.all(
        frames.map(async (frame) => {
          const timeSec = Math.min(frameToSeconds(frame, projectFps), lastSec);
          try {
            const file = await cache.get({ path: asset.path, fingerprint: asset.fingerprint }, timeSec, height);
            return thumbnailUrl(opts.host, path.relative(thumbnailDir, file));
          } catch (err) {
            // One frame ffmpeg cannot extract leaves a gap in the filmstrip, not a failed strip; it is logged.
            log(`thumbnail of ${asset.path} at ${timeSec.toFixed(3)} s failed: ${(err as Error).stack ?? err}`);
            return null;
          }
        }),
      );
      return { urls };
    },
    'media.url': async ({ mediaId }) => {
      const asset = requireMedia(mediaId);
      if (asset.offline) {
        throw new ApiError('MEDIA_OFFLINE', `${asset.path} is offline (missing or changed): relink it to play it.`);
      }
      return { url: mediaUrl(opts.host, mediaId, asset.fingerprint) };
    },

    'timeline.addTrack': () => edit((s) => void s.addTrack()),
    'timeline.setTrack': (input) => edit((s) => s.setTrack(input)),
    'timeline.addClip': ({ mediaId, trackId, start, sourceIn, sourceOut }) =>
      edit((s) => {
        const asset = requireMedia(mediaId);
        const length = durationInFrames(asset.probe.durationSec, s.info().fps);
        const inFrame = sourceIn ?? 0;
        const outFrame = sourceOut ?? length;
        if (outFrame <= inFrame) {
          throw new ApiError('BAD_REQUEST', `The clip's source out (${outFrame}) must be after its source in (${inFrame}).`);
        }
        s.addClip({ mediaId, trackId, start, sourceIn: inFrame, sourceOut: outFrame });
      }),
    'timeline.moveClips': ({ moves }) => edit((s) => s.moveClips(moves)),
    'timeline.trimClip': (input) => edit((s) => s.trimClip(input)),
    'timeline.splitClips': ({ clipIds, at }) => edit((s) => s.splitClips(clipIds, at)),
    'timeline.deleteClips': ({ clipIds, ripple }) => edit((s) => s.deleteClips(clipIds, ripple)),
    'clip.setSettings': (input) =>
      edit((s) => s.setClipSettingsEach('writes' in input ? input.writes : [{ clipIds: input.clipIds, settings: input.settings }])),

    'history.undo': () =>
      queue.run(async () => {
        const s = requireStore();
        return s.undo() ? announce() : s.state();
      }),
    'history.redo': () =>
      queue.run(async () => {
        const s = requireStore();
        return s.redo() ? announce() : s.state();
      }),
    'history.list': ({ limit }) => queue.run(async () => requireStore().listHistory(limit)),

    'prefs.getEngine': async () => preferences.getEngine(),
    'prefs.setEngine': async (input) => preferences.setEngine(input),
    'engine.providers': async () => providerAvailability(),
    'engine.check': async ({ refresh }) => ({ outcomes: (await providerCheck.get(refresh)).outcomes }),
    'packs.list': () => packs.list(),
    'packs.import': ({ dir }) => packs.import(dir),
    'packs.remove': async ({ id }) => {
      await packs.remove(id);
      return { ok: true as const };
    },

    'packs.venhancerStatus': async () => ({ python: await venhancer.python(), job: venhancer.current() }),
    'packs.venhancerLocate': ({ dir }) => venhancer.locate(dir),
    'packs.venhancerStart': (inputs) => venhancer.start(inputs),
    'packs.venhancerCancel': async () => venhancer.cancel(),

    'jobs.list': () => queue.run(async () => requireStore().listJobs()),
    'jobs.cancel': async ({ jobId }) => {
      // Jobs whose owner runs them (previews, exports) are stopped by that owner, not only in their record.
      const kind = requireStore().getJob(jobId)?.kind;
      const cancel = kind === undefined ? undefined : jobCancellers.get(kind);
      if (cancel && (await cancel(jobId))) return { ok: true as const };
      return queue.run(async () => {
        const s = requireStore();
        const job = s.listJobs().find((j) => j.id === jobId);
        if (!job) throw new ApiError('NOT_FOUND', `Job ${jobId} does not exist.`);
        if (job.state === 'done' || job.state === 'failed' || job.state === 'cancelled') {
          throw new ApiError('CONFLICT', `Job ${jobId} has already ended (${job.state}).`);
        }
        emit({ event: 'job.updated', payload: s.updateJob(jobId, { state: 'cancelled', etaSec: null }) });
        return { ok: true as const };
      });
    },

    'shell.showInFolder': async ({ path: file }) => {
      if (!opts.showInFolder) return { supported: false };
      if (!existsSync(file)) throw new ApiError('NOT_FOUND', `${file} no longer exists (moved or deleted?).`);
      opts.showInFolder(file);
      return { supported: true };
    },
    'dialog.chooseFolder': async () => {
      if (!opts.chooseFolder) return { supported: false, path: null };
      return { supported: true, path: await opts.chooseFolder() };
    },

    ...previewHandlers(context),
    ...exportHandlers(context),
  };

  // Every media Range request is authorised: the online media paths are read once per store revision (every
  // media change bumps it), not listed and parsed again per request.
  let servable: { store: ProjectStore; revision: number; paths: Set<string> } | null = null;
  function servableMediaPaths(): Set<string> {
    if (!store) return new Set();
    const revision = store.revision();
    if (servable?.store !== store || servable.revision !== revision) {
      const paths = new Set(store.listMedia().filter((m) => !m.offline).map((m) => path.resolve(m.path)));
      servable = { store, revision, paths };
    }
    return servable.paths;
  }

  function mediaFilePath(mediaId: number): string | null {
    const asset = store?.getMedia(mediaId);
    return asset && !asset.offline ? asset.path : null;
  }

  return {
    handlers,
    thumbnailDir,
    preferences,
    packs,
    log,
    subscribe(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    authorizeFile(absPath) {
      if (!path.isAbsolute(absPath)) return false;
      const wanted = path.resolve(absPath);
      if (servableMediaPaths().has(wanted)) return true;
      if (served.has(wanted)) return true;
      return thumbnails !== null && isInside(thumbnailDir, wanted) && thumbnails.isCachedFile(wanted);
    },
    mediaFilePath,
    servedFilePath: (token) => served.path(token),
    thumbnailFilePath(relPath) {
      if (relPath.includes('\0') || path.isAbsolute(relPath)) return null;
      const file = path.resolve(thumbnailDir, relPath);
      return isInside(thumbnailDir, file) ? file : null;
    },
    close: () => {
      // Imports still queued or running would only delay the close: they add nothing once cancelled.
      imports.cancelAll();
      return queue.run(async () => {
        await venhancer.close();
        await thumbnails?.close();
        await beforeClose();
        closeStore();
        listeners.clear();
        await chunkRenderer?.dispose();
        chunkRenderer = null;
      });
    },
  };
}

function toNewMedia(facts: MediaFacts): NewMedia {
  return { path: facts.path, size: facts.size, mtimeMs: facts.mtimeMs, fingerprint: facts.fingerprint, probe: facts.probe };
}

function withProjectExtension(file: string): string {
  return file.toLowerCase().endsWith(PROJECT_EXTENSION) ? file : `${file}${PROJECT_EXTENSION}`;
}

function isInside(dir: string, file: string): boolean {
  const rel = path.relative(dir, file);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

let cachedVersion: string | null = null;
/** The app's version from its package.json (found by walking up: the layout differs between source and dist). */
function appVersion(): string {
  if (cachedVersion) return cachedVersion;
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'upframe' && pkg.version) return (cachedVersion = pkg.version);
    }
    if (path.dirname(dir) === dir) return (cachedVersion = '0.0.0');
  }
}
