// Farm throughput on this machine: the same classic export (one 640x360 clip, scale 2 -> 1280x720, H.264 medium
// crf 18, no audio) rendered locally (`upframe render`), then through a real redis-server with one and with two
// `upframe worker` processes (`upframe render --farm`). Prints each time, the ratios against the local export and
// the farm's overhead per piece: (farm time with one worker - local time) / pieces. On a 2-core machine two
// workers compete for the same cores, so the ratio measures the farm's cost more than a speed-up; on a farm each
// worker has its own GPU.
// Run: npm run bench -- farm  (BENCH_SECONDS=12)
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { PIECE_SECONDS } from '../main/export/export-job';
import { makeTempDir } from '../tests/helpers/media-fixtures';
import { startRedisServer } from '../tests/helpers/redis-server';
import { makeOneClipProject } from './one-clip-project';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 12);
const ROOT = path.resolve(__dirname, '..');
const CLI = path.join(ROOT, 'main', 'cli', 'upframe.ts');
const TSX = pathToFileURL(require.resolve('tsx', { paths: [ROOT] })).href;

function upframe(args: string[], cwd: string): { child: ChildProcess; done: Promise<number | null>; output: () => string } {
  const child = spawn(process.execPath, ['--import', TSX, CLI, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (output += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (output += s));
  const done = new Promise<number | null>((resolve) => child.on('close', resolve));
  return { child, done, output: () => output };
}

async function timed(args: string[], cwd: string): Promise<number> {
  const t0 = performance.now();
  const run = upframe(args, cwd);
  const code = await run.done;
  if (code !== 0) throw new Error(`upframe ${args[0]} exited ${code}:\n${run.output()}`);
  return (performance.now() - t0) / 1000;
}

async function main(): Promise<void> {
  const tmp = makeTempDir('upframe-bench-farm-');
  const redis = await startRedisServer();
  const workers: ReturnType<typeof upframe>[] = [];
  try {
    const { project } = await makeOneClipProject(tmp.dir, SECONDS);
    const pieces = Math.ceil(SECONDS / PIECE_SECONDS);
    const render = (name: string, farm: boolean) => {
      const out = path.join(tmp.dir, `out-${name}`);
      mkdirSync(out);
      const args = ['render', project, '-o', path.join(out, 'out.mp4'), '--audio', 'none', '--data-dir', path.join(tmp.dir, `data-${name}`)];
      return timed(farm ? [...args, '--farm', redis.url] : args, tmp.dir);
    };
    const startWorkers = async (n: number) => {
      while (workers.length < n) {
        const w = upframe(['worker', '--farm', redis.url, '--packs', 'none', '--data-dir', path.join(tmp.dir, `worker-${workers.length}`)], tmp.dir);
        workers.push(w);
        const deadline = Date.now() + 60_000;
        while (!/Worker /.test(w.output())) {
          if (Date.now() > deadline) throw new Error(`worker did not start:\n${w.output()}`);
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    };

    console.log(`farm-throughput: ${SECONDS} s 640x360 -> 1280x720 classic, ${pieces} pieces of ${PIECE_SECONDS} s, redis-server on 127.0.0.1`);
    await render('warmup', false);
    const local = await render('local', false);
    await startWorkers(1);
    const one = await render('farm1', true);
    await startWorkers(2);
    const two = await render('farm2', true);
    const overheadPerPiece = (one - local) / pieces;
    console.log(`local export      ${local.toFixed(2)} s`);
    console.log(`farm, 1 worker    ${one.toFixed(2)} s   ratio ${(one / local).toFixed(3)} (time / local)`);
    console.log(`farm, 2 workers   ${two.toFixed(2)} s   ratio ${(two / local).toFixed(3)}; throughput 2 vs 1 worker ${(one / two).toFixed(3)}x`);
    console.log(`farm overhead per piece: ${overheadPerPiece.toFixed(3)} s (1 worker vs local, ${pieces} pieces)`);
    console.log(
      `BENCH_RESULT ${JSON.stringify({ bench: 'farm-throughput', localSec: local, farm1Sec: one, farm2Sec: two, ratio1: one / local, ratio2: two / local, overheadPerPieceSec: overheadPerPiece })}`,
    );
  } finally {
    for (const w of workers) w.child.kill('SIGINT');
    await Promise.all(workers.map((w) => w.done));
    await redis.stop();
    tmp.cleanup();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
