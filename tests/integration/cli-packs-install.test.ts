// `upframe packs install` run as a user runs it (a separate node process on the TypeScript source), with the
// committed analytic test pack as the payload, real tar/unzip, and a real HTTP server on 127.0.0.1 (random port)
// that can cut the connection mid-file or stall, so resume, Ctrl+C and verification are exercised for real.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyPack } from '../../main/engine/pack/verify';
import { makeTempDir } from '../helpers/media-fixtures';

const ROOT = path.resolve(__dirname, '..', '..');
const CLI = path.join(ROOT, 'main', 'cli', 'upframe.ts');
const TSX = pathToFileURL(require.resolve('tsx', { paths: [ROOT] })).href;
const SOURCE_PACK = path.join(ROOT, 'native-models', 'packs', 'analytic-test');
/** The analytic pack renamed, so that it does not collide with the built-in one. */
const PACK_NAME = 'analytic-install-test';
const PACK_ID = `${PACK_NAME}@${JSON.parse(readFileSync(path.join(SOURCE_PACK, 'manifest.json'), 'utf8')).version}`;

type Run = { code: number | null; stdout: string; stderr: string };

function upframe(args: string[], opts: { onStderr?: (text: string, child: ChildProcess) => void } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', TSX, CLI, ...args], { cwd: tmp.dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr += s;
      opts.onStderr?.(stderr, child);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

let tmp: { dir: string; cleanup: () => void };
let goodPack: string;
let corruptPack: string;
let goodTgz: string;
let goodTar: string;
let goodZip: string;
let corruptTgz: string;

/** A copy of the analytic pack under `name`'s folder; `corrupt` flips one byte of the denoiser (same size). */
function makePack(dirName: string, corrupt: boolean): string {
  const dir = path.join(tmp.dir, 'src', dirName);
  cpSync(SOURCE_PACK, dir, { recursive: true });
  const manifestFile = path.join(dir, 'manifest.json');
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
  manifest.name = PACK_NAME;
  writeFileSync(manifestFile, JSON.stringify(manifest, null, 2));
  if (corrupt) {
    const file = path.join(dir, 'denoiser.onnx');
    const bytes = readFileSync(file);
    bytes[bytes.length >> 1] ^= 0xff;
    writeFileSync(file, bytes);
  }
  return dir;
}

/** A fresh user data folder per case. */
function dataDir(name: string): string {
  const dir = path.join(tmp.dir, 'data', name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

function packsIn(data: string): string[] {
  const dir = path.join(data, 'packs');
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

/** Installed packs (the names the registry lists), leaving out the hidden download folder. */
function installedIn(data: string): string[] {
  return packsIn(data).filter((name) => !name.startsWith('.'));
}

function partFiles(data: string): { name: string; size: number }[] {
  const dir = path.join(data, 'packs', '.downloads');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => n.endsWith('.part'))
    .map((name) => ({ name, size: statSync(path.join(dir, name)).size }));
}

beforeAll(() => {
  tmp = makeTempDir('upframe-cli-packs-');
  goodPack = makePack(PACK_NAME, false);
  corruptPack = makePack('corrupt', true);
  const src = path.join(tmp.dir, 'src');
  goodTgz = path.join(tmp.dir, 'pack.tgz');
  goodTar = path.join(tmp.dir, 'pack.tar');
  goodZip = path.join(tmp.dir, 'pack.zip');
  corruptTgz = path.join(tmp.dir, 'corrupt.tar.gz');
  execFileSync('tar', ['-czf', goodTgz, '-C', src, PACK_NAME]);
  execFileSync('tar', ['-cf', goodTar, '-C', src, PACK_NAME]);
  execFileSync('tar', ['-czf', corruptTgz, '-C', src, 'corrupt']);
  // The manifest at the archive's top (no folder), as a pack exported with `zip -r pack.zip .` has it.
  execFileSync('/usr/bin/python3', ['-m', 'zipfile', '-c', goodZip, ...readdirSync(goodPack)], { cwd: goodPack });
});
afterAll(() => tmp.cleanup());

describe('upframe packs install: folders and archives', () => {
  it('installs a pack folder, verified, where the editor finds it', async () => {
    const data = dataDir('folder');
    const r = await upframe(['packs', 'install', goodPack, '--data-dir', data]);
    expect(r.stderr).not.toMatch(/upframe:/);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`Installed ${PACK_ID}: `));
    expect(packsIn(data)).toEqual([PACK_ID]);
    const { manifest } = await verifyPack(path.join(data, 'packs', PACK_ID));
    expect(manifest.name).toBe(PACK_NAME);
  });

  it.each([
    ['.tgz (the pack folder inside)', () => goodTgz],
    ['.tar', () => goodTar],
    ['.zip (the files at the top)', () => goodZip],
  ])('installs a %s archive and leaves no unpacked files behind', async (_kind, archive) => {
    const data = dataDir(`archive-${path.basename(archive())}`);
    const r = await upframe(['packs', 'install', archive(), '--data-dir', data]);
    expect(r.stderr).toMatch(/Unpacking /);
    expect(r.code).toBe(0);
    expect(packsIn(data)).toEqual([PACK_ID]);
    await verifyPack(path.join(data, 'packs', PACK_ID));
  });

  it('refuses a truncated archive: exit 2, nothing installed', async () => {
    const data = dataDir('truncated');
    const truncated = path.join(tmp.dir, 'truncated.tgz');
    const bytes = readFileSync(goodTgz);
    writeFileSync(truncated, bytes.subarray(0, bytes.length >> 1));
    const r = await upframe(['packs', 'install', truncated, '--data-dir', data]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/truncated\.tgz is not a complete \.tar\.gz archive .*Download or copy it again/);
    expect(packsIn(data)).toEqual([]);
  });

  it('refuses a pack whose file does not match its sha256: exit 2, names the file, nothing installed', async () => {
    const data = dataDir('corrupt-local');
    const r = await upframe(['packs', 'install', corruptTgz, '--data-dir', data]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/denoiser\.onnx is corrupt or was modified: sha256 [0-9a-f]{64}, expected [0-9a-f]{64}/);
    expect(packsIn(data)).toEqual([]);
  });

  it('says what to give for a missing path, a file that is not an archive or an address it cannot download', async () => {
    const data = dataDir('bad-input');
    const missing = await upframe(['packs', 'install', path.join(tmp.dir, 'nope'), '--data-dir', data]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nope does not exist: give a pack folder \(holding manifest\.json\), a \.tar, \.tar\.gz, \.tgz or \.zip/);
    const notes = path.join(tmp.dir, 'notes.txt');
    writeFileSync(notes, 'not a pack\n');
    const notArchive = await upframe(['packs', 'install', notes, '--data-dir', data]);
    expect(notArchive.code).toBe(2);
    expect(notArchive.stderr).toMatch(/notes\.txt is not a pack archive/);
    const ftp = await upframe(['packs', 'install', 'ftp://example.invalid/pack.tgz', '--data-dir', data]);
    expect(ftp.code).toBe(2);
    expect(ftp.stderr).toMatch(/only http:\/\/ and https:\/\/ addresses/);
    expect(packsIn(data)).toEqual([]);
  });

  it('refuses a second install of the same pack until it is removed; built-in packs cannot be removed', async () => {
    const data = dataDir('reinstall');
    expect((await upframe(['packs', 'install', goodPack, '--data-dir', data])).code).toBe(0);
    const again = await upframe(['packs', 'install', goodTgz, '--data-dir', data]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(new RegExp(`Pack ${PACK_ID} is already installed`));
    expect(packsIn(data)).toEqual([PACK_ID]);
    // What that message asks for, then the install goes through.
    const removed = await upframe(['packs', 'remove', PACK_ID, '--data-dir', data]);
    expect(removed.code).toBe(0);
    expect(packsIn(data)).toEqual([]);
    expect((await upframe(['packs', 'install', goodTgz, '--data-dir', data])).code).toBe(0);
    expect(packsIn(data)).toEqual([PACK_ID]);
    const builtin = await upframe(['packs', 'remove', 'analytic-test@1.0.0', '--data-dir', data]);
    expect(builtin.code).toBe(2);
    expect(builtin.stderr).toMatch(/built in and cannot be removed/);
  });
});

/** How the server answers the next request for a file. */
type Behaviour = { kind: 'whole' } | { kind: 'cut'; afterBytes: number } | { kind: 'stall'; afterBytes: number };

type PackServer = {
  url(name: string): string;
  /** Behaviours for the coming requests, in order; after them, whole answers. */
  plan: Behaviour[];
  requests: { path: string; range: string | undefined }[];
  close(): Promise<void>;
};

/** Serves files by name with ETag and single-range support; each request takes the next planned behaviour. */
async function startPackServer(files: Record<string, Buffer>): Promise<PackServer> {
  const sockets = new Set<import('node:net').Socket>();
  const state: PackServer = {
    url: () => '',
    plan: [],
    requests: [],
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  const server = http.createServer((req, res) => {
    const name = decodeURIComponent((req.url ?? '/').slice(1));
    const range = req.headers.range;
    state.requests.push({ path: name, range });
    const body = files[name];
    if (!body) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
      return;
    }
    const etag = `"${createHash('sha256').update(body).digest('hex').slice(0, 16)}"`;
    let start = 0;
    const m = /^bytes=(\d+)-$/.exec(range ?? '');
    const ifRange = req.headers['if-range'];
    if (m && (ifRange === undefined || ifRange === etag)) {
      start = Number(m[1]);
      if (start >= body.length) {
        res.writeHead(416, { 'Content-Range': `bytes */${body.length}` }).end();
        return;
      }
      res.writeHead(206, {
        'Content-Type': 'application/octet-stream',
        'Content-Length': body.length - start,
        'Content-Range': `bytes ${start}-${body.length - 1}/${body.length}`,
        ETag: etag,
        'Accept-Ranges': 'bytes',
      });
    } else {
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': body.length, ETag: etag, 'Accept-Ranges': 'bytes' });
    }
    const behaviour = state.plan.shift() ?? { kind: 'whole' };
    if (behaviour.kind === 'whole') {
      res.end(body.subarray(start));
      return;
    }
    // Part of the file, then the connection dies ('cut') or goes silent until the client leaves ('stall').
    res.write(body.subarray(start, start + behaviour.afterBytes), () => {
      if (behaviour.kind === 'cut') setTimeout(() => req.socket.destroy(), 50);
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  state.url = (name) => `http://127.0.0.1:${port}/${encodeURIComponent(name)}`;
  return state;
}

describe('upframe packs install <URL>', () => {
  let server: PackServer;
  beforeAll(async () => {
    server = await startPackServer({
      'pack.tar': readFileSync(goodTar),
      'pack.tgz': readFileSync(goodTgz),
      'corrupt.tar.gz': readFileSync(corruptTgz),
      'notes.txt': Buffer.from('not a pack\n'),
    });
  });
  afterAll(() => server?.close());

  it('resumes with a Range request after the connection is cut mid-file, then verifies and installs', async () => {
    const data = dataDir('url-cut');
    const size = statSync(goodTar).size;
    const cutAt = Math.floor(size / 2);
    server.requests = [];
    server.plan = [{ kind: 'cut', afterBytes: cutAt }];
    const r = await upframe(['packs', 'install', server.url('pack.tar'), '--data-dir', data]);
    expect(r.stderr).toMatch(new RegExp(`Interrupted \\(.*\\); resuming at `));
    // Progress as bytes of the total, rate and ETA (piped stderr: one line per tenth).
    expect(r.stderr).toMatch(/Downloading: \d+%, [\d.]+ KiB of [\d.]+ KiB, .*\/s \(ETA (\d\d:\d\d|--:--)\)/);
    expect(r.code).toBe(0);
    expect(server.requests.map((q) => q.range)).toEqual([undefined, `bytes=${cutAt}-`]);
    expect(packsIn(data)).toEqual(['.downloads', PACK_ID]);
    expect(readdirSync(path.join(data, 'packs', '.downloads'))).toEqual([]);
    await verifyPack(path.join(data, 'packs', PACK_ID));
  });

  it('Ctrl+C mid-download exits 130 with nothing installed; the same command then resumes where it stopped', async () => {
    const data = dataDir('url-interrupt');
    const size = statSync(goodTar).size;
    const stallAt = Math.floor(size * 0.6);
    server.requests = [];
    server.plan = [{ kind: 'stall', afterBytes: stallAt }];
    let interrupted = false;
    const r = await upframe(['packs', 'install', server.url('pack.tar'), '--data-dir', data], {
      onStderr: (text, child) => {
        // The progress line for the bytes before the stall: the partial file is on disk.
        if (!interrupted && /Downloading: [1-9]\d*%/.test(text)) {
          interrupted = true;
          child.kill('SIGINT');
        }
      },
    });
    expect(interrupted).toBe(true);
    expect(r.code).toBe(130);
    expect(r.stderr).toMatch(/cancelled; nothing was installed/);
    expect(r.stderr).toMatch(/run the same command again to resume/);
    expect(installedIn(data)).toEqual([]);
    // What reached the disk is kept (a write still queued when Ctrl+C came may be dropped: never more than sent).
    const parts = partFiles(data);
    expect(parts).toHaveLength(1);
    expect(parts[0].size).toBeGreaterThan(0);
    expect(parts[0].size).toBeLessThanOrEqual(stallAt);

    server.requests = [];
    const again = await upframe(['packs', 'install', server.url('pack.tar'), '--data-dir', data]);
    expect(again.stderr).toMatch(/Resuming the download of .* at /);
    expect(again.code).toBe(0);
    expect(server.requests.map((q) => q.range)).toEqual([`bytes=${parts[0].size}-`]);
    expect(installedIn(data)).toEqual([PACK_ID]);
    await verifyPack(path.join(data, 'packs', PACK_ID));
  });

  it('refuses a download whose file fails its sha256: nothing installed, the download deleted', async () => {
    const data = dataDir('url-corrupt');
    const r = await upframe(['packs', 'install', server.url('corrupt.tar.gz'), '--data-dir', data]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/denoiser\.onnx is corrupt or was modified: sha256 [0-9a-f]{64}, expected [0-9a-f]{64}/);
    expect(r.stderr).toMatch(/Nothing was installed, and the download was deleted/);
    expect(installedIn(data)).toEqual([]);
    expect(readdirSync(path.join(data, 'packs', '.downloads'))).toEqual([]);
  });

  it('a missing file on the server (404) or a download that is not an archive installs nothing and says why', async () => {
    const data = dataDir('url-bad');
    const missing = await upframe(['packs', 'install', server.url('gone.tgz'), '--data-dir', data]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/Could not download .*gone\.tgz: the server answered 404 Not Found\. Check the address\./);
    const notes = await upframe(['packs', 'install', server.url('notes.txt'), '--data-dir', data]);
    expect(notes.code).toBe(2);
    expect(notes.stderr).toMatch(/is not a pack archive .*Nothing was installed, and the download was deleted/);
    expect(installedIn(data)).toEqual([]);
  });
});
