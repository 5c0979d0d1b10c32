// Checks a per-frame pack's models before it is installed (each graph opened on the CPU and probed: a corrupt
// file, a graph that is not image to image, a scale that is not whole or a missing operator is refused with a
// message), and turns a bare .onnx file into a per-frame pack folder with a manifest of its own.
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { PerFrameModel } from '../perframe/per-frame-model';
import type { ExecutionOptions } from '../types';
import { PackError } from './errors';
import { PER_FRAME_KIND, perFramePackId, type PerFrameManifest } from './per-frame-manifest';

const CPU: ExecutionOptions = { provider: 'cpu', deviceId: 0, threads: 1, fp16: false, allowCpuFallback: false };

/** Opens every model of the pack once and compares its probed scale with the manifest's. */
export async function checkPerFrameModels(dir: string, manifest: PerFrameManifest): Promise<void> {
  for (const entry of manifest.models) {
    const model = await PerFrameModel.open(path.join(dir, entry.file), CPU, {
      input: manifest.input,
      tile: manifest.tile,
      expectedScale: entry.scale,
      label: `Pack ${perFramePackId(manifest)}: ${entry.file}`,
    });
    await model.release();
  }
}

/** A pack name from a file name: lowercase letters, digits, ".", "_" and "-". */
export function packNameFromFile(file: string): string {
  const base = path
    .basename(file, path.extname(file))
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[^a-z0-9]+/, '')
    .replace(/-+$/, '');
  return base || 'model';
}

/** Writes a per-frame pack for a bare .onnx file into `into` (an empty folder): the model probed on the CPU with
 *  the default input convention (RGB in [0, 1], NCHW), its scale recorded in the manifest. Returns the manifest. */
export async function writeBareOnnxPack(file: string, into: string): Promise<PerFrameManifest> {
  const stat = await fs.stat(file).catch(() => null);
  if (!stat?.isFile()) throw new PackError('FILE_MISSING', `${file} does not exist or is not a file: choose the .onnx file again.`);
  if (path.extname(file).toLowerCase() !== '.onnx') {
    throw new PackError('NOT_ONNX', `${path.basename(file)} is not an .onnx file: choose an ONNX model, or a pack folder holding manifest.json.`);
  }
  const label = path.basename(file);
  const model = await PerFrameModel.open(file, CPU, { label });
  const scale = model.scale;
  await model.release();
  const bytes = await fs.readFile(file);
  const graph = 'model.onnx';
  await fs.writeFile(path.join(into, graph), bytes);
  const name = packNameFromFile(file);
  const manifest: PerFrameManifest = {
    kind: PER_FRAME_KIND,
    schemaVersion: 1,
    name,
    version: createHash('sha256').update(bytes).digest('hex').slice(0, 8),
    title: path.basename(file, path.extname(file)),
    license: 'unknown (imported by the user)',
    description: `Imported from ${label}: RGB frames in [0, 1], NCHW, x${scale}.`,
    testPack: false,
    files: [{ path: graph, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex'), role: 'graph' }],
    models: [{ file: graph, scale }],
    input: { layout: 'NCHW', range: [0, 1], channels: 'RGB' },
    tile: { size: 256, overlap: 16, multipleOf: 1 },
  };
  await fs.writeFile(path.join(into, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}
