import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEINTERLACE_FILTER } from '../../main/engine/classic/filter-graph';
import { openFrameReader, variableRateOf } from '../../main/engine/io/frame-reader';
import { openFrameWriter } from '../../main/engine/io/frame-writer';
import type { RgbFrame } from '../../main/engine/types';
import { FFMPEG, FFPROBE, ffprobeJson, makeTempDir, makeTestVideo } from '../helpers/media-fixtures';

const temp = makeTempDir('upframe-frame-io-');
let clip: string;
let rotated: string;

beforeAll(() => {
  clip = makeTestVideo(temp.dir, { name: 'clip', width: 64, height: 48, fps: 24, durationSec: 2, audio: true });
  rotated = makeTestVideo(temp.dir, { name: 'rotated', width: 64, height: 48, fps: 24, durationSec: 1, audio: false, rotate: 90 });
});
afterAll(() => temp.cleanup());

async function readAll(opts: { file: string; startSec?: number; endSec?: number }) {
  const reader = await openFrameReader({ ffmpeg: FFMPEG, ffprobe: FFPROBE, ...opts });
  const frames: RgbFrame[] = [];
  for await (const frame of reader.frames) frames.push(frame);
  return { reader, frames };
}

function gradientFrame(width: number, height: number, n: number): RgbFrame {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      data[i] = (x * 4 + n * 8) & 255;
      data[i + 1] = (y * 4) & 255;
      data[i + 2] = 128;
    }
  }
  return { width, height, data };
}

describe('openFrameReader', () => {
  it('reads every frame at the display size of a rotated clip', async () => {
    const { reader, frames } = await readAll({ file: rotated });
    expect([reader.width, reader.height]).toEqual([48, 64]);
    expect(reader.fps).toBe(24);
    expect(reader.expectedFrames).toBe(24);
    expect(frames).toHaveLength(24);
    for (const frame of frames) {
      expect([frame.width, frame.height, frame.data.length]).toEqual([48, 64, 48 * 64 * 3]);
    }
  });

  it('reads exactly the frames of a range', async () => {
    const whole = await readAll({ file: clip });
    expect(whole.frames).toHaveLength(48);
    const range = await readAll({ file: clip, startSec: 0.5, endSec: 1.5 });
    expect(range.reader.expectedFrames).toBe(24);
    expect(range.frames).toHaveLength(24);
    // The range starts on source frame 12 (0.5 s at 24 fps) and ends before frame 36.
    expect(Buffer.from(range.frames[0].data).equals(Buffer.from(whole.frames[12].data))).toBe(true);
    expect(Buffer.from(range.frames[23].data).equals(Buffer.from(whole.frames[35].data))).toBe(true);
  });

  it('stops ffmpeg when the consumer stops early', async () => {
    const reader = await openFrameReader({ ffmpeg: FFMPEG, ffprobe: FFPROBE, file: clip });
    let count = 0;
    for await (const frame of reader.frames) {
      expect(frame.data.length).toBe(64 * 48 * 3);
      if (++count === 2) break;
    }
    expect(count).toBe(2);
    await expect(async () => {
      for await (const _ of reader.frames) void _;
    }).rejects.toThrow(/iterated once/);
  });

  it('deinterlaces a source stored as interlaced fields when asked (auto), one frame per frame, and leaves others', async () => {
    // 50 progressive frames a second woven into 25 interlaced frames, flagged top field first.
    const woven = path.join(temp.dir, 'woven.mp4');
    execFileSync(FFMPEG, [
      '-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=50:duration=1',
      '-vf', 'interlace=scan=tff', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p',
      '-flags', '+ilme+ildct', '-x264-params', 'tff=1', '-field_order', 'tt', woven,
    ]);
    const read = async (file: string, deinterlace: 'auto' | 'off') => {
      const reader = await openFrameReader({ ffmpeg: FFMPEG, ffprobe: FFPROBE, file, deinterlace });
      const frames: RgbFrame[] = [];
      for await (const frame of reader.frames) frames.push(frame);
      return { deinterlaced: reader.deinterlaced, frames };
    };
    // What ffmpeg itself decodes, with and without the deinterlacer (the classic engine's tests show it removes
    // the combing): the reader must hand over exactly those frames.
    const decode = (vf: string[]) => execFileSync(FFMPEG, ['-v', 'error', '-i', woven, ...vf, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], { maxBuffer: 1 << 26 });
    const joined = ({ frames }: { frames: RgbFrame[] }) => Buffer.concat(frames.map((f) => Buffer.from(f.data)));
    const off = await read(woven, 'off');
    const auto = await read(woven, 'auto');
    expect([off.deinterlaced, auto.deinterlaced]).toEqual([false, true]);
    expect(auto.frames).toHaveLength(off.frames.length);
    expect(joined(off).equals(decode([]))).toBe(true);
    expect(joined(auto).equals(decode(['-vf', DEINTERLACE_FILTER]))).toBe(true);
    expect(joined(auto).equals(joined(off))).toBe(false);
    expect((await read(clip, 'auto')).deinterlaced).toBe(false);
  });

  it('conforms a variable-rate source to the constant rate the media probe gives, frames placed by their timestamps', async () => {
    const vfr = makeTestVideo(temp.dir, { name: 'vfr', width: 64, height: 48, fps: 12, durationSec: 2, vfr: true });
    const rate = await variableRateOf(vfr, FFPROBE);
    expect(rate).toBeDefined();
    expect(await variableRateOf(clip, FFPROBE)).toBeUndefined();
    const reader = await openFrameReader({ ffmpeg: FFMPEG, ffprobe: FFPROBE, file: vfr, variableRate: rate });
    expect(reader.conformedRate).toBe(true);
    expect(reader.fps).toBeCloseTo(rate!.num / rate!.den, 9);
    const frames: RgbFrame[] = [];
    for await (const frame of reader.frames) frames.push(frame);
    const expected = execFileSync(FFMPEG, ['-v', 'error', '-i', vfr, '-vf', `fps=fps=${rate!.num}/${rate!.den}:round=near`, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], { maxBuffer: 1 << 26 });
    expect(Buffer.concat(frames.map((f) => Buffer.from(f.data))).equals(expected)).toBe(true);
    // A constant rate over the clip's length: as many frames as its duration at that rate.
    expect(Math.abs(frames.length - reader.expectedFrames)).toBeLessThanOrEqual(1);
  });

  it('reports unreadable input with a message', async () => {
    const bogus = path.join(temp.dir, 'not-a-video.mp4');
    execFileSync('sh', ['-c', `printf 'hello' > '${bogus}'`]);
    await expect(openFrameReader({ ffmpeg: FFMPEG, ffprobe: FFPROBE, file: bogus })).rejects.toThrow(/Cannot read .*not-a-video/);
    await expect(openFrameReader({ ffmpeg: FFMPEG, ffprobe: FFPROBE, file: clip, startSec: 3 })).rejects.toThrow(/is empty/);
  });
});

describe('openFrameWriter', () => {
  it('writes a video under a temporary name and renames it on finish, with audio over the range', async () => {
    const outDir = path.join(temp.dir, 'video-out');
    mkdirSync(outDir);
    const output = path.join(outDir, 'result.mp4');
    const writer = await openFrameWriter({
      ffmpeg: FFMPEG,
      output: { kind: 'video', path: output },
      width: 32,
      height: 24,
      fps: 24,
      audioFrom: { file: clip, startSec: 0.5, endSec: 1.5 },
    });
    // ffmpeg opens its output once it has buffered enough input: write until the temporary file shows up.
    let written = 0;
    const partialSeen = () => readdirSync(outDir).some((name) => name.startsWith('.result.partial-') && name.endsWith('.mp4'));
    while (written < 24 || (!partialSeen() && written < 480)) {
      await writer.write(gradientFrame(32, 24, written++));
      if (written >= 24) await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(partialSeen()).toBe(true);
    expect(existsSync(output)).toBe(false);
    expect(await writer.finish()).toBe(output);
    expect(readdirSync(outDir)).toEqual(['result.mp4']);

    const probe = ffprobeJson(output);
    const video = probe.streams.find((s: any) => s.codec_type === 'video');
    const audio = probe.streams.find((s: any) => s.codec_type === 'audio');
    expect([video.width, video.height, video.r_frame_rate, Number(video.nb_frames)]).toEqual([32, 24, '24/1', written]);
    // The source has 2 s of audio; only the 1 s range is carried, and never more than the video's length.
    expect(audio).toBeDefined();
    expect(Math.abs(Number(audio.duration) - Math.min(1, written / 24))).toBeLessThan(0.1);
  });

  it('abort leaves nothing behind', async () => {
    const outDir = path.join(temp.dir, 'aborted');
    mkdirSync(outDir);
    const writer = await openFrameWriter({ ffmpeg: FFMPEG, output: { kind: 'video', path: path.join(outDir, 'x.mp4') }, width: 32, height: 24, fps: 24 });
    for (let n = 0; n < 5; n++) await writer.write(gradientFrame(32, 24, n));
    await writer.abort();
    expect(readdirSync(outDir)).toEqual([]);

    const framesParent = path.join(temp.dir, 'frames-aborted');
    mkdirSync(framesParent);
    const frames = await openFrameWriter({ ffmpeg: FFMPEG, output: { kind: 'frames', dir: path.join(framesParent, 'png') }, width: 32, height: 24, fps: 24 });
    await frames.write(gradientFrame(32, 24, 0));
    await frames.abort();
    expect(readdirSync(framesParent)).toEqual([]);
  });

  it('writes numbered PNG frames that read back exactly', async () => {
    const dir = path.join(temp.dir, 'png-out');
    const writer = await openFrameWriter({ ffmpeg: FFMPEG, output: { kind: 'frames', dir }, width: 32, height: 24, fps: 30 });
    const written = [0, 1, 2].map((n) => gradientFrame(32, 24, n));
    for (const frame of written) await writer.write(frame);
    expect(await writer.finish()).toBe(dir);
    expect(readdirSync(dir).sort()).toEqual(['frame-000001.png', 'frame-000002.png', 'frame-000003.png']);
    const raw = execFileSync(FFMPEG, ['-v', 'error', '-i', path.join(dir, 'frame-%06d.png'), '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-']);
    expect(raw.equals(Buffer.concat(written.map((f) => Buffer.from(f.data))))).toBe(true);
  });

  it('frames filled in the buffers frameBuffer() lends arrive intact, however far ffmpeg lags behind', async () => {
    // Frames larger than a pipe's buffer, so writes stay queued while the next buffers are filled.
    const dir = path.join(temp.dir, 'png-ring');
    const [width, height] = [256, 192];
    const writer = await openFrameWriter({ ffmpeg: FFMPEG, output: { kind: 'frames', dir }, width, height, fps: 30 });
    const expected: Buffer[] = [];
    const lent = new Set<Uint8Array>();
    for (let n = 0; n < 16; n++) {
      const frame = gradientFrame(width, height, n);
      expected.push(Buffer.from(frame.data));
      const buffer = writer.frameBuffer();
      lent.add(buffer);
      buffer.set(frame.data);
      await writer.write({ width, height, data: buffer });
    }
    await writer.finish();
    expect(lent.size).toBeLessThan(16); // buffers really were reused
    const raw = execFileSync(FFMPEG, ['-v', 'error', '-i', path.join(dir, 'frame-%06d.png'), '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], {
      maxBuffer: 16 * width * height * 3 + 1,
    });
    expect(raw.equals(Buffer.concat(expected))).toBe(true);
  });

  it('keeps every frame of a clip whose decoder finished before the frames were asked for', async () => {
    const input = makeTestVideo(temp.dir, { name: 'early-exit', width: 24, height: 16, fps: 8, durationSec: 7 / 8, audio: false });
    const reader = await openFrameReader({ ffmpeg: FFMPEG, ffprobe: FFPROBE, file: input });
    // ffmpeg decodes seven tiny frames in a few milliseconds and exits well before this.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    let count = 0;
    for await (const frame of reader.frames) {
      expect(frame.data.length).toBe(24 * 16 * 3);
      count++;
    }
    expect(count).toBe(7);
  });

  it('buffers taken aheadFrames at a time, filled and then written in order, arrive intact', async () => {
    const dir = path.join(temp.dir, 'png-ahead');
    const [width, height] = [256, 192];
    const ahead = 3;
    const writer = await openFrameWriter({ ffmpeg: FFMPEG, output: { kind: 'frames', dir }, width, height, fps: 30, aheadFrames: ahead });
    const expected: Buffer[] = [];
    for (let n = 0; n < 15; n += ahead) {
      const taken = Array.from({ length: ahead }, () => writer.frameBuffer());
      expect(new Set(taken).size).toBe(ahead);
      taken.forEach((buffer, i) => {
        const frame = gradientFrame(width, height, n + i);
        expected.push(Buffer.from(frame.data));
        buffer.set(frame.data);
      });
      for (const buffer of taken) await writer.write({ width, height, data: buffer });
    }
    await writer.finish();
    const raw = execFileSync(FFMPEG, ['-v', 'error', '-i', path.join(dir, 'frame-%06d.png'), '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], {
      maxBuffer: 15 * width * height * 3 + 1,
    });
    expect(raw.equals(Buffer.concat(expected))).toBe(true);
  });

  it('refuses a non-empty frames folder and a wrong frame size', async () => {
    const dir = path.join(temp.dir, 'png-out');
    await expect(openFrameWriter({ ffmpeg: FFMPEG, output: { kind: 'frames', dir }, width: 32, height: 24, fps: 30 })).rejects.toThrow(/not empty/);
    const outDir = path.join(temp.dir, 'size');
    const writer = await openFrameWriter({ ffmpeg: FFMPEG, output: { kind: 'video', path: path.join(outDir, 'x.mkv') }, width: 32, height: 24, fps: 24 });
    await expect(writer.write(gradientFrame(16, 24, 0))).rejects.toThrow(/16x24/);
    await writer.abort();
    expect(readdirSync(outDir)).toEqual([]);
  });
});
