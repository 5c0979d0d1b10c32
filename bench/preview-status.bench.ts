// render.status for a project of 1,000 clips (3 tracks, a few hundred settings variants from history edits), with
// some chunks cached: the status bar refetches it after every edit and every finished preview, so it must stay
// well under a frame budget of the editor's refresh. Median of 9 calls after one warm-up, through the real services.
// Run: npx tsx bench/preview-status.bench.ts  (or npx tsx bench/run.ts preview)
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { inspectMedia } from '../main/media/fingerprint';
import { createServices } from '../main/services/services';
import { FFPROBE, makeTempDir, makeTestVideo } from '../tests/helpers/media-fixtures';
import { call } from '../tests/helpers/services';
import { makeBigProject } from './make-big-project';
import { median } from './median';

const CLIPS = 1_000;
const HISTORY = 1_400;
const RUNS = 9;

async function main(): Promise<void> {
  const tmp = makeTempDir('upframe-bench-status-');
  const services = createServices({ userDataDir: path.join(tmp.dir, 'user-data'), host: 'web', log: () => undefined, mediaWatchMs: 0 });
  try {
    const mediaPath = makeTestVideo(tmp.dir, { name: 'bench', width: 160, height: 120, fps: 24, durationSec: 2 });
    const facts = await inspectMedia(mediaPath, FFPROBE);
    const projectFile = path.join(tmp.dir, 'big.upframe');
    makeBigProject(projectFile, { clips: CLIPS, history: HISTORY, mediaPath, probe: facts.probe });
    const state = await call(services, 'project.open', { path: projectFile });
    const variants = new Set(state.clips.map((c) => JSON.stringify(c.settings))).size;
    // Cache the first clip's chunk, so the lookups find entries (cached for its settings, stale for the others).
    const first = state.clips[0];
    const preview = await call(services, 'preview.start', { clipId: first.id, start: first.start, end: first.start + 24 });
    while ((await call(services, 'preview.get', { id: preview.id })).state === 'running') await new Promise((r) => setTimeout(r, 20));

    await call(services, 'render.status', {});
    const times: number[] = [];
    let states: Record<string, number> = {};
    for (let i = 0; i < RUNS; i++) {
      const started = performance.now();
      const { clips } = await call(services, 'render.status', {});
      times.push(performance.now() - started);
      states = {};
      for (const clip of clips) for (const range of clip.ranges) states[range.state] = (states[range.state] ?? 0) + 1;
    }
    const ms = median(times);
    console.log(`preview-status: render.status over ${CLIPS} clips (${variants} distinct settings), ranges ${JSON.stringify(states)}`);
    console.log(`  median ${ms.toFixed(1)} ms  (${times.map((t) => t.toFixed(1)).join(', ')})`);
    console.log(`BENCH_RESULT ${JSON.stringify({ bench: 'preview-status', clips: CLIPS, variants, medianMs: ms, runs: RUNS })}`);
  } finally {
    await services.close();
    tmp.cleanup();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
