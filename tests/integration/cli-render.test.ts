// `upframe render` as a render machine runs it: a separate node process (tsx on the source), a real project file,
// real ffmpeg. Killed with SIGKILL mid-way and run again, it resumes and its decoded frames equal an
// uninterrupted export's; bad output paths exit 2 with a clear message.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultClipSettings } from '../../main/common/settings';
import { buildClassicFilterGraph } from '../../main/engine/classic/filter-graph';
import { PIECE_SECONDS } from '../../main/export/export-job';
import { createServices } from '../../main/services/services';
import { FFMPEG, ffprobeJson, makeTempDir, makeTestVideo } from '../helpers/media-fixtures';
import { call } from '../helpers/services';

/** Three pieces of output: enough to kill the render after the first and still have work left. */
const SECONDS = 3 * PIECE_SECONDS;
const FRAMES = SECONDS * 24;

const ROOT = path.resolve(__dirname, '..', '..');
const CLI = path.join(ROOT, 'main', 'cli', 'upframe.ts');
const TSX = pathToFileURL(require.resolve('tsx', { paths: [ROOT] })).href;

type Run = { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string };

function upframe(args: string[], onStderr?: (text: string, kill: () => void) => void): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', TSX, CLI, ...args], { cwd: tmp.dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr += s;
      onStderr?.(stderr, () => child.kill('SIGKILL'));
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** MD5 of the decoded video frames (not of the file: container and encoder metadata may differ). */
function framesMd5(file: string): string {
  return execFileSync(FFMPEG, ['-v', 'error', '-i', file, '-map', '0:v:0', '-pix_fmt', 'yuv420p', '-f', 'md5', '-'], { encoding: 'utf8' }).trim();
}

const tmp = makeTempDir('upframe-cli-render-');
let project: string;
let clip: string;
let out: string;
let dataDir: string;

beforeAll(async () => {
  out = path.join(tmp.dir, 'out');
  dataDir = path.join(tmp.dir, 'data');
  mkdirSync(out);
  clip = makeTestVideo(tmp.dir, { name: 'clip', width: 160, height: 120, fps: 12, durationSec: SECONDS + 1 });
  project = path.join(tmp.dir, 'render.upframe');
  const services = createServices({ userDataDir: dataDir, host: 'web', log: () => {}, mediaWatchMs: 0 });
  try {
    await call(services, 'project.create', { path: project, name: 'Render' });
    const imported = await call(services, 'media.import', { paths: [clip] });
    const state = await call(services, 'timeline.addClip', {
      mediaId: imported.imported[0].id,
      trackId: imported.state.tracks[0].id,
      start: 0,
      sourceIn: 6,
      sourceOut: 6 + SECONDS * 12,
    });
    await call(services, 'clip.setSettings', { clipIds: [state.clips[0].id], settings: { ...defaultClipSettings(), scale: 2, targetFps: 24 } });
  } finally {
    await services.close();
  }
}, 60_000);

afterAll(() => tmp.cleanup());

describe('upframe render', () => {
  let reference: string;

  it('exports the timeline in one go', async () => {
    const r = await upframe(['render', project, '-o', path.join(out, 'full.mp4'), '--data-dir', dataDir]);
    expect(r.stderr).toMatch(new RegExp(`Exporting .*full\\.mp4: 320x240 at 24 fps, ${FRAMES} frames, 3 pieces`));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Wrote .*full\.mp4/);
    // The whole render's quality against its source, as the render queue records it.
    expect(r.stdout).toMatch(/Quality: PSNR-Y (\d+\.\d\d|inf) dB, SSIM-Y [01]\.\d{4} over \d+ frames, flicker [+-]\d+\.\d\d, seams \d+\.\d\dx over 2/);
    reference = path.join(out, 'full.mp4');
    const probe = ffprobeJson(reference);
    const video = probe.streams.find((s: { codec_type: string }) => s.codec_type === 'video');
    expect(Number(video.nb_frames)).toBe(FRAMES);
    expect(probe.streams.some((s: { codec_type: string }) => s.codec_type === 'audio')).toBe(true);
  }, 240_000);

  it('resumes after kill -9 and decodes to the same frames as the uninterrupted export', async () => {
    const target = path.join(out, 'resumed.mp4');
    const args = ['render', project, '-o', target, '--data-dir', dataDir];
    let killed = false;
    // "1 of 3 pieces done" is reported after a piece was renamed and stored.
    const first = await upframe(args, (text, kill) => {
      if (!killed && /1 of 3 pieces done/.test(text)) {
        killed = true;
        kill();
      }
    });
    expect(first.signal).toBe('SIGKILL');
    expect(existsSync(target)).toBe(false);
    expect(readdirSync(out).some((name) => name.startsWith('.resumed.upframe-parts-'))).toBe(true);

    const second = await upframe(args);
    expect(second.stderr).toMatch(/Resuming at piece [1-3] of 3/);
    expect(second.code).toBe(0);
    expect(framesMd5(target)).toBe(framesMd5(reference));
    // The parts are gone once the output is complete.
    expect(readdirSync(out).filter((name) => name.startsWith('.'))).toEqual([]);
  }, 300_000);

  it('pieces encoded apart decode to exactly the frames of one continuous classic ffmpeg run (lossless)', async () => {
    const target = path.join(out, 'lossless.mp4');
    const r = await upframe(['render', project, '-o', target, '--crf', '0', '--audio', 'none', '--data-dir', dataDir]);
    expect(r.code).toBe(0);
    const graph = buildClassicFilterGraph({ scale: 2, targetFps: 24, classic: defaultClipSettings().classic }, { width: 160, height: 120, fps: { num: 12, den: 1 } }).graph;
    // The clip starts at source frame 6: output frame 12 of the continuous run at 24 fps.
    const continuous = execFileSync(
      FFMPEG,
      ['-v', 'error', '-i', clip, '-map', '0:v:0', '-vf', `${graph},trim=start_frame=12:end_frame=${12 + FRAMES}`, '-pix_fmt', 'yuv420p', '-f', 'md5', '-'],
      { encoding: 'utf8' },
    ).trim();
    expect(framesMd5(target)).toBe(continuous);
  }, 240_000);

  it('bad output paths exit 2 with a clear message', async () => {
    const missing = await upframe(['render', project, '-o', path.join(tmp.dir, 'nope', 'x.mp4'), '--data-dir', dataDir]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/The output folder .*nope does not exist: choose an existing folder/);

    writeFileSync(path.join(out, 'taken.mp4'), 'keep me');
    const taken = await upframe(['render', project, '-o', path.join(out, 'taken.mp4'), '--data-dir', dataDir]);
    expect(taken.code).toBe(2);
    expect(taken.stderr).toMatch(/taken\.mp4 already exists/);

    const unwritable = process.getuid?.() === 0 ? '/sys' : path.join(tmp.dir, 'read-only');
    if (unwritable !== '/sys') mkdirSync(unwritable, { mode: 0o555 });
    const denied = await upframe(['render', project, '-o', path.join(unwritable, 'x.mp4'), '--data-dir', dataDir]);
    expect(denied.code).toBe(2);
    expect(denied.stderr).toMatch(/Cannot write to .*choose a folder you can write to/);

    const wrongExt = await upframe(['render', project, '-o', path.join(out, 'x.mkv'), '--codec', 'h264', '--data-dir', dataDir]);
    expect(wrongExt.code).toBe(2);
    expect(wrongExt.stderr).toMatch(/-o .*x\.mkv: MP4 H\.264 is written as \.mp4/);

    const badRange = await upframe(['render', project, '-o', path.join(out, 'y.mp4'), '--range', 'marks', '--data-dir', dataDir]);
    expect(badRange.code).toBe(2);
    expect(badRange.stderr).toMatch(/set I and O/);

    const badConversion = await upframe(['render', project, '-o', path.join(out, 'z.mp4'), '--rate-conversion', 'optical', '--data-dir', dataDir]);
    expect(badConversion.code).not.toBe(0);
    expect(badConversion.stderr).toMatch(/--rate-conversion.*Allowed choices are nearest, blend, motion/);
  }, 120_000);
});
