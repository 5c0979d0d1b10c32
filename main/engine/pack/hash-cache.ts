// sha256 of pack files, computed once and remembered by (path, mtime, size): re-verifying a multi-GB pack on every
// job would take minutes. The cache lives in a JSON file (or only in memory when the file is null).
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';

type CacheEntry = { mtimeMs: number; size: number; sha256: string };
type CacheFile = { version: 1; entries: Record<string, CacheEntry> };

export class HashCache {
  private entries: Map<string, CacheEntry> | null = null;
  private loading: Promise<Map<string, CacheEntry>> | null = null;
  private saving: Promise<void> = Promise.resolve();
  /** Files whose content was read and hashed, and lookups answered from the cache (observable by tests). */
  readonly stats = { hashed: 0, hits: 0 };

  constructor(private readonly file: string | null) {}

  async sha256(filePath: string): Promise<string> {
    const absolute = path.resolve(filePath);
    const stat = await fs.stat(absolute);
    const entries = await this.load();
    const cached = entries.get(absolute);
    if (cached && cached.mtimeMs === stat.mtimeMs && cached.size === stat.size) {
      this.stats.hits++;
      return cached.sha256;
    }
    const sha256 = await hashFile(absolute);
    this.stats.hashed++;
    entries.set(absolute, { mtimeMs: stat.mtimeMs, size: stat.size, sha256 });
    await this.save();
    return sha256;
  }

  private load(): Promise<Map<string, CacheEntry>> {
    if (this.entries) return Promise.resolve(this.entries);
    this.loading ??= this.readFile().then((entries) => (this.entries = entries));
    return this.loading;
  }

  private async readFile(): Promise<Map<string, CacheEntry>> {
    if (this.file === null) return new Map();
    let text: string;
    try {
      text = await fs.readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
      throw error;
    }
    try {
      const parsed = JSON.parse(text) as CacheFile;
      if (parsed?.version !== 1 || typeof parsed.entries !== 'object') return new Map();
      return new Map(Object.entries(parsed.entries));
    } catch {
      // A damaged cache only costs re-hashing; it is rewritten on the next save.
      return new Map();
    }
  }

  private save(): Promise<void> {
    if (this.file === null) return Promise.resolve();
    const file = this.file;
    // Writes are chained so two concurrent hashes never interleave their temp files.
    this.saving = this.saving.then(async () => {
      const data: CacheFile = { version: 1, entries: Object.fromEntries(this.entries ?? []) };
      await fs.mkdir(path.dirname(file), { recursive: true });
      const temp = `${file}.${process.pid}.tmp`;
      await fs.writeFile(temp, JSON.stringify(data));
      await fs.rename(temp, file);
    });
    return this.saving;
  }
}

/** Streams a file through sha256 (packs hold multi-GB graphs: never read them whole). */
export function hashFile(filePath: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(filePath)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}
