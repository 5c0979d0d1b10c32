// The one API contract between the renderer and the main services. Both transports (Electron IPC through the
// preload, and the local web host over HTTP + WebSocket) carry exactly these methods and events, and both
// validate every request with these schemas before a handler sees it.
import { z } from 'zod';
import { ApiError, ERROR_CODES, type ApiErrorData, type ErrorCode } from './api-error';
import {
  HistoryEntrySchema,
  JobSchema,
  MediaAssetSchema,
  ProjectStateSchema,
  RationalSchema,
  RecentProjectSchema,
} from './model';
import {
  CacheInfoSchema,
  ClipEstimateSchema,
  ClipRenderStatusSchema,
  ExportCodecSchema,
  ExportJobSchema,
  ExportConformSchema,
  ExportRangeSchema,
  ExportSpecSchema,
  ExportSummarySchema,
  FarmStatusSchema,
  MAX_CACHE_LIMIT_BYTES,
  MIN_CACHE_LIMIT_BYTES,
  PresetNameSchema,
  PresetSchema,
  PreviewSchema,
} from './render-model';
import { ClipSettingsSchema, ProviderSchema } from './settings';
import { PythonStatusSchema, VenhancerInputsSchema, VenhancerJobSchema } from './venhancer-setup-model';

const frame = z.number().int().nonnegative();
const id = z.number().int();
const nothing = z.object({}).strict();
const ok = z.object({ ok: z.literal(true) });

function method<I extends z.ZodType, O extends z.ZodType>(input: I, output: O) {
  return { input, output };
}

export const ImportErrorSchema = z.object({ path: z.string(), message: z.string() });

export const ImportIdSchema = z
  .string()
  .min(1, 'The import id must not be empty.')
  .max(100, 'The import id must be at most 100 characters.');

export const DirEntrySchema = z.object({
  name: z.string(),
  path: z.string(),
  kind: z.enum(['dir', 'file']),
  size: z.number().int().nonnegative(),
});

/** The most CPU threads a preference may name; the services also cap it by this machine's cores. */
export const MAX_ENGINE_THREADS = 256;
/** The highest GPU index a preference may name. */
export const MAX_ENGINE_DEVICE_ID = 15;

/** App-level engine preferences (not per project), kept in the user data folder. */
export const EnginePreferencesSchema = z
  .object({
    provider: ProviderSchema,
    deviceId: z
      .number()
      .int('The GPU device id must be a whole number (0 is the first GPU).')
      .min(0, 'The GPU device id must be 0 or more (0 is the first GPU).')
      .max(MAX_ENGINE_DEVICE_ID, `The GPU device id must be at most ${MAX_ENGINE_DEVICE_ID}.`),
    threads: z
      .number()
      .int('CPU threads must be a whole number (0 = automatic).')
      .min(0, 'CPU threads must be 0 (automatic) or more.')
      .max(MAX_ENGINE_THREADS, `CPU threads must be at most ${MAX_ENGINE_THREADS}.`),
    fp16: z.boolean(),
    allowCpuFallback: z.boolean(),
  })
  .strict();
export type EnginePreferences = z.infer<typeof EnginePreferencesSchema>;

export const ProviderAvailabilitySchema = z.object({
  provider: ProviderSchema,
  /** How the provider is named to people, e.g. "CUDA". */
  label: z.string(),
  available: z.boolean(),
  /** Why the provider cannot run on this platform; null when it can. */
  reason: z.string().nullable(),
});
export type ProviderAvailability = z.infer<typeof ProviderAvailabilitySchema>;

export const PackStatusSchema = z.enum(['ok', 'missing-files', 'corrupt', 'invalid']);

export const PackInfoSchema = z.object({
  /** name@version, or the folder name when the manifest cannot be read. */
  id: z.string(),
  name: z.string().nullable(),
  version: z.string().nullable(),
  /** How the pack is named to people; test packs always say they are test packs. */
  label: z.string(),
  family: z.string().nullable(),
  testPack: z.boolean(),
  /** Built-in packs ship with the app and cannot be removed. */
  builtin: z.boolean(),
  sizeBytes: z.number().int().nonnegative(),
  status: PackStatusSchema,
  /** What is wrong and what to do, when status is not 'ok'. */
  problem: z.string().nullable(),
});
export type PackInfo = z.infer<typeof PackInfoSchema>;

export const Methods = {
  // Application
  'app.info': method(
    nothing,
    z.object({
      version: z.string(),
      platform: z.string(),
      /** 'electron' or 'web': decides which host-only features (native dialogs) the renderer offers. */
      host: z.enum(['electron', 'web']),
      homeDir: z.string(),
      ffmpeg: z.object({ ffmpegPath: z.string().nullable(), ffprobePath: z.string().nullable(), error: z.string().nullable() }),
    }),
  ),
  'app.recentProjects': method(nothing, z.array(RecentProjectSchema)),
  /** Lists a folder on the host, for the built-in file browser (web host) and project dialogs. */
  'fs.list': method(
    z.object({ dir: z.string(), extensions: z.array(z.string()).optional() }),
    z.object({ dir: z.string(), parent: z.string().nullable(), entries: z.array(DirEntrySchema) }),
  ),
  /** Native open dialog where the host has one; returns null paths when the host has none (web host). */
  'dialog.openMedia': method(nothing, z.object({ supported: z.boolean(), paths: z.array(z.string()) })),

  // Project
  'project.create': method(
    z.object({ path: z.string().min(1), name: z.string().optional(), fps: RationalSchema.optional() }),
    ProjectStateSchema,
  ),
  'project.open': method(z.object({ path: z.string().min(1) }), ProjectStateSchema),
  'project.close': method(nothing, ok),
  /** The open project's snapshot; fails with NO_PROJECT when none is open. */
  'project.state': method(nothing, ProjectStateSchema),
  /** Project settings: frame rate (fixed once clips are on the timeline: CONFLICT) and frame size; from then on
   *  imports keep them instead of taking the first clip's. */
  'project.setFormat': method(
    z.object({
      fps: RationalSchema.optional(),
      width: z.number().int().min(16).max(16384).optional(),
      height: z.number().int().min(16).max(16384).optional(),
    }),
    ProjectStateSchema,
  ),
  'project.setMarks': method(
    z.object({ markIn: frame.nullable(), markOut: frame.nullable() }),
    ProjectStateSchema,
  ),

  // Media
  'media.import': method(
    z.object({
      paths: z.array(z.string().min(1)).min(1),
      /** Chosen by the client, so it can match 'media.importProgress' events and cancel this import. */
      importId: ImportIdSchema.optional(),
    }),
    z.object({ state: ProjectStateSchema, imported: z.array(MediaAssetSchema), errors: z.array(ImportErrorSchema) }),
  ),
  /** Stops an import before its next file (and its running probe); that import then rejects with CANCELLED and
   *  adds nothing. cancelled is false when no import with this id is queued or running (it has already ended). */
  'media.cancelImport': method(z.object({ importId: ImportIdSchema }), z.object({ cancelled: z.boolean() })),
  'media.relink': method(z.object({ mediaId: id, path: z.string().min(1) }), ProjectStateSchema),
  'media.remove': method(z.object({ mediaId: id }), ProjectStateSchema),
  /** Filmstrip thumbnails: URLs (on the media protocol) of frames at the given source frames, generated on demand. */
  'media.thumbnails': method(
    z.object({ mediaId: id, frames: z.array(frame).max(200), height: z.number().int().min(16).max(360) }),
    z.object({ urls: z.array(z.string().nullable()) }),
  ),
  /** URL on the media protocol that streams the media file with Range support. */
  'media.url': method(z.object({ mediaId: id }), z.object({ url: z.string() })),

  // Timeline edits: each one is one transaction and one undoable history entry.
  'timeline.addTrack': method(nothing, ProjectStateSchema),
  /** Shows or hides a track's video, mutes or unmutes its audio: one undoable edit. */
  'timeline.setTrack': method(z.object({ trackId: id, hidden: z.boolean().optional(), muted: z.boolean().optional(), locked: z.boolean().optional() }), ProjectStateSchema),
  'timeline.addClip': method(
    z.object({
      mediaId: id,
      trackId: id,
      start: frame,
      sourceIn: frame.optional(),
      sourceOut: z.number().int().positive().optional(),
    }),
    ProjectStateSchema,
  ),
  'timeline.moveClips': method(
    z.object({ moves: z.array(z.object({ clipId: id, trackId: id, start: frame })).min(1) }),
    ProjectStateSchema,
  ),
  'timeline.trimClip': method(
    z.object({ clipId: id, start: frame, sourceIn: frame, sourceOut: z.number().int().positive() }),
    ProjectStateSchema,
  ),
  'timeline.splitClips': method(z.object({ clipIds: z.array(id).min(1), at: frame }), ProjectStateSchema),
  'timeline.deleteClips': method(z.object({ clipIds: z.array(id).min(1), ripple: z.boolean() }), ProjectStateSchema),
  /** One undoable edit: either one settings object for every listed clip, or several writes (clips whose other
   *  fields differ get each their own merged settings, still as one history entry). */
  'clip.setSettings': method(
    z.union([
      z.object({ clipIds: z.array(id).min(1), settings: ClipSettingsSchema }),
      z.object({
        writes: z.array(z.object({ clipIds: z.array(id).min(1), settings: ClipSettingsSchema })).min(1, 'Give at least one write.'),
      }),
    ]),
    ProjectStateSchema,
  ),

  // History
  'history.undo': method(nothing, ProjectStateSchema),
  'history.redo': method(nothing, ProjectStateSchema),
  'history.list': method(
    z.object({ limit: z.number().int().positive().max(1000).default(200) }),
    z.object({ entries: z.array(HistoryEntrySchema), total: z.number().int() }),
  ),

  // Engine preferences (app-level) and model packs
  'prefs.getEngine': method(nothing, EnginePreferencesSchema),
  /** Replaces the engine preferences; returns them as stored. */
  'prefs.setEngine': method(EnginePreferencesSchema, EnginePreferencesSchema),
  /** Which execution providers this platform can offer, what 'auto' picks here, and the CPU thread limit. */
  'engine.providers': method(
    nothing,
    z.object({
      platform: z.string(),
      autoProvider: z.enum(['cuda', 'dml', 'coreml', 'cpu']),
      maxThreads: z.number().int().positive(),
      providers: z.array(ProviderAvailabilitySchema),
    }),
  ),
  /** What really starts here: a tiny ONNX session opened on each provider candidate in a separate process (once
   *  per app run; refresh: true opens them again). */
  'engine.check': method(
    z.object({ refresh: z.boolean().default(false) }),
    z.object({
      outcomes: z.array(
        z.object({ provider: z.enum(['cuda', 'dml', 'coreml', 'cpu']), loaded: z.boolean(), reason: z.string().nullable(), ms: z.number().nonnegative() }),
      ),
    }),
  ),
  /** Built-in test packs first, then installed packs, each verified (size, status, problem). */
  'packs.list': method(nothing, z.array(PackInfoSchema)),
  /** Verifies the pack folder (or a per-frame .onnx file, checked and probed) and copies it into the app's packs folder. */
  'packs.import': method(z.object({ dir: z.string().min(1, 'Choose the pack folder (the one holding manifest.json).') }), PackInfoSchema),
  /** Removes an installed (not built-in) pack. */
  'packs.remove': method(z.object({ id: z.string().min(1) }), ok),

  /** Add VEnhancer…: whether a python3 with torch, onnx and numpy is here (or the command that installs them), and
   *  the running or last export of this app run. */
  'packs.venhancerStatus': method(nothing, z.object({ python: PythonStatusSchema, job: VenhancerJobSchema.nullable() })),
  /** Finds the three downloaded files in a folder (and two levels below it); null for each one not found. */
  'packs.venhancerLocate': method(
    z.object({ dir: z.string().min(1, 'Choose the folder holding the downloads.') }),
    z.object({ checkpoint: z.string().nullable(), vae: z.string().nullable(), clip: z.string().nullable() }),
  ),
  /** Starts exporting the three files into a pack, then installing it, in the background ('packs.venhancerUpdated'
   *  follows). BAD_REQUEST names a missing file or the Python to install; CONFLICT when one is running. */
  'packs.venhancerStart': method(VenhancerInputsSchema, VenhancerJobSchema),
  /** Stops the running export (nothing is installed); cancelled is false when none was exporting. */
  'packs.venhancerCancel': method(nothing, z.object({ cancelled: z.boolean() })),

  // Jobs (engine, preview and export)
  'jobs.list': method(nothing, z.array(JobSchema)),
  'jobs.cancel': method(z.object({ jobId: id }), ok),

  // Per-clip settings helpers
  /** Output size, rate, frame count and a time estimate for a clip with the given (not yet saved) settings. */
  'clip.estimate': method(z.object({ clipId: id, settings: ClipSettingsSchema }), ClipEstimateSchema),
  /** Built-in presets first, then the person's own (app-level, shared by every project). */
  'presets.list': method(nothing, z.array(PresetSchema)),
  /** Saves a preset of the person's; a preset of the same name is replaced. */
  'presets.save': method(z.object({ name: PresetNameSchema, settings: ClipSettingsSchema }), PresetSchema),
  'presets.remove': method(z.object({ id: z.string().min(1) }), ok),

  // Preview and the chunk cache
  /** Enhances the chunks covering [start, end) of the clip (timeline frames, clamped to the clip) and returns at
   *  once; 'preview.updated' follows each chunk. Starting a preview cancels the one running. */
  'preview.start': method(
    z.object({ clipId: id, start: frame, end: z.number().int().positive() }).refine((r) => r.end > r.start, {
      message: 'The preview segment must end after it starts.',
    }),
    PreviewSchema,
  ),
  'preview.get': method(z.object({ id }), PreviewSchema),
  /** Stops the preview; its finished chunks stay in the cache. cancelled is false when it had already ended. */
  'preview.cancel': method(z.object({ id }), z.object({ cancelled: z.boolean() })),
  /** Per clip of the open project: which ranges are enhanced for its current settings. */
  'render.status': method(nothing, z.object({ clips: z.array(ClipRenderStatusSchema) })),
  'cache.info': method(nothing, CacheInfoSchema),
  /** Removes every cached chunk not in use by a running job. */
  'cache.clear': method(nothing, CacheInfoSchema),
  'cache.setLimit': method(
    z.object({
      limitBytes: z
        .number()
        .int()
        .min(MIN_CACHE_LIMIT_BYTES, `The cache limit must be at least ${MIN_CACHE_LIMIT_BYTES / 1024 ** 2} MB.`)
        .max(MAX_CACHE_LIMIT_BYTES, `The cache limit must be at most ${MAX_CACHE_LIMIT_BYTES / 1024 ** 4} TB.`),
    }),
    CacheInfoSchema,
  ),

  // Export and the render queue
  /** The export codecs, hardware encoders marked available when the installed ffmpeg has them. */
  'export.codecs': method(nothing, z.array(ExportCodecSchema)),
  /** Output size, rate, duration and a time estimate of an export of this range, before it starts. */
  'export.summary': method(z.object({ range: ExportRangeSchema, conform: ExportConformSchema }), ExportSummarySchema),
  /** Queues an export. Fails with FILE_EXISTS when the output exists and overwrite is false. */
  'export.start': method(ExportSpecSchema, ExportJobSchema),
  'export.list': method(nothing, z.array(ExportJobSchema)),
  /** Stops a running or queued export where it is; resume continues from its last finished piece. */
  'export.pause': method(z.object({ jobId: id }), ExportJobSchema),
  'export.resume': method(z.object({ jobId: id }), ExportJobSchema),
  /** Stops the export and removes its partial output. */
  'export.cancel': method(z.object({ jobId: id }), ExportJobSchema),
  /** Removes an ended export from the queue (its output file stays). */
  'export.remove': method(z.object({ jobId: id }), ok),
  /** Reaches a render farm (its Redis URL) and lists the workers connected to it; BAD_REQUEST says why not. */
  'farm.status': method(z.object({ url: z.string().min(1) }), z.object({ url: z.string(), workers: FarmStatusSchema.shape.workers })),
  /** Shows the file in the system file manager where the host can (Electron). */
  'shell.showInFolder': method(z.object({ path: z.string().min(1) }), z.object({ supported: z.boolean() })),
  /** Native folder dialog where the host has one; the web host uses the built-in browser (fs.list) instead. */
  'dialog.chooseFolder': method(nothing, z.object({ supported: z.boolean(), path: z.string().nullable() })),
} as const;

export type MethodName = keyof typeof Methods;
export type MethodInput<M extends MethodName> = z.input<(typeof Methods)[M]['input']>;
export type MethodParsedInput<M extends MethodName> = z.output<(typeof Methods)[M]['input']>;
export type MethodOutput<M extends MethodName> = z.output<(typeof Methods)[M]['output']>;
export const METHOD_NAMES = Object.keys(Methods) as MethodName[];

export function isMethodName(name: unknown): name is MethodName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(Methods, name);
}

// Events pushed from main to every connected renderer.
export const Events = {
  /** The open project changed (by this client or another); clients refetch the state. */
  'project.changed': z.object({ revision: z.number().int() }),
  /** Thumbnails for a media asset became available. */
  'media.thumbnailsReady': z.object({ mediaId: id }),
  'job.updated': JobSchema,
  /** A preview's progress: after it starts, after each chunk, and when it ends. */
  'preview.updated': PreviewSchema,
  /** Cached ranges changed for these clips (null: possibly every clip): clients refetch render.status. */
  'render.statusChanged': z.object({ clipIds: z.array(id).nullable() }),
  'cache.changed': CacheInfoSchema,
  'export.updated': ExportJobSchema,
  /** The Add VEnhancer… job's progress and end. */
  'packs.venhancerUpdated': VenhancerJobSchema,
  /** A running import's progress: at its start (done 0) and after each file. currentName is the file being
   *  probed now (null once every file is done); etaSec is null until one file has been timed. */
  'media.importProgress': z.object({
    importId: ImportIdSchema,
    done: z.number().int().nonnegative(),
    total: z.number().int().positive(),
    currentName: z.string().nullable(),
    etaSec: z.number().nonnegative().nullable(),
  }),
} as const;
export type EventName = keyof typeof Events;
export type EventPayload<E extends EventName> = z.output<(typeof Events)[E]>;
export type AnyEvent = { [E in EventName]: { event: E; payload: EventPayload<E> } }[EventName];

// Errors cross the boundary as data, with a stable code the UI can act on and a message a person can act on.
export const ErrorCodeSchema = z.enum(ERROR_CODES);
export const ApiErrorSchema = z.object({ code: ErrorCodeSchema, message: z.string() });
export { ApiError, type ApiErrorData, type ErrorCode };

/** What a transport returns for one call. */
export type CallResult<M extends MethodName> = { ok: true; value: MethodOutput<M> } | { ok: false; error: ApiErrorData };

/** The typed client every renderer uses, whatever the transport underneath. */
export type UpframeApi = {
  call<M extends MethodName>(method: M, input: MethodInput<M>): Promise<MethodOutput<M>>;
  subscribe(listener: (event: AnyEvent) => void): () => void;
};

