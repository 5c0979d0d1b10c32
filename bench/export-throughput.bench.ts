// Export throughput: a classic export of a 640x360 clip (scale 2 -> 1280x720, no interpolation, H.264 medium
// crf 18, AAC) through the real export path (planner, pieces, assembly, SQLite job) against the equivalent single
// ffmpeg command line (same lanczos scale, encoder and audio). Target: ratio <= 1.15. Also prints the ratio for
// other piece lengths, which is how PIECE_SECONDS was chosen.
// Run: npx tsx bench/export-throughput.bench.ts  (BENCH_SECONDS=20, BENCH_PIECES=1,2,4)
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { ExportSpec } from '../main/common/render-model';
import { createExportJob, nameOutput, planSpec, PIECE_SECONDS, readPayload } from '../main/export/export-job';
import { runExportJob } from '../main/export/export-runner';
import { cutPieces } from '../main/export/plan';
import { locateFfmpeg } from '../main/media/ffmpeg-locate';
import { createChunkRenderer } from '../main/render/chunk-renderer';
import { PackService } from '../main/services/packs';
import { PreferencesStore } from '../main/services/preferences';
import { openProjectStore } from '../main/store/project-store';
import { FFMPEG, makeTempDir } from '../tests/helpers/media-fixtures';
import { makeOneClipProject } from './one-clip-project';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const PIECES = (process.env.BENCH_PIECES ?? `${PIECE_SECONDS}`).split(',').map(Number);

async function main(): Promise<void> {
  const tmp = makeTempDir('upframe-bench-export-');
  try {
    const { clip, dataDir, project } = await makeOneClipProject(tmp.dir, SECONDS);

    const ffmpeg = locateFfmpeg();
    const store = openProjectStore(project);
    const renderer = createChunkRenderer({
      cacheDir: path.join(dataDir, 'cache', 'chunks'),
      ffmpeg,
      preferences: new PreferencesStore(path.join(dataDir, 'preferences.json'), () => {}),
      packs: new PackService({ userDataDir: dataDir }),
      log: () => {},
    });

    // The single command line: same filter, encoder and audio as the export.
    const single = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', '-i', clip];
    single.push('-vf', 'scale=1280:720:flags=lanczos+accurate_rnd+full_chroma_int', '-c:v', 'libx264', '-preset', 'medium', '-crf', '18', '-pix_fmt', 'yuv420p');
    single.push('-c:a', 'aac', '-b:a', '192k', '-movflags', '+faststart', path.join(tmp.dir, 'single.mp4'));
    // The machine may be shared: each export is paired with a fresh run of the single command just before it.
    const runSingle = () => {
      const t0 = performance.now();
      execFileSync(FFMPEG, single, { stdio: ['ignore', 'ignore', 'inherit'] });
      return (performance.now() - t0) / 1000;
    };
    runSingle(); // warm-up: file cache, first start of the encoder libraries
    let started = 0;

    console.log(`export-throughput: ${SECONDS} s 640x360 @ 24 fps -> 1280x720, classic scale 2 (lanczos), H.264 medium crf 18, AAC 192k`);
    const results: Record<string, number> = {};
    for (const [run, pieceSec] of PIECES.entries()) {
      const folder = path.join(tmp.dir, `out-${run}`);
      mkdirSync(folder);
      const spec: ExportSpec = {
        range: { kind: 'timeline' },
        folder,
        fileName: 'export',
        codec: 'h264',
        quality: { mode: 'crf', crf: 18 },
        conform: { policy: 'first' },
        audio: 'aac',
        overwrite: false,
      };
      const { plan, sources } = await planSpec(store, renderer, spec);
      const job = createExportJob(store, spec, plan, sources, nameOutput(store, spec, plan));
      const payload = readPayload(store, job.id);
      payload.plan.pieces = cutPieces(payload.plan.segments, payload.plan.fps, pieceSec);
      store.updateJob(job.id, { payload });
      const singleSec = runSingle();
      started = performance.now();
      const outcome = await runExportJob({ store, ffmpeg, renderer: () => renderer, log: () => {}, onUpdate: () => {} }, job.id, new AbortController().signal);
      const exportSec = (performance.now() - started) / 1000;
      if (outcome !== 'done') throw new Error(`export ended ${outcome}: ${store.getJob(job.id)?.message}`);
      const ratio = exportSec / singleSec;
      console.log(`  single ffmpeg ${singleSec.toFixed(2)} s; export, ${pieceSec} s pieces (${payload.plan.pieces.length}): ${exportSec.toFixed(2)} s, ratio ${ratio.toFixed(3)} (target <= 1.15)${ratio <= 1.15 ? '' : '  ABOVE TARGET'}`);
      results[`single_${pieceSec}s_sec`] = singleSec;
      results[`export_${pieceSec}s_sec`] = exportSec;
      results[`ratio_${pieceSec}s`] = ratio;
    }
    await renderer.dispose();
    store.close();
    console.log(`BENCH_RESULT ${JSON.stringify({ bench: 'export-throughput', seconds: SECONDS, ...round(results) })}`);
  } finally {
    tmp.cleanup();
  }
}

function round(values: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, Number(v.toFixed(3))]));
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
