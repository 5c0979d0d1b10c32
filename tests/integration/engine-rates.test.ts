// Exact target frame rates, variable-rate conforming and deinterlacing in the classic engine, and exact target rates
// in the model engines' whole-file jobs (per-frame and diffusion), with the real ffmpeg and onnxruntime on media made
// here: the output has exactly the asked rate, lasts as long as the source, and keeps the sound in step to within
// one frame.
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultClipSettings, type ClipSettings } from '../../main/common/settings';
import { runClassicJob } from '../../main/engine/classic/classic-engine';
import { builtinPackDir } from '../../main/engine/pack/builtin';
import { loadPack } from '../../main/engine/pack/runtime';
import { PerFrameModelCache, runPerFrameJob } from '../../main/engine/perframe/per-frame-job';
import { runDiffusionJob } from '../../main/engine/pipeline/diffusion-pipeline';
import { defaultExecutionOptions } from '../../main/engine/execution';
import type { EnhanceJobSpec, JobHooks } from '../../main/engine/types';
import { probeMedia } from '../../main/media/probe';
import { FFMPEG, FFPROBE, ffprobeJson, makeTempDir, makeTestVideo } from '../helpers/media-fixtures';
import { nearestUpscaler, writePerFramePack } from '../helpers/per-frame-models';

const deps = { ffmpeg: FFMPEG, ffprobe: FFPROBE };
const DURATION_SEC = 2;
let tmp: { dir: string; cleanup: () => void };

beforeAll(() => {
  tmp = makeTempDir('upframe-rates-');
});
afterAll(() => tmp.cleanup());

/** A small moving test clip at `rate` (an ffmpeg rate such as 30000/1001) with a sine track. */
function makeClip(name: string, rate: string, extra: { vf?: string; interlacedFlags?: boolean } = {}): string {
  const file = path.join(tmp.dir, `${name}.mp4`);
  const args = ['-hide_banner', '-loglevel', 'error', '-y'];
  args.push('-f', 'lavfi', '-i', `testsrc2=size=160x120:rate=${rate}:duration=${DURATION_SEC}`);
  args.push('-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${DURATION_SEC}`);
  if (extra.vf) args.push('-vf', extra.vf);
  args.push('-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p');
  if (extra.interlacedFlags) args.push('-flags', '+ilme+ildct', '-x264-params', 'tff=1', '-field_order', 'tt');
  args.push('-c:a', 'aac', '-shortest', file);
  execFileSync(FFMPEG, args);
  return file;
}

function spec(input: string, output: string, over: Partial<ClipSettings> = {}): EnhanceJobSpec {
  return {
    input,
    settings: { ...defaultClipSettings(), ...over },
    execution: defaultExecutionOptions({ provider: 'cpu' }),
    output: { kind: 'video', path: output },
  };
}

const hooks: JobHooks = { onProgress: () => {}, checkpoint: () => new Promise((r) => setImmediate(r)) };

function streams(file: string) {
  const probe = ffprobeJson(file);
  const video = probe.streams.find((s: any) => s.codec_type === 'video');
  const audio = probe.streams.find((s: any) => s.codec_type === 'audio');
  return { video, audio };
}

/** Output rate, frame count and the video and audio durations, from ffprobe. */
function measure(file: string) {
  const { video, audio } = streams(file);
  const frames = Number(video.nb_frames);
  const [num, den] = String(video.r_frame_rate).split('/').map(Number);
  return { rate: video.r_frame_rate as string, avgRate: video.avg_frame_rate as string, frames, videoSec: (frames * den) / num, audioSec: Number(audio?.duration) };
}

/** Frames ffmpeg's idet filter calls interlaced (TFF + BFF): a combing count. */
function combedFrames(file: string): number {
  const run = spawnSync(FFMPEG, ['-hide_banner', '-nostdin', '-i', file, '-vf', 'idet', '-an', '-f', 'null', '-'], { encoding: 'utf8' });
  const line = run.stderr.split('\n').find((l) => l.includes('Multi frame detection'));
  if (!line) throw new Error(`idet printed no summary: ${run.stderr.slice(-500)}`);
  const count = (label: string) => Number(new RegExp(`${label}:\\s*(\\d+)`).exec(line)![1]);
  return count('TFF') + count('BFF');
}

describe('classic engine: exact target rates', () => {
  const cases: Array<{ name: string; rate: string; target: number; expectRate: string; note: RegExp; vf?: string }> = [
    { name: 'pal', rate: '25', target: 24, expectRate: '24/1', note: /25 fps -> 24 fps: motion-compensated/ },
    { name: 'ntsc', rate: '30000/1001', target: 24, expectRate: '24/1', note: /29\.97 fps -> 24 fps: motion-compensated/ },
    { name: 'slow', rate: '8', target: 30, expectRate: '30/1', note: /8 fps -> 30 fps: motion-compensated/ },
    { name: 'ntsc-film', rate: '25', target: 23.976, expectRate: '24000/1001', note: /25 fps -> 23\.976 fps/ },
  ];
  for (const c of cases) {
    it(`${c.rate} fps asked for ${c.target} fps comes out at exactly ${c.expectRate}, as long as the source`, async () => {
      const input = makeClip(c.name, c.rate);
      const output = path.join(tmp.dir, `${c.name}-out.mp4`);
      const result = await runClassicJob(spec(input, output, { targetFps: c.target }), hooks, deps);
      const m = measure(output);
      expect(m.rate).toBe(c.expectRate);
      expect(m.avgRate).toBe(c.expectRate);
      const frameSec = 1 / c.target;
      expect(m.frames).toBe(Math.round(DURATION_SEC * c.target));
      expect(Math.abs(m.videoSec - DURATION_SEC)).toBeLessThanOrEqual(frameSec);
      // A/V sync: sound and picture end within one output frame of each other.
      expect(Math.abs(m.videoSec - m.audioSec)).toBeLessThanOrEqual(frameSec);
      expect(result.fps).toBeCloseTo(c.target, 3);
      expect(result.notes.join('\n')).toMatch(c.note);
    });
  }

  it('conforms a variable-rate source to exactly 24 fps, frames placed by their timestamps', async () => {
    const input = makeTestVideo(tmp.dir, { width: 160, height: 120, fps: 12, durationSec: DURATION_SEC, vfr: true, name: 'vfr' });
    const { probe } = await probeMedia(input, FFPROBE);
    expect(probe.variableFrameRate).toBe(true);
    const output = path.join(tmp.dir, 'vfr-out.mp4');
    const result = await runClassicJob(spec(input, output, { targetFps: 24 }), hooks, deps);
    const m = measure(output);
    expect(m.rate).toBe('24/1');
    expect(m.avgRate).toBe('24/1');
    expect(Math.abs(m.videoSec - probe.durationSec)).toBeLessThanOrEqual(1 / 24 + 1e-6);
    // The fixture's picture jumps 0.5 s ahead at frame 10 (its sound does not): the timestamps are kept, so the
    // picture keeps its own length and the sound is carried as it is.
    expect(Math.abs(m.audioSec - Number(streams(input).audio.duration))).toBeLessThanOrEqual(1 / 24 + 1e-6);
    expect(result.notes.join('\n')).toMatch(/variable rate \(average [\d.]+ fps\) -> 24 fps: motion-compensated/);
  });

  it('conforms a variable-rate source to a constant rate when no target is set', async () => {
    const input = makeTestVideo(tmp.dir, { width: 160, height: 120, fps: 12, durationSec: DURATION_SEC, vfr: true, name: 'vfr-keep' });
    const { probe } = await probeMedia(input, FFPROBE);
    const output = path.join(tmp.dir, 'vfr-keep-out.mp4');
    const result = await runClassicJob(spec(input, output), hooks, deps);
    const m = measure(output);
    expect(m.rate).toBe(`${probe.fps.num}/${probe.fps.den}`);
    expect(m.avgRate).toBe(m.rate);
    expect(result.notes.join('\n')).toMatch(/conformed to constant [\d.]+ fps, frames placed by their timestamps/);
  });
});

describe('classic engine: interlaced sources', () => {
  let interlaced: string;
  beforeAll(() => {
    // 50 progressive frames a second woven into 25 interlaced frames, flagged top field first.
    interlaced = makeClip('interlaced', '50', { vf: 'interlace=scan=tff', interlacedFlags: true });
  });

  it('detects interlacing from the field order and deinterlaces first, removing the combing', async () => {
    const { probe } = await probeMedia(interlaced, FFPROBE);
    expect(probe.interlaced).toBe(true);
    expect(combedFrames(interlaced)).toBeGreaterThan(40);

    const auto = path.join(tmp.dir, 'interlaced-auto.mp4');
    const result = await runClassicJob(spec(interlaced, auto, { scale: 2 }), hooks, deps);
    expect(result.notes.join('\n')).toMatch(/Deinterlaced first \(bwdif/);
    const off = path.join(tmp.dir, 'interlaced-off.mp4');
    const kept = await runClassicJob(spec(interlaced, off, { scale: 2, classic: { ...defaultClipSettings().classic, deinterlace: 'off' } }), hooks, deps);
    expect(kept.notes.join('\n')).not.toMatch(/Deinterlaced/);

    const combedAuto = combedFrames(auto);
    const combedOff = combedFrames(off);
    expect(combedOff).toBeGreaterThan(25);
    expect(combedAuto).toBeLessThan(combedOff / 3);
    // One frame out per frame in: the rate and the length are kept, with the sound in step.
    const m = measure(auto);
    expect(m.rate).toBe('25/1');
    expect(m.frames).toBe(50);
    expect(Math.abs(m.videoSec - m.audioSec)).toBeLessThanOrEqual(1 / 25);
  });

  it('leaves a progressive source alone unless deinterlacing is forced on', async () => {
    const progressive = makeClip('progressive', '25');
    expect((await probeMedia(progressive, FFPROBE)).probe.interlaced).toBe(false);
    const auto = await runClassicJob(spec(progressive, path.join(tmp.dir, 'prog-auto.mp4'), { scale: 2 }), hooks, deps);
    expect(auto.notes.join('\n')).not.toMatch(/Deinterlaced/);
    const forced = await runClassicJob(
      spec(progressive, path.join(tmp.dir, 'prog-on.mp4'), { scale: 2, classic: { ...defaultClipSettings().classic, deinterlace: 'on' } }),
      hooks,
      deps,
    );
    expect(forced.notes.join('\n')).toMatch(/Deinterlaced first/);
  });
});

describe('model engines: exact target rates in whole-file jobs', () => {
  const models = new PerFrameModelCache();
  afterAll(() => models.releaseAll());

  // gridSec: how long the k + 1 grid's frames last. The per-frame engine keeps the source's length; the diffusion
  // engine inserts frames only between key frames (20 keys at 10 fps, k = 1: 39 frames at 20 fps, 1.95 s).
  const cases: Array<{ engine: 'model' | 'diffusion'; rate: string; target: number; expectRate: string; gridSec: number; note: RegExp }> = [
    // k = 0: the source's own grid, blended onto 24.
    { engine: 'model', rate: '25', target: 24, expectRate: '24/1', gridSec: DURATION_SEC, note: /25 fps converted to exactly 24 fps: neighbouring frames blended/ },
    // k = 1 makes 20 fps: the inserted frames, then blended onto 24.
    { engine: 'diffusion', rate: '10', target: 24, expectRate: '24/1', gridSec: 39 / 20, note: /20 fps converted to exactly 24 fps/ },
    { engine: 'model', rate: '30000/1001', target: 23.976, expectRate: '24000/1001', gridSec: DURATION_SEC, note: /29\.97 fps converted to exactly 23\.976 fps/ },
  ];
  for (const c of cases) {
    it(`${c.engine}: ${c.rate} fps asked for ${c.target} fps comes out at exactly ${c.expectRate}, as long as the source`, async () => {
      const input = makeClip(`${c.engine}-${c.rate.replace('/', '-')}`, c.rate);
      const output = path.join(tmp.dir, `${c.engine}-${c.rate.replace('/', '-')}-out.mp4`);
      const job = spec(input, output, { engine: c.engine, scale: 2, targetFps: c.target, ...(c.engine === 'diffusion' ? { steps: 'fast' as const } : {}) });
      const result =
        c.engine === 'model'
          ? await runPerFrameJob({ ...job, packDir: writePerFramePack(path.join(tmp.dir, 'nearest'), 'nearest-test', [{ file: 'x2.onnx', bytes: nearestUpscaler(2), scale: 2 }]) }, hooks, { ...deps, models })
          : await runDiffusionJob({ ...job, packDir: builtinPackDir('analytic-test') }, hooks, { ...deps, loadPack });
      const m = measure(output);
      expect(m.rate).toBe(c.expectRate);
      expect(m.avgRate).toBe(c.expectRate);
      const frameSec = 1 / c.target;
      const [num, den] = c.expectRate.split('/').map(Number);
      expect(m.frames).toBe(Math.round((c.gridSec * num) / den));
      expect(result.frames).toBe(m.frames);
      expect(result.fps).toBeCloseTo(c.target, 3);
      expect(Math.abs(m.videoSec - c.gridSec)).toBeLessThanOrEqual(frameSec / 2);
      expect(Math.abs(m.videoSec - m.audioSec)).toBeLessThanOrEqual(frameSec);
      expect(result.notes.join('\n')).toMatch(c.note);
    }, 120_000);
  }

  it('a chunk stays on the k + 1 grid (the export converts it)', async () => {
    const input = makeClip('model-chunk', '25');
    const chunk = path.join(tmp.dir, 'chunk', 'c.mp4');
    const result = await runPerFrameJob(
      {
        ...spec(input, chunk, { engine: 'model', scale: 2, targetFps: 24 }),
        output: { kind: 'chunk', path: chunk },
        packDir: writePerFramePack(path.join(tmp.dir, 'nearest-chunk'), 'nearest-test', [{ file: 'x2.onnx', bytes: nearestUpscaler(2), scale: 2 }]),
      },
      hooks,
      { ...deps, models },
    );
    expect(result.fps).toBe(25);
    expect(measure(chunk).frames).toBe(DURATION_SEC * 25);
    expect(result.notes.join('\n')).not.toMatch(/converted to exactly/);
  });
});
