// The Python re-implementation of the VEnhancer denoiser (native-models/venhancer/denoiser.py: 3D UNet + video
// ControlNet) against the reference: full-size checkpoint keys and shapes, and the tiny fixture's outputs in
// float32 and float64, through its check module.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '../..');
const FIXTURES = path.join(ROOT, 'tests/fixtures/venhancer');

interface Check {
  pass: boolean;
  figures: Record<string, unknown>;
}

/** Runs the check module asynchronously (a synchronous child would block the test worker's RPC). */
function runChecks(): Promise<{ status: number | null; output: string; results: Record<string, Check> }> {
  return new Promise((resolve, reject) => {
    const args = [
      path.join(ROOT, 'native-models/venhancer/checks_denoiser.py'),
      '--keys', path.join(FIXTURES, 'unet-controlnet-keys.tsv'),
      '--fixture', path.join(FIXTURES, 'fixture-a.pt'),
      '--dtype', 'both', '--threads', '1', '--json',
    ];
    const child = spawn('/usr/bin/python3', args, {
      cwd: ROOT,
      env: { ...process.env, OMP_NUM_THREADS: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (status) => {
      const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
      resolve({ status, output: stdout + stderr, results: line ? JSON.parse(line.slice('RESULT '.length)) : {} });
    });
  });
}

describe('VEnhancer denoiser (Python) against the reference fixtures', () => {
  it('has the checkpoint keys and reproduces every fixture case in float32 and float64', { timeout: 600_000 }, async () => {
    const { status, output, results } = await runChecks();
    expect(status, output).toBe(0);
    expect(Object.keys(results).sort()).toEqual(['denoiser_fixture_float32', 'denoiser_fixture_float64', 'denoiser_keys']);
    for (const [name, check] of Object.entries(results)) expect(check.pass, `${name}\n${output}`).toBe(true);

    expect(results.denoiser_keys.figures).toMatchObject({
      entries: 2180,
      expected_entries: 2180,
      parameters: 2_044_809_796,
      unet_parameters: 1_411_233_860,
      controlnet_parameters: 633_575_936,
      buffers: 0,
      mismatches: 0,
    });

    for (const [dtype, tolerance] of [['float32', 1e-5], ['float64', 1e-6]] as const) {
      const cases = results[`denoiser_fixture_${dtype}`].figures as Record<string, { output: number; residuals: number }>;
      // The main case (3 key frames, 2 inserted between each) and the no-insertion case (F = K = 4).
      expect(Object.keys(cases)).toHaveLength(2);
      for (const [name, figures] of Object.entries(cases)) {
        expect(figures.output, `${dtype} ${name}`).toBeLessThanOrEqual(tolerance);
        expect(figures.residuals, `${dtype} ${name} ControlNet residuals`).toBeLessThan(1e-3);
      }
    }
  });
});
