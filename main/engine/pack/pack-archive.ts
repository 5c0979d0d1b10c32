// Pack archives (.tar, .tar.gz/.tgz, .zip): recognised by their first bytes, not their name (a download URL need
// not end in one), and unpacked by the system's own tools: `tar` (GNU tar on Linux, bsdtar on macOS and Windows
// 10+, which also reads zip) and Info-ZIP `unzip` for zip where it exists. Both refuse members that would land
// outside the destination (absolute paths, ".."), and what is installed from the result is only what the
// manifest lists, each file checked against its size and sha256.
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export type ArchiveKind = 'tar' | 'tar.gz' | 'zip';

/** The archive kind from the file's first bytes; null when it is none of the supported ones. */
export async function sniffArchive(file: string): Promise<ArchiveKind | null> {
  const handle = await fs.open(file, 'r');
  try {
    const head = Buffer.alloc(512);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    if (bytesRead >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'tar.gz';
    if (bytesRead >= 4 && head.readUInt32BE(0) === 0x504b0304) return 'zip';
    // ustar (POSIX and GNU) magic at offset 257.
    if (bytesRead >= 262 && head.toString('latin1', 257, 262) === 'ustar') return 'tar';
    return null;
  } finally {
    await handle.close();
  }
}

/** The archive's name extension, for messages and for naming a downloaded file. */
export function archiveExtension(kind: ArchiveKind): string {
  return kind === 'tar.gz' ? '.tar.gz' : `.${kind}`;
}

export class ArchiveError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArchiveError';
  }
}

/** Unpacks `file` into the existing, empty folder `dest`. */
export async function extractArchive(file: string, kind: ArchiveKind, dest: string, signal?: AbortSignal): Promise<void> {
  const useUnzip = kind === 'zip' && (process.platform === 'linux' || (await hasCommand('unzip')));
  const [command, args] = useUnzip
    ? ['unzip', ['-q', '-n', file, '-d', dest]]
    : // GNU tar and bsdtar both detect gzip on extraction; -o: files owned by whoever extracts them.
      ['tar', ['-x', '-o', '-f', file, '-C', dest]];
  try {
    await run(command, args, { signal, maxBuffer: 4 * 1024 * 1024 });
  } catch (error) {
    if (signal?.aborted) throw signal.reason ?? error;
    const err = error as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === 'ENOENT') {
      throw new ArchiveError(
        `Cannot unpack ${path.basename(file)}: the \`${command}\` command is not installed.` +
          (command === 'unzip' ? ' Install it (Debian/Ubuntu: sudo apt-get install unzip), or unpack the archive and install the folder.' : ' Unpack the archive yourself and install the folder.'),
      );
    }
    const detail = (err.stderr ?? err.message).trim().split('\n').slice(-3).join(' ');
    throw new ArchiveError(`${path.basename(file)} is not a complete ${archiveExtension(kind)} archive (${detail}). Download or copy it again.`);
  }
}

async function hasCommand(command: string): Promise<boolean> {
  try {
    await run(command, ['-v']);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

/**
 * The pack folder inside an unpacked archive: the folder holding manifest.json, at the top or one level down (an
 * archive of the pack's folder). More than one candidate is ambiguous and refused.
 */
export async function findPackFolder(root: string): Promise<string> {
  const hasManifest = async (dir: string) =>
    fs
      .stat(path.join(dir, 'manifest.json'))
      .then((s) => s.isFile())
      .catch(() => false);
  if (await hasManifest(root)) return root;
  const entries = await fs.readdir(root, { withFileTypes: true });
  const candidates: string[] = [];
  for (const entry of entries) {
    if (entry.isDirectory() && (await hasManifest(path.join(root, entry.name)))) candidates.push(path.join(root, entry.name));
  }
  if (candidates.length === 1) return candidates[0];
  if (candidates.length > 1) {
    throw new ArchiveError(
      `The archive holds ${candidates.length} packs (${candidates.map((c) => path.basename(c)).join(', ')}): install one archive per pack.`,
    );
  }
  throw new ArchiveError('The archive holds no manifest.json (at its top or in one folder): it is not a model pack archive.');
}
