// The manifest of a per-frame pack (manifest.json with "kind": "per-frame"): one or more image-to-image ONNX
// graphs that map frames [N, 3, H, W] to [N, 3, sH, sW], one graph per whole-number scale. A schema of its own,
// versioned on its own, beside the diffusion manifest (manifest.ts): a manifest is one or the other by its `kind`.
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { PackError } from './errors';
import type { HashCache } from './hash-cache';

export const PER_FRAME_KIND = 'per-frame';

const PackFileSchema = z.object({
  path: z.string().min(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'sha256 must be 64 lowercase hex digits'),
  size: z.number().int().nonnegative(),
  role: z.enum(['graph', 'other']),
});

export const PerFrameModelSchema = z.object({
  /** Pack-relative path of the .onnx file, listed in files with role "graph". */
  file: z.string().min(1),
  /** The graph's whole-number scale; null: found by a probe run when the pack is loaded. */
  scale: z.number().int().min(1).max(16).nullable(),
});
export type PerFrameModel = z.infer<typeof PerFrameModelSchema>;

export const PerFrameManifestSchema = z.object({
  kind: z.literal(PER_FRAME_KIND),
  schemaVersion: z.literal(1),
  name: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'name: lowercase letters, digits, ".", "_" and "-"'),
  version: z.string().min(1),
  /** How the pack is named to people, e.g. "ESRGAN (thick)". */
  title: z.string().min(1),
  license: z.string().min(1),
  description: z.string(),
  /** Test packs prove the engine; the UI and CLI never present them as enhancement. */
  testPack: z.boolean(),
  files: z.array(PackFileSchema).min(1),
  models: z.array(PerFrameModelSchema).min(1),
  /** How frames are fed: the layout of the graph's input and output, and the value range that means black..white. */
  input: z
    .object({
      layout: z.enum(['NCHW', 'NHWC']).default('NCHW'),
      range: z.tuple([z.number(), z.number()]).default([0, 1]),
      channels: z.enum(['RGB', 'BGR']).default('RGB'),
    })
    .default({ layout: 'NCHW', range: [0, 1], channels: 'RGB' }),
  /** Tiling for frames larger than a tile: size and overlap in source pixels; sides padded to a multiple. */
  tile: z
    .object({
      size: z.number().int().min(16).max(4096).default(256),
      overlap: z.number().int().min(0).max(256).default(16),
      multipleOf: z.number().int().min(1).max(64).default(1),
    })
    .default({ size: 256, overlap: 16, multipleOf: 1 }),
});
export type PerFrameManifest = z.infer<typeof PerFrameManifestSchema>;

/** True when the JSON of a manifest declares the per-frame kind (whatever else is in it). */
export function isPerFrameManifestJson(raw: unknown): boolean {
  return typeof raw === 'object' && raw !== null && (raw as { kind?: unknown }).kind === PER_FRAME_KIND;
}

export function perFramePackId(manifest: Pick<PerFrameManifest, 'name' | 'version'>): string {
  return `${manifest.name}@${manifest.version}`;
}

/** How a per-frame pack is named to people. Test packs always say so. */
export function perFramePackLabel(manifest: Pick<PerFrameManifest, 'title' | 'testPack' | 'models'>): string {
  const scales = manifest.models
    .map((m) => m.scale)
    .filter((s): s is number => s !== null)
    .sort((a, b) => a - b);
  const which = scales.length > 0 ? ` (${scales.map((s) => `x${s}`).join(', ')})` : '';
  return manifest.testPack ? `Test pack ${manifest.title} (does not enhance)` : `${manifest.title}${which}`;
}

/** Reads and validates a per-frame manifest.json (no file hashing). */
export async function readPerFrameManifest(dir: string): Promise<{ manifest: PerFrameManifest; text: string }> {
  const file = path.join(dir, 'manifest.json');
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new PackError('FILE_MISSING', `No manifest.json in ${dir}: this folder is not a model pack.`);
    }
    throw error;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new PackError('MANIFEST_INVALID', `${file} is not valid JSON (${(error as Error).message}). Fix the manifest or re-export the pack.`);
  }
  const parsed = PerFrameManifestSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .slice(0, 5)
      .map((issue) => `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`)
      .join('; ');
    throw new PackError('MANIFEST_INVALID', `${file} is invalid: ${issues}. Fix the manifest or re-export the pack.`);
  }
  const manifest = parsed.data;
  const where = `Pack ${perFramePackId(manifest)} (${dir})`;
  const seen = new Set<string>();
  for (const f of manifest.files) {
    if (f.path.startsWith('/') || /^[a-zA-Z]:/.test(f.path) || f.path.split(/[\\/]/).some((p) => p === '..' || p === '' || p === '.')) {
      throw new PackError('MANIFEST_INVALID', `${where}: files: "${f.path}" must be a relative path inside the pack.`);
    }
    if (seen.has(f.path)) throw new PackError('MANIFEST_INVALID', `${where}: files: "${f.path}" is listed twice.`);
    seen.add(f.path);
  }
  const scales = new Set<number>();
  for (const model of manifest.models) {
    const listed = manifest.files.find((f) => f.path === model.file);
    if (!listed || listed.role !== 'graph') {
      throw new PackError('MANIFEST_INVALID', `${where}: models: "${model.file}" must be listed in files with role "graph".`);
    }
    if (model.scale !== null) {
      if (scales.has(model.scale)) throw new PackError('MANIFEST_INVALID', `${where}: two models have scale ${model.scale}.`);
      scales.add(model.scale);
    }
  }
  return { manifest, text };
}

/** Checks every listed file's presence, size and sha256; the pack hash covers the manifest and the file hashes. */
export async function verifyPerFramePack(
  dir: string,
  opts: { hashCache?: HashCache } = {},
): Promise<{ manifest: PerFrameManifest; packHash: string; sizeBytes: number }> {
  const { manifest, text } = await readPerFrameManifest(dir);
  const id = perFramePackId(manifest);
  const packHash = createHash('sha256').update(text);
  let sizeBytes = Buffer.byteLength(text);
  for (const file of manifest.files) {
    const filePath = path.join(dir, file.path);
    const stat = await fs.stat(filePath).catch(() => null);
    if (!stat?.isFile()) throw new PackError('FILE_MISSING', `Pack ${id}: ${file.path} is missing from ${dir}. Re-import the pack.`);
    if (stat.size !== file.size) {
      throw new PackError(
        'FILE_SIZE',
        `Pack ${id}: ${file.path} is ${stat.size} bytes, expected ${file.size}: it is incomplete or was modified. Re-import the pack.`,
      );
    }
    sizeBytes += stat.size;
  }
  for (const file of manifest.files) {
    const filePath = path.join(dir, file.path);
    const sha256 = opts.hashCache ? await opts.hashCache.sha256(filePath) : await sha256File(filePath);
    if (sha256 !== file.sha256) {
      throw new PackError('FILE_HASH', `Pack ${id}: ${file.path} is corrupt or was modified: sha256 ${sha256}, expected ${file.sha256}. Re-import the pack.`);
    }
    packHash.update(`\n${file.path}:${sha256}`);
  }
  return { manifest, packHash: packHash.digest('hex'), sizeBytes };
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  const handle = await fs.open(file, 'r');
  try {
    for await (const chunk of handle.createReadStream()) hash.update(chunk as Buffer);
  } finally {
    await handle.close().catch(() => undefined);
  }
  return hash.digest('hex');
}
