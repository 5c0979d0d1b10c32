// The VEnhancer exporter end to end, on tiny models in the released files' formats (made at test time from the
// reference fixtures): a verified pack that the registry imports; refusals naming the file (truncated checkpoint,
// another model's checkpoint, a VAE of another architecture, truncated safetensors); Ctrl+C leaving no half pack.
// Needs /usr/bin/python3 with torch, onnx and numpy.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PackRegistry } from '../../main/engine/pack/registry';
import { exportVenhancerPack, VenhancerExportError, type VenhancerExportProgress } from '../../main/engine/pack/venhancer-export';
import { verifyPack } from '../../main/engine/pack/verify';
import { makeTempDir } from '../helpers/media-fixtures';

const ROOT = path.resolve(__dirname, '..', '..');
const HELPER = path.join(ROOT, 'tests', 'helpers', 'venhancer_inputs.py');
const TIMEOUT = 1_500_000;

let tmp: { dir: string; cleanup: () => void };
let inputs: string;

function helper(...args: string[]): void {
  const r = spawnSync('/usr/bin/python3', [HELPER, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`venhancer_inputs.py ${args.join(' ')} failed: ${r.stderr}`);
}

/** A copy of the good inputs with one kind of damage. */
function damagedInputs(kind: string): string {
  const dir = path.join(tmp.dir, `in-${kind}`);
  cpSync(inputs, dir, { recursive: true });
  helper('damage', dir, kind);
  return dir;
}

function tinyExport(dir: string, out: string, hooks: { onProgress?: (p: VenhancerExportProgress) => void; signal?: AbortSignal } = {}) {
  return exportVenhancerPack(
    {
      checkpoint: path.join(dir, 'checkpoint.pt'),
      vae: path.join(dir, 'vae'),
      clip: path.join(dir, 'clip.bin'),
      out,
      tinyConfig: path.join(dir, 'tiny.json'),
    },
    { onProgress: hooks.onProgress ?? (() => {}), signal: hooks.signal },
  );
}

async function expectRefusal(promise: Promise<unknown>, file: string, message: RegExp): Promise<void> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(VenhancerExportError);
  const e = error as VenhancerExportError;
  expect(e.code).toBe('BAD_INPUT');
  expect(e.message).toContain(file);
  expect(e.message).toMatch(message);
}

/** Nothing of a pack or its temporary folder is left beside `out`. */
function expectNoHalfPack(out: string): void {
  expect(existsSync(out)).toBe(false);
  const leftovers = readdirSync(path.dirname(out)).filter((n) => n.startsWith(`.${path.basename(out)}.export-`));
  expect(leftovers).toEqual([]);
}

beforeAll(() => {
  tmp = makeTempDir('upframe-venhancer-export-');
  inputs = path.join(tmp.dir, 'in');
  helper('inputs', inputs);
});
afterAll(() => tmp.cleanup());

describe('VEnhancer exporter', () => {
  it(
    'exports a tiny pack from files in the released formats; the pack verifies and imports',
    async () => {
      const out = path.join(tmp.dir, 'packs', 'tiny');
      const progress: VenhancerExportProgress[] = [];
      const { packDir } = await tinyExport(inputs, out, { onProgress: (p) => progress.push(p) });
      expect(packDir).toBe(out);
      const { manifest } = await verifyPack(packDir);
      expect(manifest.schemaVersion).toBe(2);
      expect(Object.keys(manifest.graphs).sort()).toEqual(['denoiser', 'text_encoder', 'vae_decoder', 'vae_encoder']);
      expect(manifest.files.filter((f) => f.role === 'external-data').length).toBeGreaterThanOrEqual(4);
      const denoiser = manifest.graphs.denoiser;
      expect(denoiser.inputs.map((i) => i.name)).toEqual(['x', 't', 'context', 'hint', 'mask', 't_hint', 's_cond']);
      expect(denoiser.inputs.find((i) => i.name === 'hint')!.shape).toEqual([1, 4, 'K', 'h', 'w']);
      // The reference defaults are data in the manifest.
      const raw = JSON.parse(readFileSync(path.join(packDir, 'manifest.json'), 'utf8'));
      expect(raw.sampler.presets.fast.timesteps.slice(0, 5)).toEqual([899, 799, 699, 599, 500]);
      expect(raw.sampler.presets.fast.timesteps).toHaveLength(15);
      expect(raw.sampler.cfg).toEqual({ default: 7.5, rescale: 0.2 });
      expect(raw.text.negativePrompt).toMatch(/^painting, oil painting, .* over-smooth$/);
      expect(raw.text.positiveSuffix).toHaveLength(256);
      expect(raw.decode).toMatchObject({ tileH: 72, tileW: 128, overlapH: 12, overlapW: 25 });
      expect(raw.latent.scalingFactor).toBe(0.18215);
      // Progress: every graph, fractions that only grow, ending at 1.
      expect(new Set(progress.map((p) => p.graph))).toEqual(new Set(['denoiser', 'text_encoder', 'vae_encoder', 'vae_decoder', 'tokenizer', 'manifest']));
      const fractions = progress.map((p) => p.fraction);
      expect(fractions.every((f, i) => i === 0 || f >= fractions[i - 1] - 1e-9)).toBe(true);
      expect(fractions.at(-1)).toBe(1);
      expect(progress.some((p) => p.etaSeconds !== null)).toBe(true);
      // The registry imports it like any pack.
      const registry = new PackRegistry({ dir: path.join(tmp.dir, 'installed'), builtinDirs: [] });
      const entry = await registry.importFromFolder(packDir);
      expect(entry.status).toBe('ok');
      expect(entry.testPack).toBe(true);
    },
    TIMEOUT,
  );

  it('refuses a truncated checkpoint, naming it', async () => {
    const dir = damagedInputs('truncated-checkpoint');
    const out = path.join(tmp.dir, 'packs', 'truncated');
    await expectRefusal(tinyExport(dir, out), path.join(dir, 'checkpoint.pt'), /truncated/);
    expectNoHalfPack(out);
  }, TIMEOUT);

  it('refuses another model\'s checkpoint, saying what it looks like', async () => {
    const dir = damagedInputs('wrong-checkpoint');
    const out = path.join(tmp.dir, 'packs', 'wrong');
    await expectRefusal(tinyExport(dir, out), path.join(dir, 'checkpoint.pt'), /is not the VEnhancer checkpoint.*looks like an OpenCLIP model/);
    expectNoHalfPack(out);
  }, TIMEOUT);

  it('refuses a VAE of another architecture, naming its config', async () => {
    const dir = damagedInputs('other-vae');
    const out = path.join(tmp.dir, 'packs', 'other-vae');
    await expectRefusal(tinyExport(dir, out), path.join(dir, 'vae', 'config.json'), /another architecture.*_class_name is "AutoencoderKL"/);
    expectNoHalfPack(out);
  }, TIMEOUT);

  it('refuses truncated VAE weights, naming the file', async () => {
    const dir = damagedInputs('truncated-vae');
    const out = path.join(tmp.dir, 'packs', 'truncated-vae');
    await expectRefusal(tinyExport(dir, out), path.join(dir, 'vae', 'diffusion_pytorch_model.fp16.safetensors'), /truncated/);
    expectNoHalfPack(out);
  }, TIMEOUT);

  it(
    'cancelling mid-export (Ctrl+C) leaves no half pack',
    async () => {
      const out = path.join(tmp.dir, 'packs', 'cancelled');
      const controller = new AbortController();
      const started = tinyExport(inputs, out, {
        signal: controller.signal,
        // Abort once the denoiser export is under way: the temporary folder then exists and holds work.
        onProgress: (p) => {
          if (p.graph === 'denoiser' && /exporting/.test(p.message)) controller.abort();
        },
      });
      const error = await started.then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(VenhancerExportError);
      expect((error as VenhancerExportError).code).toBe('CANCELLED');
      expectNoHalfPack(out);
    },
    TIMEOUT,
  );
});
