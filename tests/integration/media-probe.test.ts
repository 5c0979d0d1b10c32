import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../main/common/api';
import { ProbeDataSchema } from '../../main/common/model';
import { fingerprintFile, inspectMedia } from '../../main/media/fingerprint';
import { probeMedia } from '../../main/media/probe';
import { FFMPEG, FFPROBE, makeAudioOnly, makeTempDir, makeTestVideo } from '../helpers/media-fixtures';
import { execFileSync } from 'node:child_process';

const tmp = makeTempDir('upframe-probe-');
afterAll(() => tmp.cleanup());

async function rejection(file: string): Promise<ApiError> {
  const err = await probeMedia(file, FFPROBE).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApiError);
  return err as ApiError;
}

describe('probeMedia on good files', () => {
  it('reads an h264 mp4 with audio', async () => {
    const file = makeTestVideo(tmp.dir, { width: 160, height: 120, fps: 24, durationSec: 2 });
    const facts = await probeMedia(file, FFPROBE);
    expect(ProbeDataSchema.parse(facts.probe)).toEqual(facts.probe);
    expect(facts.path).toBe(path.resolve(file));
    expect(facts.size).toBe(readFileSync(file).length);
    expect(facts.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(facts.probe).toMatchObject({
      videoCodec: 'h264',
      fps: { num: 24, den: 1 },
      variableFrameRate: false,
      frameCount: 48,
      width: 160,
      height: 120,
      rotation: 0,
      displayWidth: 160,
      displayHeight: 120,
      pixelFormat: 'yuv420p',
      bitDepth: 8,
    });
    expect(facts.probe.container).toContain('mp4');
    expect(facts.probe.durationSec).toBeCloseTo(2, 1);
    expect(facts.probe.audio).toEqual([{ index: 1, codec: 'aac', channels: 1, sampleRate: 48000 }]);
  });

  it('reads a VP9 webm, counting frames the container does not list', async () => {
    const file = makeTestVideo(tmp.dir, { codec: 'vp9', width: 160, height: 120, fps: 25, durationSec: 1 });
    const { probe } = await probeMedia(file, FFPROBE);
    expect(probe.container).toContain('webm');
    expect(probe).toMatchObject({ videoCodec: 'vp9', fps: { num: 25, den: 1 }, frameCount: 25, variableFrameRate: false, bitDepth: 8 });
    expect(probe.audio.map((a) => a.codec)).toEqual(['opus']);
  });

  it('keeps an odd size', async () => {
    const file = makeTestVideo(tmp.dir, { width: 853, height: 480, durationSec: 1, audio: false });
    const { probe } = await probeMedia(file, FFPROBE);
    expect(probe).toMatchObject({ width: 853, height: 480, displayWidth: 853, displayHeight: 480, audio: [] });
  });

  it('reports rotation clockwise as ffmpeg applies it, with the display size swapped', async () => {
    // ffmpeg 5 turns the rotate=90 tag into a display matrix of +90 degrees counter-clockwise, which ffmpeg's own
    // autorotation applies as 270 degrees clockwise (media-thumbnails checks the picture itself).
    const file = makeTestVideo(tmp.dir, { width: 160, height: 120, rotate: 90, name: 'rotated', audio: false, durationSec: 1 });
    const { probe } = await probeMedia(file, FFPROBE);
    expect(probe).toMatchObject({ rotation: 270, width: 160, height: 120, displayWidth: 120, displayHeight: 160 });
  });

  it('tells variable from constant frame rate', async () => {
    const vfr = makeTestVideo(tmp.dir, { width: 160, height: 120, vfr: true, name: 'vfr', audio: false });
    const cfr = makeTestVideo(tmp.dir, { width: 160, height: 120, fps: 30, name: 'cfr', audio: false, durationSec: 1 });
    expect((await probeMedia(vfr, FFPROBE)).probe.variableFrameRate).toBe(true);
    const constant = (await probeMedia(cfr, FFPROBE)).probe;
    expect(constant.variableFrameRate).toBe(false);
    expect(constant.fps).toEqual({ num: 30, den: 1 });
  });

  it('reports 10-bit depth', async () => {
    const file = makeTestVideo(tmp.dir, { width: 160, height: 120, tenBit: true, name: 'ten-bit', audio: false, durationSec: 1 });
    const { probe } = await probeMedia(file, FFPROBE);
    expect(probe.pixelFormat).toBe('yuv420p10le');
    expect(probe.bitDepth).toBe(10);
  });
});

describe('probeMedia refuses unusable files with a message that says what to do', () => {
  let good: string;
  beforeAll(() => {
    good = makeTestVideo(tmp.dir, { width: 160, height: 120, name: 'source-for-bad-files' });
  });

  it('an empty file', async () => {
    const file = path.join(tmp.dir, 'empty.mp4');
    writeFileSync(file, '');
    const err = await rejection(file);
    expect(err.code).toBe('MEDIA_UNREADABLE');
    expect(err.message).toBe('empty.mp4 is empty (0 bytes). Re-export or re-copy the file.');
  });

  it('a truncated mp4 (first half of a real one)', async () => {
    const bytes = readFileSync(good);
    const file = path.join(tmp.dir, 'half.mp4');
    writeFileSync(file, bytes.subarray(0, bytes.length >> 1));
    const err = await rejection(file);
    expect(err.code).toBe('MEDIA_UNREADABLE');
    expect(err.message).toMatch(/^half\.mp4 is damaged or incomplete \(.+\)\. .*re-export or re-copy the file\.$/);
  });

  it('a streamable mp4 cut short, whose header still probes', async () => {
    const faststart = path.join(tmp.dir, 'faststart.mp4');
    execFileSync(FFMPEG, ['-v', 'error', '-y', '-i', good, '-c', 'copy', '-movflags', '+faststart', faststart]);
    const bytes = readFileSync(faststart);
    const file = path.join(tmp.dir, 'cut-short.mp4');
    writeFileSync(file, bytes.subarray(0, Math.floor(bytes.length * 0.4)));
    const err = await rejection(file);
    expect(err.code).toBe('MEDIA_UNREADABLE');
    expect(err.message).toMatch(/^cut-short\.mp4 is damaged or incomplete/);
  });

  it('a text file named .mp4', async () => {
    const file = path.join(tmp.dir, 'notes.mp4');
    writeFileSync(file, 'These are my notes, not a video.\n'.repeat(40));
    const err = await rejection(file);
    expect(err.code).toBe('MEDIA_UNREADABLE');
    expect(err.message).toMatch(/^notes\.mp4 is not a video file \(.+\)\. Import a video/);
  });

  it('a text file that ffmpeg would render as ANSI art', async () => {
    const file = path.join(tmp.dir, 'readme.ans');
    writeFileSync(file, 'Plain text that the tty demuxer accepts.\n');
    const err = await rejection(file);
    expect(err.code).toBe('MEDIA_UNREADABLE');
    expect(err.message).toMatch(/^readme\.ans is not a video file \(it is text\)\./);
  });

  it('an audio-only file', async () => {
    const file = makeAudioOnly(tmp.dir);
    const err = await rejection(file);
    expect(err.code).toBe('MEDIA_UNREADABLE');
    expect(err.message).toBe('audio-only.m4a has no video stream. Upframe enhances video; import a file with a video track.');
  });

  it('a still image', async () => {
    const file = path.join(tmp.dir, 'still.png');
    execFileSync(FFMPEG, ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=160x120', '-frames:v', '1', file]);
    const err = await rejection(file);
    expect(err.code).toBe('MEDIA_UNREADABLE');
    expect(err.message).toMatch(/^still\.png is a still image, not a video\. Upframe enhances video/);
  });

  it('a missing file', async () => {
    const err = await rejection(path.join(tmp.dir, 'gone.mp4'));
    expect(err.code).toBe('MEDIA_UNREADABLE');
    expect(err.message).toMatch(/^gone\.mp4 was not found at /);
  });
});

describe('fingerprints', () => {
  it('survive a move and change with the content', async () => {
    const file = makeTestVideo(tmp.dir, { width: 160, height: 120, name: 'to-move', durationSec: 1 });
    const before = await fingerprintFile(file);
    const moved = path.join(tmp.dir, 'moved-and-renamed.mp4');
    renameSync(file, moved);
    const after = await fingerprintFile(moved);
    expect(after.fingerprint).toBe(before.fingerprint);
    expect(after.size).toBe(before.size);

    const bytes = readFileSync(moved);
    bytes[bytes.length - 10] ^= 0xff; // inside the sampled end block
    const changed = path.join(tmp.dir, 'changed.mp4');
    writeFileSync(changed, bytes);
    expect((await fingerprintFile(changed)).fingerprint).not.toBe(before.fingerprint);

    const other = makeTestVideo(tmp.dir, { width: 160, height: 120, name: 'other', durationSec: 1, pattern: 'smptebars' });
    expect((await fingerprintFile(other)).fingerprint).not.toBe(before.fingerprint);
  });

  it('inspectMedia combines stat, fingerprint and probe', async () => {
    const file = makeTestVideo(tmp.dir, { width: 160, height: 120, name: 'inspected', durationSec: 1, audio: false });
    const facts = await inspectMedia(file, FFPROBE);
    const { fingerprint, size } = await fingerprintFile(file);
    expect(facts.fingerprint).toBe(fingerprint);
    expect(facts.size).toBe(size);
    expect(facts.probe.frameCount).toBe(24);
    expect(facts).toEqual(await probeMedia(file, FFPROBE));
  });
});
