// The Python re-implementations of the SVD temporal VAE and the OpenCLIP ViT-H/14 text tower
// (native-models/venhancer/vae.py, text.py) against the reference fixtures, through their check module.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '../..');

interface Check {
  pass: boolean;
  figures: Record<string, unknown>;
}

/** Runs the check module asynchronously (a synchronous child would block the test worker's RPC for minutes). */
function runChecks(): Promise<{ status: number | null; output: string; results: Record<string, Check> }> {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/python3', ['-m', 'venhancer.checks_vae_text', '--json', '--threads', '2'], {
      cwd: path.join(ROOT, 'native-models'),
      env: { ...process.env, OMP_NUM_THREADS: '2' },
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

describe('VEnhancer VAE and text tower (Python) against the reference fixtures', () => {
  it('passes every check, with the measured differences inside the tolerances', { timeout: 600_000 }, async () => {
    const { status, output, results } = await runChecks();
    expect(status, output).toBe(0);
    expect(Object.keys(results).sort()).toEqual(['text_fixture', 'text_keys', 'vae_fixture', 'vae_keys']);
    for (const [name, check] of Object.entries(results)) expect(check.pass, `${name}\n${output}`).toBe(true);

    expect(results.vae_keys.figures).toMatchObject({ tensors: 374, values: 97_742_847, missing: [], unexpected: [], wrong_shape: [] });
    expect(results.text_keys.figures).toMatchObject({ tensors: 294, values: 354_032_641, missing: [], unexpected: [], wrong_shape: [] });

    const vae = results.vae_fixture.figures as Record<string, number>;
    for (const name of ['enc_mean', 'enc_logvar', 'enc_moments', 'dec_full', 'dec_chunk2', 'dec_nf1', 'dec_b2']) {
      expect(vae[`${name}_f32`], name).toBeLessThanOrEqual(1e-5);
      expect(vae[`${name}_f64`], name).toBeLessThanOrEqual(1e-6);
    }
    expect(vae.dec_full_vs_ref_chunk2_f32).toBeGreaterThan(0.1);
    const text = results.text_fixture.figures as Record<string, number>;
    expect(text.hidden_f32).toBeLessThanOrEqual(1e-5);
    expect(text.hidden_f64).toBeLessThanOrEqual(1e-6);
    expect(text.hidden_vs_ref_last_f32).toBeGreaterThan(1e-2);
  });
});
