// After the engine process died mid-job, removes the temporary output it was writing. Both writers (the classic
// engine and the diffusion pipeline's frame writer) name it after the engine process's pid:
//   video, chunk:  <folder>/.<name>.partial-<pid>-<random><ext>
//   frames: <folder>.partial-<pid>-<random>/
// so only files of the dead process are touched, never another job's.
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { EnhanceJobSpec } from '../types';

export async function removePartialOutputs(output: EnhanceJobSpec['output'], pid: number): Promise<string[]> {
  const isFile = output.kind !== 'frames';
  const target = path.resolve(output.kind === 'frames' ? output.dir : output.path);
  const folder = path.dirname(target);
  const ext = isFile ? path.extname(target) : '';
  const prefix = isFile ? `.${path.basename(target, ext)}.partial-${pid}-` : `${path.basename(target)}.partial-${pid}-`;
  const names = await readdir(folder).catch(() => [] as string[]);
  const removed: string[] = [];
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith(ext)) continue;
    const file = path.join(folder, name);
    await rm(file, { recursive: true, force: true });
    removed.push(file);
  }
  return removed;
}
