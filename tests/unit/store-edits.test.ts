import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiError } from '../../main/common/api';
import { defaultClipSettings } from '../../main/common/settings';
import { openProjectStore } from '../../main/store/project-store';
import type { ProjectStore } from '../../main/store/types';
import { makeTempDir } from '../helpers/media-fixtures';
import { expectApiError, fakeProbe } from '../helpers/store-fixtures';

const temp = makeTempDir('upframe-store-edits-');
afterAll(temp.cleanup);

let store: ProjectStore;
let mediaId: number;
let trackId: number;
let n = 0;

beforeEach(() => {
  store = openProjectStore(path.join(temp.dir, `edits-${++n}.upframe`), { create: { name: 'Edits', fps: { num: 24, den: 1 } } });
  // 10 s at 24 fps: 240 frames of source.
  mediaId = store.addMedia([{ path: '/media/long.mp4', size: 1000, mtimeMs: 1, fingerprint: 'a', probe: fakeProbe(10) }])[0].id;
  trackId = store.listTracks()[0].id;
});
afterEach(() => store.close());

const add = (start: number, sourceIn: number, sourceOut: number, track = trackId) =>
  store.addClip({ mediaId, trackId: track, start, sourceIn, sourceOut });
/** [start, sourceIn, sourceOut] of each clip on a track, in timeline order. */
const layout = (track = trackId) =>
  store.listClips().filter((c) => c.trackId === track).sort((a, b) => a.start - b.start).map((c) => [c.start, c.sourceIn, c.sourceOut]);

/** The call is refused with this ApiError and changes nothing. */
function expectRejected(run: () => unknown, code: string, message: RegExp): void {
  const before = store.state();
  expectApiError(run, code, message);
  expect(store.state()).toEqual(before);
}

describe('addTrack', () => {
  it('appends tracks on top named V2, V3', () => {
    const v2 = store.addTrack();
    const v3 = store.addTrack();
    expect([v2.name, v2.position, v3.name, v3.position]).toEqual(['V2', 1, 'V3', 2]);
    expect(store.listTracks().map((t) => t.name)).toEqual(['V1', 'V2', 'V3']);
    expect(store.state().undoLabel).toBe('Add track');
  });
});

describe('addClip', () => {
  it('adds a clip with default settings', () => {
    const clip = add(10, 5, 29);
    expect(clip).toMatchObject({ mediaId, trackId, start: 10, sourceIn: 5, sourceOut: 29, settings: defaultClipSettings() });
    expect(store.getClip(clip.id)).toEqual(clip);
    expect(store.state().undoLabel).toBe('Add long.mp4 to V1');
  });

  it('overwrites what it lands on: trims, splits and removes', () => {
    add(0, 0, 50); // [0,50)
    add(60, 0, 20); // [60,80) fully covered below
    add(90, 100, 140); // [90,130)
    add(40, 200, 240); // [40,80): trims the first clip's tail, removes the second
    expect(layout()).toEqual([[0, 0, 40], [40, 200, 240], [90, 100, 140]]);
    add(100, 0, 10); // inside [90,130): splits it
    expect(layout()).toEqual([[0, 0, 40], [40, 200, 240], [90, 100, 110], [100, 0, 10], [110, 120, 140]]);
    add(85, 0, 10); // [85,95): trims the head of [90,100)
    expect(layout()).toEqual([[0, 0, 40], [40, 200, 240], [85, 0, 10], [95, 105, 110], [100, 0, 10], [110, 120, 140]]);
  });

  it('keeps the settings on both halves of a split by overwrite, as one history entry', () => {
    const clip = add(0, 0, 100);
    store.setClipSettings([clip.id], { ...defaultClipSettings(), scale: 2 });
    add(40, 0, 10);
    expect(store.listClips().map((c) => c.settings.scale).sort()).toEqual([1, 2, 2]);
    store.undo();
    expect(layout()).toEqual([[0, 0, 100]]);
  });

  it('writes different settings to several clips as one history entry', () => {
    const a = add(0, 0, 10);
    const b = add(10, 0, 10);
    const entries = store.listHistory(100).total;
    store.setClipSettingsEach([
      { clipIds: [a.id], settings: { ...defaultClipSettings(), scale: 2, prompt: 'a' } },
      { clipIds: [b.id], settings: { ...defaultClipSettings(), scale: 2, prompt: 'b' } },
    ]);
    expect(store.listHistory(100).total).toBe(entries + 1);
    expect(store.listClips().map((c) => [c.settings.scale, c.settings.prompt])).toEqual([[2, 'a'], [2, 'b']]);
    store.undo();
    expect(store.listClips().map((c) => c.settings.scale)).toEqual([1, 1]);
    expectRejected(() => store.setClipSettingsEach([]), 'BAD_REQUEST', /at least one settings write/);
  });

  it('leaves other tracks alone', () => {
    const v2 = store.addTrack();
    add(0, 0, 50);
    add(0, 0, 50, v2.id);
    expect(layout()).toEqual([[0, 0, 50]]);
    expect(layout(v2.id)).toEqual([[0, 0, 50]]);
  });

  it('validates every field', () => {
    expectRejected(() => add(0, 10, 10), 'BAD_REQUEST', /sourceOut \(10\) must be greater than sourceIn \(10\)/);
    expectRejected(() => add(0, 0, 241), 'BAD_REQUEST', /sourceOut \(241\) is past the end of the media, which is 240 frames/);
    expectRejected(() => add(-1, 0, 10), 'BAD_REQUEST', /start must not be negative/);
    expectRejected(() => add(1.5, 0, 10), 'BAD_REQUEST', /start must be a whole number/);
    expectRejected(() => store.addClip({ mediaId: 999, trackId, start: 0, sourceIn: 0, sourceOut: 10 }), 'NOT_FOUND', /media with id 999/);
    expectRejected(() => store.addClip({ mediaId, trackId: 999, start: 0, sourceIn: 0, sourceOut: 10 }), 'NOT_FOUND', /track with id 999/);
  });

  it('measures media length in project frames, rounding a partial last frame up', () => {
    const short = store.addMedia([{ path: '/media/odd.mp4', size: 1, mtimeMs: 1, fingerprint: 'b', probe: fakeProbe(1.01) }])[0];
    // 1.01 s at 24 fps = 24.24 frames: 25 usable frames.
    store.addClip({ mediaId: short.id, trackId, start: 0, sourceIn: 0, sourceOut: 25 });
    expectRejected(() => store.addClip({ mediaId: short.id, trackId, start: 0, sourceIn: 0, sourceOut: 26 }), 'BAD_REQUEST', /25 frames/);
  });
});

describe('moveClips', () => {
  it('moves several clips at once and overwrites clips that are not moving', () => {
    const a = add(0, 0, 20);
    const b = add(20, 0, 20);
    add(100, 0, 100); // [100,200)
    store.moveClips([
      { clipId: a.id, trackId, start: 120 },
      { clipId: b.id, trackId, start: 140 },
    ]);
    expect(layout()).toEqual([[100, 0, 20], [120, 0, 20], [140, 0, 20], [160, 60, 100]]);
    expect(store.state().undoLabel).toBe('Move 2 clips');
  });

  it('lets moved clips swap places without erasing each other', () => {
    const a = add(0, 0, 10);
    const b = add(10, 100, 110);
    store.moveClips([
      { clipId: a.id, trackId, start: 10 },
      { clipId: b.id, trackId, start: 0 },
    ]);
    expect(layout()).toEqual([[0, 100, 110], [10, 0, 10]]);
  });

  it('moves to another track and labels a single move', () => {
    const v2 = store.addTrack();
    const a = add(0, 0, 10);
    store.moveClips([{ clipId: a.id, trackId: v2.id, start: 5 }]);
    expect(layout()).toEqual([]);
    expect(layout(v2.id)).toEqual([[5, 0, 10]]);
    expect(store.state().undoLabel).toBe('Move long.mp4 to V2 +5 frames');
  });

  it('rejects bad moves', () => {
    const a = add(0, 0, 10);
    const b = add(10, 0, 10);
    expectRejected(() => store.moveClips([]), 'BAD_REQUEST', /at least one clip/);
    expectRejected(() => store.moveClips([{ clipId: 999, trackId, start: 0 }]), 'NOT_FOUND', /clip with id 999/);
    expectRejected(() => store.moveClips([{ clipId: a.id, trackId: 999, start: 0 }]), 'NOT_FOUND', /track with id 999/);
    expectRejected(() => store.moveClips([{ clipId: a.id, trackId, start: -3 }]), 'BAD_REQUEST', /moves\[0\]\.start/);
    expectRejected(
      () => store.moveClips([{ clipId: a.id, trackId, start: 50 }, { clipId: b.id, trackId, start: 55 }]),
      'BAD_REQUEST',
      /would overlap each other/,
    );
    expectRejected(
      () => store.moveClips([{ clipId: a.id, trackId, start: 50 }, { clipId: a.id, trackId, start: 80 }]),
      'BAD_REQUEST',
      /same clip more than once/,
    );
  });

  it('records nothing when nothing moves', () => {
    const a = add(0, 0, 10);
    const revision = store.revision();
    store.moveClips([{ clipId: a.id, trackId, start: 0 }]);
    expect(store.revision()).toBe(revision);
    expect(store.listHistory(10).total).toBe(1);
  });
});

describe('trimClip', () => {
  it('changes in, out and start together and overwrites neighbours it grows over', () => {
    const a = add(0, 10, 30); // [0,20)
    add(20, 0, 20); // [20,40)
    store.trimClip({ clipId: a.id, start: 5, sourceIn: 15, sourceOut: 45 }); // [5,35)
    expect(layout()).toEqual([[5, 15, 45], [35, 15, 20]]);
    expect(store.state().undoLabel).toBe('Trim long.mp4');
  });

  it('validates the trim against the media', () => {
    const a = add(0, 10, 30);
    expectRejected(() => store.trimClip({ clipId: a.id, start: 0, sourceIn: 30, sourceOut: 30 }), 'BAD_REQUEST', /sourceOut \(30\) must be greater/);
    expectRejected(() => store.trimClip({ clipId: a.id, start: 0, sourceIn: 0, sourceOut: 300 }), 'BAD_REQUEST', /past the end of the media/);
    expectRejected(() => store.trimClip({ clipId: a.id, start: 0, sourceIn: -1, sourceOut: 20 }), 'BAD_REQUEST', /sourceIn must not be negative/);
    expectRejected(() => store.trimClip({ clipId: 777, start: 0, sourceIn: 0, sourceOut: 20 }), 'NOT_FOUND', /clip with id 777/);
  });
});

describe('splitClips', () => {
  it('splits the selected clips that span the frame; the right part keeps the settings', () => {
    const a = add(0, 0, 100);
    const b = add(100, 0, 20);
    const v2 = store.addTrack();
    const c = add(30, 50, 100, v2.id);
    store.setClipSettings([a.id, c.id], { ...defaultClipSettings(), scale: 3, prompt: 'sharp' });
    store.splitClips([a.id, b.id, c.id], 40);
    expect(layout()).toEqual([[0, 0, 40], [40, 40, 100], [100, 0, 20]]);
    expect(layout(v2.id)).toEqual([[30, 50, 60], [40, 60, 100]]);
    const right = store.listClips().find((clip) => clip.trackId === trackId && clip.start === 40)!;
    expect(right.id).not.toBe(a.id);
    expect(right.settings).toMatchObject({ scale: 3, prompt: 'sharp' });
    expect(store.state().undoLabel).toBe('Split 2 clips');
  });

  it('refuses when the playhead is not inside a selected clip', () => {
    const a = add(0, 0, 10);
    expectRejected(() => store.splitClips([a.id], 10), 'BAD_REQUEST', /^The playhead is not inside a selected clip$/);
    expectRejected(() => store.splitClips([a.id], 0), 'BAD_REQUEST', /The playhead is not inside a selected clip/);
    expectRejected(() => store.splitClips([a.id, 404], 5), 'NOT_FOUND', /clip with id 404/);
    expectRejected(() => store.splitClips([], 5), 'BAD_REQUEST', /clipIds must list at least one clip/);
  });
});

describe('deleteClips', () => {
  it('deletes leaving gaps without ripple', () => {
    const a = add(0, 0, 10);
    add(10, 0, 10);
    store.deleteClips([a.id], false);
    expect(layout()).toEqual([[10, 0, 10]]);
    expect(store.state().undoLabel).toBe('Delete long.mp4');
  });

  it('ripple closes each gap per track', () => {
    const v2 = store.addTrack();
    const a = add(0, 0, 10);
    add(10, 0, 5); // stays, shifts by 10
    const c = add(20, 0, 30); // deleted: 30 long
    add(60, 0, 10); // shifts by 40
    add(10, 0, 20, v2.id); // other track: never shifts
    const d = add(40, 0, 10, v2.id);
    add(70, 0, 10, v2.id); // shifts by 10
    store.deleteClips([a.id, c.id, d.id], true);
    expect(layout()).toEqual([[0, 0, 5], [20, 0, 10]]);
    expect(layout(v2.id)).toEqual([[10, 0, 20], [60, 0, 10]]);
    expect(store.state().undoLabel).toBe('Ripple delete 3 clips');
  });

  it('rejects unknown ids and changes nothing', () => {
    const a = add(0, 0, 10);
    expectRejected(() => store.deleteClips([a.id, 555], true), 'NOT_FOUND', /clip with id 555/);
  });
});

describe('setClipSettings', () => {
  it('sets settings on several clips as one entry', () => {
    const a = add(0, 0, 10);
    const b = add(10, 0, 10);
    const settings = { ...defaultClipSettings(), engine: 'diffusion' as const, scale: 4, targetFps: 48 };
    const entries = store.listHistory(100).total;
    store.setClipSettings([a.id, b.id], settings);
    expect(store.getClip(a.id)!.settings).toEqual(settings);
    expect(store.getClip(b.id)!.settings).toEqual(settings);
    expect(store.listHistory(100).total).toBe(entries + 1);
    expect(store.state().undoLabel).toBe('Engine classic → diffusion, Scale 1 → 4 and 1 more on 2 clips');
  });

  it('rejects invalid settings naming the field, and changes nothing', () => {
    const a = add(0, 0, 10);
    expectRejected(() => store.setClipSettings([a.id], { ...defaultClipSettings(), scale: 0.5 }), 'BAD_REQUEST', /settings\.scale: Scale must be at least 1x/);
    expectRejected(() => store.setClipSettings([a.id], { ...defaultClipSettings(), noise: 301 }), 'BAD_REQUEST', /settings\.noise/);
    expectRejected(
      () => store.setClipSettings([a.id], { ...defaultClipSettings(), version: 99 } as never),
      'BAD_REQUEST',
      /settings\.version/,
    );
    expectRejected(() => store.setClipSettings([999], defaultClipSettings()), 'NOT_FOUND', /clip with id 999/);
  });
});

describe('revision', () => {
  it('bumps on every committed action, survives reopening, and not on rejected ones', () => {
    const file = store.path;
    const seen = [store.revision()];
    const a = add(0, 0, 10);
    seen.push(store.revision());
    store.moveClips([{ clipId: a.id, trackId, start: 5 }]);
    seen.push(store.revision());
    store.setMarks(0, 10);
    seen.push(store.revision());
    store.undo();
    seen.push(store.revision());
    store.redo();
    seen.push(store.revision());
    expect(seen).toEqual([...seen].sort((x, y) => x - y));
    expect(new Set(seen).size).toBe(seen.length);
    expect(() => add(0, 0, 0)).toThrow(ApiError);
    const last = store.revision();
    expect(last).toBe(seen[seen.length - 1]);
    store.close();
    store = openProjectStore(file);
    expect(store.revision()).toBe(last);
    expect(store.state().revision).toBe(last);
  });
});

describe('media, project settings and jobs', () => {
  it('keeps media out of the history and refuses to remove media in use', () => {
    const entries = store.listHistory(10).total;
    const clip = add(0, 0, 10);
    expectRejected(() => store.removeMedia(mediaId), 'CONFLICT', /long\.mp4 is used by 1 clip on the timeline/);
    store.setMediaOffline(mediaId, true);
    expect(store.getMedia(mediaId)!.offline).toBe(true);
    const relinked = store.relinkMedia(mediaId, { path: '/moved/long.mp4', size: 2000, mtimeMs: 2, fingerprint: 'c', probe: fakeProbe(10) });
    expect(relinked).toMatchObject({ path: '/moved/long.mp4', name: 'long.mp4', offline: false, size: 2000 });
    store.deleteClips([clip.id], false);
    store.removeMedia(mediaId);
    expect(store.getMedia(mediaId)).toBeUndefined();
    expect(store.listHistory(10).total).toBe(entries + 2);
    expectRejected(() => store.removeMedia(mediaId), 'NOT_FOUND', /media with id/);
    expectRejected(
      () => store.addMedia([{ path: '/x.mp4', size: 1, mtimeMs: 1, fingerprint: 'x', probe: { ...fakeProbe(1), width: 0 } }]),
      'BAD_REQUEST',
      /media\[0\]\.probe\.width/,
    );
  });

  it('refuses to undo a deletion whose media was removed since, leaving the project unchanged', () => {
    const clip = add(0, 0, 10);
    store.deleteClips([clip.id], false);
    store.removeMedia(mediaId);
    expectRejected(() => store.undo(), 'CONFLICT', /Can't undo "Delete long.mp4": it needs media that has since been removed/);
  });

  it('validates project settings', () => {
    store.setFps({ num: 25, den: 1 });
    store.setSize(640, 360);
    store.setMarks(10, 20);
    expect(store.info()).toMatchObject({ fps: { num: 25, den: 1 }, width: 640, height: 360, markIn: 10, markOut: 20 });
    expectRejected(() => store.setMarks(20, 10), 'BAD_REQUEST', /markOut \(10\) must be after markIn \(20\)/);
    expectRejected(() => store.setSize(0, 10), 'BAD_REQUEST', /width/);
    expectRejected(() => store.setFps({ num: 24, den: 0 }), 'BAD_REQUEST', /fps\.den/);
  });

  it('creates, updates and lists jobs, clamping progress', () => {
    const job = store.createJob('enhance', 'Enhance clip 1', { clipId: 1 });
    expect(job).toMatchObject({ kind: 'enhance', state: 'queued', progress: 0, etaSec: null, message: null });
    const running = store.updateJob(job.id, { state: 'running', progress: 1.7, etaSec: 12 });
    expect(running).toMatchObject({ state: 'running', progress: 1, etaSec: 12 });
    expect(running.updatedAt).toBeGreaterThan(job.updatedAt);
    expect(store.updateJob(job.id, { progress: -2 }).progress).toBe(0);
    const updated = store.updateJob(job.id, { message: 'half way' });
    expect(store.listJobs()).toEqual([updated]);
    expect(() => store.updateJob(999, { progress: 0.5 })).toThrow(/No job with id 999/);
    expect(() => store.updateJob(job.id, { state: 'exploded' as never })).toThrow(/state must be one of/);
  });

  it('reports a closed store clearly', () => {
    store.close();
    expect(() => store.state()).toThrow(/is closed/);
    store = openProjectStore(store.path);
  });
});

describe('history labels say what changed and on which clip', () => {
  it('trims: which edge, by how many frames, with the sign of the change in length', () => {
    const a = add(0, 10, 30);
    store.trimClip({ clipId: a.id, start: 0, sourceIn: 10, sourceOut: 26 });
    expect(store.state().undoLabel).toBe('Trim end of long.mp4 −4 frames');
    store.trimClip({ clipId: a.id, start: 2, sourceIn: 12, sourceOut: 26 });
    expect(store.state().undoLabel).toBe('Trim start of long.mp4 −2 frames');
    store.trimClip({ clipId: a.id, start: 1, sourceIn: 11, sourceOut: 26 });
    expect(store.state().undoLabel).toBe('Trim start of long.mp4 +1 frame');
  });

  it('moves and deletes of several clips count them', () => {
    const a = add(0, 0, 10);
    const b = add(20, 0, 10);
    store.moveClips([
      { clipId: a.id, trackId, start: 100 },
      { clipId: b.id, trackId, start: 120 },
    ]);
    expect(store.state().undoLabel).toBe('Move 2 clips');
    store.moveClips([{ clipId: a.id, trackId, start: 90 }]);
    expect(store.state().undoLabel).toBe('Move long.mp4 −10 frames');
    store.deleteClips([a.id, b.id], true);
    expect(store.state().undoLabel).toBe('Ripple delete 2 clips');
  });

  it('settings: values before and after, a prompt only named, clips whose values differed show the new one', () => {
    const a = add(0, 0, 10);
    const b = add(10, 0, 10);
    store.setClipSettings([a.id], { ...defaultClipSettings(), scale: 2 });
    expect(store.state().undoLabel).toBe('Scale 1 → 2 on long.mp4');
    store.setClipSettings([a.id, b.id], { ...defaultClipSettings(), scale: 4 });
    expect(store.state().undoLabel).toBe('Scale → 4 on 2 clips');
    store.setClipSettings([b.id], { ...defaultClipSettings(), scale: 4, prompt: 'a cat', targetFps: 48 });
    expect(store.state().undoLabel).toBe('Frame rate source → 48, Change prompt on long.mp4');
    // Only the clip that changed is counted.
    store.setClipSettings([a.id, b.id], { ...defaultClipSettings(), scale: 4, prompt: 'a cat', targetFps: 48 });
    expect(store.state().undoLabel).toBe('Frame rate source → 48, Change prompt on long.mp4');
  });
});

describe('setTrack', () => {
  it('hides and mutes a track as undoable edits that say what they did', () => {
    store.setTrack({ trackId, hidden: true });
    expect(store.listTracks()[0]).toMatchObject({ hidden: true, muted: false });
    expect(store.state().undoLabel).toBe('Hide V1');
    store.setTrack({ trackId, muted: true });
    expect(store.state().undoLabel).toBe('Mute the audio of V1');
    store.setTrack({ trackId, hidden: false, muted: false });
    expect(store.state().undoLabel).toBe('Show V1, Unmute the audio of V1');
    store.undo();
    expect(store.listTracks()[0]).toMatchObject({ hidden: true, muted: true });
    store.undo();
    store.undo();
    expect(store.listTracks()[0]).toMatchObject({ hidden: false, muted: false });
  });

  it('a locked track refuses every edit of its clips, and unlocking (or undoing the lock) allows them again', () => {
    const clip = add(0, 0, 48);
    const v2 = store.addTrack();
    const other = add(0, 0, 24, v2.id);
    store.setTrack({ trackId, locked: true });
    expect(store.listTracks()[0]).toMatchObject({ locked: true });
    expect(store.state().undoLabel).toBe('Lock V1');
    const locked = /Track V1 is locked: unlock it/;
    expectRejected(() => add(100, 0, 10), 'CONFLICT', locked);
    expectRejected(() => store.moveClips([{ clipId: clip.id, trackId, start: 10 }]), 'CONFLICT', locked);
    expectRejected(() => store.moveClips([{ clipId: other.id, trackId, start: 60 }]), 'CONFLICT', locked);
    expectRejected(() => store.trimClip({ clipId: clip.id, start: 0, sourceIn: 0, sourceOut: 40 }), 'CONFLICT', locked);
    expectRejected(() => store.splitClips([clip.id], 24), 'CONFLICT', locked);
    expectRejected(() => store.deleteClips([clip.id, other.id], true), 'CONFLICT', locked);
    // The other track and the locked clip's enhancement settings stay editable.
    store.moveClips([{ clipId: other.id, trackId: v2.id, start: 10 }]);
    store.setClipSettings([clip.id], { ...defaultClipSettings(), scale: 2 });
    store.undo();
    store.undo();
    store.undo(); // the lock
    expect(store.listTracks()[0]).toMatchObject({ locked: false });
    store.splitClips([clip.id], 24);
    expect(layout()).toEqual([
      [0, 0, 24],
      [24, 24, 48],
    ]);
    store.setTrack({ trackId, locked: true });
    store.setTrack({ trackId, locked: false });
    expect(store.state().undoLabel).toBe('Unlock V1');
  });

  it('records nothing when nothing changes, and refuses a track that does not exist', () => {
    const entries = store.listHistory(100).total;
    store.setTrack({ trackId, hidden: false });
    expect(store.listHistory(100).total).toBe(entries);
    expectRejected(() => store.setTrack({ trackId: 999, hidden: true }), 'NOT_FOUND', /No track with id 999/);
  });
});
