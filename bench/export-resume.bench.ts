// Resume cost: `upframe render` of a classic export (a 640x360 clip, scale 2 -> 720p H.264 crf 18, AAC) run to the
// end (T), then a fresh run killed with SIGKILL at about half of T and run again (R, the resumed run alone).
// Target: R / T <= (1 - kill time / T) + 0.10. Both runs include the command's start (node + tsx).
// Run: npx tsx bench/export-resume.bench.ts  (BENCH_SECONDS=60, BENCH_PIECE=2)
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { PIECE_SECONDS } from '../main/export/export-job';
import { makeTempDir } from '../tests/helpers/media-fixtures';
import { makeOneClipProject } from './one-clip-project';

// A minute of video: the command's fixed start (node, tsx, opening the project) is then a few percent of T, as in
// real exports, rather than the bulk of a few-second export.
const SECONDS = Number(process.env.BENCH_SECONDS ?? 60);
/** Piece length the command uses (BENCH_PIECE: the product's default unless set). */
const PIECE_SEC = Number(process.env.BENCH_PIECE ?? PIECE_SECONDS);
const ROOT = path.resolve(__dirname, '..');
const CLI = path.join(ROOT, 'main', 'cli', 'upframe.ts');
const TSX = pathToFileURL(require.resolve('tsx', { paths: [ROOT] })).href;

/** Runs `upframe render`; killAfterMs kills it with SIGKILL. Resolves with the seconds it ran and its output. */
function render(args: string[], killAfterMs?: number): Promise<{ sec: number; code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, ['--import', TSX, CLI, 'render', ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, UPFRAME_EXPORT_PIECE_SECONDS: String(PIECE_SEC) },
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const timer = killAfterMs === undefined ? null : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('error', reject);
    child.on('close', (code) => {
      if (timer) clearTimeout(timer);
      resolve({ sec: (performance.now() - started) / 1000, code, stderr });
    });
  });
}

async function main(): Promise<void> {
  const tmp = makeTempDir('upframe-bench-resume-');
  try {
    const { dataDir, project } = await makeOneClipProject(tmp.dir, SECONDS);
    const out = path.join(tmp.dir, 'out');
    mkdirSync(out);
    const common = ['--data-dir', dataDir, '--crf', '18', '--audio', 'aac'];

    const full = await render([project, '-o', path.join(out, 'full.mp4'), ...common]);
    if (full.code !== 0) throw new Error(`full export failed: ${full.stderr}`);
    const T = full.sec;
    const target = path.join(out, 'resumed.mp4');
    const killed = await render([project, '-o', target, ...common], (T * 1000) / 2);
    if (killed.code === 0) throw new Error('the run meant to be killed finished first');
    const resumed = await render([project, '-o', target, ...common]);
    if (resumed.code !== 0) throw new Error(`resumed export failed: ${resumed.stderr}`);
    const resumedAt = /Resuming at piece (\d+) of (\d+)/.exec(resumed.stderr);
    const R = resumed.sec;
    const remaining = 1 - killed.sec / T;
    const bound = remaining + 0.1;
    console.log(`export-resume: ${SECONDS} s 640x360 @ 24 fps -> 1280x720 H.264 crf 18 + AAC, ${PIECE_SEC} s pieces, through \`upframe render\` (tsx)`);
    console.log(`  full export T: ${T.toFixed(2)} s`);
    console.log(`  killed after ${killed.sec.toFixed(2)} s (${((killed.sec / T) * 100).toFixed(0)} % of T); resumed ${resumedAt ? `at piece ${resumedAt[1]} of ${resumedAt[2]}` : '(no resume line!)'}`);
    console.log(`  resumed run R: ${R.toFixed(2)} s; R/T = ${(R / T).toFixed(3)} against remaining + 0.10 = ${bound.toFixed(3)}${R / T <= bound ? '' : '  ABOVE TARGET'}`);
    console.log(
      `BENCH_RESULT ${JSON.stringify({ bench: 'export-resume', seconds: SECONDS, pieceSec: PIECE_SEC, fullSec: +T.toFixed(3), killedAtSec: +killed.sec.toFixed(3), resumedSec: +R.toFixed(3), ratio: +(R / T).toFixed(3), bound: +bound.toFixed(3) })}`,
    );
  } finally {
    tmp.cleanup();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
