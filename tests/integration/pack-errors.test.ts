import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ExecutionOptions } from '../../main/engine/types';
import { builtinPackDir, type BuiltinPackName } from '../../main/engine/pack/builtin';
import { PackError, type PackErrorCode } from '../../main/engine/pack/errors';
import { loadPack } from '../../main/engine/pack/runtime';
import { makeTempDir } from '../helpers/media-fixtures';

const CPU: ExecutionOptions = { provider: 'cpu', deviceId: 0, threads: 1, fp16: false, allowCpuFallback: false };

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((cleanup) => cleanup()));

/** A copy of a built-in pack in a temp folder, plus an (empty) output folder a job would write to. */
function copyPack(name: BuiltinPackName): { pack: string; output: string } {
  const { dir, cleanup } = makeTempDir('upframe-pack-err-');
  cleanups.push(cleanup);
  const pack = path.join(dir, name);
  fs.cpSync(builtinPackDir(name), pack, { recursive: true });
  const output = path.join(dir, 'output');
  fs.mkdirSync(output);
  return { pack, output };
}

function editManifest(pack: string, edit: (manifest: any) => void): void {
  const file = path.join(pack, 'manifest.json');
  const manifest = JSON.parse(fs.readFileSync(file, 'utf8'));
  edit(manifest);
  fs.writeFileSync(file, JSON.stringify(manifest, null, 2));
}

/** Rewrites a file and records its new size and sha256 in the manifest, so only the content check can catch it. */
function replaceListedFile(pack: string, relative: string, content: Buffer | string): void {
  fs.writeFileSync(path.join(pack, relative), content);
  const bytes = fs.readFileSync(path.join(pack, relative));
  editManifest(pack, (m) => {
    const entry = m.files.find((f: { path: string }) => f.path === relative);
    entry.size = bytes.length;
    entry.sha256 = createHash('sha256').update(bytes).digest('hex');
  });
}

async function expectLoadError(pack: string, output: string, code: PackErrorCode, ...fragments: (string | RegExp)[]) {
  let caught: unknown = null;
  try {
    const runtime = await loadPack(pack, CPU);
    await runtime.release();
  } catch (error) {
    caught = error;
  }
  expect(caught, 'loadPack should have failed').toBeInstanceOf(PackError);
  const error = caught as PackError;
  expect(error.code, error.message).toBe(code);
  for (const fragment of fragments) expect(error.message).toMatch(fragment);
  expect(fs.readdirSync(output)).toEqual([]);
  return error;
}

describe('loadPack refuses a broken pack before any work', () => {
  it('a missing file', async () => {
    const { pack, output } = copyPack('analytic-test');
    fs.rmSync(path.join(pack, 'vae_decoder.onnx'));
    await expectLoadError(pack, output, 'FILE_MISSING', /analytic-test@1\.0\.0/, /vae_decoder\.onnx is missing/, /Re-import the pack/);
  });

  it('a missing external-data file', async () => {
    const { pack, output } = copyPack('tiny-venhancer-test');
    fs.rmSync(path.join(pack, 'text_encoder.onnx.data'));
    await expectLoadError(pack, output, 'FILE_MISSING', /text_encoder\.onnx\.data is missing/);
  });

  it('a file of the wrong size', async () => {
    const { pack, output } = copyPack('analytic-test');
    fs.appendFileSync(path.join(pack, 'denoiser.onnx'), Buffer.from([0]));
    await expectLoadError(pack, output, 'FILE_SIZE', /denoiser\.onnx is \d+ bytes, expected \d+/, /Re-import the pack/);
  });

  it('a file with the wrong hash', async () => {
    const { pack, output } = copyPack('analytic-test');
    const file = path.join(pack, 'denoiser.onnx');
    const bytes = fs.readFileSync(file);
    bytes[bytes.length - 1] ^= 0xff;
    fs.writeFileSync(file, bytes);
    const actual = createHash('sha256').update(bytes).digest('hex');
    const expected = JSON.parse(fs.readFileSync(path.join(pack, 'manifest.json'), 'utf8')).files.find(
      (f: { path: string }) => f.path === 'denoiser.onnx',
    ).sha256;
    await expectLoadError(
      pack,
      output,
      'FILE_HASH',
      `denoiser.onnx is corrupt or was modified: sha256 ${actual}, expected ${expected}. Re-import the pack.`,
    );
  });

  it('a wrong input name (manifest edited, graph unchanged)', async () => {
    const { pack, output } = copyPack('analytic-test');
    editManifest(pack, (m) => (m.graphs.vae_encoder.inputs[0].name = 'pixels'));
    await expectLoadError(pack, output, 'CONTRACT_MISMATCH', /vae_encoder\.onnx/, /no input "pixels"/, /its inputs: image/);
  });

  it('a wrong shape', async () => {
    const { pack, output } = copyPack('analytic-test');
    editManifest(pack, (m) => (m.graphs.vae_encoder.inputs[0].shape = ['N', 4, 'H', 'W']));
    await expectLoadError(pack, output, 'CONTRACT_MISMATCH', /input "image" has shape \[N, 3, H, W\] in the graph, the manifest says \[N, 4, H, W\]/);
  });

  it('a wrong dtype', async () => {
    const { pack, output } = copyPack('tiny-venhancer-test');
    editManifest(pack, (m) => (m.graphs.denoiser.inputs.find((i: { name: string }) => i.name === 'x').dtype = 'float32'));
    await expectLoadError(pack, output, 'CONTRACT_MISMATCH', /denoiser\.onnx/, /input "x" has dtype float16 in the graph, the manifest says float32/);
  });

  it('a float timestep (contract version 1) is refused before any graph opens', async () => {
    const { pack, output } = copyPack('tiny-venhancer-test');
    editManifest(pack, (m) => (m.graphs.denoiser.inputs.find((i: { name: string }) => i.name === 't').dtype = 'float16'));
    await expectLoadError(pack, output, 'CONTRACT_MISMATCH', /graphs\.denoiser input "t" must be int64, not float16/, /Re-export the pack/);
  });

  it('a file that is not ONNX (its hash matches the manifest)', async () => {
    const { pack, output } = copyPack('analytic-test');
    replaceListedFile(pack, 'vae_encoder.onnx', Buffer.from('this is not an onnx model, just text\n'.repeat(20)));
    await expectLoadError(pack, output, 'NOT_ONNX', /vae_encoder\.onnx is not a valid ONNX model/, /Re-import the pack/);
  });

  it('an invalid manifest names the field', async () => {
    const { pack, output } = copyPack('analytic-test');
    editManifest(pack, (m) => (m.schedule.trainTimesteps = -5));
    await expectLoadError(pack, output, 'MANIFEST_INVALID', /schedule\.trainTimesteps/, /manifest\.json is invalid/);
  });

  it('a denoiser without the contract inputs', async () => {
    const { pack, output } = copyPack('analytic-test');
    editManifest(pack, (m) => (m.graphs.denoiser.inputs.find((i: { name: string }) => i.name === 'mask').name = 'frame_mask'));
    await expectLoadError(pack, output, 'CONTRACT_MISMATCH', /graphs\.denoiser\.inputs must be exactly x, t, context, hint, mask, t_hint, s_cond/);
  });

  it('a broken tokenizer', async () => {
    const { pack, output } = copyPack('tiny-venhancer-test');
    replaceListedFile(pack, 'tokenizer.json', '{"version": "1.0"}');
    await expectLoadError(pack, output, 'TOKENIZER', /tokenizer\.json is not a tokenizer\.json in Hugging Face format/);
  });

  it('a folder that is not a pack', async () => {
    const { dir, cleanup } = makeTempDir('upframe-pack-err-');
    cleanups.push(cleanup);
    const output = path.join(dir, 'output');
    fs.mkdirSync(output);
    await expectLoadError(dir, output, 'FILE_MISSING', /No manifest\.json/);
  });
});
