// Import progress and cancel over the real services, a real SQLite project file and the system ffprobe: progress
// events in order (start, then one per file), cancel while running or still queued leaves the project file
// exactly as it was, and the abort signal reaches ffprobe.
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnyEvent, EventPayload, MethodOutput } from '../../main/common/api';
import { inspectMedia } from '../../main/media/fingerprint';
import { dispatch } from '../../main/services/dispatch';
import { estimateSecondsLeft } from '../../main/services/import-progress';
import { createServices, type Services } from '../../main/services/services';
import { FFPROBE, makeTempDir, makeTestVideo } from '../helpers/media-fixtures';
import { call, rowCounts } from '../helpers/services';

type Progress = EventPayload<'media.importProgress'>;

const tmp = makeTempDir('upframe-import-progress-');
const CANCELLED = 'Import cancelled: nothing was imported.';

function progressOf(events: AnyEvent[], importId: string): Progress[] {
  return events.flatMap((e) => (e.event === 'media.importProgress' && e.payload.importId === importId ? [e.payload] : []));
}

let clips: string[];
let notVideo: string;

beforeAll(() => {
  const dir = path.join(tmp.dir, 'media');
  mkdirSync(dir);
  const source = makeTestVideo(dir, { name: 'clip-00', width: 160, height: 120, fps: 24, durationSec: 1 });
  // Copies under other names are other files to the importer (it refuses only paths it already holds).
  clips = [source];
  for (let i = 1; i < 8; i++) {
    const copy = path.join(dir, `clip-${String(i).padStart(2, '0')}.mp4`);
    copyFileSync(source, copy);
    clips.push(copy);
  }
  notVideo = path.join(dir, 'notes.mp4');
  writeFileSync(notVideo, 'Not a video.\n'.repeat(10));
});

afterAll(() => tmp.cleanup());

describe('services: import progress and cancel', () => {
  let services: Services;
  let events: AnyEvent[];
  let projectFile: string;

  beforeAll(async () => {
    services = createServices({ userDataDir: path.join(tmp.dir, 'user-data'), host: 'web', log: () => {}, mediaWatchMs: 0 });
    events = [];
    services.subscribe((e) => events.push(e));
    projectFile = path.join(tmp.dir, 'progress.upframe');
    await call(services, 'project.create', { path: projectFile });
  });
  afterAll(() => services.close());

  it('reports the start and every file, in order, ending with done = total', async () => {
    const paths = [clips[0], notVideo, clips[1], clips[2]];
    const result = await call(services, 'media.import', { paths, importId: 'progress-1' });
    expect(result.imported).toHaveLength(3);
    expect(result.errors.map((e) => e.path)).toEqual([notVideo]);

    const progress = progressOf(events, 'progress-1');
    expect(progress.map((p) => p.done)).toEqual([0, 1, 2, 3, 4]);
    expect(progress.every((p) => p.total === 4)).toBe(true);
    expect(progress.map((p) => p.currentName)).toEqual(['clip-00.mp4', 'notes.mp4', 'clip-01.mp4', 'clip-02.mp4', null]);
    expect(progress[0].etaSec).toBeNull();
    for (const p of progress.slice(1, -1)) expect(p.etaSec).toBeGreaterThanOrEqual(0);
    expect(progress.at(-1)).toMatchObject({ done: 4, total: 4, etaSec: 0 });
    // The project changes once, after the last progress event.
    const lastProgress = events.findLastIndex((e) => e.event === 'media.importProgress');
    const changed = events.findIndex((e, i) => i > lastProgress && e.event === 'project.changed');
    expect(changed).toBeGreaterThan(lastProgress);
  });

  it('an import without an id still reports progress under an id of its own', async () => {
    const before = events.length;
    await call(services, 'media.import', { paths: [clips[3]] });
    const progress = events.slice(before).flatMap((e) => (e.event === 'media.importProgress' ? [e.payload] : []));
    expect(progress.map((p) => [p.done, p.total])).toEqual([
      [0, 1],
      [1, 1],
    ]);
    expect(progress[0].importId).toBe(progress[1].importId);
    expect(progress[0].importId.length).toBeGreaterThan(0);
  });

  it('cancel during an import stops before the next file and leaves the project file unchanged', async () => {
    const countsBefore = rowCounts(projectFile);
    const stateBefore = await call(services, 'project.state', {});
    const paths = clips.slice(4);
    let cancelled: Promise<MethodOutput<'media.cancelImport'>> | null = null;
    const unsubscribe = services.subscribe((e) => {
      if (e.event === 'media.importProgress' && e.payload.importId === 'cancel-1' && e.payload.done === 1 && !cancelled) {
        cancelled = call(services, 'media.cancelImport', { importId: 'cancel-1' });
      }
    });
    const result = await dispatch(services, 'media.import', { paths, importId: 'cancel-1' });
    unsubscribe();
    expect(result).toEqual({ ok: false, error: { code: 'CANCELLED', message: CANCELLED } });
    expect(await cancelled).toEqual({ cancelled: true });
    // No file after the cancel was reported: the loop stopped before the next one.
    expect(progressOf(events, 'cancel-1').map((p) => p.done)).toEqual([0, 1]);
    expect(rowCounts(projectFile)).toEqual(countsBefore);
    const stateAfter = await call(services, 'project.state', {});
    expect(stateAfter.revision).toBe(stateBefore.revision);
    expect(stateAfter.media.map((m) => m.path)).toEqual(stateBefore.media.map((m) => m.path));
  });

  it('cancel as soon as it starts imports nothing', async () => {
    const countsBefore = rowCounts(projectFile);
    const unsubscribe = services.subscribe((e) => {
      if (e.event === 'media.importProgress' && e.payload.importId === 'cancel-2' && e.payload.done === 0) {
        void call(services, 'media.cancelImport', { importId: 'cancel-2' });
      }
    });
    const result = await dispatch(services, 'media.import', { paths: clips.slice(4), importId: 'cancel-2' });
    unsubscribe();
    expect(result).toEqual({ ok: false, error: { code: 'CANCELLED', message: CANCELLED } });
    expect(progressOf(events, 'cancel-2').map((p) => p.done)).toEqual([0]);
    expect(rowCounts(projectFile)).toEqual(countsBefore);
  });

  it('an import still waiting in the queue can be cancelled; the one ahead of it completes', async () => {
    const countsBefore = rowCounts(projectFile);
    const first = dispatch(services, 'media.import', { paths: [clips[4]], importId: 'ahead' });
    const second = dispatch(services, 'media.import', { paths: [clips[5], clips[6]], importId: 'queued' });
    expect(await call(services, 'media.cancelImport', { importId: 'queued' })).toEqual({ cancelled: true });
    const [ahead, queued] = await Promise.all([first, second]);
    expect(ahead.ok).toBe(true);
    expect(queued).toEqual({ ok: false, error: { code: 'CANCELLED', message: CANCELLED } });
    expect(progressOf(events, 'queued')).toEqual([]);
    expect(rowCounts(projectFile).media_asset).toBe(countsBefore.media_asset + 1);
  });

  it('cancelling an import that has ended says so; a reused running id is refused', async () => {
    expect(await call(services, 'media.cancelImport', { importId: 'progress-1' })).toEqual({ cancelled: false });
    const running = dispatch(services, 'media.import', { paths: [clips[7]], importId: 'twice' });
    const again = await dispatch(services, 'media.import', { paths: [clips[7]], importId: 'twice' });
    expect(again.ok).toBe(false);
    if (!again.ok) expect(again.error.code).toBe('CONFLICT');
    expect((await running).ok).toBe(true);
  });

  it('an empty import id is refused before anything runs', async () => {
    const result = await dispatch(services, 'media.import', { paths: [clips[7]], importId: '' });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.code).toBe('BAD_REQUEST');
  });
});

describe('inspectMedia: abort signal', () => {
  it('an aborted signal stops ffprobe instead of probing', async () => {
    await expect(inspectMedia(clips[0], FFPROBE, AbortSignal.abort())).rejects.toMatchObject({ name: 'AbortError' });
    // Without a signal the same file probes fine: the abort, not the file, failed the call above.
    await expect(inspectMedia(clips[0], FFPROBE)).resolves.toMatchObject({ path: clips[0] });
  });
});

describe('estimateSecondsLeft', () => {
  it('is unknown before a file is timed, the mean per file times the files left after, 0 at the end', () => {
    expect(estimateSecondsLeft(0, 4, 500)).toBeNull();
    expect(estimateSecondsLeft(1, 4, 500)).toBeCloseTo(1.5);
    expect(estimateSecondsLeft(3, 12, 3000)).toBeCloseTo(9);
    expect(estimateSecondsLeft(4, 4, 9000)).toBe(0);
  });
});
