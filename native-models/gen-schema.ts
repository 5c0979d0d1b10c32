// Writes native-models/manifest.schema.json, the JSON Schema of pack manifests, from PackManifestSchema (the one
// source of truth), so exporters outside this codebase can validate their manifest.json.
// Run: npx tsx native-models/gen-schema.ts   (a unit test checks the committed file equals a fresh generation)
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { PackManifestSchema } from '../main/engine/pack/manifest';

export const MANIFEST_SCHEMA_FILE = path.join(__dirname, 'manifest.schema.json');

export function manifestJsonSchemaText(): string {
  // 'input': what a manifest file may contain (fields with defaults, such as sampler.eta, are optional).
  const schema = z.toJSONSchema(PackManifestSchema, { target: 'draft-2020-12', io: 'input' });
  const document = {
    $id: 'https://upframe.invalid/schemas/pack-manifest-2.json',
    title: 'Upframe model pack manifest (manifest.json), schemaVersion 2',
    ...schema,
  };
  return JSON.stringify(document, null, 2) + '\n';
}

if (require.main === module) {
  fs.writeFileSync(MANIFEST_SCHEMA_FILE, manifestJsonSchemaText());
  console.log(`wrote ${MANIFEST_SCHEMA_FILE}`);
}
