// The classic engine end to end with the real ffmpeg: size, rate, audio, segment range, cancel.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultClipSettings, type ClipSettings } from '../../main/common/settings';
import { runClassicJob } from '../../main/engine/classic/classic-engine';
import { defaultExecutionOptions } from '../../main/engine/execution';
import { CancelledError, type EngineProgress, type EnhanceJobSpec, type JobHooks } from '../../main/engine/types';
import { FFMPEG, FFPROBE, ffprobeJson, makeTempDir, makeTestVideo } from '../helpers/media-fixtures';

const deps = { ffmpeg: FFMPEG, ffprobe: FFPROBE };
let tmp: { dir: string; cleanup: () => void };
let input: string;

beforeAll(() => {
  tmp = makeTempDir('upframe-classic-');
  input = makeTestVideo(tmp.dir, { width: 160, height: 120, fps: 12, durationSec: 2 });
});
afterAll(() => tmp.cleanup());

function spec(output: string, over: Partial<ClipSettings> = {}, range: { startSec?: number; endSec?: number } = {}): EnhanceJobSpec {
  return {
    input,
    ...range,
    settings: { ...defaultClipSettings(), ...over },
    execution: defaultExecutionOptions({ provider: 'cpu' }),
    output: { kind: 'video', path: output },
  };
}

function hooks(progress: EngineProgress[] = []): JobHooks {
  return { onProgress: (p) => progress.push(p), checkpoint: () => new Promise((r) => setImmediate(r)) };
}

function videoStream(file: string) {
  const probe = ffprobeJson(file);
  return { probe, video: probe.streams.find((s: any) => s.codec_type === 'video'), audio: probe.streams.filter((s: any) => s.codec_type === 'audio') };
}

describe('classic engine', () => {
  it('scales x2 and doubles the frame rate, keeping the audio', async () => {
    const output = path.join(tmp.dir, 'x2.mp4');
    const progress: EngineProgress[] = [];
    const result = await runClassicJob(spec(output, { scale: 2, targetFps: 24 }), hooks(progress), deps);
    expect(result).toMatchObject({ outputPath: output, width: 320, height: 240, fps: 24, frames: 48 });
    const { probe, video, audio } = videoStream(output);
    expect([video.width, video.height]).toEqual([320, 240]);
    expect(video.r_frame_rate).toBe('24/1');
    expect(Number(video.nb_frames)).toBe(48);
    expect(audio).toHaveLength(1);
    expect(audio[0].codec_name).toBe('aac');
    expect(Number(probe.format.duration)).toBeCloseTo(2, 1);
    expect(result.notes.join('\n')).toMatch(/Audio carried over unchanged \(aac\)/);
    // Progress ran to the end, in the encode stage, with a total in frames.
    expect(progress.at(-1)).toMatchObject({ fraction: 1, stage: 'encode', done: 48, total: 48 });
    // Nothing but the input and the finished output is left in the folder.
    expect(readdirSync(tmp.dir).filter((f) => f.includes('partial'))).toEqual([]);
  });

  it('encodes only the requested segment', async () => {
    const output = path.join(tmp.dir, 'segment.mkv');
    const result = await runClassicJob(spec(output, { targetFps: 24 }, { startSec: 0.5, endSec: 1.5 }), hooks(), deps);
    expect(result.frames).toBe(24);
    const { probe, video, audio } = videoStream(output);
    expect(Number(probe.format.duration)).toBeGreaterThan(0.95);
    expect(Number(probe.format.duration)).toBeLessThan(1.1);
    expect([video.width, video.height]).toEqual([160, 120]);
    // Video and audio both start at the cut.
    expect(Number(video.start_time)).toBeLessThan(0.05);
    expect(audio).toHaveLength(1);
    expect(Number(audio[0].start_time)).toBeLessThan(0.05);
  });

  it('re-encodes audio the container cannot hold', async () => {
    const output = path.join(tmp.dir, 'audio.webm');
    const result = await runClassicJob(spec(output, {}, { endSec: 0.5 }), hooks(), deps);
    const { video, audio } = videoStream(output);
    expect(video.codec_name).toBe('vp9');
    expect(audio[0].codec_name).toBe('opus');
    expect(result.notes.join('\n')).toMatch(/re-encoded to Opus/);
  });

  it('removes the temporary output when cancelled', async () => {
    const dir = path.join(tmp.dir, 'cancel');
    const output = path.join(dir, 'cancelled.mp4');
    let ticks = 0;
    const cancelling: JobHooks = {
      onProgress: () => undefined,
      checkpoint: async () => {
        await new Promise((r) => setImmediate(r));
        // The first check runs before ffmpeg starts; cancel once ffmpeg is writing.
        if (++ticks >= 2) throw new CancelledError();
      },
    };
    // nlmeans at 4x keeps ffmpeg busy long enough to be cancelled mid-write.
    const slow = spec(output, { scale: 4, targetFps: 24, classic: { denoise: 'nlmeans', sharpen: 'off', deflicker: false } });
    await expect(runClassicJob(slow, cancelling, deps)).rejects.toBeInstanceOf(CancelledError);
    expect(ticks).toBeGreaterThanOrEqual(2);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('refuses an empty range with a message naming the range', async () => {
    const output = path.join(tmp.dir, 'empty.mp4');
    await expect(runClassicJob(spec(output, {}, { startSec: 5, endSec: 6 }), hooks(), deps)).rejects.toThrow(/range 5\.000 s to 2\.\d+ s .* is empty/);
  });
});
