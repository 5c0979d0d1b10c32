// Verifies a pack folder before anything runs: the manifest against PackManifestSchema and the engine's contract,
// then every listed file's presence, size and sha256.
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { z } from 'zod';
import { PackManifestSchema, type PackManifest } from './manifest';
import { checkManifestContract, PACK_SCHEMA_VERSION, packId } from './contract';
import { PackError } from './errors';
import { HashCache } from './hash-cache';

export type VerifiedPack = { manifest: PackManifest; packHash: string; sizeBytes: number };

/** Reads and validates manifest.json (no file hashing). */
export async function readManifest(dir: string): Promise<{ manifest: PackManifest; text: string }> {
  const file = path.join(dir, 'manifest.json');
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new PackError('FILE_MISSING', `No manifest.json in ${dir}: this folder is not a model pack. Pick the pack's folder (the one holding manifest.json).`);
    }
    throw error;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new PackError('MANIFEST_INVALID', `${file} is not valid JSON (${(error as Error).message}). Fix the manifest or re-export the pack.`);
  }
  const version = (raw as { schemaVersion?: unknown } | null)?.schemaVersion;
  if (typeof version === 'number' && version !== PACK_SCHEMA_VERSION) {
    throw new PackError(
      'MANIFEST_INVALID',
      version < PACK_SCHEMA_VERSION
        ? `${file} has schemaVersion ${version}: this Upframe runs pack schema version ${PACK_SCHEMA_VERSION} (the model's inputs ` +
            'changed to match the reference: key-frame hint with a gather mask, integer timesteps, VAE moments). ' +
            'Re-export the pack with this version of Upframe (upframe packs export) and import it again.'
        : `${file} has schemaVersion ${version}, newer than this Upframe understands (${PACK_SCHEMA_VERSION}). Update Upframe, or re-export the pack with this version.`,
    );
  }
  const parsed = PackManifestSchema.safeParse(raw);
  if (!parsed.success) {
    throw new PackError('MANIFEST_INVALID', `${file} is invalid: ${formatIssues(parsed.error.issues)}. Fix the manifest or re-export the pack.`);
  }
  checkManifestContract(parsed.data, dir);
  return { manifest: parsed.data, text };
}

export async function verifyPack(dir: string, opts?: { hashCache?: HashCache }): Promise<VerifiedPack> {
  const { manifest, text } = await readManifest(dir);
  const hashCache = opts?.hashCache ?? new HashCache(null);
  const id = packId(manifest);
  const packHash = createHash('sha256').update(text);
  let sizeBytes = Buffer.byteLength(text);
  // Presence and sizes first (cheap, and a missing file is the more useful report), then the content hashes.
  for (const file of manifest.files) {
    const filePath = path.join(dir, file.path);
    let size: number;
    try {
      const stat = await fs.stat(filePath);
      if (!stat.isFile()) throw Object.assign(new Error('not a file'), { code: 'ENOENT' });
      size = stat.size;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new PackError('FILE_MISSING', `Pack ${id}: ${file.path} is missing from ${dir}. Re-import the pack.`);
      }
      throw error;
    }
    if (size !== file.size) {
      throw new PackError(
        'FILE_SIZE',
        `Pack ${id}: ${file.path} is ${size} bytes, expected ${file.size}: it is incomplete or was modified. Re-import the pack.`,
      );
    }
    sizeBytes += size;
  }
  for (const file of manifest.files) {
    const sha256 = await hashCache.sha256(path.join(dir, file.path));
    if (sha256 !== file.sha256) {
      throw new PackError(
        'FILE_HASH',
        `Pack ${id}: ${file.path} is corrupt or was modified: sha256 ${sha256}, expected ${file.sha256}. Re-import the pack.`,
      );
    }
    packHash.update(`\n${file.path}:${sha256}`);
  }
  return { manifest, packHash: packHash.digest('hex'), sizeBytes };
}

function formatIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`)
    .join('; ');
}
