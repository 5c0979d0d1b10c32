// `upframe packs install <folder|archive|URL>` (and `packs remove <id>`): installs a pack exported elsewhere into the user data folder's
// packs, through the same PackService import as the editor's Settings (verified, copied to a hidden folder,
// renamed into place). A URL is downloaded into <packs>/.downloads with Range resume; an archive is unpacked into
// a hidden folder there. Every listed file is checked against the manifest's size and sha256 before anything is
// installed; a download that fails verification is deleted, one that was interrupted is kept for the next run.
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { ApiError, type PackInfo } from '../common/api';
import { archiveExtension, ArchiveError, extractArchive, findPackFolder, sniffArchive } from '../engine/pack/pack-archive';
import { DownloadError, downloadResumable, formatBytes } from '../engine/pack/resumable-download';
import { defaultUserDataDir } from '../host/user-data-dir';
import { PackService } from '../services/packs';
import { createDownloadDisplay } from './download-progress';
import { onInterrupt } from './interrupts';

export type PacksInstallOptions = { dataDir?: string };
type Io = { stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream };

const EXIT = { ok: 0, failed: 1, badInput: 2, cancelled: 130 } as const;

/** Bad input: the source is missing, not a pack, or not acceptable as it is (exit 2). */
class InstallInputError extends Error {}

export async function packsInstallCommand(source: string, opts: PacksInstallOptions, io: Io): Promise<number> {
  const dataDir = opts.dataDir ? path.resolve(opts.dataDir) : defaultUserDataDir();
  const service = new PackService({ userDataDir: dataDir });
  const controller = new AbortController();
  const stopListening = onInterrupt({
    first: () => {
      io.stderr.write('\nCancelling (press Ctrl+C again to stop at once); nothing will be installed...\n');
      controller.abort(new CancelledInstall());
    },
    again: () => process.exit(EXIT.cancelled),
  });
  const scratch: string[] = [];
  try {
    const info = await install(source, service, controller.signal, scratch, io);
    if (controller.signal.aborted) {
      // Ctrl+C arrived while the (uninterruptible, atomic) import ran: take the pack back out.
      await service.remove(info.id);
      throw new CancelledInstall();
    }
    io.stdout.write(`Installed ${info.id}: ${info.label} (${formatBytes(info.sizeBytes)}) in ${service.packsDir}\n`);
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CancelledInstall || controller.signal.aborted) {
      io.stderr.write('upframe: cancelled; nothing was installed.\n');
      return EXIT.cancelled;
    }
    if (error instanceof InstallInputError || error instanceof ArchiveError) {
      io.stderr.write(`upframe: ${error.message}\n`);
      return EXIT.badInput;
    }
    if (error instanceof ApiError) {
      io.stderr.write(`upframe: ${error.message}\n`);
      return error.code === 'INTERNAL' ? EXIT.failed : EXIT.badInput;
    }
    if (error instanceof DownloadError) {
      io.stderr.write(`upframe: ${error.message}\n`);
      return EXIT.failed;
    }
    throw error;
  } finally {
    stopListening();
    await Promise.all(scratch.map((dir) => fs.rm(dir, { recursive: true, force: true })));
  }
}

/** `upframe packs remove <id>`: the counterpart the "already installed" message points to. */
export async function packsRemoveCommand(id: string, opts: PacksInstallOptions, io: Io): Promise<number> {
  const service = new PackService({ userDataDir: opts.dataDir ? path.resolve(opts.dataDir) : defaultUserDataDir() });
  try {
    await service.remove(id);
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    io.stderr.write(`upframe: ${error.message}\n`);
    return EXIT.badInput;
  }
  io.stdout.write(`Removed ${id}.\n`);
  return EXIT.ok;
}

class CancelledInstall extends Error {
  constructor() {
    super('cancelled');
    this.name = 'CancelledInstall';
  }
}

async function install(source: string, service: PackService, signal: AbortSignal, scratch: string[], io: Io): Promise<PackInfo> {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(source)) {
    if (!/^https?:\/\//i.test(source)) {
      throw new InstallInputError(`${source}: only http:// and https:// addresses can be downloaded. For a file on this machine give its path.`);
    }
    return installFromUrl(source, service, signal, scratch, io);
  }
  const local = path.resolve(source);
  const stat = await fs.stat(local).catch(() => null);
  if (!stat) throw new InstallInputError(`${local} does not exist: give a pack folder (holding manifest.json), a .tar, .tar.gz, .tgz or .zip of one, or an http(s) address.`);
  if (stat.isDirectory()) {
    io.stderr.write(`Verifying and installing ${local}...\n`);
    return service.import(local);
  }
  const kind = await sniffArchive(local);
  if (!kind) throw new InstallInputError(`${local} is not a pack archive (.tar, .tar.gz, .tgz or .zip) or a pack folder.`);
  return installFromArchive(local, kind, service, signal, scratch, io);
}

async function installFromArchive(
  file: string,
  kind: NonNullable<Awaited<ReturnType<typeof sniffArchive>>>,
  service: PackService,
  signal: AbortSignal,
  scratch: string[],
  io: Io,
): Promise<PackInfo> {
  // Unpacked next to the installed packs (same disk; a hidden name the registry never lists).
  await fs.mkdir(service.packsDir, { recursive: true });
  const unpacked = path.join(service.packsDir, `.unpack-${randomBytes(6).toString('hex')}`);
  scratch.push(unpacked);
  await fs.mkdir(unpacked);
  io.stderr.write(`Unpacking ${path.basename(file)} (${archiveExtension(kind)})...\n`);
  await extractArchive(file, kind, unpacked, signal);
  signal.throwIfAborted();
  const packDir = await findPackFolder(unpacked);
  io.stderr.write('Verifying every file against the manifest (size and sha256) and installing...\n');
  return service.import(packDir);
}

async function installFromUrl(url: string, service: PackService, signal: AbortSignal, scratch: string[], io: Io): Promise<PackInfo> {
  const downloads = path.join(service.packsDir, '.downloads');
  await fs.mkdir(downloads, { recursive: true });
  // One name per address, so running the same command again finds the partial file and resumes it.
  const file = path.join(downloads, `${createHash('sha256').update(url).digest('hex').slice(0, 24)}.download`);
  const kept = await fs.stat(`${file}.part`).then((s) => s.size, () => 0);
  if (kept > 0) io.stderr.write(`Resuming the download of ${url} at ${formatBytes(kept)}.\n`);
  else io.stderr.write(`Downloading ${url}\n`);

  const display = createDownloadDisplay(io.stderr);
  try {
    await downloadResumable(url, file, {
      signal,
      onProgress: (p) => display.update(p),
      onRetry: (reason, received) => display.note(`Interrupted (${reason}); resuming at ${formatBytes(received)}...`),
    });
  } catch (error) {
    display.stop();
    if (!signal.aborted && !(error instanceof DownloadError)) throw error;
    const partial = await fs.stat(`${file}.part`).then((s) => s.size, () => 0);
    if (partial > 0) io.stderr.write(`${formatBytes(partial)} of the download are kept in ${downloads}: run the same command again to resume.\n`);
    throw error;
  }
  display.stop();

  try {
    const kind = await sniffArchive(file);
    if (!kind) throw new InstallInputError(`${url} is not a pack archive (.tar, .tar.gz, .tgz or .zip): give the address of the pack's archive.`);
    return await installFromArchive(file, kind, service, signal, scratch, io);
  } catch (error) {
    // A complete download that is not a valid pack would fail the same way again: the next run downloads afresh.
    if (!signal.aborted && error instanceof Error) error.message = `${error.message} Nothing was installed, and the download was deleted.`;
    throw error;
  } finally {
    // Installed (a verified copy is in place), refused, or cancelled after it arrived: the download is done with.
    await fs.rm(file, { force: true });
  }
}
