// The model-pack and engine-preference methods through the real dispatcher, services and pack registry, over the
// committed test packs: listing, importing a copy, refusing a duplicate and a corrupted copy, removing, and the
// preferences file's round trip, validation and recovery from damage.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { maxThreads } from '../../main/engine/execution';
import { builtinPackDir } from '../../main/engine/pack/builtin';
import { createServices, type Services } from '../../main/services/services';

/** The test packs only: the built-in ESRGAN exists only after set-up converted it (perframe-*.test.ts cover it). */
const TEST_PACK_DIRS = [builtinPackDir('analytic-test'), builtinPackDir('tiny-venhancer-test')];
import { makeTempDir } from '../helpers/media-fixtures';
import { call, callError } from '../helpers/services';

const tmp = makeTempDir('upframe-services-packs-');
afterAll(() => tmp.cleanup());

const logs: string[] = [];
let serial = 0;

function newServices(userDataDir = path.join(tmp.dir, `user-${++serial}`)): { services: Services; userDataDir: string } {
  return { services: createServices({ userDataDir, host: 'web', log: (m) => logs.push(m), mediaWatchMs: 0, builtinPackDirs: TEST_PACK_DIRS }), userDataDir };
}

/** A copy of the analytic test pack under another name (the manifest's own fields change no listed file). */
function copyOfAnalyticPack(name: string): string {
  const dir = path.join(tmp.dir, 'sources', name);
  fs.cpSync(builtinPackDir('analytic-test'), dir, { recursive: true });
  const manifestFile = path.join(dir, 'manifest.json');
  const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8'));
  Object.assign(manifest, { name, version: '2.0.0' });
  fs.writeFileSync(manifestFile, JSON.stringify(manifest, null, 2));
  return dir;
}

describe('packs', () => {
  it('lists the two built-in test packs as test packs, with size and status ok', async () => {
    const { services } = newServices();
    const packs = await call(services, 'packs.list', {});
    expect(packs.map((p) => p.id)).toEqual(['analytic-test@1.0.0', 'tiny-venhancer-test@1.0.0']);
    for (const pack of packs) {
      expect(pack).toMatchObject({ status: 'ok', problem: null, testPack: true, builtin: true, version: '1.0.0' });
      expect(pack.label).toMatch(/test pack/i);
      expect(pack.label).toMatch(/does not enhance/i);
      const dir = builtinPackDir(pack.name as 'analytic-test' | 'tiny-venhancer-test');
      const onDisk = fs.readdirSync(dir).reduce((sum, f) => sum + fs.statSync(path.join(dir, f)).size, 0);
      expect(pack.sizeBytes).toBe(onDisk);
    }
    const refused = await callError(services, 'packs.remove', { id: 'analytic-test@1.0.0' });
    expect(refused).toMatchObject({ code: 'FORBIDDEN' });
    expect(refused.message).toMatch(/built in/);
    await services.close();
  });

  it('imports a copy, refuses a duplicate and a corrupted copy, and removes', async () => {
    const { services, userDataDir } = newServices();
    const packsDir = path.join(userDataDir, 'packs');
    const source = copyOfAnalyticPack('analytic-copy');

    const imported = await call(services, 'packs.import', { dir: source });
    expect(imported).toMatchObject({ id: 'analytic-copy@2.0.0', status: 'ok', builtin: false, testPack: true, family: 'analytic-test' });
    // A copy of a test pack is still a test pack, never offered as enhancement.
    expect(imported.label).toMatch(/test pack/i);
    expect(fs.readdirSync(packsDir)).toEqual(['analytic-copy@2.0.0']);

    const listed = await call(services, 'packs.list', {});
    expect(listed.map((p) => [p.id, p.builtin])).toEqual([
      ['analytic-test@1.0.0', true],
      ['tiny-venhancer-test@1.0.0', true],
      ['analytic-copy@2.0.0', false],
    ]);
    expect(listed[2].sizeBytes).toBe(imported.sizeBytes);

    const duplicate = await callError(services, 'packs.import', { dir: source });
    expect(duplicate.code).toBe('CONFLICT');
    expect(duplicate.message).toMatch(/analytic-copy@2\.0\.0 is already installed/);

    // One byte changed in a graph: same size, different content.
    const corrupt = copyOfAnalyticPack('analytic-corrupt');
    const graph = path.join(corrupt, 'denoiser.onnx');
    const bytes = fs.readFileSync(graph);
    bytes[Math.floor(bytes.length / 2)] ^= 0xff;
    fs.writeFileSync(graph, bytes);
    const refused = await callError(services, 'packs.import', { dir: corrupt });
    expect(refused.code).toBe('PACK_INVALID');
    // The pack's own message, unchanged: which file, and what to do.
    expect(refused.message).toMatch(/^Pack analytic-corrupt@2\.0\.0: denoiser\.onnx is corrupt or was modified: sha256 [0-9a-f]{64}, expected [0-9a-f]{64}\. Re-import the pack\.$/);
    expect(fs.readdirSync(packsDir)).toEqual(['analytic-copy@2.0.0']);

    const notAFolder = await callError(services, 'packs.import', { dir: path.join(source, 'manifest.json') });
    expect(notAFolder).toMatchObject({ code: 'BAD_REQUEST' });
    expect(notAFolder.message).toMatch(/is a file: choose the pack's folder/);
    const notAPack = await callError(services, 'packs.import', { dir: tmp.dir });
    expect(notAPack.message).toMatch(/^No manifest\.json in .*this folder is not a model pack/);
    const missing = await callError(services, 'packs.import', { dir: path.join(tmp.dir, 'nowhere') });
    expect(missing).toMatchObject({ code: 'NOT_FOUND' });

    expect(await call(services, 'packs.remove', { id: 'analytic-copy@2.0.0' })).toEqual({ ok: true });
    expect(fs.readdirSync(packsDir)).toEqual([]);
    expect((await call(services, 'packs.list', {})).map((p) => p.id)).toEqual(['analytic-test@1.0.0', 'tiny-venhancer-test@1.0.0']);
    expect(await callError(services, 'packs.remove', { id: 'analytic-copy@2.0.0' })).toMatchObject({ code: 'NOT_FOUND' });
    await services.close();
  });

  it('reports an installed pack that was damaged after the import, with the problem', async () => {
    const { services, userDataDir } = newServices();
    await call(services, 'packs.import', { dir: copyOfAnalyticPack('analytic-damaged') });
    fs.rmSync(path.join(userDataDir, 'packs', 'analytic-damaged@2.0.0', 'vae_decoder.onnx'));
    const damaged = (await call(services, 'packs.list', {})).find((p) => p.id === 'analytic-damaged@2.0.0');
    expect(damaged).toMatchObject({ status: 'missing-files', builtin: false });
    expect(damaged?.problem).toMatch(/vae_decoder\.onnx is missing/);
    await services.close();
  });
});

describe('engine preferences', () => {
  it('start from the defaults and survive a restart', async () => {
    const first = newServices();
    expect(await call(first.services, 'prefs.getEngine', {})).toEqual({
      provider: 'auto',
      deviceId: 0,
      threads: 0,
      fp16: true,
      allowCpuFallback: false,
    });
    const wanted = { provider: 'cpu', deviceId: 1, threads: 2, fp16: false, allowCpuFallback: true } as const;
    expect(await call(first.services, 'prefs.setEngine', wanted)).toEqual(wanted);
    await first.services.close();
    const file = path.join(first.userDataDir, 'preferences.json');
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual({ version: 1, engine: wanted });
    // No temporary file left beside it.
    expect(fs.readdirSync(first.userDataDir).filter((f) => f.startsWith('preferences'))).toEqual(['preferences.json']);

    const second = newServices(first.userDataDir);
    expect(await call(second.services, 'prefs.getEngine', {})).toEqual(wanted);
    await second.services.close();
  });

  it('reject invalid preferences with a message naming the field, and keep the stored ones', async () => {
    const { services } = newServices();
    const good = { provider: 'cpu', deviceId: 0, threads: 2, fp16: true, allowCpuFallback: false } as const;
    await call(services, 'prefs.setEngine', good);

    const negative = await callError(services, 'prefs.setEngine', { ...good, threads: -1 });
    expect(negative.code).toBe('BAD_REQUEST');
    expect(negative.message).toMatch(/threads: CPU threads must be 0 \(automatic\) or more/);
    const fractional = await callError(services, 'prefs.setEngine', { ...good, threads: 1.5 });
    expect(fractional.message).toMatch(/threads: CPU threads must be a whole number/);
    const provider = await callError(services, 'prefs.setEngine', { ...good, provider: 'tpu' });
    expect(provider.message).toMatch(/provider/);
    const unknown = await callError(services, 'prefs.setEngine', { ...good, turbo: true });
    expect(unknown.message).toMatch(/turbo/);
    const tooMany = await callError(services, 'prefs.setEngine', { ...good, threads: maxThreads() + 1 });
    expect(tooMany.message).toMatch(/threads: .*at most \d+/);

    expect(await call(services, 'prefs.getEngine', {})).toEqual(good);
    await services.close();
  });

  it('set a damaged preferences file aside, log why, and start with the defaults', async () => {
    const userDataDir = path.join(tmp.dir, 'user-corrupt');
    fs.mkdirSync(userDataDir, { recursive: true });
    const file = path.join(userDataDir, 'preferences.json');
    fs.writeFileSync(file, '{"version": 1, "engine": {"threads": "many"');
    const before = logs.length;
    const { services } = newServices(userDataDir);
    expect(await call(services, 'prefs.getEngine', {})).toMatchObject({ provider: 'auto', threads: 0 });
    const aside = fs.readdirSync(userDataDir).filter((f) => f.startsWith('preferences.json.corrupt-'));
    expect(aside).toHaveLength(1);
    expect(fs.readFileSync(path.join(userDataDir, aside[0]), 'utf8')).toBe('{"version": 1, "engine": {"threads": "many"');
    expect(logs.slice(before).join('\n')).toMatch(/preferences .* were unreadable .*moved them to .*corrupt-/);

    // A valid JSON file with an invalid value is damaged too; a field missing is filled from the defaults.
    fs.writeFileSync(file, JSON.stringify({ version: 1, engine: { threads: -4 } }));
    const second = newServices(userDataDir);
    expect(await call(second.services, 'prefs.getEngine', {})).toMatchObject({ threads: 0 });
    fs.writeFileSync(file, JSON.stringify({ version: 1, engine: { threads: 3 } }));
    const third = newServices(userDataDir);
    expect(await call(third.services, 'prefs.getEngine', {})).toEqual({
      provider: 'auto',
      deviceId: 0,
      threads: 3,
      fp16: true,
      allowCpuFallback: false,
    });
    expect(fs.readdirSync(userDataDir).filter((f) => f.startsWith('preferences.json.corrupt-'))).toHaveLength(2);
    await Promise.all([services.close(), second.services.close(), third.services.close()]);
  });

  it('say which providers this platform offers and why the others are not', async () => {
    const { services } = newServices();
    const info = await call(services, 'engine.providers', {});
    expect(info.platform).toBe(process.platform);
    expect(info.providers.map((p) => p.provider)).toEqual(['auto', 'cuda', 'dml', 'coreml', 'cpu']);
    expect(info.providers.find((p) => p.provider === 'cpu')).toMatchObject({ available: true, reason: null });
    if (process.platform === 'linux') {
      expect(info.autoProvider).toBe('cuda');
      expect(info.providers.find((p) => p.provider === 'dml')).toMatchObject({ available: false, reason: expect.stringMatching(/only on Windows \(this is Linux\)/) });
      expect(info.providers.find((p) => p.provider === 'coreml')?.reason).toMatch(/only on macOS/);
    }
    expect(info.maxThreads).toBeGreaterThanOrEqual(4);
    await services.close();
  });
});
