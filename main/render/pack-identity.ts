// Resolves a clip's pack id to a verified folder, its manifest and its hash (part of every diffusion chunk key).
// Verifying hashes every file of the pack, so the result is remembered per folder until its manifest changes.
import fs from 'node:fs/promises';
import path from 'node:path';
import { ApiError } from '../common/api';
import { packId } from '../engine/pack/contract';
import { PackError } from '../engine/pack/errors';
import { HashCache } from '../engine/pack/hash-cache';
import type { PackManifest } from '../engine/pack/manifest';
import { verifyPack } from '../engine/pack/verify';
import { perFramePackId, verifyPerFramePack, type PerFrameManifest } from '../engine/pack/per-frame-manifest';
import type { PackService } from '../services/packs';

export type ResolvedPack = { id: string; dir: string; hash: string; manifest: PackManifest };
export type ResolvedPerFramePack = { id: string; dir: string; hash: string; manifest: PerFrameManifest };

export class PackIdentities {
  private readonly known = new Map<string, { stamp: string; pack: Promise<ResolvedPack> }>();
  private readonly hashCache = new HashCache(null);
  private readonly knownPerFrame = new Map<string, { stamp: string; pack: Promise<ResolvedPerFramePack> }>();

  constructor(private readonly packs: Pick<PackService, 'registry'>) {}

  /** Throws ApiError NOT_FOUND (no such pack, none installed) or PACK_INVALID (missing or corrupt files). */
  async resolve(requestedId: string | null): Promise<ResolvedPack> {
    const dir = await this.packs.registry.resolve(requestedId);
    const stamp = await manifestStamp(dir);
    const known = this.known.get(dir);
    if (known && known.stamp === stamp) return known.pack;
    const pack = verify(dir, this.hashCache);
    this.known.set(dir, { stamp, pack });
    pack.catch(() => this.known.delete(dir));
    return pack;
  }

  /** The per-frame pack for the model engine; null means the default (the built-in ESRGAN, or the first installed). */
  async resolvePerFrame(requestedId: string | null): Promise<ResolvedPerFramePack> {
    const dir = await this.packs.registry.resolve(requestedId, 'per-frame');
    const stamp = await manifestStamp(dir);
    const known = this.knownPerFrame.get(dir);
    if (known && known.stamp === stamp) return known.pack;
    const hashCache = this.hashCache;
    const pack = (async () => {
      try {
        const { manifest, packHash } = await verifyPerFramePack(dir, { hashCache });
        return { id: perFramePackId(manifest), dir, hash: packHash, manifest };
      } catch (error) {
        if (error instanceof PackError) throw new ApiError('PACK_INVALID', error.message);
        throw error;
      }
    })();
    this.knownPerFrame.set(dir, { stamp, pack });
    pack.catch(() => this.knownPerFrame.delete(dir));
    return pack;
  }
}

async function verify(dir: string, hashCache: HashCache): Promise<ResolvedPack> {
  try {
    const { manifest, packHash } = await verifyPack(dir, { hashCache });
    return { id: packId(manifest), dir, hash: packHash, manifest };
  } catch (error) {
    if (error instanceof PackError) throw new ApiError('PACK_INVALID', error.message);
    throw error;
  }
}

/** Changes whenever the manifest file is replaced or edited (a re-imported pack in the same folder). */
async function manifestStamp(dir: string): Promise<string> {
  try {
    const stat = await fs.stat(path.join(dir, 'manifest.json'));
    return `${stat.mtimeMs}:${stat.size}:${stat.ino}`;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new ApiError('PACK_INVALID', `The model pack in ${dir} has no manifest.json any more. Re-import the pack, or pick another one.`);
    }
    throw error;
  }
}
