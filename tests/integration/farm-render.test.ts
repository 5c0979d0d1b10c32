// Rendering on a farm with real parts: Debian's redis-server on 127.0.0.1, three `upframe worker` processes (one
// without the analytic pack), `upframe render --farm` as the submitter, real ffmpeg and onnxruntime-node. One
// worker is killed with SIGKILL while it renders a piece: the export still completes (BullMQ's stalled-job check
// hands the piece on) and its decoded frames equal a local export's. The worker without the pack never takes
// one of its pieces; a farm with no worker able to take a piece says so instead of waiting forever.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
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
const ANALYTIC_PACK = 'analytic-test@1.0.0';
/** Short pieces: several per clip, so a kill mid-export leaves work for the others. */
const ENV = { ...process.env, UPFRAME_EXPORT_PIECE_SECONDS: '1', UPFRAME_FARM_LOCK_MS: '3000', UPFRAME_FARM_NO_WORKER_MS: '4000' };

type Run = { code: number | null; stdout: string; stderr: string };
type Proc = { child: ChildProcess; output: () => string; exited: Promise<Run> };

function upframe(args: string[], onOutput?: (text: string, proc: ChildProcess) => void): Proc {
  const child = spawn(process.execPath, ['--import', TSX, CLI, ...args], { cwd: tmp.dir, env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => {
    stdout += s;
    onOutput?.(stdout, child);
  });
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const exited = new Promise<Run>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  return { child, output: () => stdout + stderr, exited };
}

function framesMd5(file: string): string {
  return execFileSync(FFMPEG, ['-v', 'error', '-i', file, '-map', '0:v:0', '-pix_fmt', 'yuv420p', '-f', 'md5', '-'], { encoding: 'utf8' }).trim();
}

const tmp = makeTempDir('upframe-farm-');
let redis: RedisServer;
let project: string;
const workers: Proc[] = [];

beforeAll(async () => {
  redis = await startRedisServer();
  const media = path.join(tmp.dir, 'media');
  mkdirSync(media);
  mkdirSync(path.join(tmp.dir, 'out'));
  const a = makeTestVideo(media, { name: 'a', width: 160, height: 120, fps: 12, durationSec: 2 });
  const b = makeTestVideo(media, { name: 'b', width: 160, height: 120, fps: 12, durationSec: 2, pattern: 'smptebars' });
  project = path.join(tmp.dir, 'farm.upframe');
  const services = createServices({ userDataDir: path.join(tmp.dir, 'editor-data'), host: 'web', log: () => {}, mediaWatchMs: 0 });
  try {
    await call(services, 'project.create', { path: project, name: 'Farm' });
    const imported = await call(services, 'media.import', { paths: [a, b] });
    const [ma, mb] = imported.imported;
    const trackId = imported.state.tracks[0].id;
    await call(services, 'timeline.addClip', { mediaId: ma.id, trackId, start: 0, sourceIn: 0, sourceOut: 24 });
    const state = await call(services, 'timeline.addClip', { mediaId: mb.id, trackId, start: 24, sourceIn: 0, sourceOut: 24 });
    const [c1, c2] = [...state.clips].sort((x, y) => x.start - y.start);
    await call(services, 'clip.setSettings', { clipIds: [c1.id], settings: { ...defaultClipSettings(), engine: 'classic', scale: 2 } });
    await call(services, 'clip.setSettings', {
      clipIds: [c2.id],
      settings: { ...defaultClipSettings(), engine: 'diffusion', packId: ANALYTIC_PACK, noise: 0, scale: 2, provider: 'cpu' },
    });
  } finally {
    await services.close();
  }
}, 120_000);

afterAll(async () => {
  for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGKILL');
  await Promise.all(workers.map((w) => w.exited.catch(() => null)));
  await redis?.stop();
  tmp.cleanup();
});

function startWorker(name: string, extra: string[] = [], onOutput?: (text: string, proc: ChildProcess) => void): Proc {
  const proc = upframe(['worker', '--farm', redis.url, '--data-dir', path.join(tmp.dir, `worker-${name}`), ...extra], onOutput);
  workers.push(proc);
  return proc;
}

async function waitFor(what: string, check: () => boolean, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('upframe render --farm', () => {
  let localMd5: string;

  it('a local export of the project (the reference)', async () => {
    const local = path.join(tmp.dir, 'out', 'local.mp4');
    const run = await upframe(['render', project, '-o', local, '--audio', 'none', '--data-dir', path.join(tmp.dir, 'local-data')]).exited;
    expect(run.stderr).not.toMatch(/upframe: /);
    expect(run.code).toBe(0);
    localMd5 = framesMd5(local);
  }, 300_000);

  it('three workers, one killed mid-piece: the export completes with the same frames; the classic-only worker takes no pack piece', async () => {
    let killed: string | null = null;
    // The first worker with the pack to take a piece is killed outright while it renders it.
    const killOnFirstPiece = (name: string) => (text: string, child: ChildProcess) => {
      if (killed === null && /took piece/.test(text)) {
        killed = name;
        child.kill('SIGKILL');
      }
    };
    const a = startWorker('a', [], killOnFirstPiece('a'));
    const b = startWorker('b', [], killOnFirstPiece('b'));
    const classicOnly = startWorker('c', ['--packs', 'none']);
    await waitFor('three workers to announce themselves', () => [a, b, classicOnly].every((w) => /^.* Worker /m.test(w.output())));

    const farmOut = path.join(tmp.dir, 'out', 'farm.mp4');
    const run = await upframe(['render', project, '-o', farmOut, '--audio', 'none', '--farm', redis.url, '--data-dir', path.join(tmp.dir, 'submit-data')]).exited;
    expect(run.stderr).not.toMatch(/upframe: /);
    expect(run.code).toBe(0);
    expect(killed).not.toBeNull();
    expect(framesMd5(farmOut)).toBe(localMd5);

    const classicTook = classicOnly.output().split('\n').filter((l) => /took piece/.test(l));
    expect(classicTook.length).toBeGreaterThan(0);
    for (const line of classicTook) expect(line).toMatch(/\(classic\)$/);
    const survivor = killed === 'a' ? b : a;
    // The survivor with the pack rendered the pack's pieces, the killed worker's included.
    expect(survivor.output()).toMatch(/took piece .*\(pack-[0-9a-f]+\)/);
  }, 300_000);

  it('says so when no connected worker can take a piece, instead of waiting forever', async () => {
    for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGINT');
    await Promise.all(workers.map((w) => w.exited));
    const onlyClassic = startWorker('d', ['--packs', 'none']);
    await waitFor('the classic worker', () => /Worker /.test(onlyClassic.output()));
    const out = path.join(tmp.dir, 'out', 'stranded.mp4');
    const run = await upframe(['render', project, '-o', out, '--audio', 'none', '--farm', redis.url, '--data-dir', path.join(tmp.dir, 'submit-data-2')]).exited;
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/No worker on the farm can render piece \d+: it needs pack analytic-test@1\.0\.0/);
    expect(run.stderr).toMatch(/classic only/);
    onlyClassic.child.kill('SIGINT');
    const stopped = await onlyClassic.exited;
    expect(stopped.code).toBe(0);
    expect(stopped.stdout).toMatch(/Stopped\./);
  }, 180_000);

  it('refuses a bad or unreachable farm URL with a clear message (exit 2)', async () => {
    const bad = await upframe(['render', project, '-o', path.join(tmp.dir, 'out', 'x.mp4'), '--farm', 'http://host:6379']).exited;
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--farm: A farm URL starts with redis:\/\/ or rediss:\/\//);
    const closedPort = redis.port + 1 === 65536 ? redis.port - 1 : redis.port + 1;
    const down = await upframe(['worker', '--farm', `redis://user:secret@127.0.0.1:${closedPort}`, '--data-dir', path.join(tmp.dir, 'worker-x')]).exited;
    expect(down.code).toBe(2);
    expect(down.stderr).toMatch(/Cannot reach the farm at redis:\/\/user:\*\*\*@127\.0\.0\.1/);
    expect(down.stderr).not.toMatch(/secret/);
  }, 60_000);
});
