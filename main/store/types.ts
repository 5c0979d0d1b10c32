// The project store's public interface. The services layer depends on this, never on SQL.
import type { Clip, HistoryEntry, Job, JobPatch, JobState, MediaAsset, ProbeData, ProjectInfo, ProjectState, Rational, Track } from '../common/model';
import type { ClipSettings } from '../common/settings';

export type NewMedia = {
  path: string;
  size: number;
  mtimeMs: number;
  fingerprint: string;
  probe: ProbeData;
};

/** One open `.upframe` file. Every mutating method is one transaction and (where noted) one history entry. */
export interface ProjectStore {
  readonly path: string;
  info(): ProjectInfo;
  /** Full snapshot for the editor. */
  state(): ProjectState;
  revision(): number;
  /** Runs several store calls as one transaction (one user action); `action` names it in the slow-query log. */
  transaction<T>(action: string, fn: () => T): T;

  // Media (not part of undo history: importing is not an edit of the timeline)
  listMedia(): MediaAsset[];
  getMedia(id: number): MediaAsset | undefined;
  addMedia(media: NewMedia[]): MediaAsset[];
  setMediaOffline(id: number, offline: boolean): void;
  relinkMedia(id: number, media: NewMedia): MediaAsset;
  /** Fails with ApiError('CONFLICT') while clips use it. */
  removeMedia(id: number): void;

  // Project settings
  setFps(fps: Rational): void;
  setSize(width: number, height: number): void;
  /** Project settings: the person's frame rate (refused with CONFLICT once clips exist) and size; imports keep them. */
  setFormat(format: { fps?: Rational; width?: number; height?: number }): void;
  /** Whether the rate and size were chosen by the person (else the first import sets them). */
  formatChosen(): boolean;
  setMarks(markIn: number | null, markOut: number | null): void;

  // Timeline edits: each is one history entry (command + inverse) and one transaction.
  listTracks(): Track[];
  listClips(): Clip[];
  getClip(id: number): Clip | undefined;
  addTrack(): Track;
  /** Shows or hides the track's video, mutes or unmutes its audio (one undoable edit). */
  setTrack(input: { trackId: number; hidden?: boolean; muted?: boolean; locked?: boolean }): void;
  addClip(input: { mediaId: number; trackId: number; start: number; sourceIn: number; sourceOut: number }): Clip;
  moveClips(moves: { clipId: number; trackId: number; start: number }[]): void;
  trimClip(input: { clipId: number; start: number; sourceIn: number; sourceOut: number }): void;
  /** Splits every given clip that spans `at` (timeline frame) into two; clips not spanning it are left alone. */
  splitClips(clipIds: number[], at: number): void;
  /** Deletes the clips; with ripple, later clips on the same tracks shift left to close each gap. */
  deleteClips(clipIds: number[], ripple: boolean): void;
  setClipSettings(clipIds: number[], settings: ClipSettings): void;
  /** Several settings writes as one edit (one history entry). */
  setClipSettingsEach(writes: { clipIds: number[]; settings: ClipSettings }[]): void;

  // History
  undo(): HistoryEntry | null;
  redo(): HistoryEntry | null;
  listHistory(limit: number): { entries: HistoryEntry[]; total: number };

  // Jobs (used by the engine, preview and export issues)
  createJob(kind: string, label: string, payload: unknown, outputPath?: string | null): Job;
  updateJob(id: number, patch: JobPatch): Job;
  /** The payload a job was created with, or last stored by updateJob (an export's resume state). */
  getJobPayload(id: number): unknown;
  getJob(id: number): Job | undefined;
  listJobs(): Job[];
  deleteJob(id: number): void;

  close(): void;
}
