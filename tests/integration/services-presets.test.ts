// Settings presets through the real dispatcher and services: the four built-ins, saving, replacing by name,
// removing, refusing to remove a built-in, and a damaged presets file that is reported and never overwritten.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultClipSettings } from '../../main/common/settings';
import { createServices, type Services } from '../../main/services/services';
import { makeTempDir } from '../helpers/media-fixtures';
import { call, callError } from '../helpers/services';

const tmp = makeTempDir('upframe-services-presets-');
afterAll(() => tmp.cleanup());

const logs: string[] = [];
let serial = 0;

function newServices(userDataDir = path.join(tmp.dir, `user-${++serial}`)): { services: Services; userDataDir: string } {
  return { services: createServices({ userDataDir, host: 'web', log: (m) => logs.push(m), mediaWatchMs: 0 }), userDataDir };
}

describe('presets', () => {
  it('lists the four built-ins with their settings', async () => {
    const { services } = newServices();
    const presets = await call(services, 'presets.list', {});
    expect(presets.map((p) => [p.name, p.builtin])).toEqual([
      ['AI clip x4, 24 fps', true],
      ['Interpolate x2', true],
      ['Refine only', true],
      ['Faces (low noise)', true],
    ]);
    const [aiClip, interpolate, refine, faces] = presets;
    expect(aiClip.settings).toMatchObject({ engine: 'diffusion', scale: 4, targetFps: 24, noise: 250 });
    expect(aiClip.fpsMultiplier).toBeNull();
    expect(interpolate.settings).toMatchObject({ engine: 'classic', scale: 1, targetFps: null });
    expect(interpolate.fpsMultiplier).toBe(2);
    expect(refine.settings).toMatchObject({ engine: 'diffusion', scale: 1, targetFps: null, noise: 150 });
    expect(faces.settings).toMatchObject({ engine: 'diffusion', scale: 2, noise: 50 });
    const refused = await callError(services, 'presets.remove', { id: interpolate.id });
    expect(refused.code).toBe('CONFLICT');
    expect(refused.message).toMatch(/"Interpolate x2" is a built-in preset and cannot be removed/);
    const clash = await callError(services, 'presets.save', { name: 'refine ONLY', settings: defaultClipSettings() });
    expect(clash.code).toBe('CONFLICT');
    expect(clash.message).toMatch(/built-in preset and cannot be replaced: choose another name/);
    await services.close();
  });

  it('saves, replaces by name, survives a restart, and removes', async () => {
    const { services, userDataDir } = newServices();
    const file = path.join(userDataDir, 'presets.json');
    const night = { ...defaultClipSettings(), engine: 'diffusion' as const, scale: 2, noise: 120, prompt: 'night street' };
    const saved = await call(services, 'presets.save', { name: '  Night  ', settings: night });
    expect(saved).toMatchObject({ name: 'Night', builtin: false, fpsMultiplier: null, settings: night });
    const other = await call(services, 'presets.save', { name: 'Other', settings: defaultClipSettings() });

    // Same name (any case) replaces in place, keeping the id.
    const replaced = await call(services, 'presets.save', { name: 'night', settings: { ...night, noise: 10 } });
    expect(replaced.id).toBe(saved.id);
    expect(replaced.name).toBe('night');
    let listed = await call(services, 'presets.list', {});
    expect(listed.slice(4).map((p) => [p.id, p.name, p.settings.noise])).toEqual([
      [saved.id, 'night', 10],
      [other.id, 'Other', 250],
    ]);
    // No temp file left behind by the atomic write.
    expect(fs.readdirSync(userDataDir).filter((f) => f.startsWith('presets'))).toEqual(['presets.json']);
    await services.close();

    const again = newServices(userDataDir).services;
    listed = await call(again, 'presets.list', {});
    expect(listed.slice(4).map((p) => p.name)).toEqual(['night', 'Other']);
    expect(await call(again, 'presets.remove', { id: saved.id })).toEqual({ ok: true });
    listed = await call(again, 'presets.list', {});
    expect(listed.slice(4).map((p) => p.name)).toEqual(['Other']);
    const gone = await callError(again, 'presets.remove', { id: saved.id });
    expect(gone.code).toBe('NOT_FOUND');
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).presets.map((p: { name: string }) => p.name)).toEqual(['Other']);
    await again.close();
  });

  it('validates the name and the settings', async () => {
    const { services } = newServices();
    const blank = await callError(services, 'presets.save', { name: '   ', settings: defaultClipSettings() });
    expect(blank).toMatchObject({ code: 'BAD_REQUEST' });
    expect(blank.message).toMatch(/Name the preset/);
    const badScale = await callError(services, 'presets.save', { name: 'Huge', settings: { ...defaultClipSettings(), scale: 20 } });
    expect(badScale.code).toBe('BAD_REQUEST');
    expect(badScale.message).toMatch(/Scale must be at most 8x/);
    await services.close();
  });

  it('reports a damaged file and never overwrites it', async () => {
    const { services, userDataDir } = newServices();
    await call(services, 'presets.save', { name: 'Mine', settings: defaultClipSettings() });
    const file = path.join(userDataDir, 'presets.json');
    const damaged = fs.readFileSync(file, 'utf8').replace('"scale": 1', '"scale": "big"');
    fs.writeFileSync(file, damaged);

    const listed = await call(services, 'presets.list', {});
    expect(listed.map((p) => p.builtin)).toEqual([true, true, true, true]);
    expect(logs.some((m) => m.includes(file) && m.includes('damaged') && m.includes('presets.0.settings.scale'))).toBe(true);

    const save = await callError(services, 'presets.save', { name: 'New', settings: defaultClipSettings() });
    expect(save.code).toBe('CONFLICT');
    expect(save.message).toContain(`The presets file ${file} is damaged`);
    expect(save.message).toMatch(/repair it or move it elsewhere.*Nothing was saved/);
    const remove = await callError(services, 'presets.remove', { id: 'user:anything' });
    expect(remove.code).toBe('CONFLICT');
    expect(fs.readFileSync(file, 'utf8')).toBe(damaged);

    fs.writeFileSync(file, '{ not json');
    expect((await callError(services, 'presets.save', { name: 'New', settings: defaultClipSettings() })).message).toMatch(/not valid JSON/);
    expect(fs.readFileSync(file, 'utf8')).toBe('{ not json');

    // Once the person moves the file away, saving starts a new list.
    fs.renameSync(file, `${file}.bak`);
    await call(services, 'presets.save', { name: 'New', settings: defaultClipSettings() });
    expect((await call(services, 'presets.list', {})).slice(4).map((p) => p.name)).toEqual(['New']);
    await services.close();
  });
});
