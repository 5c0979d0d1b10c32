// Time to the first rendered timeline for a project with 1,000 clips and 10,000 history entries: from the
// page's navigation start to the renderer's performance.mark('timeline-first-render') (set when the timeline
// first commits with clips in the DOM), in the system Chromium against the real web host. Median of 5 runs.
// Needs `npm run build` first. Run: npx tsx bench/timeline-open.bench.ts
import { chromium } from '@playwright/test';
import path from 'node:path';
import { inspectMedia } from '../main/media/fingerprint';
import { callApi, startHostProcess } from '../tests/helpers/host';
import { FFPROBE, makeTempDir, makeTestVideo } from '../tests/helpers/media-fixtures';
import { makeBigProject } from './make-big-project';
import { median } from './median';

const CLIPS = 1_000;
const HISTORY = 10_000;
const RUNS = 9;
// The first page of a fresh browser process also pays for starting its renderer process: measured, not counted.
const WARMUP_RUNS = 1;
const TARGET_MS = 300;

async function main(): Promise<void> {
  const work = makeTempDir('upframe-bench-open-');
  const userData = makeTempDir('upframe-bench-user-');
  const host = { current: null as Awaited<ReturnType<typeof startHostProcess>> | null };
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
  });
  try {
    const mediaPath = makeTestVideo(work.dir, { name: 'bench', width: 160, height: 120, fps: 24, durationSec: 2 });
    const facts = await inspectMedia(mediaPath, FFPROBE);
    const projectFile = path.join(work.dir, 'big.upframe');
    let started = Date.now();
    makeBigProject(projectFile, { clips: CLIPS, history: HISTORY, mediaPath, probe: facts.probe });
    console.log(`built the project (${CLIPS} clips, ${HISTORY} history entries) in ${Date.now() - started} ms`);

    host.current = await startHostProcess({ userDataDir: userData.dir });
    const { origin, token, url } = host.current;
    started = Date.now();
    const state = await callApi(origin, token, 'project.open', { path: projectFile });
    const history = await callApi(origin, token, 'history.list', { limit: 1 });
    console.log(`opened it on the host in ${Date.now() - started} ms: ${state.clips.length} clips, ${history.total} history entries`);
    if (state.clips.length !== CLIPS) throw new Error(`expected ${CLIPS} clips, the project has ${state.clips.length}`);

    const times: number[] = [];
    let rendered = 0;
    for (let run = 0; run < WARMUP_RUNS + RUNS; run++) {
      // A fresh context per run: no HTTP cache and no saved view state carried over.
      const context = await browser.newContext({ viewport: { width: 1600, height: 900 } });
      const page = await context.newPage();
      await page.goto(url, { waitUntil: 'commit' });
      await page.waitForFunction(() => performance.getEntriesByName('timeline-first-render').length > 0, null, { timeout: 60_000 });
      const ms = await page.evaluate(() => performance.getEntriesByName('timeline-first-render')[0].startTime);
      rendered = await page.getByTestId('clip').count();
      const warmup = run < WARMUP_RUNS;
      if (!warmup) times.push(ms);
      console.log(`${warmup ? 'warm-up' : `run ${run + 1 - WARMUP_RUNS}`}: ${ms.toFixed(1)} ms to the first rendered timeline (${rendered} of ${CLIPS} clips in the DOM)`);
      await context.close();
    }
    const med = median(times);
    console.log(`timeline-open: median ${med.toFixed(1)} ms over ${RUNS} runs (target <= ${TARGET_MS} ms) ${med <= TARGET_MS ? 'OK' : 'OVER TARGET'}`);
    console.log(
      `BENCH_RESULT ${JSON.stringify({ bench: 'timeline-open', medianMs: Math.round(med * 10) / 10, runsMs: times.map((t) => Math.round(t * 10) / 10), target: TARGET_MS, clips: CLIPS, history: HISTORY, clipsInDom: rendered })}`,
    );
  } finally {
    await browser.close();
    await host.current?.stop();
    work.cleanup();
    userData.cleanup();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
