import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeBigProject } from '../../bench/make-big-project';
import type { ProjectState } from '../../main/common/model';
import { defaultClipSettings } from '../../main/common/settings';
import { openProjectStore } from '../../main/store/project-store';
import type { ProjectStore } from '../../main/store/types';
import { makeTempDir } from '../helpers/media-fixtures';
import { fakeProbe } from '../helpers/store-fixtures';

const temp = makeTempDir('upframe-store-history-');
afterAll(temp.cleanup);

const probe = fakeProbe(10);

let store: ProjectStore;
let mediaId: number;
let trackId: number;
let n = 0;

beforeEach(() => {
  store = openProjectStore(path.join(temp.dir, `history-${++n}.upframe`), { create: { name: 'History' } });
  mediaId = store.addMedia([{ path: '/media/a.mp4', size: 1, mtimeMs: 1, fingerprint: 'a', probe }])[0].id;
  trackId = store.listTracks()[0].id;
});
afterEach(() => store.close());

const withoutRevision = ({ revision: _revision, ...rest }: ProjectState) => rest;
const add = (start: number, sourceIn = 0, sourceOut = 20) => store.addClip({ mediaId, trackId, start, sourceIn, sourceOut });

/** Runs an edit, then checks undo restores the state before it and redo the state after it. */
function expectUndoable(edit: () => void, label: string): void {
  const before = withoutRevision(store.state());
  edit();
  const after = withoutRevision(store.state());
  expect(after).not.toEqual(before);
  expect(after.undoLabel).toBe(label);
  const undone = store.undo();
  expect(undone).toMatchObject({ label, undone: true });
  expect(withoutRevision(store.state())).toEqual({ ...before, canRedo: true, redoLabel: label });
  const redone = store.redo();
  expect(redone).toMatchObject({ id: undone!.id, label, undone: false });
  expect(withoutRevision(store.state())).toEqual(after);
}

describe('undo and redo of each edit', () => {
  it('addTrack', () => expectUndoable(() => store.addTrack(), 'Add track'));
  it('addClip with overwrite', () => {
    add(0, 0, 100);
    expectUndoable(() => add(30, 0, 10), 'Add a.mp4 to V1');
  });
  it('moveClips', () => {
    const a = add(0);
    const b = add(20);
    add(50, 0, 100);
    expectUndoable(() => store.moveClips([{ clipId: a.id, trackId, start: 60 }, { clipId: b.id, trackId, start: 80 }]), 'Move 2 clips');
  });
  it('trimClip', () => {
    const a = add(0);
    add(20);
    expectUndoable(() => store.trimClip({ clipId: a.id, start: 0, sourceIn: 0, sourceOut: 30 }), 'Trim end of a.mp4 +10 frames');
  });
  it('splitClips', () => {
    const a = add(0, 0, 100);
    expectUndoable(() => store.splitClips([a.id], 50), 'Split a.mp4');
  });
  it('deleteClips', () => {
    const a = add(0);
    expectUndoable(() => store.deleteClips([a.id], false), 'Delete a.mp4');
  });
  it('ripple delete', () => {
    const a = add(0);
    const b = add(20);
    add(40);
    add(60);
    expectUndoable(() => store.deleteClips([a.id, b.id], true), 'Ripple delete 2 clips');
  });
  it('setClipSettings', () => {
    const a = add(0);
    expectUndoable(() => store.setClipSettings([a.id], { ...defaultClipSettings(), seed: 7 }), 'Seed 666 → 7 on a.mp4');
  });
});

describe('history', () => {
  it('returns null when there is nothing to undo or redo', () => {
    expect(store.undo()).toBeNull();
    expect(store.redo()).toBeNull();
    const state = store.state();
    expect(state).toMatchObject({ canUndo: false, canRedo: false, undoLabel: null, redoLabel: null });
  });

  it('discards the redo side when a new edit is made', () => {
    add(0);
    add(20);
    add(40);
    store.undo();
    store.undo();
    expect(store.state()).toMatchObject({ canRedo: true, redoLabel: 'Add a.mp4 to V1' });
    store.addTrack();
    expect(store.state()).toMatchObject({ canUndo: true, canRedo: false, undoLabel: 'Add track', redoLabel: null });
    expect(store.redo()).toBeNull();
    expect(store.listHistory(10)).toMatchObject({ total: 2, entries: [{ label: 'Add track', undone: false }, { label: 'Add a.mp4 to V1', undone: false }] });
  });

  it('survives closing and reopening: undo and redo keep working', () => {
    const file = store.path;
    const empty = withoutRevision(store.state());
    const a = add(0, 0, 100);
    store.splitClips([a.id], 40);
    const split = withoutRevision(store.state());
    store.moveClips([{ clipId: a.id, trackId, start: 200 }]);
    store.undo();
    store.close();

    store = openProjectStore(file);
    expect(withoutRevision(store.state())).toEqual({ ...split, canRedo: true, redoLabel: 'Move a.mp4 +200 frames' });
    expect(store.undo()?.label).toBe('Split a.mp4');
    store.close();

    store = openProjectStore(file);
    expect(store.undo()?.label).toBe('Add a.mp4 to V1');
    expect(withoutRevision(store.state())).toEqual({ ...empty, canRedo: true, redoLabel: 'Add a.mp4 to V1' });
    expect(store.redo()?.label).toBe('Add a.mp4 to V1');
    expect(store.redo()?.label).toBe('Split a.mp4');
    expect(withoutRevision(store.state())).toEqual({ ...split, canRedo: true, redoLabel: 'Move a.mp4 +200 frames' });
  });

  it('lists entries newest first with labels and the total', () => {
    const a = add(0);
    store.setClipSettings([a.id], { ...defaultClipSettings(), scale: 2 });
    store.deleteClips([a.id], true);
    store.undo();
    const { entries, total } = store.listHistory(2);
    expect(total).toBe(3);
    expect(entries.map((e) => [e.label, e.undone])).toEqual([
      ['Ripple delete a.mp4', true],
      ['Scale 1 → 2 on a.mp4', false],
    ]);
    expect(entries[0].createdAt).toBeGreaterThan(0);
    expect(() => store.listHistory(0)).toThrow(/limit must be greater than 0/);
  });

  it('does not record an entry for a failed edit', () => {
    add(0);
    expect(() => add(10, 5, 5)).toThrow();
    expect(store.listHistory(10).total).toBe(1);
    expect(store.undo()?.label).toBe('Add a.mp4 to V1');
  });
});

describe('makeBigProject (benchmark fixture)', () => {
  it('builds a valid project whose history undoes and redoes', () => {
    const file = path.join(temp.dir, 'big.upframe');
    makeBigProject(file, { clips: 30, history: 100, mediaPath: '/media/bench.mp4', probe });
    const big = openProjectStore(file);
    try {
      const state = big.state();
      expect(state.tracks).toHaveLength(3);
      expect(state.clips).toHaveLength(30);
      expect(big.listHistory(1).total).toBe(100);
      const before = withoutRevision(state);
      expect(big.undo()?.label).toBe('Seed 1001 → 1002 on bench.mp4');
      expect(big.redo()).not.toBeNull();
      expect(withoutRevision(big.state())).toEqual(before);
      for (let i = 0; i < 100; i++) expect(big.undo()).not.toBeNull();
      expect(big.state()).toMatchObject({ clips: [], canUndo: false });
      expect(big.state().tracks).toHaveLength(1);
    } finally {
      big.close();
    }
  });
});
