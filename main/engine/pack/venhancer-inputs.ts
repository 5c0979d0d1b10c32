// The three released files the VEnhancer exporter takes: what can be checked before Python starts (each exists and
// is a file or a folder as it should be), and finding them in a folder a person downloaded them into.
import { existsSync, promises as fs, statSync } from 'node:fs';
import path from 'node:path';
import type { VenhancerInputRole, VenhancerInputs } from '../../common/venhancer-setup-model';

export type VenhancerInputProblem = { role: VenhancerInputRole; message: string };

const KIND: Record<VenhancerInputRole, 'file' | 'folder'> = { checkpoint: 'file', vae: 'folder', clip: 'file' };

/** Problems with the given paths, each message starting with the resolved path; [] when all three look right. */
export function venhancerInputProblems(inputs: VenhancerInputs): VenhancerInputProblem[] {
  const problems: VenhancerInputProblem[] = [];
  for (const role of ['checkpoint', 'vae', 'clip'] as const) {
    const resolved = path.resolve(inputs[role]);
    const kind = KIND[role];
    if (!existsSync(resolved)) {
      problems.push({ role, message: `${resolved}: no such ${kind}. Check the path.` });
      continue;
    }
    const isDir = statSync(resolved).isDirectory();
    if (kind === 'folder' && !isDir) {
      problems.push({ role, message: `${resolved} is not a folder: give the SVD "vae" folder (config.json and diffusion_pytorch_model.*).` });
    } else if (kind === 'file' && isDir) {
      problems.push({ role, message: `${resolved} is a folder: give the file.` });
    }
  }
  return problems;
}

export type LocatedVenhancerInputs = { checkpoint: string | null; vae: string | null; clip: string | null };

/** Looks for the three files in `dir` and two levels of folders below it (a download folder, or one per
 *  repository): a venhancer*.pt checkpoint (v2 first), a folder with config.json and diffusion_pytorch_model.*
 *  (one named vae first), and open_clip_pytorch_model.bin. */
export async function locateVenhancerInputs(dir: string): Promise<LocatedVenhancerInputs> {
  const found: LocatedVenhancerInputs = { checkpoint: null, vae: null, clip: null };
  const checkpoints: string[] = [];
  const vaes: string[] = [];
  const walk = async (folder: string, depth: number): Promise<void> => {
    let entries;
    try {
      entries = await fs.readdir(folder, { withFileTypes: true });
    } catch (error) {
      // A folder below the chosen one that cannot be read holds nothing we can use; the chosen one itself must be readable.
      if (depth === 0) throw error;
      return;
    }
    const names = new Set(entries.map((e) => e.name));
    if (names.has('config.json') && [...names].some((n) => n.startsWith('diffusion_pytorch_model.'))) vaes.push(folder);
    for (const entry of entries) {
      const full = path.join(folder, entry.name);
      if (entry.isFile() && /^venhancer.*\.pt$/i.test(entry.name)) checkpoints.push(full);
      else if (entry.isFile() && entry.name === 'open_clip_pytorch_model.bin') found.clip ??= full;
      else if (entry.isDirectory() && depth < 2 && !entry.name.startsWith('.')) await walk(full, depth + 1);
    }
  };
  await walk(path.resolve(dir), 0);
  found.checkpoint = checkpoints.sort((a, b) => rankCheckpoint(a) - rankCheckpoint(b) || a.localeCompare(b))[0] ?? null;
  found.vae = vaes.sort((a, b) => Number(path.basename(b) === 'vae') - Number(path.basename(a) === 'vae') || a.localeCompare(b))[0] ?? null;
  return found;
}

/** venhancer_v2.pt is the release the app's defaults follow; the paper checkpoint after it. */
function rankCheckpoint(file: string): number {
  const name = path.basename(file).toLowerCase();
  return name.includes('v2') ? 0 : name.includes('paper') ? 1 : 2;
}
