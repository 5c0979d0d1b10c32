// Where an export writes: the final path from the folder and the name template, its hidden parts folder and
// temporary file beside it, and the safety checks (folder exists and is writable, nothing replaced unasked).
import { randomBytes } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { ApiError } from '../common/api-error';
import { expandExportName, type ExportNameValues } from '../common/export-name';
import type { ExportSpec } from '../common/render-model';
import { codecDefinition } from './codecs';

export type OutputTarget = {
  /** The finished output: a file, or for a PNG sequence a folder. */
  finalPath: string;
  /** Hidden folder of the finished pieces, kept across pauses and restarts. */
  partsDir: string;
  /** The assembled file before its rename (video codecs). */
  tempPath: string;
};

/** The file name (without extension) from the template; an empty result is refused with what to do. */
export function expandName(template: string, values: ExportNameValues): string {
  const safe = expandExportName(template, values);
  if (!safe) throw new ApiError('BAD_REQUEST', `The file name "${template}" is empty once expanded: give the output a name.`);
  return safe;
}

export function outputTarget(folder: string, name: string, codecId: ExportSpec['codec'], jobId: number): OutputTarget {
  const codec = codecDefinition(codecId);
  const dir = path.resolve(folder);
  const finalPath = codec.container === 'png' ? path.join(dir, name) : path.join(dir, `${name}.${codec.container}`);
  return {
    finalPath,
    partsDir: path.join(dir, `.${name}.upframe-parts-${jobId}`),
    tempPath: path.join(dir, `.${name}.upframe-partial-${jobId}.${codec.container === 'png' ? 'frames' : codec.container}`),
  };
}

/** The folder exists, is a folder, and takes a new file. */
export async function checkFolder(folder: string): Promise<void> {
  const dir = path.resolve(folder);
  const info = await fs.stat(dir).catch(() => null);
  if (!info) throw new ApiError('NOT_FOUND', `The output folder ${dir} does not exist: choose an existing folder.`);
  if (!info.isDirectory()) throw new ApiError('NOT_FOUND', `${dir} is not a folder: choose a folder for the output.`);
  const probe = path.join(dir, `.upframe-write-test-${randomBytes(4).toString('hex')}`);
  try {
    await fs.writeFile(probe, '');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOSPC') throw diskFull(dir);
    throw new ApiError('NOT_WRITABLE', `Cannot write to ${dir} (${code ?? (error as Error).message}): choose a folder you can write to, or change its permissions.`);
  }
  await fs.rm(probe, { force: true });
}

export function checkNotExisting(finalPath: string, overwrite: boolean): void {
  if (!overwrite && existsSync(finalPath)) {
    throw new ApiError('FILE_EXISTS', `${finalPath} already exists: confirm replacing it, or choose another name.`);
  }
}

export function diskFull(where: string): ApiError {
  return new ApiError('DISK_FULL', `The disk is full while writing to ${where}: free space, then resume the export (finished pieces are kept).`);
}

/** ENOSPC from the file system or ffmpeg's "No space left on device". */
export function isDiskFull(error: unknown): boolean {
  const e = error as { code?: string; message?: string; stderr?: string } | null;
  if (!e) return false;
  if (e.code === 'ENOSPC' || e.code === 'EDQUOT') return true;
  return /No space left on device|Disk quota exceeded/i.test(`${e.message ?? ''}\n${e.stderr ?? ''}`);
}
