import { execFileSync } from 'node:child_process';
import { chmodSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { frameToSeconds } from '../../main/common/frame-time';
import { fingerprintFile } from '../../main/media/fingerprint';
import { probeMedia } from '../../main/media/probe';
import { ThumbnailCache } from '../../main/media/thumbnails';
import { FFMPEG, FFPROBE, ffprobeJson, makeTempDir, makeTestVideo } from '../helpers/media-fixtures';

const tmp = makeTempDir('upframe-thumbs-');
afterAll(() => tmp.cleanup());

let clip: { path: string; fingerprint: string };
beforeAll(async () => {
  // testsrc2 moves every frame; the default GOP puts one keyframe at 0, so every later frame needs decode-forward.
  const file = makeTestVideo(tmp.dir, { width: 160, height: 120, fps: 24, durationSec: 2, audio: false, name: 'moving' });
  clip = { path: file, fingerprint: (await fingerprintFile(file)).fingerprint };
});

function newCache(name: string, extra: Partial<ConstructorParameters<typeof ThumbnailCache>[0]> = {}) {
  const runs: string[] = [];
  const cache = new ThumbnailCache({ dir: path.join(tmp.dir, name), ffmpeg: FFMPEG, onGenerate: (key) => runs.push(key), ...extra });
  return { cache, runs };
}

function jpegSize(file: string): { width: number; height: number; codec: string } {
  const stream = ffprobeJson(file).streams[0];
  return { width: stream.width, height: stream.height, codec: stream.codec_name };
}

/** Decodes an image or one video frame to 8-bit gray pixels. */
function grayPixels(args: string[]): Buffer {
  return execFileSync(FFMPEG, ['-v', 'error', ...args, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'gray', '-'], { maxBuffer: 1 << 24 });
}

function meanAbsDiff(a: Buffer, b: Buffer): number {
  expect(a.length).toBe(b.length);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
  return sum / a.length;
}

describe('ThumbnailCache', () => {
  it('makes a JPEG of the requested height with the aspect kept and an even width', async () => {
    const { cache } = newCache('size');
    const file = await cache.get(clip, 0.5, 60);
    expect(path.isAbsolute(file)).toBe(true);
    expect(path.dirname(file)).toBe(path.join(tmp.dir, 'size'));
    expect(jpegSize(file)).toEqual({ width: 80, height: 60, codec: 'mjpeg' });

    const odd = makeTestVideo(tmp.dir, { width: 853, height: 480, durationSec: 1, audio: false, name: 'odd' });
    const oddThumb = await cache.get({ path: odd, fingerprint: (await fingerprintFile(odd)).fingerprint }, 0, 101);
    expect(jpegSize(oddThumb)).toEqual({ width: 180, height: 101, codec: 'mjpeg' }); // 101 * 853/480 = 179.5
    expect(readdirSync(path.join(tmp.dir, 'size')).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('shows rotated media upright (display size, not coded size)', async () => {
    const rotated = makeTestVideo(tmp.dir, { width: 160, height: 120, rotate: 90, durationSec: 1, audio: false, name: 'rotated' });
    const facts = await probeMedia(rotated, FFPROBE);
    const { cache } = newCache('rotated');
    const file = await cache.get(facts, 0, 80);
    expect(jpegSize(file)).toEqual({ width: 60, height: 80, codec: 'mjpeg' });
    expect(facts.probe.displayWidth / facts.probe.displayHeight).toBeCloseTo(60 / 80, 5);
  });

  it('serves a cached thumbnail without running ffmpeg again, also from a new cache on the same folder', async () => {
    const { cache, runs } = newCache('hits');
    const first = await cache.get(clip, 1, 60);
    const mtime = statSync(first).mtimeMs;
    expect(runs).toHaveLength(1);
    expect(await cache.get(clip, 1.0001, 60)).toBe(first); // same millisecond, same key
    expect(runs).toHaveLength(1);
    expect(statSync(first).mtimeMs).toBe(mtime);

    const reopened = newCache('hits');
    expect(await reopened.cache.get(clip, 1, 60)).toBe(first);
    expect(reopened.runs).toHaveLength(0);

    await cache.get(clip, 1, 90); // another height is another thumbnail
    await cache.get(clip, 1.5, 60); // another time too
    expect(runs).toHaveLength(3);
  });

  it('close stops every run and resolves only when nothing writes into the folder any more', async () => {
    const { cache } = newCache('closing');
    const dir = path.join(tmp.dir, 'closing');
    // More requests than ffmpeg slots: some run, the rest wait for a slot.
    const requests = [0, 0.25, 0.5, 0.75, 1, 1.25].map((t) => cache.get(clip, t, 96));
    await cache.close();
    const settled = await Promise.allSettled(requests);
    const files = readdirSync(dir);
    // Only finished thumbnails may be left, and no partial file; removing the folder now cannot race a writer.
    expect(files.every((name) => /^[0-9a-f]+-\d+-96\.jpg$/.test(name))).toBe(true);
    expect(settled.filter((r) => r.status === 'rejected').length).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 300));
    expect(readdirSync(dir)).toEqual(files);
    await expect(cache.get(clip, 1.5, 96)).rejects.toThrow(/no longer made/);
  });

  it('shares one ffmpeg run between concurrent requests for the same thumbnail', async () => {
    const { cache, runs } = newCache('dedup');
    const files = await Promise.all(Array.from({ length: 6 }, () => cache.get(clip, 0.75, 60)));
    expect(new Set(files).size).toBe(1);
    expect(runs).toHaveLength(1);
  });

  it('never runs more ffmpeg processes than its concurrency', async () => {
    // A wrapper around the real ffmpeg logs when each run starts and ends.
    const log = path.join(tmp.dir, 'runs.log');
    const wrapper = path.join(tmp.dir, 'ffmpeg-logged.sh');
    writeFileSync(wrapper, `#!/bin/sh\necho start >> '${log}'\n'${FFMPEG}' "$@"\nrc=$?\necho end >> '${log}'\nexit $rc\n`);
    chmodSync(wrapper, 0o755);
    writeFileSync(log, '');
    const { cache, runs } = newCache('bounded', { ffmpeg: wrapper, concurrency: 1 });
    await Promise.all([0.1, 0.2, 0.3, 0.4].map((t) => cache.get(clip, t, 40)));
    expect(runs).toHaveLength(4);
    expect(readFileSync(log, 'utf8').trim().split('\n')).toEqual(['start', 'end', 'start', 'end', 'start', 'end', 'start', 'end']);
  });

  it('is frame-accurate: the thumbnail at a frame start is that frame', async () => {
    const fps = { num: 24, den: 1 };
    const { cache } = newCache('accuracy');
    const reference = (n: number) => grayPixels(['-i', clip.path, '-vf', `select=eq(n\\,${n})`, '-vsync', '0']);
    // 7 and 31 start at 0.2916.. and 1.2916.. s, which round up to the next millisecond.
    for (const frame of [0, 1, 7, 13, 31, 47]) {
      const thumb = grayPixels(['-i', await cache.get(clip, frameToSeconds(frame, fps), 120)]);
      const same = meanAbsDiff(thumb, reference(frame));
      const neighbours = [frame - 1, frame + 1].filter((n) => n >= 0 && n < 48).map((n) => meanAbsDiff(thumb, reference(n)));
      expect(same, `frame ${frame}`).toBeLessThan(4); // JPEG loss only
      for (const other of neighbours) expect(same, `frame ${frame} vs a neighbour`).toBeLessThan(other / 2);
    }
  });

  it('rejects a time past the end with a clear message and caches nothing', async () => {
    const { cache } = newCache('past-end');
    await expect(cache.get(clip, 60, 60)).rejects.toThrow(/No frame at 60 s in moving\.mp4/);
    expect(readdirSync(path.join(tmp.dir, 'past-end'))).toEqual([]);
  });

  it('authorises only its own finished files, reports its size and clears', async () => {
    const { cache } = newCache('authorise');
    const file = await cache.get(clip, 0.25, 60);
    expect(cache.isCachedFile(file)).toBe(true);
    const dir = path.dirname(file);
    writeFileSync(path.join(dir, 'secret.jpg'), 'x');
    expect(cache.isCachedFile(path.join(dir, 'secret.jpg'))).toBe(false);
    expect(cache.isCachedFile(path.join(dir, `.partial-${path.basename(file)}`))).toBe(false);
    expect(cache.isCachedFile(path.join(dir, 'sub', '..', '..', 'moving.mp4'))).toBe(false);
    expect(cache.isCachedFile(clip.path)).toBe(false);
    expect(cache.isCachedFile(path.join(dir, `${cache.keyFor(clip, 9, 60)}.jpg`))).toBe(false); // never made

    expect(cache.sizeBytes()).toBe(statSync(file).size);
    cache.clear();
    expect(cache.sizeBytes()).toBe(0);
    expect(cache.isCachedFile(file)).toBe(false);
    expect(readdirSync(dir)).toEqual(['secret.jpg']); // only its own files are removed
  });

  it('keys by fingerprint, millisecond and height', () => {
    const { cache } = newCache('keys');
    expect(cache.keyFor({ fingerprint: 'ab'.repeat(32) }, 1.2345, 60)).toBe(`${'ab'.repeat(32)}-1235-60`);
    expect(() => cache.keyFor({ fingerprint: '../etc/passwd' }, 0, 60)).toThrow(/Not a media fingerprint/);
  });
});
