// Property: any sequence of edits (valid or not) can be undone back to the start and redone to the end exactly.
import fc from 'fast-check';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../main/common/api';
import type { Clip, ProjectState } from '../../main/common/model';
import { defaultClipSettings } from '../../main/common/settings';
import { openProjectStore } from '../../main/store/project-store';
import type { ProjectStore } from '../../main/store/types';
import { fakeProbe } from '../helpers/store-fixtures';

// Thousands of commits, each fsynced (synchronous=FULL): on tmpfs, where there is one, they cost nothing and the
// run stays a few seconds. These are still real SQLite files; durability itself is tested elsewhere.
const tempRoot = fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();
const temp = { dir: fs.mkdtempSync(path.join(tempRoot, 'upframe-store-property-')) };
afterAll(() => fs.rmSync(temp.dir, { recursive: true, force: true }));

const MEDIA_FRAMES = [240, 48]; // 10 s and 2 s at 24 fps

const OpSchema = fc.record({
  kind: fc.constantFrom('add', 'add', 'add', 'move', 'trim', 'split', 'delete', 'ripple', 'settings', 'addTrack', 'undo', 'reopen', 'badId'),
  picks: fc.array(fc.nat(), { minLength: 1, maxLength: 3 }),
  a: fc.nat({ max: 400 }),
  b: fc.integer({ min: -30, max: 60 }),
  c: fc.integer({ min: -10, max: 80 }),
});
type Op = typeof OpSchema extends fc.Arbitrary<infer T> ? T : never;

const withoutRevision = ({ revision: _revision, ...rest }: ProjectState) => rest;
const end = (clip: Clip) => clip.start + clip.sourceOut - clip.sourceIn;

function pickClips(state: ProjectState, picks: number[]): Clip[] {
  if (state.clips.length === 0) return [];
  return [...new Map(picks.map((p) => state.clips[p % state.clips.length]).map((c) => [c.id, c])).values()];
}

/** Turns a generated op into a store call against the current state; most are valid, some are not. */
function apply(store: ProjectStore, state: ProjectState, op: Op): void {
  const clips = pickClips(state, op.picks);
  const ids = clips.map((c) => c.id);
  const track = state.tracks[op.a % state.tracks.length];
  const mediaIndex = op.picks[0] % state.media.length;
  switch (op.kind) {
    case 'add': {
      const length = MEDIA_FRAMES[mediaIndex];
      const sourceIn = op.a % length;
      // c < 0 gives an empty range and a = 0 (mod 7) one frame past the end: both must be refused.
      const sourceOut = op.c < 0 ? sourceIn : Math.min(length + (op.a % 7 === 0 ? 1 : 0), sourceIn + 1 + op.c);
      store.addClip({ mediaId: state.media[mediaIndex].id, trackId: track.id, start: op.a % 5 === 0 ? 0 : op.a % 200, sourceIn, sourceOut });
      return;
    }
    case 'move':
      store.moveClips(clips.map((c, i) => ({ clipId: c.id, trackId: i === 0 ? track.id : c.trackId, start: c.start + op.b })));
      return;
    case 'trim': {
      const clip = clips[0] ?? state.clips[0];
      if (!clip) return void store.addTrack();
      const length = MEDIA_FRAMES[state.media.findIndex((m) => m.id === clip.mediaId)];
      const delta = op.b % 10;
      const sourceOut = Math.min(length + (op.a % 9 === 0 ? 1 : 0), clip.sourceOut + (op.c % 20));
      store.trimClip({ clipId: clip.id, start: clip.start + delta, sourceIn: clip.sourceIn + delta, sourceOut });
      return;
    }
    case 'split':
      store.splitClips(ids, clips.length ? clips[0].start + (op.a % (end(clips[0]) - clips[0].start + 1)) : op.a);
      return;
    case 'delete':
    case 'ripple':
      store.deleteClips(ids, op.kind === 'ripple');
      return;
    case 'settings':
      store.setClipSettings(ids, { ...defaultClipSettings(), scale: 1 + (op.a % 9), seed: op.a, noise: op.c * 4 });
      return;
    case 'addTrack':
      store.addTrack();
      return;
    case 'badId':
      store.moveClips([{ clipId: 99_999, trackId: track.id, start: op.a }]);
      return;
    default:
      throw new Error(`unhandled op ${op.kind}`);
  }
}

function expectTimelineValid(state: ProjectState): void {
  for (const track of state.tracks) {
    const onTrack = state.clips.filter((c) => c.trackId === track.id).sort((x, y) => x.start - y.start);
    for (let i = 1; i < onTrack.length; i++) expect(end(onTrack[i - 1])).toBeLessThanOrEqual(onTrack[i].start);
  }
  for (const clip of state.clips) {
    const mediaIndex = state.media.findIndex((m) => m.id === clip.mediaId);
    expect(clip.sourceIn).toBeLessThan(clip.sourceOut);
    expect(clip.sourceOut).toBeLessThanOrEqual(MEDIA_FRAMES[mediaIndex]);
  }
}

let runs = 0;

describe('history property', () => {
  it('undo all returns to the initial state and redo all to the final state', () => {
    let valid = 0;
    let invalid = 0;
    fc.assert(
      fc.property(fc.array(OpSchema, { minLength: 5, maxLength: 30 }), (ops) => {
        const file = path.join(temp.dir, `property-${++runs}.upframe`);
        let store = openProjectStore(file, { create: { name: 'Property' } });
        try {
          store.addMedia([
            { path: '/media/long.mp4', size: 1, mtimeMs: 1, fingerprint: 'a', probe: fakeProbe(10) },
            { path: '/media/short.mp4', size: 1, mtimeMs: 1, fingerprint: 'b', probe: fakeProbe(2) },
          ]);
          const initial = withoutRevision(store.state());
          for (const op of ops) {
            if (op.kind === 'reopen') {
              store.close();
              store = openProjectStore(file);
              continue;
            }
            if (op.kind === 'undo') {
              store.undo();
              continue;
            }
            const before = store.state();
            try {
              apply(store, before, op);
              valid++;
            } catch (error) {
              invalid++;
              if (!(error instanceof ApiError)) throw error;
              expect(store.state()).toEqual(before);
            }
            expectTimelineValid(store.state());
          }
          while (store.redo()) {
            // replay anything the sequence undid, so "final" is the end of the history
          }
          const final = withoutRevision(store.state());
          while (store.undo()) {
            // back to the start
          }
          // Back at the start, everything that was done is on the redo side.
          const { canRedo, redoLabel, ...start } = withoutRevision(store.state());
          expect({ ...start, canRedo: false, redoLabel: null }).toEqual(initial);
          expect(canRedo).toBe(final.canUndo);
          expect(redoLabel === null).toBe(!final.canUndo);
          while (store.redo()) {
            // forward to the end
          }
          expect(withoutRevision(store.state())).toEqual(final);
        } finally {
          store.close();
        }
      }),
      { numRuns: 100 },
    );
    // The generator must exercise both paths, or the property proves little.
    expect(valid).toBeGreaterThan(400);
    expect(invalid).toBeGreaterThan(100);
  });
});
