// The chunk cache on disk: one MP4 per chunk under <dir>/<key[0..2]>/<key>.mp4, indexed in <dir>/index.sqlite.
// The index is the truth for what exists; on open it is reconciled with the disk (rows without a file are dropped,
// files without a row and leftover temporary files are deleted), so a crash at any point costs at most the chunk
// that was being written. Least recently used entries are evicted beyond the size limit, never pinned ones.
import Database from 'better-sqlite3';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { ApiError } from '../common/api';
import { MAX_CACHE_LIMIT_BYTES, MIN_CACHE_LIMIT_BYTES, type CacheInfo } from '../common/render-model';
import type { CachedChunk, ChunkCache } from './types';

export const DEFAULT_CACHE_LIMIT_BYTES = 20 * 1024 ** 3;
/** Queries slower than this are logged: the index sits on the UI's path (render status of every clip). */
const SLOW_QUERY_MS = 50;
const BUSY_TIMEOUT_MS = 5000;
/** Rates average over about this many recent jobs, so a machine that got faster is seen soon. */
const RATE_WINDOW = 5;

const KEY_PATTERN = /^[0-9a-f]{64}$/;
const CHUNK_FILE_PATTERN = /^([0-9a-f]{64})\.mp4$/;

const MIGRATIONS: { version: number; sql: string }[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE chunks (
        key TEXT PRIMARY KEY,
        fingerprint TEXT NOT NULL,
        settings_hash TEXT NOT NULL,
        chunk_frames INTEGER NOT NULL,
        chunk_index INTEGER NOT NULL,
        first_frame INTEGER NOT NULL,
        end_frame INTEGER NOT NULL,
        frames INTEGER NOT NULL,
        first_output_frame INTEGER NOT NULL,
        width INTEGER NOT NULL,
        height INTEGER NOT NULL,
        fps_num INTEGER NOT NULL,
        fps_den INTEGER NOT NULL,
        size_bytes INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        last_used INTEGER NOT NULL
      );
      CREATE INDEX chunks_by_media ON chunks (fingerprint, chunk_frames, chunk_index);
      CREATE INDEX chunks_by_use ON chunks (last_used);
      CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE rate (
        rate_key TEXT PRIMARY KEY,
        seconds_per_mp_frame REAL NOT NULL,
        samples INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );`,
  },
];
const LATEST_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

type ChunkRow = {
  key: string;
  fingerprint: string;
  settings_hash: string;
  chunk_frames: number;
  chunk_index: number;
  first_frame: number;
  end_frame: number;
  frames: number;
  first_output_frame: number;
  width: number;
  height: number;
  fps_num: number;
  fps_den: number;
  size_bytes: number;
};

export type ChunkEntryInput = Parameters<ChunkCache['put']>[0];

export type ChunkCacheOptions = {
  dir: string;
  nativeBinding?: string;
  log(message: string): void;
  /** Limit used when none is stored yet. */
  defaultLimitBytes?: number;
};

export class SqliteChunkCache implements ChunkCache {
  readonly dir: string;
  private readonly db: Database.Database;
  private readonly log: (message: string) => void;
  private readonly pins = new Map<string, number>();
  private clock = 0;
  private closed = false;

  constructor(opts: ChunkCacheOptions) {
    this.dir = path.resolve(opts.dir);
    this.log = opts.log;
    fs.mkdirSync(this.tempDir, { recursive: true });
    this.db = this.openIndex(opts.nativeBinding);
    const stored = this.db.prepare(`SELECT value FROM meta WHERE name = 'limit_bytes'`).get() as { value: string } | undefined;
    if (!stored) this.writeLimit(opts.defaultLimitBytes ?? DEFAULT_CACHE_LIMIT_BYTES);
    this.clock = (this.db.prepare('SELECT MAX(last_used) AS t FROM chunks').get() as { t: number | null }).t ?? 0;
    this.reconcile();
  }

  /** Where the engine writes a chunk before put() moves it in: a folder per process, because the app and a
   *  headless render may share the cache, and one must not remove what the other is writing. */
  get tempDir(): string {
    return path.join(this.dir, 'tmp', String(process.pid));
  }

  tempFileFor(key: string): string {
    return path.join(this.tempDir, `${key}.mp4`);
  }

  fileFor(key: string): string {
    if (!KEY_PATTERN.test(key)) throw new Error(`Not a chunk key: ${key}`);
    return path.join(this.dir, key.slice(0, 2), `${key}.mp4`);
  }

  info(): CacheInfo {
    const row = this.timed('info', () =>
      this.db.prepare('SELECT COUNT(*) AS entries, COALESCE(SUM(size_bytes), 0) AS size FROM chunks').get(),
    ) as { entries: number; size: number };
    return { dir: this.dir, sizeBytes: row.size, limitBytes: this.limitBytes(), entries: row.entries };
  }

  get(key: string): CachedChunk | null {
    const chunk = this.peek(key);
    if (!chunk) return null;
    this.timed('touch', () => this.db.prepare('UPDATE chunks SET last_used = ? WHERE key = ?').run(this.tick(), key));
    return chunk;
  }

  /** The entry without marking it used (status queries must not reorder the LRU), or null. An entry whose file
   *  has gone (deleted by hand) is dropped. */
  peek(key: string): CachedChunk | null {
    const row = this.timed('get', () => this.db.prepare('SELECT * FROM chunks WHERE key = ?').get(key)) as ChunkRow | undefined;
    if (!row) return null;
    const file = this.fileFor(key);
    if (!fs.existsSync(file)) {
      this.log(`chunk cache: ${file} is missing; dropped its entry`);
      this.db.prepare('DELETE FROM chunks WHERE key = ?').run(key);
      return null;
    }
    return toChunk(row, file);
  }

  /** Any entry of this media overlapping the chunk's frames, whatever its grid: switching a clip between engines
   *  (whose grids differ) shows its enhanced ranges as stale, not as never enhanced. */
  hasAnyVariant(fingerprint: string, chunkFrames: number, index: number): boolean {
    const first = index * chunkFrames;
    const end = first + chunkFrames;
    return (
      this.timed('hasAnyVariant', () =>
        this.db
          .prepare(
            'SELECT 1 FROM chunks WHERE fingerprint = ? AND chunk_index * chunk_frames < ? AND (chunk_index + 1) * chunk_frames > ? LIMIT 1',
          )
          .get(fingerprint, end, first),
      ) !== undefined
    );
  }

  async put(chunk: ChunkEntryInput, tempFile: string): Promise<CachedChunk> {
    this.requireOpen();
    const file = this.fileFor(chunk.key);
    await fsp.mkdir(path.dirname(file), { recursive: true });
    await fsp.rename(tempFile, file);
    const sizeBytes = (await fsp.stat(file)).size;
    const now = this.tick();
    this.timed('put', () =>
      this.db
        .prepare(
          `INSERT OR REPLACE INTO chunks (key, fingerprint, settings_hash, chunk_frames, chunk_index, first_frame, end_frame,
             frames, first_output_frame, width, height, fps_num, fps_den, size_bytes, created_at, last_used)
           VALUES (@key, @fingerprint, @settingsHash, @chunkFrames, @index, @firstFrame, @endFrame, @frames, @firstOutputFrame,
             @width, @height, @fpsNum, @fpsDen, @sizeBytes, @now, @now)`,
        )
        .run({
          key: chunk.key,
          fingerprint: chunk.fingerprint,
          settingsHash: chunk.settingsHash,
          chunkFrames: chunk.chunkFrames,
          index: chunk.index,
          firstFrame: chunk.firstFrame,
          endFrame: chunk.endFrame,
          frames: chunk.frames,
          firstOutputFrame: chunk.firstOutputFrame,
          width: chunk.width,
          height: chunk.height,
          fpsNum: chunk.fps.num,
          fpsDen: chunk.fps.den,
          sizeBytes,
          now,
        }),
    );
    // The entry just written is kept even when it alone exceeds the limit: its caller is about to read it.
    this.evict(chunk.key);
    return {
      index: chunk.index,
      firstFrame: chunk.firstFrame,
      endFrame: chunk.endFrame,
      key: chunk.key,
      file,
      frames: chunk.frames,
      firstOutputFrame: chunk.firstOutputFrame,
      width: chunk.width,
      height: chunk.height,
      fps: { ...chunk.fps },
      sizeBytes,
    };
  }

  pin(keys: string[]): () => void {
    for (const key of keys) this.pins.set(key, (this.pins.get(key) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      for (const key of keys) {
        const count = (this.pins.get(key) ?? 0) - 1;
        if (count > 0) this.pins.set(key, count);
        else this.pins.delete(key);
      }
    };
  }

  async clear(): Promise<CacheInfo> {
    this.requireOpen();
    const keys = (this.db.prepare('SELECT key FROM chunks').all() as { key: string }[]).map((r) => r.key);
    const doomed = keys.filter((key) => !this.pins.has(key));
    this.removeEntries(doomed);
    if (doomed.length < keys.length) this.log(`chunk cache: kept ${keys.length - doomed.length} chunk(s) in use by a running job`);
    return this.info();
  }

  async setLimit(limitBytes: number): Promise<CacheInfo> {
    this.requireOpen();
    if (!Number.isInteger(limitBytes) || limitBytes < MIN_CACHE_LIMIT_BYTES || limitBytes > MAX_CACHE_LIMIT_BYTES) {
      throw new ApiError(
        'BAD_REQUEST',
        `The cache limit must be a whole number of bytes from ${formatBytes(MIN_CACHE_LIMIT_BYTES)} to ${formatBytes(MAX_CACHE_LIMIT_BYTES)}; got ${limitBytes}.`,
      );
    }
    this.writeLimit(limitBytes);
    this.evict(null);
    return this.info();
  }

  recordRate(rateKey: string, secondsPerMegapixelFrame: number): void {
    if (!(secondsPerMegapixelFrame > 0) || !Number.isFinite(secondsPerMegapixelFrame)) return;
    const row = this.db.prepare('SELECT seconds_per_mp_frame AS rate, samples FROM rate WHERE rate_key = ?').get(rateKey) as
      | { rate: number; samples: number }
      | undefined;
    const samples = (row?.samples ?? 0) + 1;
    const rate = row ? row.rate + (secondsPerMegapixelFrame - row.rate) / Math.min(samples, RATE_WINDOW) : secondsPerMegapixelFrame;
    this.timed('recordRate', () =>
      this.db
        .prepare('INSERT OR REPLACE INTO rate (rate_key, seconds_per_mp_frame, samples, updated_at) VALUES (?, ?, ?, ?)')
        .run(rateKey, rate, samples, Date.now()),
    );
  }

  rate(rateKey: string): number | null {
    const row = this.db.prepare('SELECT seconds_per_mp_frame AS rate FROM rate WHERE rate_key = ?').get(rateKey) as { rate: number } | undefined;
    return row?.rate ?? null;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }

  private limitBytes(): number {
    const row = this.db.prepare(`SELECT value FROM meta WHERE name = 'limit_bytes'`).get() as { value: string } | undefined;
    const value = Number(row?.value);
    return Number.isInteger(value) && value > 0 ? value : DEFAULT_CACHE_LIMIT_BYTES;
  }

  private writeLimit(limitBytes: number): void {
    this.db.prepare(`INSERT OR REPLACE INTO meta (name, value) VALUES ('limit_bytes', ?)`).run(String(limitBytes));
  }

  /** Evicts least recently used, unpinned entries until the cache fits its limit. */
  private evict(keep: string | null): void {
    const limit = this.limitBytes();
    let total = (this.db.prepare('SELECT COALESCE(SUM(size_bytes), 0) AS size FROM chunks').get() as { size: number }).size;
    if (total <= limit) return;
    const rows = this.timed('evict', () =>
      this.db.prepare('SELECT key, size_bytes FROM chunks ORDER BY last_used ASC').all(),
    ) as { key: string; size_bytes: number }[];
    const doomed: string[] = [];
    for (const row of rows) {
      if (total <= limit) break;
      if (row.key === keep || this.pins.has(row.key)) continue;
      doomed.push(row.key);
      total -= row.size_bytes;
    }
    this.removeEntries(doomed);
    if (doomed.length > 0) this.log(`chunk cache: evicted ${doomed.length} least recently used chunk(s) to stay within ${formatBytes(limit)}`);
  }

  private removeEntries(keys: string[]): void {
    const remove = this.db.prepare('DELETE FROM chunks WHERE key = ?');
    // Rows first, in one transaction, then the files: a crash in between leaves orphan files, which the next
    // open deletes, never rows that point at nothing.
    this.timed('remove', () => this.db.transaction(() => keys.forEach((key) => remove.run(key)))());
    for (const key of keys) fs.rmSync(this.fileFor(key), { force: true });
  }

  /** Drops rows whose file is missing, files without a row, and temporary files of jobs that never finished. */
  private reconcile(): void {
    const started = performance.now();
    const rows = this.db.prepare('SELECT key FROM chunks').all() as { key: string }[];
    const known = new Set<string>();
    const missing: string[] = [];
    for (const { key } of rows) {
      if (fs.existsSync(this.fileFor(key))) known.add(key);
      else missing.push(key);
    }
    if (missing.length > 0) {
      const remove = this.db.prepare('DELETE FROM chunks WHERE key = ?');
      this.db.transaction(() => missing.forEach((key) => remove.run(key)))();
      this.log(`chunk cache: dropped ${missing.length} entr${missing.length === 1 ? 'y' : 'ies'} whose file was missing`);
    }
    let orphans = 0;
    for (const sub of fs.readdirSync(this.dir, { withFileTypes: true })) {
      if (!sub.isDirectory() || !/^[0-9a-f]{2}$/.test(sub.name)) continue;
      for (const name of fs.readdirSync(path.join(this.dir, sub.name))) {
        const match = CHUNK_FILE_PATTERN.exec(name);
        if (match && known.has(match[1])) continue;
        fs.rmSync(path.join(this.dir, sub.name, name), { recursive: true, force: true });
        orphans++;
      }
    }
    let temps = 0;
    const tempRoot = path.dirname(this.tempDir);
    for (const name of fs.readdirSync(tempRoot)) {
      if (/^\d+$/.test(name) && Number(name) !== process.pid && isProcessAlive(Number(name))) continue;
      if (name === String(process.pid)) {
        // Left by an earlier process that had this pid: empty it, keep the folder.
        for (const leftover of fs.readdirSync(this.tempDir)) fs.rmSync(path.join(this.tempDir, leftover), { recursive: true, force: true }), temps++;
        continue;
      }
      fs.rmSync(path.join(tempRoot, name), { recursive: true, force: true });
      temps++;
    }
    if (orphans + temps > 0) this.log(`chunk cache: removed ${orphans} unindexed and ${temps} temporary file(s)`);
    const ms = performance.now() - started;
    if (ms > SLOW_QUERY_MS) this.log(`chunk cache: checking ${rows.length} entries against the disk took ${ms.toFixed(0)} ms`);
  }

  /** Opens (or creates) the index. A cache is disposable: an index that is damaged or from a newer version is
   *  replaced by an empty one (reconcile() then deletes the chunk files it no longer lists). */
  private openIndex(nativeBinding: string | undefined): Database.Database {
    const file = path.join(this.dir, 'index.sqlite');
    try {
      return openAndMigrate(file, nativeBinding);
    } catch (error) {
      this.log(`chunk cache: the index ${file} cannot be used (${(error as Error).message}); starting an empty cache`);
      for (const suffix of ['', '-wal', '-shm', '-journal']) fs.rmSync(file + suffix, { force: true });
      return openAndMigrate(file, nativeBinding);
    }
  }

  /** A strictly increasing use stamp (two uses in one millisecond still have an order). */
  private tick(): number {
    this.clock = Math.max(Date.now(), this.clock + 1);
    return this.clock;
  }

  private timed<T>(what: string, run: () => T): T {
    this.requireOpen();
    const started = performance.now();
    try {
      return run();
    } finally {
      const ms = performance.now() - started;
      if (ms > SLOW_QUERY_MS) this.log(`chunk cache: slow query (${what}) took ${ms.toFixed(0)} ms`);
    }
  }

  private requireOpen(): void {
    if (this.closed) throw new Error('The chunk cache is closed.');
  }
}

function openAndMigrate(file: string, nativeBinding: string | undefined): Database.Database {
  const db = new Database(file, { nativeBinding });
  try {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    db.pragma('journal_mode = WAL');
    // A lost last commit costs one chunk's recomputation; FULL would fsync on every chunk for nothing.
    db.pragma('synchronous = NORMAL');
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > LATEST_VERSION) throw new Error(`index schema ${version} is newer than this build's ${LATEST_VERSION}`);
    if (version < LATEST_VERSION) {
      db.transaction(() => {
        for (const migration of MIGRATIONS) {
          if (migration.version <= version) continue;
          db.exec(migration.sql);
          db.pragma(`user_version = ${migration.version}`);
        }
      }).immediate();
    }
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

function toChunk(row: ChunkRow, file: string): CachedChunk {
  return {
    index: row.chunk_index,
    firstFrame: row.first_frame,
    endFrame: row.end_frame,
    key: row.key,
    file,
    frames: row.frames,
    firstOutputFrame: row.first_output_frame,
    width: row.width,
    height: row.height,
    fps: { num: row.fps_num, den: row.fps_den },
    sizeBytes: row.size_bytes,
  };
}

function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${Number.isInteger(value) ? value : value.toFixed(1)} ${units[unit]}`;
}

/** Whether a process with this id runs (signal 0 checks without signalling; EPERM means it runs as another user). */
function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
