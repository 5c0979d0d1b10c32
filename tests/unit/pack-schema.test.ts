import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MANIFEST_SCHEMA_FILE, manifestJsonSchemaText } from '../../native-models/gen-schema';
import { BUILTIN_PACK_NAMES, builtinPackDir } from '../../main/engine/pack/builtin';
import { PackManifestSchema } from '../../main/engine/pack/manifest';
import { isTestPack, packLabel } from '../../main/engine/pack/label';

describe('pack manifest JSON Schema', () => {
  it('the committed native-models/manifest.schema.json equals a fresh generation', () => {
    // If this fails: npx tsx native-models/gen-schema.ts, and commit the result.
    expect(readFileSync(MANIFEST_SCHEMA_FILE, 'utf8')).toBe(manifestJsonSchemaText());
  });

  it('describes the manifest fields', () => {
    const schema = JSON.parse(manifestJsonSchemaText());
    expect(schema.$schema).toContain('2020-12');
    expect(schema.required).toEqual(expect.arrayContaining(['schemaVersion', 'name', 'files', 'graphs', 'schedule']));
    expect(schema.properties.files.items.properties.sha256.pattern).toBe('^[0-9a-f]{64}$');
    // sampler.eta has a default, so a manifest may leave it out.
    expect(schema.properties.sampler.required).not.toContain('eta');
  });
});

describe('built-in test packs', () => {
  it('have valid manifests, labelled as test packs', () => {
    for (const name of BUILTIN_PACK_NAMES) {
      const raw = JSON.parse(readFileSync(path.join(builtinPackDir(name), 'manifest.json'), 'utf8'));
      const manifest = PackManifestSchema.parse(raw);
      expect(manifest.name).toBe(name);
      expect(manifest.testPack).toBe(true);
      expect(isTestPack(manifest)).toBe(true);
      expect(packLabel(manifest)).toMatch(/test pack .*does not enhance/i);
    }
  });

  it('carry the VEnhancer schedule and fast timesteps', () => {
    const manifest = PackManifestSchema.parse(JSON.parse(readFileSync(path.join(builtinPackDir('analytic-test'), 'manifest.json'), 'utf8')));
    expect(manifest.schedule).toMatchObject({ logsnrMin: -15, logsnrMax: 15, shiftStart: 2, shiftEnd: 4, trainTimesteps: 1000, prediction: 'v' });
    const fast = manifest.sampler.presets.fast;
    expect('timesteps' in fast && fast.timesteps).toEqual([
      899, 799, 699, 599, 500, 454.45, 408.9, 363.35, 317.8, 272.25, 226.7, 181.15, 135.6, 90.05, 44.5,
    ]);
    expect(manifest.schemaVersion).toBe(2);
    expect(manifest.resolution.pad).toEqual({
      value: 1,
      height: { min: 0, addend: 7, multiple: 16, offset: 8 },
      width: { min: 0, addend: 15, multiple: 16, offset: 0 },
    });
  });

  it('labels a real pack by name and version', () => {
    expect(packLabel({ name: 'venhancer-v2', version: '2.0.0', family: 'venhancer', testPack: false })).toBe('venhancer-v2 2.0.0');
  });
});
