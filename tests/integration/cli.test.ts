// The `upframe` command run as a user runs it: a separate node process (through tsx on the TypeScript source),
// real ffmpeg, the engine in its own process.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ffprobeJson, makeTempDir, makeTestVideo } from '../helpers/media-fixtures';

const ROOT = path.resolve(__dirname, '..', '..');
const CLI = path.join(ROOT, 'main', 'cli', 'upframe.ts');
const TSX = pathToFileURL(require.resolve('tsx', { paths: [ROOT] })).href;

type Run = { code: number | null; stdout: string; stderr: string };

function upframe(args: string[], opts: { onStderr?: (text: string, child: ReturnType<typeof spawn>) => void } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', TSX, CLI, ...args], { cwd: tmp.dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr += s;
      opts.onStderr?.(stderr, child);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

let tmp: { dir: string; cleanup: () => void };
let clip: string;

beforeAll(() => {
  tmp = makeTempDir('upframe-cli-');
  clip = makeTestVideo(tmp.dir, { name: 'clip', width: 160, height: 120, fps: 12, durationSec: 1 });
});
afterAll(() => tmp.cleanup());

describe('upframe enhance: bad input exits 2 with a clear message', () => {
  it('missing input', async () => {
    const r = await upframe(['enhance', 'nope.mp4', '-o', 'out.mp4']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Input not found: .*nope\.mp4/);
  });

  it('a file that is not a video', async () => {
    writeFileSync(path.join(tmp.dir, 'notes.mp4'), 'these are notes, not a video\n');
    const r = await upframe(['enhance', 'notes.mp4', '-o', 'out.mp4']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/notes\.mp4 is not a video file/);
  });

  it('--scale out of range', async () => {
    const r = await upframe(['enhance', clip, '-o', 'out.mp4', '--scale', '9']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--scale 9 is not allowed: .*at most 8x.*Allowed: a number from 1 to 8/);
  });

  it('an unknown engine', async () => {
    const r = await upframe(['enhance', clip, '-o', 'out.mp4', '--engine', 'magic']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--engine.*'magic' is invalid.*classic, diffusion/);
  });

  it('an existing output without --overwrite', async () => {
    const existing = path.join(tmp.dir, 'existing.mp4');
    writeFileSync(existing, 'keep me');
    const r = await upframe(['enhance', clip, '-o', existing]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/existing\.mp4 already exists: pass --overwrite/);
  });

  it('the diffusion engine without a pack lists the packs, test packs labelled', async () => {
    const r = await upframe(['enhance', clip, '-o', 'out.mp4', '--engine', 'diffusion']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--engine diffusion needs --pack/);
    expect(r.stderr).toMatch(/analytic-test@\S+ \(test pack\)/);
  });
});

describe('upframe enhance', () => {
  it('enhances with the classic engine, keeping the audio', async () => {
    const output = path.join(tmp.dir, 'classic.mp4');
    const r = await upframe(['enhance', clip, '-o', output, '--scale', '2', '--fps', '24']);
    expect(r.stderr).not.toMatch(/upframe: /);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Wrote .*classic\.mp4: 320x240, 24 frames at 24 fps/);
    const streams = ffprobeJson(output).streams;
    const video = streams.find((s: { codec_type: string }) => s.codec_type === 'video');
    expect([video.width, video.height, video.r_frame_rate]).toEqual([320, 240, '24/1']);
    expect(streams.filter((s: { codec_type: string }) => s.codec_type === 'audio')).toHaveLength(1);
  });

  it('labels a test pack as a test pack', async () => {
    const output = path.join(tmp.dir, 'analytic.mp4');
    const r = await upframe(['enhance', clip, '-o', output, '--engine', 'diffusion', '--pack', 'analytic-test@1.0.0', '--steps', '1', '--noise', '0', '--provider', 'cpu', '--end', '0.5']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/Pack: analytic-test@1\.0\.0 \(test pack\)/);
    expect(r.stdout).toMatch(/Test pack/);
    expect(existsSync(output)).toBe(true);
  });

  it('Ctrl+C cancels cleanly: exit 130, nothing left that looks like output', async () => {
    const dir = path.join(tmp.dir, 'interrupted');
    mkdirSync(dir);
    let interrupted = false;
    // 8x with frame interpolation keeps ffmpeg busy for several seconds.
    const r = await upframe(['enhance', clip, '-o', path.join(dir, 'big.mp4'), '--scale', '8', '--fps', '48'], {
      onStderr: (text, child) => {
        if (!interrupted && /Encoding: \d+%/.test(text)) {
          interrupted = true;
          child.kill('SIGINT');
        }
      },
    });
    expect(interrupted).toBe(true);
    expect(r.code).toBe(130);
    expect(r.stderr).toMatch(/cancelled; no output was written/);
    expect(readdirSync(dir)).toEqual([]);
  });
});
