// The project store: one open `.upframe` file behind the ProjectStore interface. Each public method is one
// transaction; timeline edits also write one history entry; every committed change to what state() shows
// bumps the stored revision.
import type Database from 'better-sqlite3';
import { ApiError } from '../common/api';
import {
  JobStateSchema,
  ProbeDataSchema,
  type Clip,
  type HistoryEntry,
  type Job,
  type JobPatch,
  type JobState,
  type MediaAsset,
  type ProjectInfo,
  type ProjectState,
  type Rational,
  type Track,
} from '../common/model';
import type { ClipSettings } from '../common/settings';
import { createDatabase, integrityCheck as checkIntegrity, openDatabase } from './connection';
import * as edits from './edits';
import { describeZodError, toApiError } from './errors';
import { ChangeRecorder, HistoryEngine } from './history';
import {
  clipFromRow,
  jobFromRow,
  mediaFromRow,
  prepareQueries,
  projectInfoFromRow,
  trackFromRow,
  type MediaRow,
  type ProjectQueries,
} from './queries';
import type { NewMedia, ProjectStore } from './types';
import { requireFrame, requireFrameSize, requireInteger, requirePositive, requireRational, requireText } from './validate';

export type OpenProjectOptions = {
  /** Create a new project file; fails with CONFLICT if one exists. Without it the file must exist. */
  create?: { name: string; fps?: Rational; width?: number; height?: number };
  /** Path to better_sqlite3.node built for the running runtime (Electron ships its own build). */
  nativeBinding?: string;
  /** Statements slower than this are logged, with their name and duration. Default 50 ms. */
  slowQueryMs?: number;
  log?: (message: string) => void;
};

const DEFAULT_FPS: Rational = { num: 24, den: 1 };
const DEFAULT_WIDTH = 1920;
const DEFAULT_HEIGHT = 1080;

export function openProjectStore(file: string, opts: OpenProjectOptions = {}): ProjectStore {
  return SqliteProjectStore.open(file, opts);
}

/** Runs PRAGMA integrity_check on a read-only connection: 'ok', or the problems found. */
export function integrityCheck(file: string): string {
  return checkIntegrity(file);
}

export class SqliteProjectStore implements ProjectStore {
  private readonly q: ProjectQueries;
  private readonly history: HistoryEngine;
  private readonly runInTransaction: Database.Transaction<(fn: () => unknown) => unknown>;
  private closed = false;

  static open(file: string, opts: OpenProjectOptions = {}): SqliteProjectStore {
    const connection = { nativeBinding: opts.nativeBinding };
    let db: Database.Database;
    try {
      db = opts.create
        ? createDatabase(file, connection, (fresh) => initialiseProject(fresh, opts.create!))
        : openDatabase(file, connection);
    } catch (error) {
      throw toApiError(error, opts.create ? 'create the project' : 'open the project', file);
    }
    return new SqliteProjectStore(file, db, opts);
  }

  private constructor(
    readonly path: string,
    private readonly db: Database.Database,
    opts: OpenProjectOptions,
  ) {
    const log = opts.log ?? ((message: string) => console.warn(`[store] ${message}`));
    this.q = prepareQueries(db, { slowQueryMs: opts.slowQueryMs ?? 50, log });
    this.history = new HistoryEngine(db, this.q);
    this.runInTransaction = db.transaction((fn: () => unknown) => fn());
  }

  /**
   * Runs `fn` as one transaction (a savepoint when already inside one). Store methods called inside join it,
   * so a bulk job (importing a project, building a benchmark) commits once.
   */
  transaction<T>(action: string, fn: () => T): T {
    this.requireOpen();
    try {
      // IMMEDIATE takes the write lock up front, so a write never fails halfway on a lock upgrade.
      return this.runInTransaction.immediate(fn) as T;
    } catch (error) {
      throw toApiError(error, action, this.path);
    }
  }

  info(): ProjectInfo {
    return this.read(() => projectInfoFromRow(this.path, this.projectRow()));
  }

  state(): ProjectState {
    // One read transaction so the snapshot is consistent even with another connection writing.
    return this.read(() => this.runInTransaction.deferred(() => {
      const project = this.projectRow();
      const undoLabel = this.history.undoLabel();
      const redoLabel = this.history.redoLabel();
      return {
        project: projectInfoFromRow(this.path, project),
        revision: project.revision,
        media: this.q.listMedia.all().map(mediaFromRow),
        tracks: this.q.listTracks.all().map(trackFromRow),
        clips: this.q.listClips.all().map(clipFromRow),
        canUndo: undoLabel !== null,
        canRedo: redoLabel !== null,
        undoLabel,
        redoLabel,
      };
    }) as ProjectState);
  }

  revision(): number {
    return this.read(() => this.projectRow().revision);
  }

  // Media

  listMedia(): MediaAsset[] {
    return this.read(() => this.q.listMedia.all().map(mediaFromRow));
  }

  getMedia(id: number): MediaAsset | undefined {
    return this.read(() => {
      const row = this.q.getMedia.get(id);
      return row && mediaFromRow(row);
    });
  }

  addMedia(media: NewMedia[]): MediaAsset[] {
    if (!Array.isArray(media)) throw new ApiError('BAD_REQUEST', 'media must be a list of files to import.');
    const rows = media.map((item, index) => newMediaRow(`media[${index}]`, item));
    return this.change('import media', () =>
      rows.map((row) => {
        const id = Number(this.q.insertMedia.run({ ...row, offline: 0, imported_at: Date.now() }).lastInsertRowid);
        return mediaFromRow(this.q.getMedia.get(id)!);
      }),
    );
  }

  setMediaOffline(id: number, offline: boolean): void {
    if (typeof offline !== 'boolean') throw new ApiError('BAD_REQUEST', 'offline must be true or false.');
    this.transaction('mark media offline', () => {
      const media = this.requireMedia(id);
      if ((media.offline === 1) === offline) return;
      this.q.setMediaOffline.run(offline ? 1 : 0, id);
      this.q.bumpRevision.run();
    });
  }

  relinkMedia(id: number, media: NewMedia): MediaAsset {
    const row = newMediaRow('media', media);
    return this.change('relink media', () => {
      this.requireMedia(id);
      this.q.relinkMedia.run({ id, ...row });
      return mediaFromRow(this.q.getMedia.get(id)!);
    });
  }

  removeMedia(id: number): void {
    this.change('remove media', () => {
      const media = this.requireMedia(id);
      const users = this.q.countClipsUsingMedia.get(id)?.count ?? 0;
      if (users > 0) {
        const name = mediaFromRow(media).name;
        throw new ApiError('CONFLICT', `${name} is used by ${users} clip${users === 1 ? '' : 's'} on the timeline; delete those clips first.`);
      }
      this.q.deleteMedia.run(id);
    });
  }

  // Project settings

  setFps(fps: Rational): void {
    const { num, den } = requireRational('fps', fps);
    this.change('change the frame rate', () => void this.q.setFps.run(num, den));
  }

  setSize(width: number, height: number): void {
    const w = requirePositive('width', width);
    const h = requirePositive('height', height);
    this.change('change the frame size', () => void this.q.setSize.run(w, h));
  }

  /** Project settings: the person's frame rate and size, kept from then on (imports no longer set them). The rate
   *  is fixed once clips are on the timeline, as in Resolve: every clip position is counted in its frames. */
  setFormat(format: { fps?: Rational; width?: number; height?: number }): void {
    const fps = format.fps === undefined ? undefined : requireRational('fps', format.fps);
    const w = format.width === undefined ? undefined : requireFrameSize('width', format.width);
    const h = format.height === undefined ? undefined : requireFrameSize('height', format.height);
    this.change('change the project settings', () => {
      const project = this.q.getProject.get()!;
      if (fps && fps.num * project.fps_den !== project.fps_num * fps.den) {
        const clips = this.q.listClips.all().length;
        if (clips > 0) {
          throw new ApiError(
            'CONFLICT',
            `The frame rate is fixed once clips are on the timeline (${clips} now): clip positions are counted in its frames. ` +
              'Create a new project at the rate you want, or remove the clips first.',
          );
        }
        this.q.setFps.run(fps.num, fps.den);
      }
      if (w !== undefined || h !== undefined) this.q.setSize.run(w ?? project.width, h ?? project.height);
      this.q.setFormatChosen.run();
    });
  }

  /** Whether the person chose the rate and size (setFormat, or a rate at creation); until then the first import does. */
  formatChosen(): boolean {
    return this.read(() => this.q.getFormatChosen.get()!.format_chosen === 1);
  }

  setMarks(markIn: number | null, markOut: number | null): void {
    const markInFrame = markIn === null ? null : requireFrame('markIn', markIn);
    const markOutFrame = markOut === null ? null : requireFrame('markOut', markOut);
    if (markInFrame !== null && markOutFrame !== null && markOutFrame <= markInFrame) {
      throw new ApiError('BAD_REQUEST', `markOut (${markOutFrame}) must be after markIn (${markInFrame}).`);
    }
    this.change('set the in/out marks', () => void this.q.setMarks.run(markInFrame, markOutFrame));
  }

  // Timeline

  listTracks(): Track[] {
    return this.read(() => this.q.listTracks.all().map(trackFromRow));
  }

  listClips(): Clip[] {
    return this.read(() => this.q.listClips.all().map(clipFromRow));
  }

  getClip(id: number): Clip | undefined {
    return this.read(() => {
      const row = this.q.getClip.get(id);
      return row && clipFromRow(row);
    });
  }

  addTrack(): Track {
    return trackFromRow(this.edit('add a track', (ctx) => edits.addTrack(ctx)));
  }

  setTrack(input: { trackId: number; hidden?: boolean; muted?: boolean; locked?: boolean }): void {
    this.edit('change the track', (ctx) => edits.setTrack(ctx, input));
  }

  addClip(input: { mediaId: number; trackId: number; start: number; sourceIn: number; sourceOut: number }): Clip {
    return clipFromRow(this.edit('add the clip', (ctx) => edits.addClip(ctx, input)));
  }

  moveClips(moves: { clipId: number; trackId: number; start: number }[]): void {
    this.edit('move the clips', (ctx) => edits.moveClips(ctx, moves));
  }

  trimClip(input: { clipId: number; start: number; sourceIn: number; sourceOut: number }): void {
    this.edit('trim the clip', (ctx) => edits.trimClip(ctx, input));
  }

  splitClips(clipIds: number[], at: number): void {
    this.edit('split the clips', (ctx) => edits.splitClips(ctx, clipIds, at));
  }

  deleteClips(clipIds: number[], ripple: boolean): void {
    this.edit('delete the clips', (ctx) => edits.deleteClips(ctx, clipIds, ripple));
  }

  setClipSettings(clipIds: number[], settings: ClipSettings): void {
    this.setClipSettingsEach([{ clipIds, settings }]);
  }

  setClipSettingsEach(writes: { clipIds: number[]; settings: ClipSettings }[]): void {
    this.edit('change the enhancement settings', (ctx) => edits.setClipSettings(ctx, writes));
  }

  // History

  undo(): HistoryEntry | null {
    return this.transaction('undo', () => this.bumpIfApplied(this.history.undo()));
  }

  redo(): HistoryEntry | null {
    return this.transaction('redo', () => this.bumpIfApplied(this.history.redo()));
  }

  listHistory(limit: number): { entries: HistoryEntry[]; total: number } {
    const max = requirePositive('limit', limit);
    return this.read(() => this.history.list(max));
  }

  // Jobs (not part of the project state, so they leave the revision alone)

  createJob(kind: string, label: string, payload: unknown, outputPath: string | null = null): Job {
    requireText('kind', kind);
    if (typeof label !== 'string') throw new ApiError('BAD_REQUEST', 'label must be text.');
    const json = JSON.stringify(payload ?? null);
    return this.transaction('create the job', () => {
      const now = Date.now();
      const row = {
        kind,
        state: 'queued',
        label,
        payload: json,
        progress: 0,
        eta_sec: null,
        message: null,
        created_at: now,
        updated_at: now,
        stats: '{}',
        output_path: outputPath,
        elapsed_ms: 0,
      };
      const id = Number(this.q.insertJob.run(row).lastInsertRowid);
      return jobFromRow({ id, ...row });
    });
  }

  updateJob(id: number, patch: JobPatch): Job {
    const jobId = requireInteger('id', id);
    const state = patch.state === undefined ? undefined : JobStateSchema.safeParse(patch.state);
    if (state && !state.success) throw new ApiError('BAD_REQUEST', `state must be one of ${JobStateSchema.options.join(', ')}.`);
    if (patch.progress !== undefined && (typeof patch.progress !== 'number' || Number.isNaN(patch.progress))) {
      throw new ApiError('BAD_REQUEST', 'progress must be a number from 0 to 1.');
    }
    return this.transaction('update the job', () => {
      const job = this.q.getJob.get(jobId);
      if (!job) throw new ApiError('NOT_FOUND', `No job with id ${jobId}.`);
      const next = {
        ...job,
        state: state?.data ?? job.state,
        progress: patch.progress === undefined ? job.progress : Math.min(1, Math.max(0, patch.progress)),
        eta_sec: patch.etaSec === undefined ? job.eta_sec : patch.etaSec,
        message: patch.message === undefined ? job.message : patch.message,
        payload: patch.payload === undefined ? job.payload : JSON.stringify(patch.payload),
        stats: patch.stats === undefined ? job.stats : JSON.stringify(patch.stats),
        output_path: patch.outputPath === undefined ? job.output_path : patch.outputPath,
        elapsed_ms: patch.elapsedSec === undefined ? job.elapsed_ms : Math.max(0, Math.round(patch.elapsedSec * 1000)),
        // Strictly increasing, so "changed since" comparisons work even within one millisecond.
        updated_at: Math.max(Date.now(), job.updated_at + 1),
      };
      this.q.updateJob.run(next);
      return jobFromRow(next);
    });
  }

  /** The payload a job was created with (the engine needs it to resume after a restart). */
  getJobPayload(id: number): unknown {
    return this.read(() => {
      const job = this.q.getJob.get(id);
      if (!job) throw new ApiError('NOT_FOUND', `No job with id ${id}.`);
      return JSON.parse(job.payload) as unknown;
    });
  }

  listJobs(): Job[] {
    return this.read(() => this.q.listJobs.all().map(jobFromRow));
  }

  getJob(id: number): Job | undefined {
    return this.read(() => {
      const row = this.q.getJob.get(requireInteger('id', id));
      return row ? jobFromRow(row) : undefined;
    });
  }

  deleteJob(id: number): void {
    const jobId = requireInteger('id', id);
    this.transaction('delete the job', () => {
      if (this.q.deleteJob.run(jobId).changes === 0) throw new ApiError('NOT_FOUND', `No job with id ${jobId}.`);
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }

  // Plumbing

  /** A timeline edit: one transaction, one history entry (none when nothing changed), one revision bump. */
  private edit<T>(action: string, run: (ctx: edits.EditContext) => edits.Edit<T>): T {
    return this.transaction(action, () => {
      const project = this.projectRow();
      const recorder = new ChangeRecorder(this.q);
      const { label, result } = run({ q: this.q, rec: recorder, fps: { num: project.fps_num, den: project.fps_den } });
      const changes = recorder.list();
      if (changes.length > 0) {
        this.history.record(label, changes);
        this.q.bumpRevision.run();
      }
      return result;
    });
  }

  /** A change outside the history: one transaction and one revision bump. */
  private change<T>(action: string, run: () => T): T {
    return this.transaction(action, () => {
      const result = run();
      this.q.bumpRevision.run();
      return result;
    });
  }

  private bumpIfApplied(entry: HistoryEntry | null): HistoryEntry | null {
    if (entry) this.q.bumpRevision.run();
    return entry;
  }

  private read<T>(run: () => T): T {
    this.requireOpen();
    try {
      return run();
    } catch (error) {
      throw toApiError(error, 'read the project', this.path);
    }
  }

  private requireOpen(): void {
    if (this.closed) throw new ApiError('NO_PROJECT', `The project ${this.path} is closed.`);
  }

  private projectRow() {
    const row = this.q.getProject.get();
    if (!row) throw new ApiError('INTERNAL', `${this.path} has no project settings row; the file is damaged.`);
    return row;
  }

  private requireMedia(id: number): MediaRow {
    const media = this.q.getMedia.get(requireInteger('mediaId', id));
    if (!media) throw new ApiError('NOT_FOUND', `No media with id ${id} in this project.`);
    return media;
  }
}

function initialiseProject(db: Database.Database, create: NonNullable<OpenProjectOptions['create']>): void {
  const fps = create.fps === undefined ? DEFAULT_FPS : requireRational('fps', create.fps);
  const width = create.width === undefined ? DEFAULT_WIDTH : requirePositive('width', create.width);
  const height = create.height === undefined ? DEFAULT_HEIGHT : requirePositive('height', create.height);
  const q = prepareQueries(db, { slowQueryMs: Infinity, log: () => {} });
  q.insertProject.run({
    name: requireText('name', create.name),
    fps_num: fps.num,
    fps_den: fps.den,
    width,
    height,
    mark_in: null,
    mark_out: null,
    created_at: Date.now(),
  });
  // A rate given at creation is the person's choice: imports keep it.
  if (create.fps !== undefined) q.setFormatChosen.run();
  // A new project starts with one track; it is not an undoable edit.
  q.insertTrack.run({ id: null, position: 0, name: 'V1', muted: 0, hidden: 0, locked: 0 });
}

function newMediaRow(field: string, media: NewMedia): Omit<MediaRow, 'id' | 'offline' | 'imported_at'> {
  if (typeof media !== 'object' || media === null) throw new ApiError('BAD_REQUEST', `${field} must describe a media file.`);
  const probe = ProbeDataSchema.safeParse(media.probe);
  if (!probe.success) throw new ApiError('BAD_REQUEST', describeZodError(probe.error, `${field}.probe`));
  if (typeof media.mtimeMs !== 'number' || !Number.isFinite(media.mtimeMs)) {
    throw new ApiError('BAD_REQUEST', `${field}.mtimeMs must be a number of milliseconds.`);
  }
  if (typeof media.fingerprint !== 'string') throw new ApiError('BAD_REQUEST', `${field}.fingerprint must be text.`);
  return {
    path: requireText(`${field}.path`, media.path),
    size: requireFrame(`${field}.size`, media.size),
    mtime_ms: media.mtimeMs,
    fingerprint: media.fingerprint,
    probe: JSON.stringify(probe.data),
  };
}
