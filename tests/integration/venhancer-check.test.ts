// `npm run check:venhancer -- FILE` on the three reference fixtures (our PyTorch against the reference outputs, the
// exported ONNX run through the engine's pack runtime on onnxruntime-node), and on a damaged fixture, which must fail.
// Needs /usr/bin/python3 with torch, onnx and numpy (CI installs Debian's python3-torch, python3-onnx, python3-numpy).
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../helpers/media-fixtures';

const ROOT = path.resolve(__dirname, '..', '..');
const TSX = pathToFileURL(require.resolve('tsx', { paths: [ROOT] })).href;
const SCRIPT = path.join(ROOT, 'scripts', 'check-venhancer.ts');
const FIXTURES = path.join(ROOT, 'tests', 'fixtures', 'venhancer');
const HELPER = path.join(ROOT, 'tests', 'helpers', 'venhancer_inputs.py');
// The checks export and run small models on a busy 2-core machine: allow minutes, not seconds.
const TIMEOUT = 600_000;

type Figure = { name: string; maxAbs: number | null; tolerance: number; pass: boolean };
type Result = { form: string; keys: { name: string; pass: boolean }[]; pytorch: Figure[]; onnx: Figure[]; pass: boolean };

function check(file: string): Promise<{ code: number | null; stdout: string; result: Result | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', TSX, SCRIPT, file], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = stdout.split('\n').find((l) => l.startsWith('CHECK_RESULT '));
      if (!line) console.error(stdout, stderr);
      resolve({ code, stdout, result: line ? (JSON.parse(line.slice('CHECK_RESULT '.length)) as Result) : null });
    });
  });
}

function expectAllWithin(result: Result): void {
  expect(result.keys.length).toBeGreaterThan(0);
  expect(result.keys.every((k) => k.pass)).toBe(true);
  expect(result.pytorch.length).toBeGreaterThan(0);
  for (const f of [...result.pytorch, ...result.onnx]) {
    expect(f.maxAbs, f.name).not.toBeNull();
    expect(f.maxAbs!, f.name).toBeLessThanOrEqual(f.tolerance);
  }
}

let tmp: { dir: string; cleanup: () => void };
beforeAll(() => {
  tmp = makeTempDir('upframe-venhancer-check-');
});
afterAll(() => tmp.cleanup());

describe('npm run check:venhancer', () => {
  it(
    'denoiser fixture-a: keys, PyTorch fp32/fp64 and ONNX fp32/fp16-weights within tolerance',
    async () => {
      const { code, result } = await check(path.join(FIXTURES, 'fixture-a.pt'));
      expect(result?.form).toBe('denoiser');
      expectAllWithin(result!);
      // Two cases (with inserted frames and without), each in fp32 and fp64, and each in both ONNX exports.
      expect(result!.pytorch.filter((f) => f.name.includes('float32')).length).toBe(2);
      expect(result!.onnx.length).toBe(4);
      // fp32 at 1e-4; the fp16 export (float16 weights and inputs/outputs) at 2e-3, set from the measured 9.3e-4.
      expect(result!.onnx.filter((f) => f.name.includes('fp32')).every((f) => f.tolerance === 1e-4)).toBe(true);
      expect(result!.onnx.filter((f) => f.name.includes('fp16')).every((f) => f.tolerance === 2e-3)).toBe(true);
      expect(code).toBe(0);
    },
    TIMEOUT,
  );

  it(
    'SVD VAE fixture: keys, PyTorch and ONNX encoder moments and decoder (whole, chunked, per frame)',
    async () => {
      const { code, result } = await check(path.join(FIXTURES, 'vae-fixture.pt'));
      expect(result?.form).toBe('vae');
      expectAllWithin(result!);
      expect(result!.onnx.map((f) => f.name)).toEqual([
        'VAE encoder ONNX fp32 moments',
        'VAE decoder ONNX fp32 dec_full (one 5-frame video)',
        'VAE decoder ONNX fp32 dec_chunk2 (2+2+1 frames)',
        'VAE decoder ONNX fp32 dec_nf1 (frame by frame)',
      ]);
      expect(code).toBe(0);
    },
    TIMEOUT,
  );

  it(
    'OpenCLIP text fixture: keys, PyTorch and ONNX penultimate hidden states',
    async () => {
      const { code, result } = await check(path.join(FIXTURES, 'text-fixture.pt'));
      expect(result?.form).toBe('text');
      expectAllWithin(result!);
      expect(result!.onnx).toHaveLength(1);
      expect(code).toBe(0);
    },
    TIMEOUT,
  );

  it(
    'a fixture with one reference value moved by 1e-3 fails, in PyTorch and in ONNX',
    async () => {
      const damaged = path.join(tmp.dir, 'text-damaged.pt');
      const made = spawnSync('/usr/bin/python3', [HELPER, 'perturb', path.join(FIXTURES, 'text-fixture.pt'), damaged], { encoding: 'utf8' });
      expect(made.status, made.stderr).toBe(0);
      const { code, stdout, result } = await check(damaged);
      expect(code).toBe(1);
      expect(result?.pass).toBe(false);
      const f32 = result!.pytorch.find((f) => f.name === 'text hidden_f32')!;
      expect(f32.pass).toBe(false);
      expect(f32.maxAbs!).toBeGreaterThan(9e-4);
      expect(result!.onnx[0].pass).toBe(false);
      expect(stdout).toMatch(/FAIL onnx +text encoder ONNX fp32: max abs (9\.9\de-4|1\.00e-3)/);
    },
    TIMEOUT,
  );

  it('a file that is not a fixture exits 2 and says so', async () => {
    const { code, stdout } = await check(path.join(FIXTURES, 'config.json'));
    expect(code).toBe(2);
    expect(stdout).not.toMatch(/CHECK_RESULT/);
  }, TIMEOUT);
});
