// The render queue over a real project file and real ffmpeg: one export at a time in order, pause keeps the
// finished pieces and resume continues from them, cancel removes them, an export interrupted by a crash comes back
// paused when the project opens, and closing the project pauses the running export.
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExportJob, ExportSpec } from '../../main/common/render-model';
import { defaultClipSettings } from '../../main/common/settings';
import { PIECE_SECONDS } from '../../main/export/export-job';
import { createServices, type Services } from '../../main/services/services';
import { openProjectStore } from '../../main/store/project-store';
import { ffprobeJson, makeTempDir, makeTestVideo } from '../helpers/media-fixtures';
import { call } from '../helpers/services';

/** Three pieces of output, so a pause or a crash after the first leaves work to resume. */
const SECONDS = 3 * PIECE_SECONDS;
const FRAMES = SECONDS * 24;

const tmp = makeTempDir('upframe-export-queue-');
let services: Services;
let project: string;
let outDir: string;

function newServices(): Services {
  return createServices({ userDataDir: path.join(tmp.dir, 'data'), host: 'web', log: () => {}, mediaWatchMs: 0 });
}

function spec(fileName: string): ExportSpec {
  return {
    range: { kind: 'timeline' },
    folder: outDir,
    fileName,
    codec: 'h264',
    quality: { mode: 'crf', crf: 28 },
    conform: { policy: 'first' },
    audio: 'aac',
    overwrite: false,
  };
}

async function waitFor(jobId: number, ok: (job: ExportJob) => boolean, what: string, timeoutMs = 180_000): Promise<ExportJob> {
  const started = Date.now();
  for (;;) {
    const job = (await call(services, 'export.list', {})).find((j) => j.id === jobId);
    if (job && ok(job)) return job;
    if (job && (job.state === 'failed' || job.state === 'cancelled') && !ok(job)) throw new Error(`export ${jobId} ${job.state}: ${job.message}`);
    if (Date.now() - started > timeoutMs) throw new Error(`export ${jobId} never ${what}: ${job?.state} ${job?.message}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const partsOf = (id: number) => readdirSync(outDir).filter((n) => n.endsWith(`.upframe-parts-${id}`));

beforeAll(async () => {
  outDir = path.join(tmp.dir, 'out');
  mkdirSync(outDir);
  const clip = makeTestVideo(tmp.dir, { name: 'clip', width: 160, height: 120, fps: 12, durationSec: SECONDS });
  project = path.join(tmp.dir, 'queue.upframe');
  services = newServices();
  await call(services, 'project.create', { path: project, name: 'Queue' });
  const imported = await call(services, 'media.import', { paths: [clip] });
  const state = await call(services, 'timeline.addClip', { mediaId: imported.imported[0].id, trackId: imported.state.tracks[0].id, start: 0 });
  await call(services, 'clip.setSettings', { clipIds: [state.clips[0].id], settings: { ...defaultClipSettings(), scale: 2, targetFps: 24 } });
}, 60_000);

afterAll(async () => {
  await services?.close();
  tmp.cleanup();
});

describe('render queue', () => {
  it('summarises an export before it starts: size, rate, duration, clips, and no estimate before the engine ran here', async () => {
    const summary = await call(services, 'export.summary', { range: { kind: 'timeline' }, conform: { policy: 'first' } });
    expect(summary).toEqual({ width: 320, height: 240, fps: { num: 24, den: 1 }, frames: FRAMES, durationSec: SECONDS, clips: 1, estimateSec: null, rateChanges: [] });
    const custom = await call(services, 'export.summary', {
      range: { kind: 'timeline' },
      conform: { policy: 'custom', width: 640, height: 360, fps: { num: 30, den: 1 } },
    });
    expect(custom).toMatchObject({ width: 640, height: 360, fps: { num: 30, den: 1 }, frames: SECONDS * 30, durationSec: SECONDS });
    expect(custom.rateChanges).toEqual([{ name: expect.stringMatching(/\.mp4$/), fromFps: { num: 24, den: 1 } }]);
  });

  it('lists the codecs, the installed software encoders available', async () => {
    const codecs = await call(services, 'export.codecs', {});
    expect(codecs.filter((c) => !c.hardware).map((c) => [c.id, c.available])).toEqual([
      ['h264', true],
      ['h265', true],
      ['prores_hq', true],
      ['png', true],
    ]);
  });

  it('runs one export at a time in order; pause keeps the pieces and resume finishes from them', async () => {
    const a = await call(services, 'export.start', spec('a'));
    const b = await call(services, 'export.start', spec('b'));
    expect(b.state).toBe('queued');
    await waitFor(a.id, (j) => j.pieces.done >= 1, 'finished a piece');
    expect((await call(services, 'export.list', {})).find((j) => j.id === b.id)!.state).toBe('queued');

    const paused = await call(services, 'export.pause', { jobId: a.id });
    expect(paused.state).toBe('paused');
    expect(paused.message).toMatch(/Paused: resume to continue from piece \d of 3/);
    expect(partsOf(a.id)).toHaveLength(1);
    const kept = paused.pieces.done;
    expect(kept).toBeGreaterThanOrEqual(1);

    // b runs while a is paused; a resumes after it.
    await call(services, 'export.resume', { jobId: a.id });
    const doneB = await waitFor(b.id, (j) => j.state === 'done', 'done');
    const doneA = await waitFor(a.id, (j) => j.state === 'done', 'done');
    expect(doneA.pieces).toEqual({ done: 3, total: 3 });
    expect(doneA.updatedAt).toBeGreaterThan(doneB.updatedAt);
    for (const job of [doneA, doneB]) {
      const video = ffprobeJson(job.outputPath).streams.find((s: { codec_type: string }) => s.codec_type === 'video');
      expect(Number(video.nb_frames)).toBe(FRAMES);
    }
    expect(partsOf(a.id)).toEqual([]);

    // The job record keeps the whole render's quality, measured on the finished file: every source frame (12 fps)
    // compared with its output frame (24 fps, one inserted between two), the joins of the 3 pieces as seams.
    const measured = await waitFor(a.id, (j) => j.measuredQuality !== undefined, 'measured');
    expect(measured.measuredQuality, measured.measuredQuality?.message ?? '').toMatchObject({ state: 'ready', fromCache: false });
    const readout = measured.measuredQuality!.readout!;
    expect(readout.comparedFrames).toBe(SECONDS * 12);
    expect(readout.psnrY).toBeGreaterThan(25);
    expect(readout.ssimY).toBeGreaterThan(0.8);
    expect(readout.seams.count).toBe(2);
    expect(Number.isFinite(readout.flicker)).toBe(true);

    await call(services, 'export.remove', { jobId: b.id });
    expect((await call(services, 'export.list', {})).map((j) => j.id)).not.toContain(b.id);
    expect(existsSync(doneB.outputPath)).toBe(true);
  }, 300_000);

  it('cancel stops the export and removes its partial output', async () => {
    const c = await call(services, 'export.start', spec('c'));
    await waitFor(c.id, (j) => j.pieces.done >= 1, 'finished a piece');
    const cancelled = await call(services, 'export.cancel', { jobId: c.id });
    expect(cancelled.state).toBe('cancelled');
    expect(partsOf(c.id)).toEqual([]);
    expect(existsSync(path.join(outDir, 'c.mp4'))).toBe(false);
    expect(readdirSync(outDir).filter((n) => n.startsWith('.c.'))).toEqual([]);
  }, 120_000);

  it('an export left running by a crash comes back paused; closing the project pauses the running one', async () => {
    const d = await call(services, 'export.start', spec('d'));
    await waitFor(d.id, (j) => j.pieces.done >= 1, 'finished a piece');
    await services.close();
    const closed = openProjectStore(project);
    try {
      expect(closed.getJob(d.id)!.state).toBe('paused');
      // What a crash leaves: the job still marked running.
      closed.updateJob(d.id, { state: 'running' });
    } finally {
      closed.close();
    }

    services = newServices();
    await call(services, 'project.open', { path: project });
    const recovered = (await call(services, 'export.list', {})).find((j) => j.id === d.id)!;
    expect(recovered.state).toBe('paused');
    expect(recovered.message).toMatch(/^Interrupted: resume to continue from piece [1-3] of 3$/);
    await call(services, 'export.resume', { jobId: d.id });
    const done = await waitFor(d.id, (j) => j.state === 'done', 'done');
    expect(done.elapsedSec).toBeGreaterThan(0);
    expect(Number(ffprobeJson(done.outputPath).streams.find((s: { codec_type: string }) => s.codec_type === 'video').nb_frames)).toBe(FRAMES);
  }, 300_000);
});
