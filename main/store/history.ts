// The undo history. An edit is stored as the list of rows it changed, each with its value before and after
// ({table, id, before, after}; null means "no such row"). Undo writes every `before` back in reverse order,
// redo writes every `after` in order. Because only edits write the clip and track tables, the rows always
// match what the entry expects; undo/redo check that anyway and refuse rather than corrupt the timeline.
import type Database from 'better-sqlite3';
import { z } from 'zod';
import { ApiError } from '../common/api';
import type { HistoryEntry } from '../common/model';
import { ClipRowSchema, historyEntryFromRow, TrackRowSchema, type ClipRow, type HistoryRow, type ProjectQueries, type TrackRow } from './queries';

const RowChangeSchema = z.discriminatedUnion('table', [
  z.object({ table: z.literal('clip'), id: z.number().int(), before: ClipRowSchema.nullable(), after: ClipRowSchema.nullable() }),
  z.object({ table: z.literal('track'), id: z.number().int(), before: TrackRowSchema.nullable(), after: TrackRowSchema.nullable() }),
]);
export type RowChange = z.infer<typeof RowChangeSchema>;
type TableName = RowChange['table'];
type RowOf<T extends TableName> = NonNullable<Extract<RowChange, { table: T }>['before']>;

const STORED_FORMAT = 1;
const StoredChangesSchema = z.object({ format: z.literal(STORED_FORMAT), changes: z.array(RowChangeSchema) });

const CLIP_KEYS = Object.keys(ClipRowSchema.shape) as (keyof ClipRow)[];
const TRACK_KEYS = Object.keys(TrackRowSchema.shape) as (keyof TrackRow)[];

function sameRow<R extends object>(a: R | null, b: R | null, keys: (keyof R)[]): boolean {
  if (a === null || b === null) return a === b;
  return keys.every((key) => a[key] === b[key]);
}

/**
 * Collects the row changes of one edit while writing them. Several writes to the same row fold into one change
 * (first `before`, last `after`); a row inserted and deleted within the edit leaves no change at all.
 */
export class ChangeRecorder {
  private readonly changes = new Map<string, RowChange>();

  constructor(private readonly q: ProjectQueries) {}

  insertClip(values: Omit<ClipRow, 'id'>): ClipRow {
    const id = Number(this.q.insertClip.run({ id: null, ...values }).lastInsertRowid);
    const row: ClipRow = { id, ...values };
    this.note('clip', id, null, row);
    return row;
  }

  updateClip(before: ClipRow, after: ClipRow): void {
    if (sameRow(before, after, CLIP_KEYS)) return;
    this.q.updateClip.run(after);
    this.note('clip', before.id, before, after);
  }

  deleteClip(row: ClipRow): void {
    this.q.deleteClip.run(row.id);
    this.note('clip', row.id, row, null);
  }

  insertTrack(values: Omit<TrackRow, 'id'>): TrackRow {
    const id = Number(this.q.insertTrack.run({ id: null, ...values }).lastInsertRowid);
    const row: TrackRow = { id, ...values };
    this.note('track', id, null, row);
    return row;
  }

  updateTrack(before: TrackRow, after: TrackRow): void {
    if (sameRow(before, after, TRACK_KEYS)) return;
    this.q.updateTrack.run(after);
    this.note('track', before.id, before, after);
  }

  /** The net changes, in the order the rows were first touched. */
  list(): RowChange[] {
    return [...this.changes.values()].filter((change) =>
      change.table === 'clip' ? !sameRow(change.before, change.after, CLIP_KEYS) : !sameRow(change.before, change.after, TRACK_KEYS),
    );
  }

  private note<T extends TableName>(table: T, id: number, before: RowOf<T> | null, after: RowOf<T> | null): void {
    const key = `${table}:${id}`;
    const earlier = this.changes.get(key);
    if (earlier) earlier.after = after as never;
    else this.changes.set(key, { table, id, before, after } as RowChange);
  }
}

type Direction = 'undo' | 'redo';

export class HistoryEngine {
  constructor(
    private readonly db: Database.Database,
    private readonly q: ProjectQueries,
  ) {}

  /** Stores a new entry; whatever was undone before it can no longer be redone. Call inside the edit's transaction. */
  record(label: string, changes: RowChange[], createdAt = Date.now()): void {
    this.q.deleteUndoneHistory.run();
    this.q.insertHistory.run({ label, changes: JSON.stringify({ format: STORED_FORMAT, changes }), created_at: createdAt });
  }

  undoLabel(): string | null {
    return this.q.undoHead.get()?.label ?? null;
  }

  redoLabel(): string | null {
    return this.q.redoHead.get()?.label ?? null;
  }

  /** Call inside a transaction. Returns the undone entry, or null when there is nothing to undo. */
  undo(): HistoryEntry | null {
    const head = this.q.undoHead.get();
    return head ? this.apply(head.id, 'undo') : null;
  }

  /** Call inside a transaction. Returns the redone entry, or null when there is nothing to redo. */
  redo(): HistoryEntry | null {
    const head = this.q.redoHead.get();
    return head ? this.apply(head.id, 'redo') : null;
  }

  list(limit: number): { entries: HistoryEntry[]; total: number } {
    return { entries: this.q.listHistory.all(limit).map(historyEntryFromRow), total: this.q.countHistory.get()?.count ?? 0 };
  }

  private apply(entryId: number, direction: Direction): HistoryEntry {
    const row = this.q.getHistory.get(entryId) as HistoryRow;
    const changes = this.parseChanges(row);
    // Within one entry rows may be restored in an order that briefly breaks a reference; check at commit.
    this.db.pragma('defer_foreign_keys = ON');
    const ordered = direction === 'undo' ? [...changes].reverse() : changes;
    for (const change of ordered) {
      if (change.table === 'clip') this.applyClip(change, direction, row.label);
      else this.applyTrack(change, direction, row.label);
    }
    const undone = direction === 'undo' ? 1 : 0;
    this.q.setHistoryUndone.run(undone, entryId);
    return historyEntryFromRow({ ...row, undone });
  }

  private parseChanges(row: HistoryRow): RowChange[] {
    const parsed = StoredChangesSchema.safeParse(JSON.parse(row.changes));
    if (!parsed.success) {
      throw new ApiError('INTERNAL', `History entry ${row.id} ("${row.label}") is damaged and cannot be undone or redone.`);
    }
    return parsed.data.changes;
  }

  private applyClip(change: Extract<RowChange, { table: 'clip' }>, direction: Direction, label: string): void {
    const { expected, target } = ends(change, direction);
    const current = this.q.getClip.get(change.id) ?? null;
    if (!sameRow(current, expected, CLIP_KEYS)) throw mismatch(direction, label, `clip ${change.id}`);
    if (target && !this.q.getMedia.get(target.media_id)) {
      throw new ApiError('CONFLICT', `Can't ${direction} "${label}": it needs media that has since been removed from the project.`);
    }
    if (target === null) this.q.deleteClip.run(change.id);
    else if (current) this.q.updateClip.run(target);
    else this.q.insertClip.run(target);
  }

  private applyTrack(change: Extract<RowChange, { table: 'track' }>, direction: Direction, label: string): void {
    const { expected, target } = ends(change, direction);
    const current = this.q.getTrack.get(change.id) ?? null;
    if (!sameRow(current, expected, TRACK_KEYS)) throw mismatch(direction, label, `track ${change.id}`);
    if (target === null) this.q.deleteTrack.run(change.id);
    else if (current) this.q.updateTrack.run(target);
    else this.q.insertTrack.run(target);
  }
}

function ends<R>(change: { before: R | null; after: R | null }, direction: Direction) {
  return direction === 'undo' ? { expected: change.after, target: change.before } : { expected: change.before, target: change.after };
}

function mismatch(direction: Direction, label: string, what: string): ApiError {
  return new ApiError('INTERNAL', `Can't ${direction} "${label}": ${what} no longer matches the history. The timeline was left unchanged.`);
}
