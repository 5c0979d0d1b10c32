// Test media generated with the system ffmpeg (lavfi sources) at test time: small, deterministic, no downloads.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const FFMPEG = process.env.FFMPEG_PATH ?? 'ffmpeg';
export const FFPROBE = process.env.FFPROBE_PATH ?? 'ffprobe';

export type TestVideoOptions = {
  name?: string;
  codec?: 'h264' | 'vp9' | 'ffv1';
  width?: number;
  height?: number;
  fps?: number;
  durationSec?: number;
  audio?: boolean;
  /** Display rotation written as stream metadata. */
  rotate?: 0 | 90 | 180 | 270;
  /** Variable frame rate: frames with irregular timestamps. */
  vfr?: boolean;
  tenBit?: boolean;
  /** lavfi video source. testsrc2 moves, so every frame differs. */
  pattern?: 'testsrc2' | 'smptebars' | 'mandelbrot' | 'gradient';
};

/** Creates a temp folder; call the returned cleanup in afterAll. */
export function makeTempDir(prefix = 'upframe-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function makeTestVideo(dir: string, opts: TestVideoOptions = {}): string {
  const codec = opts.codec ?? 'h264';
  const width = opts.width ?? 320;
  const height = opts.height ?? 240;
  const fps = opts.fps ?? 24;
  const duration = opts.durationSec ?? 2;
  const ext = codec === 'vp9' ? 'webm' : codec === 'ffv1' ? 'mkv' : 'mp4';
  const file = path.join(dir, `${opts.name ?? `clip-${codec}-${width}x${height}-${fps}`}.${ext}`);
  const source =
    opts.pattern === 'smptebars'
      ? `smptebars=size=${width}x${height}:rate=${fps}`
      : opts.pattern === 'mandelbrot'
        ? `mandelbrot=size=${width}x${height}:rate=${fps}`
        : opts.pattern === 'gradient'
          ? `gradients=size=${width}x${height}:rate=${fps}:speed=0.05`
          : `testsrc2=size=${width}x${height}:rate=${fps}`;
  const odd = width % 2 === 1 || height % 2 === 1;
  // lavfi sources round sizes to even, and 4:2:0 cannot hold odd sizes: odd sizes are scaled and kept 4:4:4.
  const src = odd ? source.replace(`${width}x${height}`, `${width + (width % 2)}x${height + (height % 2)}`) : source;
  const args = ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', `${src}:duration=${duration}`];
  if (opts.audio !== false) args.push('-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${duration}`);
  const vf: string[] = [];
  if (odd) vf.push(`scale=${width}:${height}`);
  if (opts.vfr) vf.push("setpts='N/FRAME_RATE/TB+if(gte(N,10),0.5/TB,0)+if(mod(N,3),0,0.02/TB)'");
  if (vf.length) args.push('-vf', vf.join(','));
  if (codec === 'h264') {
    args.push('-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', opts.tenBit ? 'yuv420p10le' : odd ? 'yuv444p' : 'yuv420p');
    if (opts.tenBit) args.push('-profile:v', 'high10');
  } else if (codec === 'vp9') {
    args.push('-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '500k', '-pix_fmt', opts.tenBit ? 'yuv420p10le' : 'yuv420p');
  } else {
    args.push('-c:v', 'ffv1', '-pix_fmt', opts.tenBit ? 'yuv420p10le' : 'yuv420p');
  }
  if (opts.vfr) args.push('-fps_mode', 'passthrough');
  if (opts.audio !== false) args.push('-c:a', codec === 'vp9' ? 'libopus' : 'aac', '-shortest');
  if (!opts.rotate) {
    args.push(file);
    execFileSync(FFMPEG, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    return file;
  }
  // ffmpeg 5 writes a display matrix only when remuxing with the rotate tag.
  const unrotated = file.replace(/(\.\w+)$/, '.unrotated$1');
  args.push(unrotated);
  execFileSync(FFMPEG, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  execFileSync(FFMPEG, ['-hide_banner', '-loglevel', 'error', '-y', '-i', unrotated, '-map', '0', '-c', 'copy', '-metadata:s:v:0', `rotate=${opts.rotate}`, file], { stdio: ['ignore', 'ignore', 'pipe'] });
  rmSync(unrotated);
  return file;
}

export function makeAudioOnly(dir: string, name = 'audio-only'): string {
  const file = path.join(dir, `${name}.m4a`);
  execFileSync(FFMPEG, ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=1', '-c:a', 'aac', file]);
  return file;
}

export function ffprobeJson(file: string): any {
  const out = execFileSync(FFPROBE, ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', file], { encoding: 'utf8' });
  return JSON.parse(out);
}
