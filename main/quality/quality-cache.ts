// Measured quality kept beside the chunk cache (<cache>/quality/<key>.json), keyed by the measuring method's
// version and the keys of the chunks measured: the figures of a range stay valid as long as its chunks' keys do
// (a key covers everything that decides a chunk's pixels), so a second preview of the same range measures nothing.
import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { QualitySums } from './quality-sums';

/** Bumped whenever the measurement changes, so older figures are measured again. */
export const QUALITY_METHOD_VERSION = 1;
/** Entries kept; older ones are removed when a new one is written (each is a few hundred bytes). */
const KEEP_ENTRIES = 2000;

export function qualityKey(chunkKeys: string[]): string {
  return createHash('sha256').update(`quality-v${QUALITY_METHOD_VERSION}\n${chunkKeys.join('\n')}`).digest('hex');
}

export class QualityCache {
  readonly dir: string;

  constructor(chunkCacheDir: string, private readonly log: (message: string) => void) {
    this.dir = path.join(chunkCacheDir, 'quality');
  }

  /** The stored sums, or null when none are stored (or the entry cannot be read: it is then measured again). */
  async get(key: string): Promise<QualitySums | null> {
    const file = this.fileOf(key);
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') this.log(`quality cache: cannot read ${file}: ${(error as Error).message}`);
      return null;
    }
    try {
      const entry = JSON.parse(text) as { version: number; sums: QualitySums };
      if (entry.version !== QUALITY_METHOD_VERSION || typeof entry.sums?.compared !== 'number') return null;
      return entry.sums;
    } catch {
      this.log(`quality cache: ${file} is damaged; the range will be measured again`);
      return null;
    }
  }

  async put(key: string, sums: QualitySums): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true });
    const file = this.fileOf(key);
    // Written whole under a temporary name, then renamed: a reader never sees half an entry.
    const temp = `${file}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
    await fs.writeFile(temp, JSON.stringify({ version: QUALITY_METHOD_VERSION, sums }));
    await fs.rename(temp, file);
    await this.prune();
  }

  private fileOf(key: string): string {
    if (!/^[0-9a-f]{64}$/.test(key)) throw new Error(`Not a quality key: ${key}`);
    return path.join(this.dir, `${key}.json`);
  }

  private async prune(): Promise<void> {
    const names = (await fs.readdir(this.dir)).filter((n) => n.endsWith('.json'));
    if (names.length <= KEEP_ENTRIES) return;
    const dated = await Promise.all(
      names.map(async (name) => ({ name, mtime: (await fs.stat(path.join(this.dir, name)).catch(() => null))?.mtimeMs ?? 0 })),
    );
    dated.sort((a, b) => a.mtime - b.mtime);
    for (const { name } of dated.slice(0, dated.length - KEEP_ENTRIES)) await fs.rm(path.join(this.dir, name), { force: true });
  }
}
