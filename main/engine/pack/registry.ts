// Installed model packs: <userData>/packs/<name@version>/, plus the read-only built-in test packs. Imports are
// verified, copied into a temporary folder and renamed into place, so a half-imported pack never shows up.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { ApiError } from '../../common/api';
import type { PackManifest } from './manifest';
import { packId } from './contract';
import { PackError } from './errors';
import { HashCache } from './hash-cache';
import { isTestPack, packLabel } from './label';
import { readManifest, verifyPack } from './verify';
import { checkPerFrameModels, writeBareOnnxPack } from './per-frame-import';
import { isPerFrameManifestJson, perFramePackId, perFramePackLabel, readPerFrameManifest, verifyPerFramePack } from './per-frame-manifest';

/** Which engine a pack serves: the diffusion engine (manifest.ts) or the per-frame model engine (per-frame-manifest.ts). */
export type PackKind = 'diffusion' | 'per-frame';

export type PackStatus = 'ok' | 'missing-files' | 'corrupt' | 'invalid';

export type PackEntry = {
  /** name@version, or the folder name when the manifest cannot be read. */
  id: string;
  name: string | null;
  version: string | null;
  label: string;
  description: string;
  family: PackManifest['family'] | 'per-frame' | null;
  dir: string;
  /** Bytes of the manifest and every listed file that exists. */
  sizeBytes: number;
  status: PackStatus;
  /** What is wrong and what to do, when status is not 'ok'. */
  problem: string | null;
  testPack: boolean;
  /** Built-in packs ship with the app and cannot be removed. */
  builtin: boolean;
};

const TEMP_PREFIX = '.import-';
const REMOVING_PREFIX = '.removing-';
/** Packs being written by an exporter; the exporter's own temporary folder beside it also starts with a dot. */
const STAGING_PREFIX = '.staging-';

export class PackRegistry {
  private readonly dir: string;
  private readonly builtinDirs: string[];
  private readonly hashCache: HashCache;

  constructor(opts: { dir: string; builtinDirs: string[]; hashCache?: HashCache }) {
    this.dir = path.resolve(opts.dir);
    this.builtinDirs = opts.builtinDirs.map((d) => path.resolve(d));
    this.hashCache = opts.hashCache ?? new HashCache(null);
  }

  /** Built-in packs first, then installed ones by id. */
  async list(): Promise<PackEntry[]> {
    const builtin = await Promise.all(this.builtinDirs.map((dir) => this.describe(dir, true)));
    const installed = await Promise.all((await this.installedDirs()).map((dir) => this.describe(dir, false)));
    installed.sort((a, b) => a.id.localeCompare(b.id));
    return [...builtin, ...installed];
  }

  async importFromFolder(src: string): Promise<PackEntry> {
    const source = path.resolve(src);
    const { id, files } = await this.verifyAny(source, { checkModels: true });
    await this.requireNotInstalled(id, 'import');
    await fs.mkdir(this.dir, { recursive: true });
    const temp = path.join(this.dir, `${TEMP_PREFIX}${randomBytes(6).toString('hex')}`);
    const target = path.join(this.dir, folderName(id));
    try {
      await fs.mkdir(temp);
      for (const file of [...files, 'manifest.json']) {
        const to = path.join(temp, file);
        await fs.mkdir(path.dirname(to), { recursive: true });
        await fs.copyFile(path.join(source, file), to);
      }
      // Verify the copy too: a failing disk or a file changed mid-copy must not produce an installed pack.
      await this.verifyAny(temp, { checkModels: false });
      await renameIntoPlace(temp, target);
    } catch (error) {
      await fs.rm(temp, { recursive: true, force: true });
      throw error;
    }
    return this.describe(target, false);
  }

  /** A new hidden folder path inside the packs folder (not listed, not created): an exporter writes a pack there so
   *  installing it is a rename, not a copy of its gigabytes. */
  async stagingPath(label: string): Promise<string> {
    await fs.mkdir(this.dir, { recursive: true });
    return path.join(this.dir, `${STAGING_PREFIX}${label}-${randomBytes(6).toString('hex')}`);
  }

  /** Installs a pack written into a stagingPath(): verified, checked against the installed ids, renamed into place.
   *  The staging folder is removed when it cannot be installed. */
  async installStaged(staging: string): Promise<PackEntry> {
    const source = path.resolve(staging);
    if (path.dirname(source) !== this.dir || !path.basename(source).startsWith(STAGING_PREFIX)) {
      throw new Error(`${source} is not a staging folder of ${this.dir}`);
    }
    try {
      const { id } = await this.verifyAny(source, { checkModels: false });
      await this.requireNotInstalled(id, 'add');
      const target = path.join(this.dir, folderName(id));
      await renameIntoPlace(source, target);
      return await this.describe(target, false);
    } catch (error) {
      await fs.rm(source, { recursive: true, force: true });
      throw error;
    }
  }

  /** Removes staging folders a crashed or killed export left behind (none is in use when this runs). */
  async removeStaleStaging(): Promise<void> {
    let names: string[];
    try {
      names = await fs.readdir(this.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    await Promise.all(names.filter((n) => n.startsWith(STAGING_PREFIX) || n.startsWith(`.${STAGING_PREFIX}`)).map((n) => fs.rm(path.join(this.dir, n), { recursive: true, force: true })));
  }

  /** Installs a bare .onnx per-frame model as a pack of its own: the model is checked and probed first, so a bad
   *  file installs nothing. */
  async importOnnxFile(file: string): Promise<PackEntry> {
    await fs.mkdir(this.dir, { recursive: true });
    const temp = path.join(this.dir, `${TEMP_PREFIX}${randomBytes(6).toString('hex')}`);
    await fs.mkdir(temp);
    try {
      const manifest = await writeBareOnnxPack(path.resolve(file), temp);
      const id = perFramePackId(manifest);
      const existing = await this.findById(id);
      if (existing) throw new ApiError('CONFLICT', `This model is already installed as pack ${id}. Remove it first to import it again.`);
      await verifyPerFramePack(temp, { hashCache: this.hashCache });
      const target = path.join(this.dir, folderName(id));
      await fs.rename(temp, target);
      return this.describe(target, false);
    } catch (error) {
      await fs.rm(temp, { recursive: true, force: true });
      throw error;
    }
  }

  /** CONFLICT when a pack with this id is already installed or built in. */
  private async requireNotInstalled(id: string, verb: 'import' | 'add'): Promise<void> {
    const existing = await this.findById(id);
    if (existing) {
      throw new ApiError(
        'CONFLICT',
        `Pack ${id} is already installed${existing.builtin ? ' (built in)' : ` in ${existing.dir}`}. Remove it first to ${verb} it again.`,
      );
    }
  }

  /** Verifies a diffusion or per-frame pack folder; per-frame models are also opened and probed when asked. */
  private async verifyAny(dir: string, opts: { checkModels: boolean }): Promise<{ id: string; files: string[] }> {
    if (await isPerFrameFolder(dir)) {
      const { manifest } = await verifyPerFramePack(dir, { hashCache: this.hashCache });
      if (opts.checkModels) await checkPerFrameModels(dir, manifest);
      return { id: perFramePackId(manifest), files: manifest.files.map((f) => f.path) };
    }
    const { manifest } = await verifyPack(dir, { hashCache: this.hashCache });
    return { id: packId(manifest), files: manifest.files.map((f) => f.path) };
  }

  async remove(id: string): Promise<void> {
    const entry = await this.findById(id);
    if (!entry) throw new ApiError('NOT_FOUND', `No installed pack ${id}. List the packs to see their ids.`);
    if (entry.builtin) throw new ApiError('FORBIDDEN', `Pack ${id} is built in and cannot be removed.`);
    // Rename first so the pack disappears at once, even if deleting its files takes a while or fails midway.
    const doomed = path.join(this.dir, `${REMOVING_PREFIX}${randomBytes(6).toString('hex')}`);
    await fs.rename(entry.dir, doomed);
    await fs.rm(doomed, { recursive: true, force: true });
  }

  /** The folder of pack `id`; null means the default pack: the first installed pack that is not a test pack. Test
   *  packs are used only when asked for by id. */
  async resolve(id: string | null, kind: PackKind = 'diffusion'): Promise<string> {
    if (id !== null) {
      const entry = await this.findById(id);
      if (!entry) {
        throw new ApiError('NOT_FOUND', `Model pack ${id} is not installed. Import it in the model pack settings, or pick another pack.`);
      }
      if ((await isPerFrameFolder(entry.dir)) !== (kind === 'per-frame')) {
        throw new ApiError(
          'BAD_REQUEST',
          kind === 'per-frame'
            ? `Pack ${id} is a diffusion pack: pick it with the diffusion engine, or pick a per-frame pack for the model engine.`
            : `Pack ${id} is a per-frame pack: pick it with the model engine, or pick a diffusion pack.`,
        );
      }
      return entry.dir;
    }
    if (kind === 'per-frame') {
      // The built-in ESRGAN counts: it is a real model, not a test pack.
      for (const entry of await this.list()) {
        if (entry.family === 'per-frame' && !entry.testPack && entry.status === 'ok') return entry.dir;
      }
      throw new ApiError('NOT_FOUND', 'No per-frame model pack is installed. Run npm run setup (it converts the built-in ESRGAN), or import an .onnx upscaler.');
    }
    for (const entry of await this.list()) {
      if (!entry.builtin && !entry.testPack && entry.status === 'ok' && entry.family !== 'per-frame') return entry.dir;
    }
    throw new ApiError(
      'NOT_FOUND',
      'No model pack is installed. Import one (a folder with manifest.json) in the model pack settings, or use the classic engine.',
    );
  }

  /** Finds a pack by id from manifests alone (no hashing). */
  private async findById(id: string): Promise<{ dir: string; builtin: boolean } | null> {
    const candidates = [
      ...this.builtinDirs.map((dir) => ({ dir, builtin: true })),
      ...(await this.installedDirs()).map((dir) => ({ dir, builtin: false })),
    ];
    for (const candidate of candidates) {
      try {
        const manifestId = (await isPerFrameFolder(candidate.dir))
          ? perFramePackId((await readPerFrameManifest(candidate.dir)).manifest)
          : packId((await readManifest(candidate.dir)).manifest);
        if (manifestId === id) return candidate;
      } catch {
        // Unreadable packs have no id to match; list() reports them.
      }
    }
    return null;
  }

  private async installedDirs(): Promise<string[]> {
    let names: string[];
    try {
      names = (await fs.readdir(this.dir, { withFileTypes: true }))
        .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
        .map((d) => d.name);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    return names.sort().map((name) => path.join(this.dir, name));
  }

  private async describe(dir: string, builtin: boolean): Promise<PackEntry> {
    if (await isPerFrameFolder(dir)) return this.describePerFrame(dir, builtin);
    let manifest: PackManifest | null = null;
    let status: PackStatus = 'ok';
    let problem: string | null = null;
    try {
      manifest = (await readManifest(dir)).manifest;
      await verifyPack(dir, { hashCache: this.hashCache });
    } catch (error) {
      if (!(error instanceof PackError)) throw error;
      problem = error.message;
      status =
        error.code === 'FILE_MISSING' ? 'missing-files' : error.code === 'FILE_SIZE' || error.code === 'FILE_HASH' ? 'corrupt' : 'invalid';
      // A folder without manifest.json is not a pack at all: invalid, not "missing files".
      if (!manifest) status = 'invalid';
    }
    return {
      id: manifest ? packId(manifest) : path.basename(dir),
      name: manifest?.name ?? null,
      version: manifest?.version ?? null,
      label: manifest ? packLabel(manifest) : path.basename(dir),
      description: manifest?.description ?? '',
      family: manifest?.family ?? null,
      dir,
      sizeBytes: await presentSize(dir, manifest),
      status,
      problem,
      testPack: manifest ? isTestPack(manifest) : false,
      builtin,
    };
  }

  private async describePerFrame(dir: string, builtin: boolean): Promise<PackEntry> {
    let manifest: Awaited<ReturnType<typeof readPerFrameManifest>>['manifest'] | null = null;
    let status: PackStatus = 'ok';
    let problem: string | null = null;
    try {
      manifest = (await readPerFrameManifest(dir)).manifest;
      await verifyPerFramePack(dir, { hashCache: this.hashCache });
    } catch (error) {
      if (!(error instanceof PackError)) throw error;
      problem = error.message;
      status = !manifest ? 'invalid' : error.code === 'FILE_MISSING' ? 'missing-files' : error.code === 'FILE_SIZE' || error.code === 'FILE_HASH' ? 'corrupt' : 'invalid';
    }
    let sizeBytes = 0;
    for (const file of ['manifest.json', ...(manifest?.files.map((f) => f.path) ?? [])]) {
      sizeBytes += (await fs.stat(path.join(dir, file)).catch(() => null))?.size ?? 0;
    }
    return {
      id: manifest ? perFramePackId(manifest) : path.basename(dir),
      name: manifest?.name ?? null,
      version: manifest?.version ?? null,
      label: manifest ? perFramePackLabel(manifest) : path.basename(dir),
      description: manifest?.description ?? '',
      family: 'per-frame',
      dir,
      sizeBytes,
      status,
      problem,
      testPack: manifest?.testPack ?? false,
      builtin,
    };
  }
}

async function isPerFrameFolder(dir: string): Promise<boolean> {
  try {
    return isPerFrameManifestJson(JSON.parse(await fs.readFile(path.join(dir, 'manifest.json'), 'utf8')));
  } catch {
    return false;
  }
}

async function presentSize(dir: string, manifest: PackManifest | null): Promise<number> {
  const files = ['manifest.json', ...(manifest?.files.map((f) => f.path) ?? [])];
  let total = 0;
  for (const file of files) {
    try {
      total += (await fs.stat(path.join(dir, file))).size;
    } catch {
      // Missing files count as zero; the status says they are missing.
    }
  }
  return total;
}

function folderName(id: string): string {
  return id.replace(/[^A-Za-z0-9._@-]/g, '_');
}

/** Moves a verified folder to its pack folder; a folder already there is a CONFLICT, never overwritten. */
async function renameIntoPlace(from: string, target: string): Promise<void> {
  try {
    await fs.rename(from, target);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOTEMPTY' || code === 'EEXIST') throw new ApiError('CONFLICT', `The folder ${target} already exists. Remove it or the pack in it first.`);
    throw error;
  }
}
