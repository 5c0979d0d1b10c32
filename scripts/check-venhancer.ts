// npm run check:venhancer -- FILE: checks one VEnhancer reference fixture (denoiser fixture-a form, SVD VAE fixture or
// OpenCLIP text fixture; told apart by content). The Python half (native-models/venhancer/fixture_check.py) checks the
// full-size keys and our PyTorch against the reference outputs and exports the tiny model to ONNX; this half runs each
// graph through the engine's pack runtime (main/engine/pack/runtime.ts: the same session code and dtype conversion a
// pack's graphs get) on onnxruntime-node and compares with the reference.
// Prints one PASS/FAIL line per figure and a final `CHECK_RESULT {json}` line. Exit 0 all pass, 1 a figure past its
// tolerance, 2 not a fixture / bad usage.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { GraphRole } from '../main/engine/pack/contract';
import type { GraphSpec, PackManifest } from '../main/engine/pack/manifest';
import { OnnxPackRuntime } from '../main/engine/pack/runtime';
import { checkPythonForExport, venhancerPythonRoot } from '../main/engine/pack/venhancer-export';
import type { Tensor } from '../main/engine/types';

type Figure = { name: string; maxAbs: number; tolerance: number; pass: boolean };
type OnnxCase = { name: string; graph: GraphSpec; role: GraphRole; runs: Record<string, string>[]; reference: string; tolerance: number };
type Plan = {
  form: 'denoiser' | 'vae' | 'text';
  fixture: string;
  keys: { name: string; pass: boolean; detail: string }[];
  pytorch: Figure[];
  onnx: OnnxCase[];
  log: string[];
};
type FeedValue = { dims: readonly number[]; data: Float32Array | BigInt64Array };
/** OnnxPackRuntime's graph runner. It is private because the engine only calls the role-specific methods; the check
 *  needs to feed a fixture's exact tensors to one graph, through the same code. */
type GraphRunner = { run(role: GraphRole, feeds: Record<string, FeedValue>): Promise<Tensor> };

/** Reads a little-endian .npy (float32, float64 or int64, C order). */
export function readNpy(file: string): FeedValue {
  const buf = readFileSync(file);
  if (buf.toString('latin1', 0, 6) !== '\x93NUMPY') throw new Error(`${file} is not a .npy file`);
  const major = buf[6];
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = buf.toString('latin1', start, start + headerLen);
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const shape = (/'shape':\s*\(([^)]*)\)/.exec(header)?.[1] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
  if (/'fortran_order':\s*True/.test(header)) throw new Error(`${file}: Fortran order is not supported`);
  const body = buf.subarray(start + headerLen);
  const aligned = new Uint8Array(body).buffer; // a copy, aligned for typed arrays
  switch (descr) {
    case '<f4':
      return { dims: shape, data: new Float32Array(aligned) };
    case '<f8':
      return { dims: shape, data: Float32Array.from(new Float64Array(aligned)) };
    case '<i8':
      return { dims: shape, data: new BigInt64Array(aligned) };
    default:
      throw new Error(`${file}: dtype ${descr} is not supported`);
  }
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= max)) max = Number.isNaN(d) ? Number.POSITIVE_INFINITY : d;
  }
  return max;
}

function concat(parts: Tensor[]): Tensor {
  if (parts.length === 1) return parts[0];
  const total = parts.reduce((n, p) => n + p.data.length, 0);
  const data = new Float32Array(total);
  let offset = 0;
  for (const p of parts) {
    data.set(p.data, offset);
    offset += p.data.length;
  }
  return { dims: [parts.reduce((n, p) => n + p.dims[0], 0), ...parts[0].dims.slice(1)], data };
}

async function runOnnxCase(work: string, c: OnnxCase): Promise<Figure> {
  // A one-graph pack as the runtime sees it: only the graph's own spec and the pack id are read by its session code.
  const manifest = { name: 'venhancer-fixture-check', version: c.name, graphs: { [c.role]: c.graph } } as unknown as PackManifest;
  const runtime = new OnnxPackRuntime(work, manifest, 'fixture-check', { provider: 'cpu', deviceId: 0, threads: 2, fp16: false, allowCpuFallback: false }, {
    idleReleaseMs: Number.POSITIVE_INFINITY,
  });
  try {
    const outputs: Tensor[] = [];
    for (const run of c.runs) {
      const feeds: Record<string, FeedValue> = {};
      for (const [name, file] of Object.entries(run)) feeds[name] = readNpy(path.join(work, file));
      outputs.push(await (runtime as unknown as GraphRunner).run(c.role, feeds));
    }
    const result = concat(outputs);
    const reference = readNpy(path.join(work, c.reference));
    const shapeOk = result.dims.join() === reference.dims.join();
    const maxAbs = shapeOk ? maxAbsDiff(result.data, reference.data as Float32Array) : Number.POSITIVE_INFINITY;
    if (!shapeOk) console.log(`  ${c.name}: output [${result.dims.join(', ')}], reference [${reference.dims.join(', ')}]`);
    return { name: c.name, maxAbs, tolerance: c.tolerance, pass: maxAbs <= c.tolerance };
  } finally {
    await runtime.release();
  }
}

function line(kind: string, f: Figure): string {
  return `${f.pass ? 'PASS' : 'FAIL'} ${kind.padEnd(7)} ${f.name}: max abs ${f.maxAbs.toExponential(2)} (tol ${f.tolerance.toExponential(0)})`;
}

async function main(): Promise<number> {
  const file = process.argv.slice(2).find((a) => a !== '--');
  if (!file) {
    console.error('usage: npm run check:venhancer -- FIXTURE.pt');
    return 2;
  }
  const python = await checkPythonForExport();
  if (!python.ok) {
    console.error(python.message);
    return 2;
  }
  const work = mkdtempSync(path.join(os.tmpdir(), 'upframe-venhancer-check-'));
  try {
    const started = Date.now();
    const py = spawnSync(python.python, ['-m', 'venhancer.fixture_check', path.resolve(file), '--work', work], {
      cwd: venhancerPythonRoot(),
      encoding: 'utf8',
      stdio: ['ignore', 'inherit', 'pipe'],
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
    });
    if (py.status === 2) {
      console.error(py.stderr.trim());
      return 2;
    }
    let plan: Plan;
    try {
      plan = JSON.parse(readFileSync(path.join(work, 'plan.json'), 'utf8')) as Plan;
    } catch {
      console.error(`The Python check failed before writing its results:\n${py.stderr.trim().split('\n').slice(-15).join('\n')}`);
      return 1;
    }
    console.log(`VEnhancer fixture check: ${plan.fixture} (${plan.form} fixture)`);
    for (const k of plan.keys) console.log(`${k.pass ? 'PASS' : 'FAIL'} keys    ${k.name}: ${k.detail}`);
    for (const f of plan.pytorch) console.log(line('pytorch', f));
    for (const message of plan.log) console.log(`  ${message}`);
    const onnx: Figure[] = [];
    for (const c of plan.onnx) {
      const figure = await runOnnxCase(work, c);
      onnx.push(figure);
      console.log(line('onnx', figure));
    }
    const failed = [...plan.keys, ...plan.pytorch, ...onnx].filter((f) => !f.pass).length;
    console.log(failed === 0 ? `ALL PASS (${((Date.now() - started) / 1000).toFixed(1)} s)` : `${failed} CHECK(S) FAILED`);
    console.log(`CHECK_RESULT ${JSON.stringify({ form: plan.form, keys: plan.keys, pytorch: plan.pytorch, onnx, pass: failed === 0 })}`);
    return failed === 0 ? 0 : 1;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exitCode = 1;
  },
);
