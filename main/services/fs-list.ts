// Folder listing for the renderer's built-in file browser (the web host has no native dialog).
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ApiError, type MethodOutput } from '../common/api';

export async function listFolder(dir: string, extensions?: string[]): Promise<MethodOutput<'fs.list'>> {
  const absDir = path.resolve(dir);
  let dirents;
  try {
    dirents = await fs.readdir(absDir, { withFileTypes: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ApiError('NOT_FOUND', `The folder ${absDir} does not exist.`);
    if (code === 'ENOTDIR') throw new ApiError('BAD_REQUEST', `${absDir} is a file, not a folder.`);
    if (code === 'EACCES' || code === 'EPERM') throw new ApiError('FORBIDDEN', `You do not have permission to open ${absDir}.`);
    throw err;
  }
  const wanted = extensions?.map((ext) => (ext.startsWith('.') ? ext : `.${ext}`).toLowerCase());
  const entries: MethodOutput<'fs.list'>['entries'] = [];
  for (const dirent of dirents) {
    if (dirent.name.startsWith('.')) continue;
    const full = path.join(absDir, dirent.name);
    // Follow symlinks so a linked folder browses like a folder; a dangling link is simply not listed.
    const stat = await fs.stat(full).catch(() => null);
    if (!stat) continue;
    if (stat.isDirectory()) {
      entries.push({ name: dirent.name, path: full, kind: 'dir', size: 0 });
    } else if (stat.isFile()) {
      if (wanted && !wanted.includes(path.extname(dirent.name).toLowerCase())) continue;
      entries.push({ name: dirent.name, path: full, kind: 'file', size: stat.size });
    }
  }
  entries.sort((a, b) => (a.kind === b.kind ? a.name.localeCompare(b.name, undefined, { numeric: true }) : a.kind === 'dir' ? -1 : 1));
  const parent = path.dirname(absDir);
  return { dir: absDir, parent: parent === absDir ? null : parent, entries };
}
