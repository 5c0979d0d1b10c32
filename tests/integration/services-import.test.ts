// The services layer over a real SQLite project file and the system ffmpeg: importing good and bad media,
// offline detection when a file moves or changes, relink, and the dispatcher's error mapping.
import { copyFileSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnyEvent, MethodName } from '../../main/common/api';
import { createServices, type Services } from '../../main/services/services';
import { makeAudioOnly, makeTempDir, makeTestVideo } from '../helpers/media-fixtures';
import { call, callError, rowCounts } from '../helpers/services';

const tmp = makeTempDir('upframe-services-');
const logs: string[] = [];

function newServices(opts: { mediaWatchMs?: number } = {}): Services {
  return createServices({ userDataDir: path.join(tmp.dir, 'user-data'), host: 'web', log: (m) => logs.push(m), mediaWatchMs: opts.mediaWatchMs ?? 0 });
}

let media: { good: string; good30: string; zero: string; truncated: string; text: string; audio: string };

beforeAll(() => {
  const dir = path.join(tmp.dir, 'media');
  mkdirSync(dir);
  const good = makeTestVideo(dir, { name: 'good', width: 160, height: 120, fps: 25, durationSec: 1 });
  const good30 = makeTestVideo(dir, { name: 'good30', width: 160, height: 120, fps: 30, durationSec: 2, audio: false });
  const zero = path.join(dir, 'zero.mp4');
  writeFileSync(zero, '');
  const truncated = path.join(dir, 'truncated.mp4');
  copyFileSync(good, truncated);
  truncateSync(truncated, Math.floor(statSync(good).size / 3));
  const text = path.join(dir, 'notes.mp4');
  writeFileSync(text, 'These are my notes, not a video.\n'.repeat(20));
  const audio = makeAudioOnly(dir, 'voice');
  media = { good, good30, zero, truncated, text, audio };
});

afterAll(() => tmp.cleanup());

describe('services: import', () => {
  let services: Services;
  let projectFile: string;

  beforeAll(async () => {
    services = newServices();
    projectFile = path.join(tmp.dir, 'import.upframe');
    await call(services, 'project.create', { path: projectFile, name: 'Import test' });
  });
  afterAll(() => services.close());

  it('imports good clips, with their metadata, and takes the project rate and size from the first', async () => {
    const events: AnyEvent[] = [];
    const unsubscribe = services.subscribe((e) => events.push(e));
    const result = await call(services, 'media.import', { paths: [media.good, media.good30] });
    unsubscribe();
    expect(result.errors).toEqual([]);
    expect(result.imported.map((m) => m.path)).toEqual([media.good, media.good30]);
    const good = result.state.media.find((m) => m.path === media.good)!;
    expect(good.offline).toBe(false);
    expect(good.size).toBe(statSync(media.good).size);
    expect(good.probe).toMatchObject({ width: 160, height: 120, fps: { num: 25, den: 1 }, videoCodec: 'h264' });
    expect(good.probe.durationSec).toBeCloseTo(1, 1);
    expect(good.probe.audio.length).toBe(1);
    expect(result.state.media.find((m) => m.path === media.good30)!.probe.fps).toEqual({ num: 30, den: 1 });
    // The first clip of an empty project decides its frame rate and size.
    expect(result.state.project.fps).toEqual({ num: 25, den: 1 });
    expect([result.state.project.width, result.state.project.height]).toEqual([160, 120]);
    expect(events).toContainEqual({ event: 'project.changed', payload: { revision: result.state.revision } });
  });

  it('keeps the rate and size chosen in Project settings: an import into a new project then changes neither', async () => {
    const other = newServices();
    try {
      await call(other, 'project.create', { path: path.join(tmp.dir, 'chosen.upframe'), name: 'Chosen' });
      await call(other, 'project.setFormat', { fps: { num: 24, den: 1 }, width: 1920, height: 1080 });
      const result = await call(other, 'media.import', { paths: [media.good] });
      expect(result.state.project).toMatchObject({ fps: { num: 24, den: 1 }, width: 1920, height: 1080 });
      // A clip on the timeline fixes the rate; the size can still change.
      await call(other, 'timeline.addClip', { mediaId: result.imported[0].id, trackId: result.state.tracks[0].id, start: 0 });
      const refused = await callError(other, 'project.setFormat', { fps: { num: 25, den: 1 } });
      expect(refused.code).toBe('CONFLICT');
      expect(refused.message).toMatch(/frame rate is fixed once clips are on the timeline/);
      const resized = await call(other, 'project.setFormat', { width: 1280, height: 720 });
      expect(resized.project).toMatchObject({ fps: { num: 24, den: 1 }, width: 1280, height: 720 });
    } finally {
      await other.close();
    }
  });

  it('refuses bad files, each with a clear message, and leaves the project unchanged', async () => {
    const stateBefore = await call(services, 'project.state', {});
    const rowsBefore = rowCounts(projectFile);
    const bad = [media.zero, media.truncated, media.text, media.audio];
    const result = await call(services, 'media.import', { paths: bad });
    expect(result.imported).toEqual([]);
    expect(result.errors.map((e) => e.path)).toEqual(bad);
    for (const error of result.errors) {
      expect(error.message, error.path).toContain(path.basename(error.path));
      expect(error.message.length).toBeGreaterThan(20);
    }
    expect(result.errors[0].message).toMatch(/empty|0 bytes|zero/i);
    expect(result.errors[3].message).toMatch(/video|audio/i);
    expect(await call(services, 'project.state', {})).toEqual(stateBefore);
    expect(rowCounts(projectFile)).toEqual(rowsBefore);
  });

  it('imports the good files of a mixed batch and reports the rest; a second import of a file is refused', async () => {
    const copy = path.join(tmp.dir, 'media', 'good-copy.mp4');
    copyFileSync(media.good, copy);
    const result = await call(services, 'media.import', { paths: [media.text, copy, media.good] });
    expect(result.imported.map((m) => m.path)).toEqual([copy]);
    expect(result.errors.map((e) => e.path)).toEqual([media.text, media.good]);
    expect(result.errors[1].message).toMatch(/already/);
    // The project rate is set by the first media only.
    expect(result.state.project.fps).toEqual({ num: 25, den: 1 });
  });

  it('serves only the project media and its thumbnails', async () => {
    const state = await call(services, 'project.state', {});
    const good = state.media.find((m) => m.path === media.good)!;
    expect(services.authorizeFile(media.good)).toBe(true);
    expect(services.authorizeFile(media.text)).toBe(false);
    expect(services.authorizeFile(projectFile)).toBe(false);
    expect(services.authorizeFile(path.join(path.dirname(media.good), '..', 'media', 'good.mp4'))).toBe(true);
    expect(services.authorizeFile('good.mp4')).toBe(false);
    expect(services.mediaFilePath(good.id)).toBe(media.good);
    expect(services.mediaFilePath(9999)).toBeNull();
    expect((await call(services, 'media.url', { mediaId: good.id })).url).toMatch(new RegExp(`^/media/${good.id}\\?v=`));

    const { urls } = await call(services, 'media.thumbnails', { mediaId: good.id, frames: [0, 12, 24], height: 48 });
    expect(urls).toHaveLength(3);
    for (const url of urls) {
      expect(url).toMatch(/^\/thumbs\/[^/]+\.jpg$/);
      const file = services.thumbnailFilePath(decodeURIComponent(url!.slice('/thumbs/'.length)))!;
      expect(services.authorizeFile(file)).toBe(true);
      expect(readFileSync(file).subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
    }
    expect(services.thumbnailFilePath('../../etc/passwd')).toBeNull();
    expect(services.thumbnailFilePath('/etc/passwd')).toBeNull();
  });
});

describe('services: offline media and relink', () => {
  it('marks a moved file offline on reopen, keeps its clips, and relinks it; a different file is refused', async () => {
    const dir = path.join(tmp.dir, 'offline');
    mkdirSync(dir);
    const original = makeTestVideo(dir, { name: 'shot', width: 160, height: 120, fps: 25, durationSec: 1, audio: false });
    const projectFile = path.join(tmp.dir, 'offline.upframe');

    let services = newServices();
    await call(services, 'project.create', { path: projectFile });
    const { imported } = await call(services, 'media.import', { paths: [original] });
    const mediaId = imported[0].id;
    let state = await call(services, 'project.state', {});
    const trackId = state.tracks[0]?.id ?? (await call(services, 'timeline.addTrack', {})).tracks[0].id;
    state = await call(services, 'timeline.addClip', { mediaId, trackId, start: 10 });
    const clipsBefore = state.clips;
    expect(clipsBefore).toHaveLength(1);
    expect(clipsBefore[0]).toMatchObject({ mediaId, start: 10, sourceIn: 0, sourceOut: 25 });
    await services.close();

    const moved = path.join(dir, 'renamed-shot.mp4');
    renameSync(original, moved);
    services = newServices();
    state = await call(services, 'project.open', { path: projectFile });
    expect(state.media[0].offline).toBe(true);
    expect(state.clips).toEqual(clipsBefore);
    expect(services.authorizeFile(original)).toBe(false);
    expect((await callError(services, 'media.url', { mediaId })).code).toBe('MEDIA_OFFLINE');
    expect((await call(services, 'media.thumbnails', { mediaId, frames: [0], height: 32 })).urls).toEqual([null]);
    // Editing still works while the media is offline.
    state = await call(services, 'timeline.moveClips', { moves: [{ clipId: clipsBefore[0].id, trackId, start: 30 }] });
    expect(state.clips[0].start).toBe(30);

    const wrong = await callError(services, 'media.relink', { mediaId, path: media.good30 });
    expect(wrong.code).toBe('CONFLICT');
    expect(wrong.message).toMatch(/duration 2\.00 s instead of 1\.00 s/);
    expect(wrong.message).toMatch(/frame rate 30 fps instead of 25 fps/);
    expect((await call(services, 'project.state', {})).media[0]).toMatchObject({ offline: true, path: original });

    state = await call(services, 'media.relink', { mediaId, path: moved });
    expect(state.media[0]).toMatchObject({ id: mediaId, offline: false, path: moved });
    expect(state.clips).toEqual([{ ...clipsBefore[0], start: 30 }]);
    expect(services.authorizeFile(moved)).toBe(true);
    await services.close();
  });

  it('marks a file whose content changed offline, and brings a missing file back online when it reappears', async () => {
    const dir = path.join(tmp.dir, 'changes');
    mkdirSync(dir);
    const first = makeTestVideo(dir, { name: 'first', width: 160, height: 120, fps: 25, durationSec: 1, audio: false });
    const other = makeTestVideo(dir, { name: 'other', width: 160, height: 120, fps: 25, durationSec: 1, audio: false, pattern: 'smptebars' });
    const projectFile = path.join(tmp.dir, 'changes.upframe');
    let services = newServices();
    await call(services, 'project.create', { path: projectFile });
    const { imported } = await call(services, 'media.import', { paths: [first] });
    const mediaId = imported[0].id;
    await services.close();

    // Same path, other content: offline.
    const kept = path.join(dir, 'first-kept.mp4');
    renameSync(first, kept);
    copyFileSync(other, first);
    services = newServices();
    expect((await call(services, 'project.open', { path: projectFile })).media[0].offline).toBe(true);
    await services.close();

    // Missing while open, then back: the watcher brings it online and announces it.
    rmSync(first);
    services = newServices({ mediaWatchMs: 100 });
    expect((await call(services, 'project.open', { path: projectFile })).media[0].offline).toBe(true);
    const announced = new Promise<AnyEvent>((resolve) => services.subscribe(resolve));
    renameSync(kept, first);
    const event = await announced;
    expect(event.event).toBe('project.changed');
    const state = await call(services, 'project.state', {});
    expect(state.media[0]).toMatchObject({ id: mediaId, offline: false, path: first });
    expect(event.payload).toEqual({ revision: state.revision });
    await services.close();
  });
});

describe('services: dispatch', () => {
  it('maps unknown methods, bad input, missing project and store errors to API errors', async () => {
    const services = newServices();
    try {
      expect(await callError(services, 'no.such' as MethodName, {})).toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('no.such') });
      const bad = await callError(services, 'timeline.moveClips', { moves: [{ clipId: 'x', trackId: 1, start: -1 }] });
      expect(bad.code).toBe('BAD_REQUEST');
      expect(bad.message).toContain('moves.0.clipId');
      expect(bad.message).toContain('moves.0.start');
      expect(await callError(services, 'project.state', {})).toMatchObject({ code: 'NO_PROJECT' });
      expect(await callError(services, 'project.open', { path: path.join(tmp.dir, 'missing.upframe') })).toMatchObject({ code: 'NOT_FOUND' });
      const info = await call(services, 'app.info', {});
      expect(info).toMatchObject({ host: 'web', ffmpeg: { error: null } });
      expect(info.version).toMatch(/^\d+\.\d+\.\d+/);
      const recent = await call(services, 'app.recentProjects', {});
      expect(recent.map((r) => r.path)).toContain(path.join(tmp.dir, 'import.upframe'));
    } finally {
      await services.close();
    }
  });

  it('announces opening and closing a project with revision -1, so every client refetches', async () => {
    const services = newServices();
    const events: AnyEvent[] = [];
    services.subscribe((e) => events.push(e));
    try {
      const state = await call(services, 'project.open', { path: path.join(tmp.dir, 'import.upframe') });
      expect(state.media.length).toBeGreaterThan(0);
      await call(services, 'project.close', {});
      expect(events).toEqual([
        { event: 'project.changed', payload: { revision: -1 } },
        { event: 'project.changed', payload: { revision: -1 } },
      ]);
      expect(await callError(services, 'project.state', {})).toMatchObject({ code: 'NO_PROJECT' });
    } finally {
      await services.close();
    }
  });

  it('turns an unexpected error into INTERNAL and logs its stack', async () => {
    const services = newServices();
    const broken = { ...services, handlers: { ...services.handlers, 'jobs.list': async () => { throw new TypeError('kaboom'); } } } as Services;
    const before = logs.length;
    expect(await callError(broken, 'jobs.list', {})).toEqual({ code: 'INTERNAL', message: 'jobs.list failed: kaboom' });
    expect(logs.slice(before).join('\n')).toMatch(/TypeError: kaboom\n\s+at /);
    await services.close();
  });
});

describe('services: ffmpeg missing', () => {
  it('starts, reports the reason in app.info, and fails media calls with FFMPEG_MISSING', async () => {
    const savedPath = process.env.PATH;
    const saved = { FFMPEG_PATH: process.env.FFMPEG_PATH, FFPROBE_PATH: process.env.FFPROBE_PATH };
    process.env.PATH = path.join(tmp.dir, 'no-bin');
    delete process.env.FFMPEG_PATH;
    delete process.env.FFPROBE_PATH;
    let services: Services | undefined;
    try {
      services = newServices();
      const info = await call(services, 'app.info', {});
      // ffmpeg-static's binary may be installed where downloads work; then nothing is missing.
      if (info.ffmpeg.ffmpegPath === null) {
        expect(info.ffmpeg.error).toMatch(/ffmpeg/);
        await call(services, 'project.create', { path: path.join(tmp.dir, 'no-ffmpeg.upframe') });
        const error = await callError(services, 'media.import', { paths: [media.good] });
        expect(error.code).toBe('FFMPEG_MISSING');
        expect(error.message).toMatch(/install/i);
      } else {
        expect(info.ffmpeg.ffmpegPath).toContain('ffmpeg-static');
      }
    } finally {
      process.env.PATH = savedPath;
      Object.assign(process.env, saved);
      for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k];
      await services?.close();
    }
  });
});
