// Export through the services and the render queue, over a real project file, real ffmpeg and the real engine:
// a timeline of a classic clip (scale 2, rate x2) and an analytic-pack clip (diffusion, noise 0) with different
// trims, exported to MP4 H.264 + AAC; and the output-path safety checks.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnyEvent } from '../../main/common/api';
import type { ExportJob, ExportSpec } from '../../main/common/render-model';
import { defaultClipSettings } from '../../main/common/settings';
import { createServices, type Services } from '../../main/services/services';
import { FFMPEG, ffprobeJson, makeTempDir, makeTestVideo } from '../helpers/media-fixtures';
import { call, callError } from '../helpers/services';

const ANALYTIC_PACK = 'analytic-test@1.0.0';
const tmp = makeTempDir('upframe-export-');
let services: Services;
let outDir: string;
const events: AnyEvent[] = [];

function spec(fileName: string, extra: Partial<ExportSpec> = {}): ExportSpec {
  return {
    range: { kind: 'timeline' },
    folder: outDir,
    fileName,
    codec: 'h264',
    quality: { mode: 'crf', crf: 23 },
    conform: { policy: 'first' },
    audio: 'aac',
    overwrite: false,
    ...extra,
  };
}

async function waitForEnd(jobId: number, timeoutMs = 240_000): Promise<ExportJob> {
  const started = Date.now();
  for (;;) {
    const job = (await call(services, 'export.list', {})).find((j) => j.id === jobId)!;
    if (job.state === 'done' || job.state === 'failed' || job.state === 'cancelled' || job.state === 'paused') return job;
    if (Date.now() - started > timeoutMs) throw new Error(`export ${jobId} still ${job.state} after ${timeoutMs} ms: ${job.message}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(async () => {
  outDir = path.join(tmp.dir, 'out');
  const mediaDir = path.join(tmp.dir, 'media');
  for (const dir of [outDir, mediaDir]) require('node:fs').mkdirSync(dir);
  const a = makeTestVideo(mediaDir, { name: 'a', width: 160, height: 120, fps: 12, durationSec: 2 });
  // b lasts longer than its clip: the clip's chunks are inner chunks of its grid.
  const b = makeTestVideo(mediaDir, { name: 'b', width: 160, height: 120, fps: 12, durationSec: 3, pattern: 'smptebars' });
  services = createServices({ userDataDir: path.join(tmp.dir, 'user-data'), host: 'web', log: () => {}, mediaWatchMs: 0 });
  services.subscribe((e) => events.push(e));
  await call(services, 'project.create', { path: path.join(tmp.dir, 'export.upframe'), name: 'Export test' });
  const imported = await call(services, 'media.import', { paths: [a, b] });
  const [ma, mb] = imported.imported;
  const trackId = imported.state.tracks[0].id;
  // Clip 1: frames 3..15 of a (1 s) at 0; clip 2: frames 6..18 of b (1 s) right after it.
  await call(services, 'timeline.addClip', { mediaId: ma.id, trackId, start: 0, sourceIn: 3, sourceOut: 15 });
  const state = await call(services, 'timeline.addClip', { mediaId: mb.id, trackId, start: 12, sourceIn: 6, sourceOut: 18 });
  const [c1, c2] = [...state.clips].sort((x, y) => x.start - y.start);
  await call(services, 'clip.setSettings', { clipIds: [c1.id], settings: { ...defaultClipSettings(), engine: 'classic', scale: 2, targetFps: 24 } });
  await call(services, 'clip.setSettings', {
    clipIds: [c2.id],
    settings: { ...defaultClipSettings(), engine: 'diffusion', packId: ANALYTIC_PACK, noise: 0, scale: 2, provider: 'cpu' },
  });
}, 120_000);

afterAll(async () => {
  await services?.close();
  tmp.cleanup();
});

describe('export: classic + analytic-pack timeline to MP4 H.264 with AAC', () => {
  it('writes the whole timeline with the right duration, rate, size, codecs and A/V sync', async () => {
    const started = await call(services, 'export.start', spec('{project} {range}'));
    expect(started.outputPath).toBe(path.join(outDir, 'Export test timeline.mp4'));
    expect(started.output).toEqual({ width: 320, height: 240, fps: { num: 24, den: 1 }, frames: 48 });
    const job = await waitForEnd(started.id);
    expect(job.message).toMatch(/^Wrote /);
    expect(job.state).toBe('done');
    expect(job.pieces).toEqual({ done: job.pieces.total, total: job.pieces.total });
    expect(job.elapsedSec).toBeGreaterThan(0);

    const probe = ffprobeJson(job.outputPath);
    const video = probe.streams.find((s: { codec_type: string }) => s.codec_type === 'video');
    const audio = probe.streams.find((s: { codec_type: string }) => s.codec_type === 'audio');
    expect(video.codec_name).toBe('h264');
    expect([video.width, video.height]).toEqual([320, 240]);
    expect(video.avg_frame_rate).toBe('24/1');
    expect(Number(video.nb_frames)).toBe(48);
    expect(Number(video.duration)).toBeCloseTo(2, 2);
    expect(audio.codec_name).toBe('aac');
    expect(Math.abs(Number(audio.duration) - Number(video.duration))).toBeLessThanOrEqual(1 / 24);
    // Nothing half-written is left beside the output.
    expect(readdirSync(outDir)).toEqual(['Export test timeline.mp4']);
    expect(events.some((e) => e.event === 'export.updated' && e.payload.id === started.id && e.payload.state === 'done')).toBe(true);
  }, 300_000);
});

describe('export: clips at another frame rate', () => {
  it('names the clips it converts, and blends them on the output grid when asked', async () => {
    const conform = { policy: 'custom' as const, width: 320, height: 240, fps: { num: 20, den: 1 } };
    const summary = await call(services, 'export.summary', { range: { kind: 'timeline' }, conform });
    // Clip 1 is 24 fps after its inserted frames, clip 2 its source's 12 fps: both reach 20 fps by conversion.
    expect(summary.rateChanges).toEqual([
      { name: 'a.mp4', fromFps: { num: 24, den: 1 } },
      { name: 'b.mp4', fromFps: { num: 12, den: 1 } },
    ]);
    const exportWith = async (rateConversion: 'nearest' | 'blend') => {
      const started = await call(services, 'export.start', spec(`rate ${rateConversion}`, { conform, rateConversion, quality: { mode: 'crf', crf: 0 }, audio: 'none' }));
      expect(started.output).toEqual({ width: 320, height: 240, fps: { num: 20, den: 1 }, frames: 40 });
      const job = await waitForEnd(started.id);
      expect(job.state).toBe('done');
      return execFileSync(FFMPEG, ['-v', 'error', '-i', job.outputPath, '-vf', 'format=gray', '-f', 'rawvideo', '-'], { maxBuffer: 1 << 26 });
    };
    const nearest = await exportWith('nearest');
    const blended = await exportWith('blend');
    const size = 320 * 240;
    expect(nearest.length).toBe(40 * size);
    expect(blended.length).toBe(40 * size);
    // Clip 1 fills output frames 0-19: frame n sits at its position 1.2 n, a whole frame of its (moving) picture
    // only when n is a multiple of 5. There the blend is that frame, as the nearest is; elsewhere it mixes two
    // frames and differs. (Clip 2's bars hardly move: blending changes little there.)
    const meanDiff = (f: number) => {
      let sum = 0;
      for (let i = f * size; i < (f + 1) * size; i++) sum += Math.abs(nearest[i] - blended[i]);
      return sum / size;
    };
    for (let f = 0; f < 20; f++) {
      if (f % 5 === 0) expect(meanDiff(f), `frame ${f}`).toBeLessThan(0.05);
      else expect(meanDiff(f), `frame ${f}`).toBeGreaterThan(0.3);
    }
  }, 300_000);

  it('conforming to the first clip gives the rate that clip asks for, not its render grid', async () => {
    const state = await call(services, 'project.state', {});
    const first = [...state.clips].sort((x, y) => x.start - y.start)[0];
    const before = first.settings;
    // 12 fps asked for 20: one inserted frame (24 fps grid), then converted to exactly 20.
    await call(services, 'clip.setSettings', { clipIds: [first.id], settings: { ...before, targetFps: 20 } });
    try {
      const summary = await call(services, 'export.summary', { range: { kind: 'timeline' }, conform: { policy: 'first' } });
      expect(summary.fps).toEqual({ num: 20, den: 1 });
      expect(summary.rateChanges.map((c) => c.name)).toEqual(['a.mp4', 'b.mp4']);
    } finally {
      await call(services, 'clip.setSettings', { clipIds: [first.id], settings: before });
    }
  });
});

describe('export: the in/out range, top track wins, exact frames', () => {
  it('exports the marks from the clip on the upper track, frame for frame (lossless H.264)', async () => {
    const before = await call(services, 'project.state', {});
    const media = before.media.find((m) => m.name.startsWith('a'))!;
    const withTrack = await call(services, 'timeline.addTrack', {});
    const upper = withTrack.tracks.reduce((top, t) => (t.position > top.position ? t : top));
    // Source frames 5..16 of a on the upper track at timeline 6..18, over the end of clip 1 and the start of clip 2.
    await call(services, 'timeline.addClip', { mediaId: media.id, trackId: upper.id, start: 6, sourceIn: 5, sourceOut: 17 });
    await call(services, 'project.setMarks', { markIn: 6, markOut: 18 });
    const started = await call(services, 'export.start', spec('marks', { range: { kind: 'marks' }, quality: { mode: 'crf', crf: 0 }, audio: 'none' }));
    expect(started.output).toEqual({ width: 160, height: 120, fps: { num: 12, den: 1 }, frames: 12 });
    const job = await waitForEnd(started.id);
    expect(job.state).toBe('done');
    const md5 = (file: string, vf: string) =>
      execFileSync(FFMPEG, ['-v', 'error', '-i', file, '-map', '0:v:0', '-vf', vf, '-pix_fmt', 'yuv420p', '-f', 'md5', '-'], { encoding: 'utf8' }).trim();
    expect(md5(job.outputPath, 'null')).toBe(md5(media.path, 'trim=start_frame=5:end_frame=17'));
    expect(ffprobeJson(job.outputPath).streams.map((s: { codec_type: string }) => s.codec_type)).toEqual(['video']);
  }, 120_000);
});

describe('export: output path safety', () => {
  it('refuses a missing folder, an existing file without overwrite, and unset marks', async () => {
    await call(services, 'project.setMarks', { markIn: null, markOut: null });
    const missing = await callError(services, 'export.start', spec('x', { folder: path.join(tmp.dir, 'nope') }));
    expect(missing.code).toBe('NOT_FOUND');
    expect(missing.message).toMatch(/nope does not exist: choose an existing folder/);

    writeFileSync(path.join(outDir, 'taken.mp4'), 'keep me');
    const exists = await callError(services, 'export.start', spec('taken'));
    expect(exists.code).toBe('FILE_EXISTS');
    expect(exists.message).toMatch(/taken\.mp4 already exists/);

    const marks = await callError(services, 'export.start', spec('unset-marks', { range: { kind: 'marks' } }));
    expect(marks.code).toBe('BAD_REQUEST');
    expect(marks.message).toMatch(/set I and O/);
    expect(existsSync(path.join(outDir, 'unset-marks.mp4'))).toBe(false);
  });

  it('refuses a folder it cannot write to', async () => {
    // Root writes anywhere a mode allows: /sys refuses new files to everyone.
    let folder = '/sys';
    if (process.getuid?.() !== 0) {
      folder = path.join(tmp.dir, 'read-only');
      require('node:fs').mkdirSync(folder, { mode: 0o555 });
    }
    const error = await callError(services, 'export.start', spec('x', { folder }));
    expect(error.code).toBe('NOT_WRITABLE');
    expect(error.message).toMatch(/Cannot write to .*choose a folder you can write to/);
  });
});
