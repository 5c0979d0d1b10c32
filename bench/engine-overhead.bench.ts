// Engine overhead: the analytic test pack end to end (decode, VAE encode, 1 denoiser evaluation, VAE decode, blend,
// encode) against the I/O floor, one ffmpeg command that decodes the same clip, scales it bilinearly to the same
// size, blends to the same frame rate and encodes with the same encoder. The analytic pack's model is nearly free,
// so the ratio measures what the engine adds around the model. Target: ratio <= 1.3.
// Run: npx tsx bench/engine-overhead.bench.ts  (or npm run bench)
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { defaultClipSettings } from '../main/common/settings';
import { defaultExecutionOptions } from '../main/engine/execution';
import { builtinPackDir } from '../main/engine/pack/builtin';
import { EngineHost } from '../main/engine/process/engine-host';
import type { EngineResult, EnhanceJobSpec } from '../main/engine/types';
import { FFMPEG, makeTempDir, makeTestVideo } from '../tests/helpers/media-fixtures';

const CLIP = { width: 320, height: 512, fps: 8, durationSec: Number(process.env.BENCH_SECONDS ?? 10) };
const SCALE = 2;
const TARGET_FPS = 24; // 2 frames inserted between key frames at 8 fps
/** Decode tile (latent pixels) for the bench: the analytic pack's own tiles are tiny on purpose (they exercise the
 *  tile blending in tests); a real pack's tiles are far larger. */
const TILE_LATENT = Number(process.env.BENCH_TILE ?? 256);

function spec(input: string, output: string): EnhanceJobSpec {
  return {
    input,
    settings: { ...defaultClipSettings(), engine: 'diffusion', scale: SCALE, targetFps: TARGET_FPS, steps: 1, noise: 0, tileLatent: TILE_LATENT },
    packDir: builtinPackDir('analytic-test'),
    execution: defaultExecutionOptions({ provider: 'cpu' }),
    output: { kind: 'video', path: output },
  };
}

async function main(): Promise<void> {
  const tmp = makeTempDir('upframe-bench-overhead-');
  const host = new EngineHost();
  try {
    const input = makeTestVideo(tmp.dir, { name: 'bench', ...CLIP });
    const warmup = makeTestVideo(tmp.dir, { name: 'warmup', width: 32, height: 32, fps: 8, durationSec: 0.5 });
    // Start the engine process and load its modules first: the figure is the job, not the process start.
    await host.run(spec(warmup, path.join(tmp.dir, 'warmup-out.mp4')), {});

    let started = performance.now();
    const result: EngineResult = await host.run(spec(input, path.join(tmp.dir, 'engine.mp4')), {});
    const engineSec = (performance.now() - started) / 1000;

    const floorArgs = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', '-i', input];
    floorArgs.push('-vf', `scale=${result.width}:${result.height}:flags=bilinear,framerate=fps=${result.fps}`);
    floorArgs.push('-frames:v', String(result.frames));
    // The engine's writer: libx264 medium crf 17, 4:2:0, AAC audio.
    floorArgs.push('-c:v', 'libx264', '-preset', 'medium', '-crf', '17', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '192k');
    floorArgs.push(path.join(tmp.dir, 'floor.mp4'));
    started = performance.now();
    execFileSync(FFMPEG, floorArgs, { stdio: ['ignore', 'ignore', 'inherit'] });
    const floorSec = (performance.now() - started) / 1000;

    const ratio = engineSec / floorSec;
    console.log(`engine-overhead: ${CLIP.durationSec} s clip ${CLIP.width}x${CLIP.height} @ ${CLIP.fps} fps -> ${result.width}x${result.height} @ ${result.fps} fps, ${result.frames} frames, 1 evaluation, decode tile ${TILE_LATENT}`);
    console.log(`  analytic pack end to end: ${engineSec.toFixed(2)} s`);
    console.log(`  I/O floor (one ffmpeg):   ${floorSec.toFixed(2)} s`);
    console.log(`  ratio: ${ratio.toFixed(2)} (target <= 1.3)${ratio <= 1.3 ? '' : '  ABOVE TARGET'}`);
    console.log('  stage breakdown per output frame:');
    const stages = ['decode', 'vae_encode', 'denoise', 'vae_decode', 'blend', 'write'] as const;
    for (const stage of stages) {
      const sec = result.stageSeconds[stage] ?? 0;
      console.log(`    ${stage.padEnd(10)} ${((sec * 1000) / result.frames).toFixed(2).padStart(8)} ms/frame  (${sec.toFixed(2)} s total)`);
    }
    const accounted = stages.reduce((sum, s) => sum + (result.stageSeconds[s] ?? 0), 0);
    console.log(`    unaccounted ${(((engineSec - accounted) * 1000) / result.frames).toFixed(2).padStart(7)} ms/frame  (${(engineSec - accounted).toFixed(2)} s: planning, IPC, waits)`);
    console.log(
      `BENCH_RESULT ${JSON.stringify({ bench: 'engine-overhead', engineSec, floorSec, ratio, target: 1.3, frames: result.frames, stageSeconds: result.stageSeconds })}`,
    );
  } finally {
    await host.dispose();
    tmp.cleanup();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
