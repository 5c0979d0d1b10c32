// Farm faults with real parts (Debian's redis-server with a password, `upframe worker`, `upframe render --farm`):
// the submitter killed with SIGKILL mid-export, then run again, reattaches to the farm job and finishes it with the
// same frames as a local export; a wrong password is refused with a clear message; Redis lost mid-job pauses the
// export with a message and keeps the finished pieces. Passwords never appear in any output.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultClipSettings } from '../../main/common/settings';
import { createServices } from '../../main/services/services';
import { FFMPEG, makeTempDir, makeTestVideo } from '../helpers/media-fixtures';
import { startRedisServer, type RedisServer } from '../helpers/redis-server';
import { call } from '../helpers/services';

const ROOT = path.resolve(__dirname, '..', '..');
const CLI = path.join(ROOT, 'main', 'cli', 'upframe.ts');
const TSX = pathToFileURL(require.resolve('tsx', { paths: [ROOT] })).href;
const PASSWORD = 'farm-s3cret';
const ENV = { ...process.env, UPFRAME_EXPORT_PIECE_SECONDS: '1', UPFRAME_FARM_LOCK_MS: '3000' };

type Run = { code: number | null; stdout: string; stderr: string };
type Proc = { child: ChildProcess; output: () => string; exited: Promise<Run> };

function upframe(args: string[], onStderr?: (text: string, child: ChildProcess) => void): Proc {
  const child = spawn(process.execPath, ['--import', TSX, CLI, ...args], { cwd: tmp.dir, env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => {
    stderr += s;
    onStderr?.(stderr, child);
  });
  const exited = new Promise<Run>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  return { child, output: () => stdout + stderr, exited };
}

function framesMd5(file: string): string {
  return execFileSync(FFMPEG, ['-v', 'error', '-i', file, '-map', '0:v:0', '-pix_fmt', 'yuv420p', '-f', 'md5', '-'], { encoding: 'utf8' }).trim();
}

async function waitFor(what: string, check: () => boolean, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const tmp = makeTempDir('upframe-farm-faults-');
let redis: RedisServer;
let farmUrl: string;
let project: string;
const procs: Proc[] = [];

beforeAll(async () => {
  redis = await startRedisServer(['--requirepass', PASSWORD]);
  farmUrl = `redis://:${PASSWORD}@127.0.0.1:${redis.port}`;
  mkdirSync(path.join(tmp.dir, 'out'));
  const clip = makeTestVideo(tmp.dir, { name: 'clip', width: 320, height: 240, fps: 24, durationSec: 6 });
  project = path.join(tmp.dir, 'faults.upframe');
  const services = createServices({ userDataDir: path.join(tmp.dir, 'editor-data'), host: 'web', log: () => {}, mediaWatchMs: 0 });
  try {
    await call(services, 'project.create', { path: project, name: 'Faults' });
    const imported = await call(services, 'media.import', { paths: [clip] });
    const state = await call(services, 'timeline.addClip', { mediaId: imported.imported[0].id, trackId: imported.state.tracks[0].id, start: 0 });
    await call(services, 'clip.setSettings', { clipIds: [state.clips[0].id], settings: { ...defaultClipSettings(), engine: 'classic', scale: 2 } });
  } finally {
    await services.close();
  }
}, 120_000);

afterAll(async () => {
  for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  await Promise.all(procs.map((p) => p.exited.catch(() => null)));
  await redis?.stop();
  tmp.cleanup();
});

function track(proc: Proc): Proc {
  procs.push(proc);
  return proc;
}

describe('farm faults', () => {
  it('refuses a wrong password, naming the cause and never the password', async () => {
    const run = await track(upframe(['worker', '--farm', `redis://:wrong-pass@127.0.0.1:${redis.port}`, '--data-dir', path.join(tmp.dir, 'w0')])).exited;
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/refused the password/);
    expect(run.stderr + run.stdout).not.toMatch(/wrong-pass/);
  }, 60_000);

  it('a submitter killed mid-export reattaches when run again and finishes with the same frames', async () => {
    const local = path.join(tmp.dir, 'out', 'local.mp4');
    const ref = await track(upframe(['render', project, '-o', local, '--audio', 'none', '--data-dir', path.join(tmp.dir, 'local-data')])).exited;
    expect(ref.code).toBe(0);

    const worker = track(upframe(['worker', '--farm', farmUrl, '--data-dir', path.join(tmp.dir, 'w1')]));
    await waitFor('the worker', () => /Worker /.test(worker.output()));
    const out = path.join(tmp.dir, 'out', 'farm.mp4');
    const args = ['render', project, '-o', out, '--audio', 'none', '--farm', farmUrl, '--data-dir', path.join(tmp.dir, 'submit-data')];
    const first = await track(
      upframe(args, (text, child) => {
        if (/[1-9] of 6 pieces done/.test(text)) child.kill('SIGKILL');
      }),
    ).exited;
    expect(first.code).toBeNull();
    expect(existsSync(out)).toBe(false);

    const second = await track(upframe(args)).exited;
    expect(second.stderr).toMatch(/Resuming at piece \d of 6 on the farm redis:\/\/:\*\*\*@127\.0\.0\.1/);
    expect(second.code).toBe(0);
    expect(framesMd5(out)).toBe(framesMd5(local));
    for (const run of [first, second]) expect(run.stdout + run.stderr).not.toMatch(new RegExp(PASSWORD));
    expect(worker.output()).not.toMatch(new RegExp(PASSWORD));
  }, 300_000);

  it('Redis lost mid-job: the export pauses with a clear message and keeps its finished pieces', async () => {
    const worker = track(upframe(['worker', '--farm', farmUrl, '--data-dir', path.join(tmp.dir, 'w2')]));
    await waitFor('the worker', () => /Worker /.test(worker.output()));
    const out = path.join(tmp.dir, 'out', 'lost.mp4');
    const args = ['render', project, '-o', out, '--audio', 'none', '--farm', farmUrl, '--data-dir', path.join(tmp.dir, 'submit-data-lost')];
    let stopped = false;
    const run = await track(
      upframe(args, (text) => {
        if (!stopped && /[1-9] of 6 pieces done/.test(text)) {
          stopped = true;
          redis.process.kill('SIGKILL');
        }
      }),
    ).exited;
    expect(stopped).toBe(true);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/Lost the farm: Cannot reach the farm at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+ .* pieces are finished and kept: resume when the farm is back/);
    const parts = readdirSync(path.join(tmp.dir, 'out'), { recursive: true }).map(String).filter((f) => /piece-\d+\.mp4$/.test(f));
    expect(parts.length).toBeGreaterThan(0);
    expect(existsSync(out)).toBe(false);
  }, 300_000);
});
