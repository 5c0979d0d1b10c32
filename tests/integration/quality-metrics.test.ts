// The quality measurement on media generated at test time with real ffmpeg: fidelity ordered by degradation,
// identical inputs reading as infinite PSNR and SSIM 1, an injected brightness jump showing at a seam and as
// flicker, interpolated output compared on its key frames only.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { measureQuality, type VideoRange } from '../../main/quality/measure';
import { addSums, readoutOf } from '../../main/quality/quality-sums';
import { FFMPEG, makeTempDir } from '../helpers/media-fixtures';

const tmp = makeTempDir('upframe-quality-');
afterAll(() => tmp.cleanup());

const W = 160;
const H = 96;
const FPS = 24;
const FRAMES = 48;

/** A moving, detailed clip encoded near-losslessly (so the encoder adds almost nothing to what a test injects). */
function makeClip(name: string, vf: string | null, opts: { fps?: number } = {}): string {
  const file = path.join(tmp.dir, `${name}.mp4`);
  const src = `mandelbrot=size=${W}x${H}:rate=${FPS}:end_scale=0.2`;
  const args = ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', src, '-frames:v', String(FRAMES * ((opts.fps ?? FPS) / FPS))];
  if (vf) args.push('-vf', vf);
  args.push('-c:v', 'libx264', '-preset', 'ultrafast', '-qp', '0', '-pix_fmt', 'yuv420p', file);
  execFileSync(FFMPEG, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  return file;
}

const range = (file: string, over: Partial<VideoRange> = {}): VideoRange => ({
  file,
  fps: { num: FPS, den: 1 },
  firstFrame: 0,
  frames: FRAMES,
  width: W,
  height: H,
  ...over,
});

describe('quality measurement', () => {
  const source = makeClip('source', null);

  it('reads identical inputs as infinite PSNR and SSIM 1, with no flicker', async () => {
    const sums = await measureQuality({ ffmpeg: FFMPEG, enhanced: range(source), source: range(source), seams: [24] });
    const readout = readoutOf(sums);
    expect(readout.comparedFrames).toBe(FRAMES);
    expect(readout.psnrY).toBeNull();
    expect(readout.ssimY).toBe(1);
    expect(readout.flicker).toBe(0);
    expect(readout.enhancedChange).toBeGreaterThan(0);
    expect(readout.seams.count).toBe(1);
  });

  it('orders fidelity by how much the copy was degraded', async () => {
    const mild = makeClip('mild', 'gblur=sigma=0.6');
    const strong = makeClip('strong', 'gblur=sigma=2.5');
    const a = readoutOf(await measureQuality({ ffmpeg: FFMPEG, enhanced: range(mild), source: range(source), seams: [] }));
    const b = readoutOf(await measureQuality({ ffmpeg: FFMPEG, enhanced: range(strong), source: range(source), seams: [] }));
    expect(a.psnrY).not.toBeNull();
    expect(b.psnrY).not.toBeNull();
    expect(Number.isFinite(a.psnrY!)).toBe(true);
    expect(a.psnrY!).toBeGreaterThan(b.psnrY! + 1);
    expect(a.ssimY).toBeGreaterThan(b.ssimY);
    expect(a.ssimY).toBeLessThan(1);
  });

  it('shows a brightness jump at a seam as a seam ratio far above a smooth clip, and as flicker', async () => {
    // Frames from 24 on are brighter: what a chunk computed with a different exposure would look like.
    const jumped = makeClip('jumped', "eq=brightness=0.1:enable='gte(n,24)'");
    const smooth = readoutOf(await measureQuality({ ffmpeg: FFMPEG, enhanced: range(source), source: range(source), seams: [24] }));
    const seam = readoutOf(await measureQuality({ ffmpeg: FFMPEG, enhanced: range(jumped), source: range(source), seams: [24] }));
    expect(smooth.seams.ratio).not.toBeNull();
    expect(seam.seams.ratio!).toBeGreaterThan(smooth.seams.ratio! * 3);
    expect(seam.seams.change!).toBeGreaterThan(smooth.seams.change! + 15);
    expect(seam.seams.worstFrame).toBe(24);
    expect(seam.flicker).toBeGreaterThan(smooth.flicker);
  });

  it('compares interpolated output on its key frames, upscaled output resized back to the source size', async () => {
    // The source at twice the size and twice the rate: every other frame is the source's own (resized).
    const up = makeClip('up', `scale=${W * 2}:${H * 2}:flags=lanczos,minterpolate=fps=${FPS * 2}:mi_mode=blend`, { fps: FPS * 2 });
    const sums = await measureQuality({
      ffmpeg: FFMPEG,
      enhanced: range(up, { fps: { num: FPS * 2, den: 1 }, frames: FRAMES * 2 - 1, width: W * 2, height: H * 2 }),
      source: range(source),
      seams: [],
    });
    const readout = readoutOf(sums);
    expect(readout.comparedFrames).toBe(FRAMES);
    expect(readout.psnrY!).toBeGreaterThan(30);
    // A linear blend between two frames adds no change on its way: the path equals the direct change (up to the
    // resampling), so the flicker index stays near 0.
    expect(Math.abs(readout.flicker)).toBeLessThan(0.15 * readout.sourceChange + 0.5);
  });

  it('measures a range inside a file (seek) and adds ranges up to the whole', async () => {
    const whole = await measureQuality({ ffmpeg: FFMPEG, enhanced: range(makeClip('blur', 'gblur=sigma=1')), source: range(source), seams: [] });
    const blur = path.join(tmp.dir, 'blur.mp4');
    const first = await measureQuality({ ffmpeg: FFMPEG, enhanced: range(blur, { frames: 24 }), source: range(source, { frames: 24 }), seams: [] });
    const second = await measureQuality({
      ffmpeg: FFMPEG,
      enhanced: range(blur, { firstFrame: 24, frames: 24 }),
      source: range(source, { firstFrame: 24, frames: 24 }),
      seams: [],
    });
    const both = addSums(first, second);
    expect(both.compared).toBe(whole.compared);
    expect(both.mseY).toBeCloseTo(whole.mseY, 3);
    expect(readoutOf(both).psnrY).toBeCloseTo(readoutOf(whole).psnrY!, 2);
  });

  it('stops at once when cancelled', async () => {
    const controller = new AbortController();
    const running = measureQuality({ ffmpeg: FFMPEG, enhanced: range(source), source: range(source), seams: [], signal: controller.signal });
    controller.abort();
    await expect(running).rejects.toThrow(/Cancelled/);
  });
});
