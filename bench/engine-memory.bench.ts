// Engine memory: peak resident memory of the engine process for a 10 s clip against a 60 s clip with the same
// settings (analytic test pack, x2 in space, 2 frames inserted, 1 evaluation). Latents live on disk and the
// sampler works chunk by chunk, so memory must not grow with the clip's length. Target: ratio <= 1.15.
// Each clip runs in a fresh engine process, since peak RSS covers a process's whole life.
// Run: npx tsx bench/engine-memory.bench.ts  (or npm run bench)
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { defaultClipSettings } from '../main/common/settings';
import { defaultExecutionOptions } from '../main/engine/execution';
import { builtinPackDir } from '../main/engine/pack/builtin';
import { EngineHost } from '../main/engine/process/engine-host';
import type { EnhanceJobSpec } from '../main/engine/types';
import { makeTempDir, makeTestVideo } from '../tests/helpers/media-fixtures';

/** A smaller frame than the overhead bench, so the 60 s clip finishes in minutes on a CPU. */
const FRAME = { width: Number(process.env.BENCH_WIDTH ?? 96), height: Number(process.env.BENCH_HEIGHT ?? 160), fps: 8 };
const DURATIONS = [Number(process.env.BENCH_SHORT ?? 10), Number(process.env.BENCH_LONG ?? 60)];

function spec(input: string, output: string): EnhanceJobSpec {
  return {
    input,
    settings: { ...defaultClipSettings(), engine: 'diffusion', scale: 2, targetFps: 24, steps: 1, noise: 0, tileLatent: 256 },
    packDir: builtinPackDir('analytic-test'),
    execution: defaultExecutionOptions({ provider: 'cpu' }),
    output: { kind: 'video', path: output },
  };
}

async function measure(input: string, output: string): Promise<{ peakBytes: number; seconds: number; frames: number }> {
  const host = new EngineHost();
  try {
    const started = performance.now();
    const result = await host.run(spec(input, output), {});
    if (host.lastPeakRssBytes === null) throw new Error('The engine process reported no peak memory.');
    return { peakBytes: host.lastPeakRssBytes, seconds: (performance.now() - started) / 1000, frames: result.frames };
  } finally {
    await host.dispose();
  }
}

async function main(): Promise<void> {
  const tmp = makeTempDir('upframe-bench-memory-');
  try {
    const runs = [];
    for (const durationSec of DURATIONS) {
      const input = makeTestVideo(tmp.dir, { name: `clip-${durationSec}s`, ...FRAME, durationSec });
      const run = await measure(input, path.join(tmp.dir, `out-${durationSec}s.mp4`));
      runs.push({ durationSec, ...run });
    }
    const mib = (b: number) => (b / 2 ** 20).toFixed(1);
    console.log(`engine-memory: ${FRAME.width}x${FRAME.height} @ ${FRAME.fps} fps, x2, 24 fps out, 1 evaluation; fresh engine process per clip`);
    for (const r of runs) {
      console.log(`  ${String(r.durationSec).padStart(3)} s clip: ${r.frames} frames, peak RSS ${mib(r.peakBytes)} MiB (${r.seconds.toFixed(1)} s)`);
    }
    const ratio = runs[1].peakBytes / runs[0].peakBytes;
    console.log(`  ratio ${DURATIONS[1]} s / ${DURATIONS[0]} s: ${ratio.toFixed(3)} (target <= 1.15)${ratio <= 1.15 ? '' : '  ABOVE TARGET'}`);
    console.log(`BENCH_RESULT ${JSON.stringify({ bench: 'engine-memory', runs, ratio, target: 1.15 })}`);
  } finally {
    tmp.cleanup();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
