// Every SQL statement the store runs, prepared once per connection, with typed rows and the mappers from rows
// to the domain shapes in common/model.ts. Nothing outside this file writes SQL.
import type Database from 'better-sqlite3';
import path from 'node:path';
import { z } from 'zod';
import { ApiError } from '../common/api';
import { ProbeDataSchema, type Clip, type HistoryEntry, type Job, type JobState, type MediaAsset, type ProjectInfo, type Track } from '../common/model';
import { migrateClipSettings, type ClipSettings } from '../common/settings';
import { describeZodError } from './errors';
import { NamedStatement, type SqlTiming } from './sql';

export type ProjectRow = {
  name: string;
  fps_num: number;
  fps_den: number;
  width: number;
  height: number;
  mark_in: number | null;
  mark_out: number | null;
  created_at: number;
  revision: number;
};

export type MediaRow = {
  id: number;
  path: string;
  size: number;
  mtime_ms: number;
  fingerprint: string;
  probe: string;
  offline: number;
  imported_at: number;
};

// Track and clip rows are also what history entries store as `before`/`after`, so their schemas live here.
export const TrackRowSchema = z.object({
  id: z.number().int(),
  position: z.number().int().nonnegative(),
  name: z.string(),
  muted: z.number().int(),
  hidden: z.number().int(),
  // History entries written before schema 4 have no lock: they were unlocked.
  locked: z.number().int().default(0),
});
export type TrackRow = z.infer<typeof TrackRowSchema>;

export const ClipRowSchema = z.object({
  id: z.number().int(),
  media_id: z.number().int(),
  track_id: z.number().int(),
  start: z.number().int().nonnegative(),
  source_in: z.number().int().nonnegative(),
  source_out: z.number().int().positive(),
  settings: z.string(),
});
export type ClipRow = z.infer<typeof ClipRowSchema>;

export type HistoryRow = { id: number; label: string; changes: string; created_at: number; undone: number };
export type HistoryHeadRow = { id: number; label: string };

export type JobRow = {
  id: number;
  kind: string;
  state: string;
  label: string;
  payload: string;
  progress: number;
  eta_sec: number | null;
  message: string | null;
  created_at: number;
  updated_at: number;
  stats: string;
  output_path: string | null;
  elapsed_ms: number;
};

const CLIP_COLUMNS = 'id, media_id, track_id, start, source_in, source_out, settings';
const TRACK_COLUMNS = 'id, position, name, muted, hidden, locked';
const MEDIA_COLUMNS = 'id, path, size, mtime_ms, fingerprint, probe, offline, imported_at';
const JOB_COLUMNS = 'id, kind, state, label, payload, progress, eta_sec, message, created_at, updated_at, stats, output_path, elapsed_ms';
const CLIP_END = 'start + (source_out - source_in)';

type NoParams = [];

export type ProjectQueries = ReturnType<typeof prepareQueries>;

/** Prepares every statement once for a connection. */
export function prepareQueries(db: Database.Database, timing: SqlTiming) {
  function statement<Params extends unknown[], Row = never>(name: string, sql: string) {
    return new NamedStatement<Params, Row>(db, name, sql, timing);
  }

  return {
    // Project
    getProject: statement<NoParams, ProjectRow>(
      'getProject',
      'SELECT name, fps_num, fps_den, width, height, mark_in, mark_out, created_at, revision FROM project WHERE id = 1',
    ),
    insertProject: statement<[Omit<ProjectRow, 'revision'>]>(
      'insertProject',
      `INSERT INTO project (id, name, fps_num, fps_den, width, height, mark_in, mark_out, created_at)
       VALUES (1, @name, @fps_num, @fps_den, @width, @height, @mark_in, @mark_out, @created_at)`,
    ),
    setFps: statement<[num: number, den: number]>('setFps', 'UPDATE project SET fps_num = ?, fps_den = ? WHERE id = 1'),
    setSize: statement<[width: number, height: number]>('setSize', 'UPDATE project SET width = ?, height = ? WHERE id = 1'),
    getFormatChosen: statement<NoParams, { format_chosen: number }>('getFormatChosen', 'SELECT format_chosen FROM project WHERE id = 1'),
    setFormatChosen: statement<NoParams>('setFormatChosen', 'UPDATE project SET format_chosen = 1 WHERE id = 1'),
    setMarks: statement<[markIn: number | null, markOut: number | null]>(
      'setMarks',
      'UPDATE project SET mark_in = ?, mark_out = ? WHERE id = 1',
    ),
    bumpRevision: statement<NoParams>('bumpRevision', 'UPDATE project SET revision = revision + 1 WHERE id = 1'),
    getRevision: statement<NoParams, { revision: number }>('getRevision', 'SELECT revision FROM project WHERE id = 1'),

    // Media
    listMedia: statement<NoParams, MediaRow>('listMedia', `SELECT ${MEDIA_COLUMNS} FROM media_asset ORDER BY id`),
    getMedia: statement<[id: number], MediaRow>('getMedia', `SELECT ${MEDIA_COLUMNS} FROM media_asset WHERE id = ?`),
    insertMedia: statement<[Omit<MediaRow, 'id'>]>(
      'insertMedia',
      `INSERT INTO media_asset (path, size, mtime_ms, fingerprint, probe, offline, imported_at)
       VALUES (@path, @size, @mtime_ms, @fingerprint, @probe, @offline, @imported_at)`,
    ),
    relinkMedia: statement<[Pick<MediaRow, 'id' | 'path' | 'size' | 'mtime_ms' | 'fingerprint' | 'probe'>]>(
      'relinkMedia',
      `UPDATE media_asset SET path = @path, size = @size, mtime_ms = @mtime_ms, fingerprint = @fingerprint, probe = @probe,
       offline = 0 WHERE id = @id`,
    ),
    setMediaOffline: statement<[offline: number, id: number]>('setMediaOffline', 'UPDATE media_asset SET offline = ? WHERE id = ?'),
    deleteMedia: statement<[id: number]>('deleteMedia', 'DELETE FROM media_asset WHERE id = ?'),
    countClipsUsingMedia: statement<[mediaId: number], { count: number }>(
      'countClipsUsingMedia',
      'SELECT count(*) AS count FROM clip WHERE media_id = ?',
    ),

    // Tracks
    listTracks: statement<NoParams, TrackRow>('listTracks', `SELECT ${TRACK_COLUMNS} FROM track ORDER BY position, id`),
    getTrack: statement<[id: number], TrackRow>('getTrack', `SELECT ${TRACK_COLUMNS} FROM track WHERE id = ?`),
    maxTrackPosition: statement<NoParams, { position: number | null }>('maxTrackPosition', 'SELECT max(position) AS position FROM track'),
    /** `id` null lets SQLite assign one; history passes the original id back when it restores a row. */
    insertTrack: statement<[Omit<TrackRow, 'id'> & { id: number | null }]>(
      'insertTrack',
      `INSERT INTO track (${TRACK_COLUMNS}) VALUES (@id, @position, @name, @muted, @hidden, @locked)`,
    ),
    updateTrack: statement<[TrackRow]>(
      'updateTrack',
      'UPDATE track SET position = @position, name = @name, muted = @muted, hidden = @hidden, locked = @locked WHERE id = @id',
    ),
    deleteTrack: statement<[id: number]>('deleteTrack', 'DELETE FROM track WHERE id = ?'),

    // Clips
    listClips: statement<NoParams, ClipRow>('listClips', `SELECT ${CLIP_COLUMNS} FROM clip ORDER BY track_id, start, id`),
    getClip: statement<[id: number], ClipRow>('getClip', `SELECT ${CLIP_COLUMNS} FROM clip WHERE id = ?`),
    clipsOnTrack: statement<[trackId: number], ClipRow>(
      'clipsOnTrack',
      `SELECT ${CLIP_COLUMNS} FROM clip WHERE track_id = ? ORDER BY start, id`,
    ),
    /** Clips on a track that share at least one frame with [from, to). */
    clipsOverlapping: statement<[trackId: number, to: number, from: number], ClipRow>(
      'clipsOverlapping',
      `SELECT ${CLIP_COLUMNS} FROM clip WHERE track_id = ? AND start < ? AND ${CLIP_END} > ? ORDER BY start, id`,
    ),
    insertClip: statement<[Omit<ClipRow, 'id'> & { id: number | null }]>(
      'insertClip',
      `INSERT INTO clip (${CLIP_COLUMNS}) VALUES (@id, @media_id, @track_id, @start, @source_in, @source_out, @settings)`,
    ),
    updateClip: statement<[ClipRow]>(
      'updateClip',
      `UPDATE clip SET media_id = @media_id, track_id = @track_id, start = @start, source_in = @source_in,
       source_out = @source_out, settings = @settings WHERE id = @id`,
    ),
    deleteClip: statement<[id: number]>('deleteClip', 'DELETE FROM clip WHERE id = ?'),

    // History
    insertHistory: statement<[Omit<HistoryRow, 'id' | 'undone'>]>(
      'insertHistory',
      'INSERT INTO history (label, changes, created_at, undone) VALUES (@label, @changes, @created_at, 0)',
    ),
    deleteUndoneHistory: statement<NoParams>('deleteUndoneHistory', 'DELETE FROM history WHERE undone = 1'),
    undoHead: statement<NoParams, HistoryHeadRow>(
      'undoHead',
      'SELECT id, label FROM history WHERE undone = 0 ORDER BY id DESC LIMIT 1',
    ),
    redoHead: statement<NoParams, HistoryHeadRow>(
      'redoHead',
      'SELECT id, label FROM history WHERE undone = 1 ORDER BY id ASC LIMIT 1',
    ),
    getHistory: statement<[id: number], HistoryRow>(
      'getHistory',
      'SELECT id, label, changes, created_at, undone FROM history WHERE id = ?',
    ),
    setHistoryUndone: statement<[undone: number, id: number]>('setHistoryUndone', 'UPDATE history SET undone = ? WHERE id = ?'),
    listHistory: statement<[limit: number], Omit<HistoryRow, 'changes'>>(
      'listHistory',
      'SELECT id, label, created_at, undone FROM history ORDER BY id DESC LIMIT ?',
    ),
    countHistory: statement<NoParams, { count: number }>('countHistory', 'SELECT count(*) AS count FROM history'),

    // Jobs
    insertJob: statement<[Omit<JobRow, 'id'>]>(
      'insertJob',
      `INSERT INTO job (kind, state, label, payload, progress, eta_sec, message, created_at, updated_at, stats, output_path, elapsed_ms)
       VALUES (@kind, @state, @label, @payload, @progress, @eta_sec, @message, @created_at, @updated_at, @stats, @output_path, @elapsed_ms)`,
    ),
    getJob: statement<[id: number], JobRow>('getJob', `SELECT ${JOB_COLUMNS} FROM job WHERE id = ?`),
    updateJob: statement<[Omit<JobRow, 'kind' | 'label' | 'created_at'>]>(
      'updateJob',
      `UPDATE job SET state = @state, payload = @payload, progress = @progress, eta_sec = @eta_sec, message = @message,
         updated_at = @updated_at, stats = @stats, output_path = @output_path, elapsed_ms = @elapsed_ms
       WHERE id = @id`,
    ),
    deleteJob: statement<[id: number]>('deleteJob', 'DELETE FROM job WHERE id = ?'),
    listJobs: statement<NoParams, JobRow>('listJobs', `SELECT ${JOB_COLUMNS} FROM job ORDER BY id DESC`),
  };
}

// Row mappers

export function projectInfoFromRow(file: string, row: ProjectRow): ProjectInfo {
  return {
    path: file,
    name: row.name,
    fps: { num: row.fps_num, den: row.fps_den },
    width: row.width,
    height: row.height,
    markIn: row.mark_in,
    markOut: row.mark_out,
    createdAt: row.created_at,
  };
}

export function mediaFromRow(row: MediaRow): MediaAsset {
  const probe = ProbeDataSchema.safeParse(JSON.parse(row.probe));
  if (!probe.success) {
    throw new ApiError('INTERNAL', `Stored probe data of media ${row.id} is invalid (${describeZodError(probe.error, 'probe')}).`);
  }
  return {
    id: row.id,
    path: row.path,
    name: path.basename(row.path),
    size: row.size,
    mtimeMs: row.mtime_ms,
    fingerprint: row.fingerprint,
    probe: probe.data,
    offline: row.offline === 1,
    importedAt: row.imported_at,
  };
}

export function trackFromRow(row: TrackRow): Track {
  return { id: row.id, position: row.position, name: row.name, muted: row.muted === 1, hidden: row.hidden === 1, locked: row.locked === 1 };
}

export function clipFromRow(row: ClipRow): Clip {
  return {
    id: row.id,
    mediaId: row.media_id,
    trackId: row.track_id,
    start: row.start,
    sourceIn: row.source_in,
    sourceOut: row.source_out,
    settings: settingsFromJson(row.settings, row.id),
  };
}

export function clipEnd(row: Pick<ClipRow, 'start' | 'source_in' | 'source_out'>): number {
  return row.start + row.source_out - row.source_in;
}

// Validating settings costs tens of microseconds per clip, and most clips share a handful of distinct settings
// strings, so each distinct string is validated once. Callers get their own copy: the cached one stays pristine.
const SETTINGS_CACHE_LIMIT = 1000;
const validatedSettings = new Map<string, ClipSettings>();

/** Reads stored settings of any known version (migrating older ones); corrupt settings are an error, not a default. */
export function settingsFromJson(json: string, clipId: number): ClipSettings {
  let settings = validatedSettings.get(json);
  if (!settings) {
    try {
      settings = migrateClipSettings(JSON.parse(json));
    } catch (error) {
      const reason = error instanceof z.ZodError ? describeZodError(error, 'settings') : String(error);
      throw new ApiError('INTERNAL', `Stored enhancement settings of clip ${clipId} are invalid (${reason}).`);
    }
    if (validatedSettings.size >= SETTINGS_CACHE_LIMIT) validatedSettings.clear();
    validatedSettings.set(json, settings);
  }
  return copyPlainData(settings);
}

function copyPlainData<T>(value: T): T {
  if (Array.isArray(value)) return value.map(copyPlainData) as T;
  if (value === null || typeof value !== 'object') return value;
  const copy: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) copy[key] = copyPlainData(field);
  return copy as T;
}

export function historyEntryFromRow(row: Pick<HistoryRow, 'id' | 'label' | 'created_at' | 'undone'>): HistoryEntry {
  return { id: row.id, label: row.label, createdAt: row.created_at, undone: row.undone === 1 };
}

export function jobFromRow(row: JobRow): Job {
  return {
    id: row.id,
    kind: row.kind,
    state: row.state as JobState,
    label: row.label,
    progress: row.progress,
    etaSec: row.eta_sec,
    message: row.message,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    stats: statsFromJson(row.stats),
    outputPath: row.output_path,
    elapsedSec: row.elapsed_ms / 1000,
  };
}

/** Counters are numbers only; anything else in the stored JSON is dropped rather than shown. */
function statsFromJson(json: string): Record<string, number> {
  const parsed = JSON.parse(json) as unknown;
  const stats: Record<string, number> = {};
  if (parsed && typeof parsed === 'object') {
    for (const [key, value] of Object.entries(parsed)) if (typeof value === 'number' && Number.isFinite(value)) stats[key] = value;
  }
  return stats;
}
