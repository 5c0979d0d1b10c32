// Per-frame model speed: milliseconds per 320x180 frame through the built-in ESRGAN (thick) pack at x2 and x4 on
// the CPU provider, with the engine's session settings (all graph optimisations, one intra-op thread per core,
// sequential execution, the frame as one tile). Also one frame per thread count, so the thread default is checked.
// The frame is the package's fixture photograph resized to 320x180 (content does not change a CNN's cost).
// Run: npx tsx bench/perframe-speed.bench.ts  (or npm run bench -- perframe)   BENCH_FRAMES=3 BENCH_SCALES=2,4
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { builtinEsrganPackDir } from '../main/engine/perframe/api';
import { esrganPackageDir } from '../main/engine/perframe/esrgan-converter';
import { PerFrameModel } from '../main/engine/perframe/per-frame-model';
import type { ExecutionOptions, RgbFrame } from '../main/engine/types';
import { FFMPEG } from '../tests/helpers/media-fixtures';

const FRAMES = Number(process.env.BENCH_FRAMES ?? 3);
const SCALES = (process.env.BENCH_SCALES ?? '2,4').split(',').map(Number);
const THREADS = (process.env.BENCH_THREADS ?? `1,${os.availableParallelism()}`).split(',').map(Number);

function frame320x180(): RgbFrame {
  const fixture = path.join(esrganPackageDir()!, 'assets', 'fixture.png');
  const data = execFileSync(FFMPEG, ['-v', 'error', '-i', fixture, '-vf', 'scale=320:180:flags=lanczos', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-']);
  return { width: 320, height: 180, data: new Uint8Array(data) };
}

function cpu(threads: number): ExecutionOptions {
  return { provider: 'cpu', deviceId: 0, threads, fp16: false, allowCpuFallback: false };
}

async function timeFrames(file: string, threads: number, frames: number, frame: RgbFrame): Promise<number[]> {
  const model = await PerFrameModel.open(file, cpu(threads), { tile: { size: 384, overlap: 24, multipleOf: 1 } });
  try {
    await model.upscale(frame); // warm-up: first run allocates the arena and picks kernels
    const times: number[] = [];
    for (let i = 0; i < frames; i++) {
      const t = performance.now();
      await model.upscale(frame);
      times.push(performance.now() - t);
    }
    return times;
  } finally {
    await model.release();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const pack = await builtinEsrganPackDir();
  const frame = frame320x180();
  const load = os.loadavg()[0];
  console.log(`ESRGAN (thick), 320x180 frames, CPU, ${os.availableParallelism()} cores, load average ${load.toFixed(2)} at start`);
  const result: Record<string, unknown> = { bench: 'perframe-speed', cores: os.availableParallelism(), loadAverageAtStart: Number(load.toFixed(2)) };
  for (const scale of SCALES) {
    const file = path.join(pack, `x${scale}.onnx`);
    const times = await timeFrames(file, 0, FRAMES, frame);
    const ms = Math.round(median(times));
    console.log(`x${scale}: ${ms} ms per frame (median of ${FRAMES}; ${times.map((t) => Math.round(t)).join(', ')} ms), engine default threads`);
    result[`x${scale}MsPerFrame`] = ms;
    for (const threads of THREADS) {
      const [one] = await timeFrames(file, threads, 1, frame);
      console.log(`x${scale}: ${Math.round(one)} ms for one frame with ${threads} intra-op thread${threads === 1 ? '' : 's'}`);
      result[`x${scale}MsOneFrame${threads}Threads`] = Math.round(one);
    }
  }
  console.log(`BENCH_RESULT ${JSON.stringify(result)}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
