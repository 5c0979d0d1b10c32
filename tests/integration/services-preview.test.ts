// Previews through the real dispatcher, services, chunk renderer, engine process, chunk cache and ffmpeg, over a
// tiny generated clip: the classic engine and the analytic test pack, events in order, the enhanced side's size
// and timing, the job record's counters, the cache making a second preview instant, cancelling, and the render
// status following setting changes, undo and trims.
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnyEvent, EventPayload } from '../../main/common/api';
import type { Clip } from '../../main/common/model';
import type { QualityReadout } from '../../main/common/quality-model';
import type { Preview } from '../../main/common/render-model';
import { defaultClipSettings, type ClipSettings } from '../../main/common/settings';
import { createServices, type Services } from '../../main/services/services';
import { ffprobeJson, makeTempDir, makeTestVideo } from '../helpers/media-fixtures';
import { call, callError } from '../helpers/services';

const tmp = makeTempDir('upframe-services-preview-');
const logs: string[] = [];
const ANALYTIC_PACK = 'analytic-test@1.0.0';
// 2 s at 24 fps: 48 frames, two classic chunks (24 frames) or six diffusion chunks (8 frames).
const SOURCE = { width: 128, height: 96, fps: 24, durationSec: 2 };

let services: Services;
let userDataDir: string;
let clip: Clip;
let events: AnyEvent[] = [];
let firstReadout: QualityReadout | null = null;

const classic2x: ClipSettings = { ...defaultClipSettings(), engine: 'classic', scale: 2 };

function previewEvents(id: number): Preview[] {
  return events.filter((e): e is { event: 'preview.updated'; payload: Preview } => e.event === 'preview.updated' && e.payload.id === id).map((e) => e.payload);
}

function jobEvents(id: number): EventPayload<'job.updated'>[] {
  return events.filter((e): e is { event: 'job.updated'; payload: EventPayload<'job.updated'> } => e.event === 'job.updated' && e.payload.id === id).map((e) => e.payload);
}

async function waitFor<T>(what: string, probe: () => T | undefined | null | false, timeoutMs = 90_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > until) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function ended(id: number): Preview {
  const last = previewEvents(id).at(-1);
  return last && ['done', 'cancelled', 'failed'].includes(last.state) ? last : (undefined as never);
}

async function setSettings(settings: ClipSettings): Promise<void> {
  await call(services, 'clip.setSettings', { clipIds: [clip.id], settings });
}

async function statusOfClip() {
  const { clips } = await call(services, 'render.status', {});
  return clips.find((c) => c.clipId === clip.id)!;
}

/** The file behind a preview URL (/files/<token> on the web host). */
function servedFile(url: string): string {
  const token = url.split('/files/')[1];
  const file = services.servedFilePath(token);
  if (!file) throw new Error(`${url} is not served`);
  return file;
}

function videoStream(file: string) {
  const probe = ffprobeJson(file);
  const video = probe.streams.find((s: { codec_type: string }) => s.codec_type === 'video');
  return { width: video.width as number, height: video.height as number, frames: Number(video.nb_frames) };
}

beforeAll(async () => {
  const mediaDir = path.join(tmp.dir, 'media');
  mkdirSync(mediaDir);
  const file = makeTestVideo(mediaDir, { name: 'source', ...SOURCE });
  userDataDir = path.join(tmp.dir, 'user-data');
  services = createServices({ userDataDir, host: 'web', log: (m) => logs.push(m), mediaWatchMs: 0 });
  services.subscribe((e) => events.push(e));
  await call(services, 'project.create', { path: path.join(tmp.dir, 'preview.upframe') });
  const { state } = await call(services, 'media.import', { paths: [file] });
  const withClip = await call(services, 'timeline.addClip', { mediaId: state.media[0].id, trackId: state.tracks[0].id, start: 0 });
  clip = withClip.clips[0];
  expect(clip.sourceOut).toBe(48);
});

afterAll(async () => {
  await services?.close();
  tmp.cleanup();
});

describe('preview', () => {
  it('refuses a segment that misses the clip, saying where the clip is', async () => {
    const error = await callError(services, 'preview.start', { clipId: clip.id, start: 100, end: 120 });
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.message).toMatch(/misses clip \d+, which spans frames 0 to 48: select a segment over the clip/);
    expect((await callError(services, 'preview.start', { clipId: 999, start: 0, end: 10 })).code).toBe('NOT_FOUND');
  });

  it('classic engine: returns at once, announces each chunk, ends done with the enhanced size and counters', async () => {
    await setSettings(classic2x);
    events = [];
    // Frames 10..40 of the timeline: media frames 10..40, both 24-frame chunks of the grid.
    const started = await call(services, 'preview.start', { clipId: clip.id, start: 10, end: 40 });
    expect(started.state).toBe('running');
    expect(started.segment).toEqual({ startSec: 10 / 24, endSec: 40 / 24, timelineStart: 10, timelineEnd: 40 });
    expect(started.chunks).toEqual({ total: 2, done: 0, fromCache: 0 });
    expect(started.original).toMatchObject({ width: 128, height: 96, fps: 24, mediaStartSec: 0, firstFrame: 0, frames: 48 });
    expect(started.original.url).toMatch(/^\/media\/\d+\?v=/);
    expect(started.enhanced).toMatchObject({ url: null, width: 256, height: 192, fps: 24, mediaStartSec: 0, firstFrame: 0, frames: 0 });

    const done = await waitFor('the classic preview to end', () => ended(started.id));
    expect(done.state, done.message ?? '').toBe('done');
    const updates = previewEvents(started.id);
    // First the start (nothing playable), then chunks in order, then the end; done only once, and last.
    expect(updates[0]).toMatchObject({ state: 'running', enhanced: { url: null } });
    expect(updates.filter((p) => p.state === 'done')).toHaveLength(1);
    const doneCounts = updates.map((p) => p.chunks.done);
    expect([...doneCounts].sort((a, b) => a - b)).toEqual(doneCounts);
    const firstPlayable = updates.find((p) => p.enhanced.url !== null)!;
    expect(firstPlayable.chunks.done).toBeGreaterThanOrEqual(1);
    expect(firstPlayable.enhanced.frames).toBe(24 * firstPlayable.chunks.done);
    expect(done).toMatchObject({ progress: 1, etaSec: null, chunks: { total: 2, done: 2, fromCache: 0 } });
    expect(done.enhanced).toMatchObject({ width: 256, height: 192, fps: 24, mediaStartSec: 0, firstFrame: 0, frames: 48 });
    expect(videoStream(servedFile(done.enhanced.url!))).toEqual({ width: 256, height: 192, frames: 48 });
    // An ended preview plays a file of its own, not a chunk of the cache that may be evicted.
    expect(servedFile(done.enhanced.url!).startsWith(path.join(userDataDir, 'cache', 'previews') + path.sep)).toBe(true);
    // Superseded files are deleted later, not while the viewer may still stream them.
    for (const p of updates) if (p.enhanced.url) expect(existsSync(servedFile(p.enhanced.url))).toBe(true);

    const job = (await call(services, 'jobs.list', {})).find((j) => j.id === started.id)!;
    expect(job).toMatchObject({ kind: 'preview', state: 'done', progress: 1, stats: { chunks: 2, fromCache: 0, computed: 2 } });
    expect(jobEvents(started.id).at(-1)).toMatchObject({ state: 'done' });
    const statusChanged = events.findIndex((e) => e.event === 'render.statusChanged');
    expect(events[statusChanged].payload).toEqual({ clipIds: [clip.id] });
    expect(statusChanged).toBeGreaterThan(events.findIndex((e) => e.event === 'preview.updated' && e.payload.state === 'done'));
    // The quality readout follows the done: measured once the whole range is joined, then announced.
    expect(done.quality).toEqual({ state: 'measuring', readout: null, fromCache: false, message: null });
    const measured = await waitFor('the quality readout', () => previewEvents(started.id).find((p) => p.quality?.state !== 'measuring' && p.quality));
    expect(measured.quality, measured.quality?.message ?? '').toMatchObject({ state: 'ready', fromCache: false, message: null });
    const readout = measured.quality!.readout!;
    // No inserted frames: every enhanced frame stands for a source frame; two chunks meet at one seam.
    expect(readout.comparedFrames).toBe(48);
    expect(readout.psnrY).toBeGreaterThan(25);
    expect(readout.ssimY).toBeGreaterThan(0.8);
    expect(readout.ssimY).toBeLessThanOrEqual(1);
    expect(readout.seams).toMatchObject({ count: 1, worstFrame: 24 });
    expect(readout.seams.ratio).not.toBeNull();
    expect(Number.isFinite(readout.flicker)).toBe(true);
    firstReadout = readout;
    expect(measured).toMatchObject({ state: 'done', enhanced: done.enhanced });
    expect(await call(services, 'preview.get', { id: started.id })).toEqual(measured);

    expect((await statusOfClip()).ranges).toEqual([{ start: 0, end: 48, state: 'cached' }]);
    const info = await call(services, 'cache.info', {});
    expect(info.entries).toBe(2);
    expect(info.sizeBytes).toBeGreaterThan(0);
  });

  it('a second identical preview is done before preview.start returns, with no engine work', async () => {
    events = [];
    const again = await call(services, 'preview.start', { clipId: clip.id, start: 10, end: 40 });
    expect(again.state).toBe('done');
    expect(again.chunks).toEqual({ total: 2, done: 2, fromCache: 2 });
    expect(again.message).toMatch(/Instant/);
    expect(again.enhanced.frames).toBe(48);
    // The readout comes with the done, from the cache: nothing is measured again.
    expect(again.quality).toEqual({ state: 'ready', readout: firstReadout, fromCache: true, message: null });
    expect(previewEvents(again.id).some((p) => p.quality?.state === 'measuring')).toBe(false);
    const job = (await call(services, 'jobs.list', {})).find((j) => j.id === again.id)!;
    expect(job.stats).toEqual({ chunks: 2, fromCache: 2, computed: 0 });
    expect(job.state).toBe('done');
  });

  it('keeps the 20 most recent ended preview jobs in the project, not every preview ever made', async () => {
    const ids: number[] = [];
    for (let i = 0; i < 22; i++) ids.push((await call(services, 'preview.start', { clipId: clip.id, start: 10, end: 40 })).id);
    const previews = (await call(services, 'jobs.list', {})).filter((j) => j.kind === 'preview').map((j) => j.id);
    expect(previews.sort((a, b) => a - b)).toEqual(ids.slice(-21));
  });

  it('analytic pack: the enhanced side starts at the first chunk of the grid and has the pack output size', async () => {
    await setSettings({ ...defaultClipSettings(), engine: 'diffusion', packId: ANALYTIC_PACK, noise: 0, scale: 2, steps: 1 });
    events = [];
    // Timeline 12..20: media frames 12..20 lie in the 8-frame chunks 1 (8..16) and 2 (16..24).
    const started = await call(services, 'preview.start', { clipId: clip.id, start: 12, end: 20 });
    expect(started.chunks.total).toBe(2);
    expect(started.enhanced).toMatchObject({ url: null, width: 256, height: 192, mediaStartSec: 8 / 24, firstFrame: 8 });
    const done = await waitFor('the analytic preview to end', () => ended(started.id));
    expect(done.state, done.message ?? '').toBe('done');
    expect(done.enhanced).toMatchObject({ width: 256, height: 192, fps: 24, mediaStartSec: 8 / 24, firstFrame: 8, frames: 16 });
    expect(videoStream(servedFile(done.enhanced.url!))).toEqual({ width: 256, height: 192, frames: 16 });
    const job = (await call(services, 'jobs.list', {})).find((j) => j.id === started.id)!;
    expect(job.stats).toEqual({ chunks: 2, fromCache: 0, computed: 2 });

    // Only the chunks asked for are computed: the clip shows cached over media frames 8..24 only; the rest was
    // enhanced by the classic previews above (another engine's grid), so it shows as stale, not as never enhanced.
    expect((await statusOfClip()).ranges).toEqual([
      { start: 0, end: 8, state: 'stale' },
      { start: 8, end: 24, state: 'cached' },
      { start: 24, end: 48, state: 'stale' },
    ]);
    const estimate = await call(services, 'clip.estimate', {
      clipId: clip.id,
      settings: { ...defaultClipSettings(), engine: 'diffusion', packId: ANALYTIC_PACK, noise: 0, scale: 2, steps: 1, targetFps: 48 },
    });
    expect(estimate).toMatchObject({ width: 256, height: 192, fps: 48, insertedFrames: 1, frames: 95 });
    // The analytic pack has now run here, so its rate is measured.
    expect(estimate.estimateSec).not.toBeNull();
  });

  it('cancel leaves the preview cancelled, never followed by done; its finished chunks stay cached', async () => {
    await setSettings({ ...classic2x, scale: 3 });
    events = [];
    const started = await call(services, 'preview.start', { clipId: clip.id, start: 0, end: 48 });
    expect(started.state).toBe('running');
    expect(await call(services, 'preview.cancel', { id: started.id })).toEqual({ cancelled: true });
    const last = await waitFor('the cancel', () => ended(started.id));
    expect(last.state).toBe('cancelled');
    expect(last.message).toMatch(/Cancelled/);
    // Nothing arrives later that would make it look done.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(previewEvents(started.id).some((p) => p.state === 'done')).toBe(false);
    expect(previewEvents(started.id).at(-1)!.state).toBe('cancelled');
    expect((await call(services, 'preview.get', { id: started.id })).state).toBe('cancelled');
    expect((await call(services, 'jobs.list', {})).find((j) => j.id === started.id)!.state).toBe('cancelled');
    expect(await call(services, 'preview.cancel', { id: started.id })).toEqual({ cancelled: false });

    // Cancelled once the first chunk shows: what was shown stays playable, from a file of the preview's own.
    const second = await call(services, 'preview.start', { clipId: clip.id, start: 0, end: 48 });
    const shown = await waitFor('the first chunk', () => previewEvents(second.id).find((p) => p.enhanced.url !== null));
    await call(services, 'preview.cancel', { id: second.id });
    const cancelled = await waitFor('the cancel', () => ended(second.id));
    expect(cancelled.state).toBe('cancelled');
    expect(cancelled.enhanced.frames).toBe(shown.enhanced.frames);
    const kept = servedFile(cancelled.enhanced.url!);
    expect(kept.startsWith(path.join(userDataDir, 'cache', 'previews') + path.sep)).toBe(true);
    expect(videoStream(kept)).toEqual({ width: 384, height: 288, frames: cancelled.enhanced.frames });
    expect((await statusOfClip()).ranges[0]).toEqual({ start: 0, end: 24, state: 'cached' });
  });

  it('jobs.cancel on a preview job stops it too', async () => {
    await setSettings({ ...classic2x, scale: 2.5 });
    events = [];
    const started = await call(services, 'preview.start', { clipId: clip.id, start: 0, end: 48 });
    await call(services, 'jobs.cancel', { jobId: started.id });
    const last = await waitFor('the cancel', () => ended(started.id));
    expect(last.state).toBe('cancelled');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(previewEvents(started.id).some((p) => p.state === 'done')).toBe(false);
    expect((await call(services, 'jobs.list', {})).find((j) => j.id === started.id)!.state).toBe('cancelled');
  });

  it('starting a preview cancels the one running', async () => {
    await setSettings({ ...classic2x, scale: 1.5 });
    events = [];
    const first = await call(services, 'preview.start', { clipId: clip.id, start: 0, end: 48 });
    const second = await call(services, 'preview.start', { clipId: clip.id, start: 0, end: 20 });
    expect(ended(first.id).state).toBe('cancelled');
    const done = await waitFor('the second preview', () => ended(second.id));
    expect(done.state).toBe('done');
  });

  it('a setting change turns the status stale; undo makes it cached again; a trim keeps cached ranges cached', async () => {
    await setSettings(classic2x);
    expect((await statusOfClip()).ranges).toEqual([{ start: 0, end: 48, state: 'cached' }]);
    await setSettings({ ...classic2x, scale: 4 });
    expect(await statusOfClip()).toEqual({ clipId: clip.id, ranges: [{ start: 0, end: 48, state: 'stale' }], problem: null });
    await call(services, 'history.undo', {});
    expect((await statusOfClip()).ranges).toEqual([{ start: 0, end: 48, state: 'cached' }]);
    // A prompt does not change classic pixels: still cached.
    await setSettings({ ...classic2x, prompt: 'sunset' });
    expect((await statusOfClip()).ranges).toEqual([{ start: 0, end: 48, state: 'cached' }]);

    // Trim the head off and move the clip: the same media frames are still cached, now at other timeline frames.
    await call(services, 'timeline.trimClip', { clipId: clip.id, start: 30, sourceIn: 5, sourceOut: 40 });
    expect((await statusOfClip()).ranges).toEqual([{ start: 30, end: 65, state: 'cached' }]);
    const trimmed = await call(services, 'preview.start', { clipId: clip.id, start: 30, end: 65 });
    expect(trimmed.state).toBe('done');
    expect(trimmed.segment).toEqual({ startSec: 5 / 24, endSec: 40 / 24, timelineStart: 30, timelineEnd: 65 });
    await call(services, 'history.undo', {});
  });

  it('reports a missing pack as the clip problem instead of failing the bar', async () => {
    await setSettings({ ...defaultClipSettings(), engine: 'diffusion', packId: 'no-such-pack@1.0.0' });
    const status = await statusOfClip();
    expect(status.ranges).toEqual([{ start: 0, end: 48, state: 'none' }]);
    expect(status.problem).toMatch(/no-such-pack@1\.0\.0/);
    const error = await callError(services, 'preview.start', { clipId: clip.id, start: 0, end: 10 });
    expect(error.message).toMatch(/no-such-pack@1\.0\.0/);
    await setSettings(classic2x);
  });

  it('cache.clear empties the cache and announces it', async () => {
    events = [];
    const cleared = await call(services, 'cache.clear', {});
    expect(cleared.entries).toBe(0);
    expect(events.map((e) => e.event)).toEqual(['cache.changed', 'render.statusChanged']);
    expect(events[1].payload).toEqual({ clipIds: null });
    expect((await statusOfClip()).ranges).toEqual([{ start: 0, end: 48, state: 'none' }]);
    const limited = await call(services, 'cache.setLimit', { limitBytes: 512 * 1024 ** 2 });
    expect(limited.limitBytes).toBe(512 * 1024 ** 2);
    expect((await callError(services, 'cache.setLimit', { limitBytes: 1024 })).message).toMatch(/at least 256 MB/);
  });

  it('closing the project cancels the running preview and deletes the preview files', async () => {
    events = [];
    const started = await call(services, 'preview.start', { clipId: clip.id, start: 0, end: 48 });
    await call(services, 'project.close', {});
    expect(ended(started.id).state).not.toBe('done');
    const previewsDir = path.join(userDataDir, 'cache', 'previews');
    expect(existsSync(previewsDir) ? readdirSync(previewsDir) : []).toEqual([]);
  });
});
