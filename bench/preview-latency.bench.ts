// Preview latency with the classic engine, cold chunk cache (a fresh user data folder, so a fresh cache and engine
// process, each run), through the real services:
//  1. a 1 s segment in the middle of a 60 s clip against a standalone 1 s clip: the preview must cost the chunks
//     of the segment, not the clip's length (seek + context only). Target: median ratio <= 1.5.
//  2. time from preview.start to the first 'preview.updated' with a playable enhanced file, 720p output
//     (640x360 source at scale 2 -> 1280x720), 2 s segment around the middle. Target: median <= 2 s.
// Media: 640x360 testsrc2 + sine at 24 fps, libx264 (veryfast, default GOP of 250 frames), made once per run.
// Run: npx tsx bench/preview-latency.bench.ts  (or npx tsx bench/run.ts preview)
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { AnyEvent } from '../main/common/api';
import { defaultClipSettings } from '../main/common/settings';
import { createServices } from '../main/services/services';
import { FFMPEG, makeTempDir } from '../tests/helpers/media-fixtures';
import { call } from '../tests/helpers/services';
import { median } from './median';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const FPS = 24;
const SETTINGS = { ...defaultClipSettings(), engine: 'classic' as const, scale: 2 };

function makeMedia(dir: string, name: string, seconds: number): string {
  const file = path.join(dir, `${name}.mp4`);
  execFileSync(
    FFMPEG,
    [
      '-hide_banner', '-loglevel', 'error', '-y',
      '-f', 'lavfi', '-i', `testsrc2=size=640x360:rate=${FPS}:duration=${seconds}`,
      '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${seconds}`,
      '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', file,
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  return file;
}

type Timing = { firstPlayableSec: number; doneSec: number; chunks: number; computed: number };

/** One preview of timeline frames [start, end) of the file, in a fresh user data folder. With warmEngine, a preview
 *  of the clip's first second runs first, so the figure leaves out the engine process's start (the measured
 *  chunks are still not cached). */
async function timePreview(root: string, run: string, media: string, start: number, end: number, warmEngine = false): Promise<Timing> {
  const services = createServices({ userDataDir: path.join(root, run, 'user-data'), host: 'web', log: () => undefined, mediaWatchMs: 0 });
  try {
    await call(services, 'project.create', { path: path.join(root, run, 'bench.upframe') });
    const { state } = await call(services, 'media.import', { paths: [media] });
    const withClip = await call(services, 'timeline.addClip', { mediaId: state.media[0].id, trackId: state.tracks[0].id, start: 0 });
    const clipId = withClip.clips[0].id;
    await call(services, 'clip.setSettings', { clipIds: [clipId], settings: SETTINGS });

    if (warmEngine) {
      const warm = await call(services, 'preview.start', { clipId, start: 0, end: FPS });
      while ((await call(services, 'preview.get', { id: warm.id })).state === 'running') await new Promise((r) => setTimeout(r, 20));
    }

    let firstPlayableAt: number | null = null;
    let resolveDone!: (e: AnyEvent) => void;
    const done = new Promise<AnyEvent>((resolve) => (resolveDone = resolve));
    services.subscribe((e) => {
      if (e.event !== 'preview.updated') return;
      if (firstPlayableAt === null && e.payload.enhanced.url !== null) firstPlayableAt = performance.now();
      if (['done', 'failed', 'cancelled'].includes(e.payload.state)) resolveDone(e);
    });
    const started = performance.now();
    await call(services, 'preview.start', { clipId, start, end });
    const last = await done;
    const doneAt = performance.now();
    if (last.event !== 'preview.updated' || last.payload.state !== 'done') throw new Error(`The preview ended ${JSON.stringify(last.payload)}`);
    const job = (await call(services, 'jobs.list', {})).find((j) => j.id === last.payload.id)!;
    return {
      firstPlayableSec: ((firstPlayableAt ?? doneAt) - started) / 1000,
      doneSec: (doneAt - started) / 1000,
      chunks: job.stats.chunks,
      computed: job.stats.computed,
    };
  } finally {
    await services.close();
  }
}

const fmt = (values: number[]) => values.map((v) => v.toFixed(2)).join(', ');

async function main(): Promise<void> {
  const tmp = makeTempDir('upframe-bench-preview-');
  try {
    const long = makeMedia(tmp.dir, 'long-60s', 60);
    const short = makeMedia(tmp.dir, 'short-1s', 1);
    // 1 s in the middle of the long clip (30 s .. 31 s) and the whole short clip: the same number of frames.
    const middle = { start: 30 * FPS, end: 31 * FPS };
    const whole = { start: 0, end: FPS };
    // 2 s around the middle, as the preview button does around the playhead.
    const around = { start: 29 * FPS, end: 31 * FPS };

    const inLong: Timing[] = [];
    const standalone: Timing[] = [];
    const firstFrame: Timing[] = [];
    const firstFrameWarm: Timing[] = [];
    for (let i = 0; i < RUNS; i++) {
      // Interleaved, so a slower moment of the shared machine hits every case alike.
      inLong.push(await timePreview(tmp.dir, `long-${i}`, long, middle.start, middle.end));
      standalone.push(await timePreview(tmp.dir, `short-${i}`, short, whole.start, whole.end));
      firstFrame.push(await timePreview(tmp.dir, `first-${i}`, long, around.start, around.end));
      firstFrameWarm.push(await timePreview(tmp.dir, `warm-${i}`, long, around.start, around.end, true));
    }

    const longSec = median(inLong.map((t) => t.doneSec));
    const shortSec = median(standalone.map((t) => t.doneSec));
    const ratio = longSec / shortSec;
    console.log(`preview-segment: classic, 640x360 -> 1280x720 @ ${FPS} fps, cold cache and fresh engine process each run, ${RUNS} runs`);
    console.log(`  1 s in the middle of a 60 s clip: median ${longSec.toFixed(2)} s  (${fmt(inLong.map((t) => t.doneSec))}; ${inLong[0].chunks} chunk(s))`);
    console.log(`  standalone 1 s clip:              median ${shortSec.toFixed(2)} s  (${fmt(standalone.map((t) => t.doneSec))}; ${standalone[0].chunks} chunk(s))`);
    console.log(`  ratio: ${ratio.toFixed(2)} (target <= 1.5)${ratio <= 1.5 ? '' : '  ABOVE TARGET'}`);
    console.log(`BENCH_RESULT ${JSON.stringify({ bench: 'preview-segment', longSec, shortSec, ratio, target: 1.5, runs: RUNS })}`);

    const firstSec = median(firstFrame.map((t) => t.firstPlayableSec));
    const doneSec = median(firstFrame.map((t) => t.doneSec));
    console.log(`preview-first-frame: classic, 640x360 at scale 2 -> 1280x720, 2 s segment (${firstFrame[0].chunks} chunks), cold cache and fresh engine process`);
    console.log(`  first playable enhanced file: median ${firstSec.toFixed(2)} s  (${fmt(firstFrame.map((t) => t.firstPlayableSec))})`);
    console.log(`  whole segment done:           median ${doneSec.toFixed(2)} s  (${fmt(firstFrame.map((t) => t.doneSec))})`);
    console.log(`  target: first frame <= 2 s${firstSec <= 2 ? '' : '  ABOVE TARGET'}`);
    const warmSec = median(firstFrameWarm.map((t) => t.firstPlayableSec));
    console.log(`  same with the engine process already running: median ${warmSec.toFixed(2)} s  (${fmt(firstFrameWarm.map((t) => t.firstPlayableSec))})`);
    console.log(`BENCH_RESULT ${JSON.stringify({ bench: 'preview-first-frame', firstSec, doneSec, warmEngineFirstSec: warmSec, target: 2, runs: RUNS })}`);
  } finally {
    tmp.cleanup();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
