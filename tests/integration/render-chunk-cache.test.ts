// The chunk cache on a real SQLite index and real files: put/get, LRU eviction that spares pinned entries,
// clear, limits, rates, and reconciliation with the disk when reopened.
import { spawnSync } from 'node:child_process';
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteChunkCache, type ChunkEntryInput } from '../../main/render/chunk-cache';
import { makeTempDir } from '../helpers/media-fixtures';

let tmp: { dir: string; cleanup: () => void };
let cacheDir: string;
let logs: string[];
const open: SqliteChunkCache[] = [];

beforeEach(() => {
  tmp = makeTempDir('upframe-chunk-cache-');
  cacheDir = path.join(tmp.dir, 'cache');
  logs = [];
});
afterEach(() => {
  for (const cache of open.splice(0)) cache.close();
  tmp.cleanup();
});

function openCache(defaultLimitBytes = 10_000): SqliteChunkCache {
  const cache = new SqliteChunkCache({ dir: cacheDir, log: (m) => logs.push(m), defaultLimitBytes });
  open.push(cache);
  return cache;
}

function keyOf(name: string): string {
  return createHash('sha256').update(name).digest('hex');
}

function entry(name: string, index = 0): ChunkEntryInput {
  return {
    key: keyOf(name),
    index,
    firstFrame: index * 24,
    endFrame: (index + 1) * 24,
    frames: 24,
    firstOutputFrame: index * 24,
    width: 320,
    height: 240,
    fps: { num: 24, den: 1 },
    fingerprint: 'media-1',
    settingsHash: `settings-${name}`,
    chunkFrames: 24,
  };
}

/** A finished temporary file of `bytes` bytes, as the engine leaves it. */
function tempFile(cache: SqliteChunkCache, name: string, bytes: number): string {
  mkdirSync(cache.tempDir, { recursive: true });
  const file = cache.tempFileFor(keyOf(name));
  writeFileSync(file, Buffer.alloc(bytes, 7));
  return file;
}

async function put(cache: SqliteChunkCache, name: string, bytes: number, index = 0) {
  return cache.put(entry(name, index), tempFile(cache, name, bytes));
}

describe('chunk cache', () => {
  it('moves the file in, indexes it and finds it again', async () => {
    const cache = openCache();
    const temp = tempFile(cache, 'a', 1000);
    const stored = await cache.put(entry('a', 2), temp);
    expect(existsSync(temp)).toBe(false);
    expect(stored.file).toBe(path.join(cacheDir, keyOf('a').slice(0, 2), `${keyOf('a')}.mp4`));
    expect(existsSync(stored.file)).toBe(true);
    expect(stored).toMatchObject({ index: 2, firstFrame: 48, endFrame: 72, frames: 24, sizeBytes: 1000, fps: { num: 24, den: 1 } });
    expect(cache.get(keyOf('a'))).toEqual(stored);
    expect(cache.get(keyOf('missing'))).toBeNull();
    expect(cache.info()).toEqual({ dir: cacheDir, sizeBytes: 1000, limitBytes: 10_000, entries: 1 });
    expect(cache.hasAnyVariant('media-1', 24, 2)).toBe(true);
    expect(cache.hasAnyVariant('media-1', 24, 3)).toBe(false);
    expect(cache.hasAnyVariant('media-1', 8, 2)).toBe(false);
    // Another grid (the other engine's) overlapping frames 48-71 sees it too.
    expect(cache.hasAnyVariant('media-1', 8, 6)).toBe(true);
    expect(cache.hasAnyVariant('media-1', 8, 9)).toBe(false);
    expect(cache.hasAnyVariant('media-2', 24, 2)).toBe(false);
  });

  it('evicts the least recently used entries beyond the limit, never pinned ones', async () => {
    const cache = openCache(3500);
    await put(cache, 'a', 1000);
    await put(cache, 'b', 1000);
    await put(cache, 'c', 1000);
    // a is used again: b is now the least recently used.
    expect(cache.get(keyOf('a'))).not.toBeNull();
    await put(cache, 'd', 1000);
    expect(cache.peek(keyOf('b'))).toBeNull();
    expect(['a', 'c', 'd'].map((n) => cache.peek(keyOf(n)) !== null)).toEqual([true, true, true]);
    expect(existsSync(path.join(cacheDir, keyOf('b').slice(0, 2), `${keyOf('b')}.mp4`))).toBe(false);

    // c is the oldest now, but pinned: a goes instead.
    const release = cache.pin([keyOf('c')]);
    await put(cache, 'e', 1000);
    expect(cache.peek(keyOf('c'))).not.toBeNull();
    expect(cache.peek(keyOf('a'))).toBeNull();
    release();
    release(); // releasing twice is harmless
    await put(cache, 'f', 1000);
    expect(cache.peek(keyOf('c'))).toBeNull();
    expect(cache.info()).toMatchObject({ sizeBytes: 3000, entries: 3 });
  });

  it('keeps a just-written entry larger than the whole limit', async () => {
    const cache = openCache(500);
    const stored = await put(cache, 'big', 1000);
    expect(existsSync(stored.file)).toBe(true);
    await put(cache, 'next', 100);
    expect(cache.peek(keyOf('big'))).toBeNull();
  });

  it('clears every unpinned entry and stores a new limit', async () => {
    const cache = openCache(1e9);
    await put(cache, 'a', 100);
    await put(cache, 'b', 100);
    const release = cache.pin([keyOf('b')]);
    expect(await cache.clear()).toMatchObject({ entries: 1, sizeBytes: 100 });
    expect(cache.peek(keyOf('b'))).not.toBeNull();
    release();
    expect(await cache.clear()).toMatchObject({ entries: 0, sizeBytes: 0 });
    await expect(cache.setLimit(5)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect((await cache.setLimit(512 * 1024 ** 2)).limitBytes).toBe(512 * 1024 ** 2);
    cache.close();
    expect(openCache().info().limitBytes).toBe(512 * 1024 ** 2);
  });

  it('reconciles with the disk when reopened', async () => {
    const first = openCache(1e9);
    const kept = await put(first, 'kept', 100);
    const deleted = await put(first, 'deleted', 100, 1);
    first.close();
    rmSync(deleted.file);
    // A crash left a temporary file and a chunk file that never made it into the index.
    mkdirSync(path.join(cacheDir, 'tmp'), { recursive: true });
    writeFileSync(path.join(cacheDir, 'tmp', `${keyOf('half')}.mp4`), 'partial');
    // Temporary folders are per process: a dead process's is removed, a running one's (a headless render sharing
    // the cache) is left alone.
    const deadPid = spawnSync('true').pid!;
    const livePid = process.ppid;
    for (const pid of [deadPid, livePid]) {
      mkdirSync(path.join(cacheDir, 'tmp', String(pid)), { recursive: true });
      writeFileSync(path.join(cacheDir, 'tmp', String(pid), `${keyOf('half')}.mp4`), 'partial');
    }
    const orphan = path.join(cacheDir, keyOf('orphan').slice(0, 2), `${keyOf('orphan')}.mp4`);
    mkdirSync(path.dirname(orphan), { recursive: true });
    writeFileSync(orphan, 'orphan');

    const reopened = openCache();
    expect(reopened.info()).toMatchObject({ entries: 1, sizeBytes: 100 });
    expect(reopened.get(kept.key)).toEqual(kept);
    expect(reopened.peek(deleted.key)).toBeNull();
    expect(readdirSync(path.join(cacheDir, 'tmp')).sort()).toEqual([String(livePid), String(process.pid)].sort());
    expect(readdirSync(path.join(cacheDir, 'tmp', String(livePid)))).toHaveLength(1);
    expect(existsSync(orphan)).toBe(false);
    expect(logs.join('\n')).toMatch(/dropped 1 entry whose file was missing/);
    reopened.close();
    // The row is gone from the index itself, not only hidden.
    const db = new Database(path.join(cacheDir, 'index.sqlite'), { readonly: true });
    expect(db.prepare('SELECT key FROM chunks').all()).toEqual([{ key: kept.key }]);
    db.close();
  });

  it('drops an entry whose file disappears while open', async () => {
    const cache = openCache(1e9);
    const stored = await put(cache, 'a', 100);
    rmSync(stored.file);
    expect(cache.get(stored.key)).toBeNull();
    expect(cache.info().entries).toBe(0);
  });

  it('starts empty over a damaged index', async () => {
    const first = openCache(1e9);
    const stored = await put(first, 'a', 100);
    first.close();
    for (const suffix of ['-wal', '-shm']) rmSync(path.join(cacheDir, `index.sqlite${suffix}`), { force: true });
    writeFileSync(path.join(cacheDir, 'index.sqlite'), 'not a database at all, just text that is long enough to look like one');
    const cache = openCache();
    expect(cache.info().entries).toBe(0);
    expect(existsSync(stored.file)).toBe(false);
    expect(logs.join('\n')).toMatch(/cannot be used/);
  });

  it('averages measured rates per key', () => {
    const cache = openCache();
    expect(cache.rate('classic')).toBeNull();
    cache.recordRate('classic', 2);
    expect(cache.rate('classic')).toBe(2);
    cache.recordRate('classic', 4);
    expect(cache.rate('classic')).toBe(3);
    cache.recordRate('classic', Number.NaN);
    expect(cache.rate('classic')).toBe(3);
    expect(cache.rate('pack:x')).toBeNull();
  });
});
