// The model-pack handlers' work: the registry over <userData>/packs plus the built-in test packs, with pack
// verification errors turned into API errors whose message reaches the user unchanged.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ApiError, type PackInfo, type ProviderAvailability } from '../common/api';
import { maxThreads } from '../engine/execution';
import { builtinPackDirs } from '../engine/pack/builtin';
import { PackError } from '../engine/pack/errors';
import { HashCache } from '../engine/pack/hash-cache';
import { PackRegistry, type PackEntry } from '../engine/pack/registry';
import { autoProvider, providerDisplayName, providerPlatformProblem, type ExecutionProvider } from '../engine/pack/providers';
import { SerialQueue } from './serial-queue';

export type PackServiceOptions = {
  userDataDir: string;
  /** Folders of the built-in (read-only) packs; the app's test packs by default. */
  builtinDirs?: string[];
};

export class PackService {
  readonly registry: PackRegistry;
  readonly packsDir: string;
  /** sha256 of pack files by path, size and mtime: an exporter verifying a pack it wrote fills it for the install. */
  readonly hashCache: HashCache;
  // Imports and removals one at a time: two imports of the same pack must not both pass the duplicate check.
  private readonly queue = new SerialQueue();

  constructor(opts: PackServiceOptions) {
    this.packsDir = path.join(opts.userDataDir, 'packs');
    this.hashCache = new HashCache(path.join(opts.userDataDir, 'cache', 'pack-hashes.json'));
    this.registry = new PackRegistry({ dir: this.packsDir, builtinDirs: opts.builtinDirs ?? builtinPackDirs(), hashCache: this.hashCache });
  }

  /** Not queued: a long import must not hold the list up, and the registry hides half-imported folders. */
  async list(): Promise<PackInfo[]> {
    return (await withPackErrors(() => this.registry.list())).map(toPackInfo);
  }

  /** A pack folder, or a per-frame .onnx file (checked and probed before anything is installed). */
  import(dir: string): Promise<PackInfo> {
    return this.queue.run(async () => {
      if (path.isAbsolute(dir) && dir.toLowerCase().endsWith('.onnx')) {
        return toPackInfo(await withPackErrors(() => this.registry.importOnnxFile(dir)));
      }
      await requirePackFolder(dir);
      return toPackInfo(await withPackErrors(() => this.registry.importFromFolder(dir)));
    });
  }

  /** Where an exporter may write a pack that installStaged() then moves into place. */
  stagingPath(label: string): Promise<string> {
    return this.registry.stagingPath(label);
  }

  /** Installs a pack an exporter wrote into stagingPath(); removes the staging folder when it cannot. */
  installStaged(dir: string): Promise<PackInfo> {
    return this.queue.run(async () => toPackInfo(await withPackErrors(() => this.registry.installStaged(dir))));
  }

  removeStaleStaging(): Promise<void> {
    return this.queue.run(() => this.registry.removeStaleStaging());
  }

  remove(id: string): Promise<void> {
    return this.queue.run(() => withPackErrors(() => this.registry.remove(id)));
  }
}

/** The API's view of a registry entry. Test packs are labelled as test packs whatever their manifest says. */
export function toPackInfo(entry: PackEntry): PackInfo {
  return {
    id: entry.id,
    name: entry.name,
    version: entry.version,
    label: entry.testPack && !/test pack/i.test(entry.label) ? `Test pack ${entry.label} (does not enhance)` : entry.label,
    family: entry.family,
    testPack: entry.testPack,
    builtin: entry.builtin,
    sizeBytes: entry.sizeBytes,
    status: entry.status,
    problem: entry.problem,
  };
}

/** Every provider with whether this platform can run it and, if not, why. 'auto' is always available: it picks
 *  the platform's GPU provider and reports a fallback to CPU. */
export function providerAvailability(platform: NodeJS.Platform = process.platform): {
  platform: string;
  autoProvider: ExecutionProvider;
  maxThreads: number;
  providers: ProviderAvailability[];
} {
  const auto = autoProvider(platform);
  const explicit: ExecutionProvider[] = ['cuda', 'dml', 'coreml', 'cpu'];
  const providers: ProviderAvailability[] = [
    { provider: 'auto', label: `Automatic (${providerDisplayName(auto)} if it starts, else CPU)`, available: true, reason: null },
    ...explicit.map((provider) => {
      const reason = providerPlatformProblem(provider, platform);
      return { provider, label: providerDisplayName(provider), available: reason === null, reason };
    }),
  ];
  return { platform, autoProvider: auto, maxThreads: maxThreads(), providers };
}

/** Pack verification failures are the user's to fix (re-export, re-download): their message goes through as is. */
async function withPackErrors<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof PackError) throw new ApiError('PACK_INVALID', error.message);
    throw error;
  }
}

async function requirePackFolder(dir: string): Promise<void> {
  if (!path.isAbsolute(dir)) {
    throw new ApiError('BAD_REQUEST', `${dir} is not an absolute path: choose the pack folder (the one holding manifest.json).`);
  }
  const stat = await fs.stat(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return null;
    throw error;
  });
  if (!stat) throw new ApiError('NOT_FOUND', `The folder ${dir} does not exist (moved or deleted?): choose the pack folder again.`);
  if (!stat.isDirectory()) {
    throw new ApiError('BAD_REQUEST', `${dir} is a file: choose the pack's folder (the one holding manifest.json), not a file in it.`);
  }
}
