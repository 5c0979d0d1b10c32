// VEnhancer full-size export: the full-size architecture (UNet + ControlNet 2.04 B parameters, the OpenCLIP text tower,
// the SVD VAE) with random weights, exported by the product's exporter into a pack in a temporary folder, verified,
// then ONE denoiser evaluation through onnxruntime-node on CPU at the smallest latent the padding rule allows
// (frames are padded to at least 720x1280: latent 90x160), F = 2 frames, K = 1 key frame.
// Prints the export's peak memory (ru_maxrss of the Python worker), the pack size and the seconds per evaluation.
// Needs about 16 GB of RAM and 20 GB of disk, and a long time on a small machine.
// Run: npm run bench -- venhancer   (VENHANCER_BENCH_DIR=... to export elsewhere than the system temp folder)
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { defaultExecutionOptions } from '../main/engine/execution';
import { loadPack } from '../main/engine/pack/runtime';
import { exportVenhancerPack } from '../main/engine/pack/venhancer-export';
import { verifyPack } from '../main/engine/pack/verify';

// VENHANCER_BENCH_LATENT=HxW (the model needs h ≡ 2 and w ≡ 0 mod 8) and VENHANCER_BENCH_FRAMES=F measure other
// sizes (90x160 with F=2 and plain attention needs more than 24 GB on the CPU); VENHANCER_BENCH_PACK=DIR times an
// exported pack without exporting again; VENHANCER_BENCH_KEEP=1 keeps the exported pack and prints where it is.
const [latentH, latentW] = (process.env.VENHANCER_BENCH_LATENT ?? '90x160').split('x').map(Number);
const LATENT = { h: latentH, w: latentW };
const FRAMES = Number(process.env.VENHANCER_BENCH_FRAMES ?? 2);
const KEYS = 1;

function randn(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const next = () => ((s = (s * 1664525 + 1013904223) >>> 0) + 0.5) / 2 ** 32;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.sqrt(-2 * Math.log(next())) * Math.cos(2 * Math.PI * next());
  return out;
}

async function main(): Promise<void> {
  const reused = process.env.VENHANCER_BENCH_PACK;
  const keep = process.env.VENHANCER_BENCH_KEEP === '1';
  const root = reused ? null : mkdtempSync(path.join(process.env.VENHANCER_BENCH_DIR ?? os.tmpdir(), 'upframe-venhancer-bench-'));
  const out = reused ?? path.join(root!, 'venhancer-random');
  try {
    let peakRssBytes: number | null = null;
    let exportSeconds: number | null = null;
    if (!reused) {
      let lastTenth = -1;
      const exportStarted = performance.now();
      await exportVenhancerPack(
        { out, randomWeights: true },
        {
          onProgress: (p) => {
            const tenth = Math.floor(p.fraction * 10);
            if (tenth !== lastTenth) {
              lastTenth = tenth;
              const eta = p.etaSeconds === null ? '--' : `${Math.round(p.etaSeconds)} s`;
              console.log(`export ${(p.fraction * 100).toFixed(0)}% (${p.graph}: ${p.message}; ETA ${eta})`);
            }
          },
          onLog: (line) => {
            console.log(`exporter: ${line}`);
            const match = /peakRssBytes=(\d+)/.exec(line);
            if (match) peakRssBytes = Number(match[1]);
          },
        },
      );
      exportSeconds = (performance.now() - exportStarted) / 1000;
      if (keep) console.log(`kept the pack in ${out}`);
    }
    const verifyStarted = performance.now();
    const verified = await verifyPack(out);
    const verifySeconds = (performance.now() - verifyStarted) / 1000;
    console.log(`pack ${verified.manifest.name}: ${(verified.sizeBytes / 1e9).toFixed(2)} GB, verified in ${verifySeconds.toFixed(1)} s`);
    console.log(`evaluating the denoiser at latent ${FRAMES}x${LATENT.h}x${LATENT.w} on the CPU...`);

    const runtime = await loadPack(out, defaultExecutionOptions({ provider: 'cpu' }), { idleReleaseMs: Number.POSITIVE_INFINITY });
    try {
      const { h, w } = LATENT;
      const x = { dims: [1, 4, FRAMES, h, w], data: randn(4 * FRAMES * h * w, 1) };
      const hint = { dims: [1, 4, KEYS, h, w], data: randn(4 * KEYS * h * w, 2) };
      const context = { dims: [1, 77, 1024], data: randn(77 * 1024, 3) };
      const mask = BigInt64Array.from({ length: FRAMES }, (_, i) => (i === 0 ? 0n : -1n));
      const inputs = { x, hint, context, mask, t: 899, tHint: 199, sCond: 8 };
      const firstStarted = performance.now();
      const v = await runtime.denoise(inputs); // opens the session (weights loaded) and runs once
      const firstSeconds = (performance.now() - firstStarted) / 1000;
      const evalStarted = performance.now();
      await runtime.denoise(inputs);
      const evalSeconds = (performance.now() - evalStarted) / 1000;
      const finite = v.data.every((value) => Number.isFinite(value));
      const result = {
        bench: 'venhancer-export',
        exportSeconds: exportSeconds === null ? null : Math.round(exportSeconds),
        exportPeakRssGB: peakRssBytes === null ? null : Number((peakRssBytes / 1e9).toFixed(2)),
        packGB: Number((verified.sizeBytes / 1e9).toFixed(2)),
        latent: `${FRAMES}x${h}x${w} (K=${KEYS})`,
        firstEvaluationSeconds: Number(firstSeconds.toFixed(1)),
        secondsPerEvaluation: Number(evalSeconds.toFixed(1)),
        outputFinite: finite,
        cpus: os.cpus().length,
      };
      console.log(`BENCH_RESULT ${JSON.stringify(result)}`);
      if (!finite) process.exitCode = 1;
    } finally {
      await runtime.release();
    }
  } finally {
    if (root && !keep) rmSync(root, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
