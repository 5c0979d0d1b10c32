import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiError } from '../../main/common/api';
import { builtinPackDir } from '../../main/engine/pack/builtin';
import { PackError } from '../../main/engine/pack/errors';
import { HashCache } from '../../main/engine/pack/hash-cache';
import { PackRegistry } from '../../main/engine/pack/registry';
import { loadPack } from '../../main/engine/pack/runtime';
import { makeTempDir } from '../helpers/media-fixtures';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((cleanup) => cleanup()));

function setup() {
  const { dir, cleanup } = makeTempDir('upframe-pack-reg-');
  cleanups.push(cleanup);
  const packsDir = path.join(dir, 'userData', 'packs');
  const registry = new PackRegistry({
    dir: packsDir,
    // The test packs only: the built-in ESRGAN exists only after set-up converted it (perframe-*.test.ts cover it).
    builtinDirs: [builtinPackDir('analytic-test'), builtinPackDir('tiny-venhancer-test')],
    hashCache: new HashCache(path.join(dir, 'userData', 'pack-hashes.json')),
  });
  return { dir, packsDir, registry };
}

/** A pack that is not built in: the tiny pack renamed (manifest edits change no listed file). */
function makeUserPack(dir: string, name: string, testPack = false): string {
  const pack = path.join(dir, 'src', name);
  fs.cpSync(builtinPackDir('tiny-venhancer-test'), pack, { recursive: true });
  fs.writeFileSync(path.join(pack, 'notes.txt'), 'not listed in the manifest: never copied');
  const file = path.join(pack, 'manifest.json');
  const manifest = JSON.parse(fs.readFileSync(file, 'utf8'));
  Object.assign(manifest, { name, version: '0.3.0', testPack, family: testPack ? 'tiny-test' : 'venhancer' });
  fs.writeFileSync(file, JSON.stringify(manifest, null, 2));
  return pack;
}

describe('pack registry', () => {
  it('lists the built-in test packs read-only and labelled as test packs', async () => {
    const { registry } = setup();
    const entries = await registry.list();
    expect(entries.map((e) => e.id)).toEqual(['analytic-test@1.0.0', 'tiny-venhancer-test@1.0.0']);
    for (const entry of entries) {
      expect(entry).toMatchObject({ status: 'ok', problem: null, testPack: true, builtin: true });
      expect(entry.label).toMatch(/test pack .*does not enhance/i);
      expect(entry.sizeBytes).toBeGreaterThan(1000);
    }
    await expect(registry.remove('analytic-test@1.0.0')).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it('imports, lists with size and status, refuses a duplicate, detects corruption, removes', async () => {
    const { dir, packsDir, registry } = setup();
    const source = makeUserPack(dir, 'venhancer-mini');

    const imported = await registry.importFromFolder(source);
    expect(imported).toMatchObject({ id: 'venhancer-mini@0.3.0', status: 'ok', builtin: false, testPack: false, label: 'venhancer-mini 0.3.0' });
    expect(imported.dir).toBe(path.join(packsDir, 'venhancer-mini@0.3.0'));
    const sourceSize = ['manifest.json', ...fs.readdirSync(source).filter((f) => f !== 'notes.txt' && f !== 'manifest.json')]
      .map((f) => fs.statSync(path.join(source, f)).size)
      .reduce((a, b) => a + b, 0);
    expect(imported.sizeBytes).toBe(sourceSize);
    expect(fs.existsSync(path.join(imported.dir, 'notes.txt'))).toBe(false);
    // No temporary folder left behind.
    expect(fs.readdirSync(packsDir)).toEqual(['venhancer-mini@0.3.0']);

    // The installed copy loads, external data included.
    const runtime = await loadPack(imported.dir, { provider: 'cpu', deviceId: 0, threads: 1, fp16: false, allowCpuFallback: false });
    expect((await runtime.encodeText('a dog')).dims).toEqual([1, 77, 1024]);
    await runtime.release();

    const listed = await registry.list();
    expect(listed.map((e) => e.id)).toEqual(['analytic-test@1.0.0', 'tiny-venhancer-test@1.0.0', 'venhancer-mini@0.3.0']);
    expect(await registry.resolve(null)).toBe(imported.dir);
    expect(await registry.resolve('tiny-venhancer-test@1.0.0')).toBe(builtinPackDir('tiny-venhancer-test'));

    const duplicate = await registry.importFromFolder(source).then(
      () => null,
      (e: unknown) => e,
    );
    expect(duplicate).toBeInstanceOf(ApiError);
    expect((duplicate as ApiError).code).toBe('CONFLICT');
    expect((duplicate as ApiError).message).toMatch(/venhancer-mini@0\.3\.0 is already installed.*Remove it first/);
    await expect(registry.importFromFolder(builtinPackDir('analytic-test'))).rejects.toMatchObject({ code: 'CONFLICT' });

    // Corrupt one byte of the installed copy (same size): listed as corrupt, with the file named.
    const denoiser = path.join(imported.dir, 'denoiser.onnx');
    const bytes = fs.readFileSync(denoiser);
    bytes[10] ^= 0x55;
    fs.writeFileSync(denoiser, bytes);
    const corrupt = (await registry.list()).find((e) => e.id === 'venhancer-mini@0.3.0')!;
    expect(corrupt.status).toBe('corrupt');
    expect(corrupt.problem).toMatch(/denoiser\.onnx is corrupt or was modified/);
    await expect(registry.resolve(null)).rejects.toMatchObject({ code: 'NOT_FOUND' });

    fs.rmSync(path.join(imported.dir, 'tokenizer.json'));
    expect((await registry.list()).find((e) => e.id === 'venhancer-mini@0.3.0')!.status).toBe('missing-files');

    await registry.remove('venhancer-mini@0.3.0');
    expect(fs.readdirSync(packsDir)).toEqual([]);
    expect((await registry.list()).map((e) => e.id)).toEqual(['analytic-test@1.0.0', 'tiny-venhancer-test@1.0.0']);
    await expect(registry.remove('venhancer-mini@0.3.0')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('refuses to import a broken pack and leaves nothing behind', async () => {
    const { dir, packsDir, registry } = setup();
    const source = makeUserPack(dir, 'broken');
    fs.rmSync(path.join(source, 'vae_decoder.onnx'));
    const error = await registry.importFromFolder(source).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(PackError);
    expect((error as PackError).code).toBe('FILE_MISSING');
    expect(fs.existsSync(packsDir) ? fs.readdirSync(packsDir) : []).toEqual([]);
  });

  it('lists a folder with an invalid manifest as invalid, and test packs are never the default', async () => {
    const { dir, packsDir, registry } = setup();
    await registry.importFromFolder(makeUserPack(dir, 'my-test-pack', true));
    fs.mkdirSync(path.join(packsDir, 'junk'));
    fs.writeFileSync(path.join(packsDir, 'junk', 'manifest.json'), '{"schemaVersion": 1, "name": "junk"}');
    const entries = await registry.list();
    const junk = entries.find((e) => e.id === 'junk')!;
    expect(junk.status).toBe('invalid');
    expect(junk.problem).toMatch(/schemaVersion 1.*Re-export the pack/);
    const test = entries.find((e) => e.id === 'my-test-pack@0.3.0')!;
    expect(test).toMatchObject({ status: 'ok', testPack: true, label: 'Tiny test pack (exercises the model contract; does not enhance)' });
    await expect(registry.resolve(null)).rejects.toThrow(/No model pack is installed/);
  });
});
