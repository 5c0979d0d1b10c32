// Finds the ffmpeg and ffprobe programs: the bundled ffmpeg-static binary, then FFMPEG_PATH / FFPROBE_PATH, then PATH.
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import { ApiError } from '../common/api';
import type { FfmpegPaths } from './types';

export const FFMPEG_INSTALL_HELP =
  'Install ffmpeg (it includes ffprobe): Debian/Ubuntu: sudo apt-get install ffmpeg; macOS: brew install ffmpeg; ' +
  'Windows: winget install Gyan.FFmpeg; or set FFMPEG_PATH and FFPROBE_PATH to the full paths of the ffmpeg and ffprobe programs. ' +
  'Then restart Upframe.';

type Search = { ffmpeg: string | null; ffprobe: string | null; source: FfmpegPaths['source'] | null; looked: string[] };

const cache = new Map<string, FfmpegPaths>();

/**
 * The ffmpeg binary of the optional ffmpeg-static package, or null when the package is absent, has no binary for
 * this platform, or its install script could not download one. Inside a packaged app the binary lives outside the
 * asar archive (executables cannot be run from inside it), so the path is rewritten to app.asar.unpacked.
 */
export function ffmpegStaticBinary(): string | null {
  let binary: unknown;
  try {
    binary = require('ffmpeg-static');
  } catch (err) {
    // It is an optional dependency: absent is a normal state, any other failure is not.
    if ((err as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND') return null;
    throw err;
  }
  if (typeof binary !== 'string' || binary === '') return null;
  const unpacked = unpackedAsarPath(binary);
  return isExecutableFile(unpacked) ? unpacked : null;
}

/** Rewrites a path inside app.asar to the same path inside app.asar.unpacked (idempotent). */
export function unpackedAsarPath(file: string): string {
  return file.replace(/([\\/])app\.asar(?=[\\/])/, '$1app.asar.unpacked');
}

/**
 * Locates ffmpeg and ffprobe. ffmpeg: the ffmpeg-static binary when present, else FFMPEG_PATH, else PATH.
 * ffprobe (ffmpeg-static ships none): FFPROBE_PATH, else next to the chosen ffmpeg, else PATH.
 * Results are cached per environment (the variables that decide the answer); failures are not cached so that a
 * later call sees a freshly installed ffmpeg.
 * @param staticBinary the ffmpeg-static binary to prefer; tests pass null to look only at the environment.
 */
export function locateFfmpeg(env: NodeJS.ProcessEnv = process.env, staticBinary: string | null = ffmpegStaticBinary()): FfmpegPaths {
  const key = JSON.stringify([staticBinary, env.FFMPEG_PATH ?? null, env.FFPROBE_PATH ?? null, pathVariable(env)]);
  const hit = cache.get(key);
  if (hit) return hit;
  const found = search(env, staticBinary);
  if (!found.ffmpeg || !found.ffprobe || !found.source) {
    const missing = [!found.ffmpeg && 'ffmpeg', !found.ffprobe && 'ffprobe'].filter(Boolean).join(' and ');
    throw new ApiError(
      'FFMPEG_MISSING',
      `Upframe needs ${missing}, which could not be found (looked at: ${found.looked.join('; ')}). ${FFMPEG_INSTALL_HELP}`,
    );
  }
  const result: FfmpegPaths = { ffmpeg: found.ffmpeg, ffprobe: found.ffprobe, source: found.source };
  cache.set(key, result);
  return result;
}

/** What the app shows about its ffmpeg: the paths found (either may be found without the other) or the reason not. */
export function describeFfmpeg(): { ffmpegPath: string | null; ffprobePath: string | null; error: string | null } {
  try {
    const found = locateFfmpeg();
    return { ffmpegPath: found.ffmpeg, ffprobePath: found.ffprobe, error: null };
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    const partial = search(process.env, ffmpegStaticBinary());
    return { ffmpegPath: partial.ffmpeg, ffprobePath: partial.ffprobe, error: err.message };
  }
}

function search(env: NodeJS.ProcessEnv, staticBinary: string | null): Search {
  const looked: string[] = [];
  let ffmpeg: string | null = null;
  let source: FfmpegPaths['source'] | null = null;

  if (staticBinary && isExecutableFile(staticBinary)) {
    ffmpeg = staticBinary;
    source = 'ffmpeg-static';
  } else {
    looked.push(staticBinary ? `${staticBinary} (ffmpeg-static, not an executable file)` : 'the bundled ffmpeg-static binary (not installed)');
  }
  if (!ffmpeg && env.FFMPEG_PATH) {
    if (isExecutableFile(env.FFMPEG_PATH)) {
      ffmpeg = path.resolve(env.FFMPEG_PATH);
      source = 'env';
    } else looked.push(`FFMPEG_PATH=${env.FFMPEG_PATH} (not an executable file)`);
  }
  if (!ffmpeg) {
    ffmpeg = searchPath('ffmpeg', env);
    if (ffmpeg) source = 'path';
    else looked.push('ffmpeg on PATH');
  }

  let ffprobe: string | null = null;
  if (env.FFPROBE_PATH) {
    if (isExecutableFile(env.FFPROBE_PATH)) ffprobe = path.resolve(env.FFPROBE_PATH);
    else looked.push(`FFPROBE_PATH=${env.FFPROBE_PATH} (not an executable file)`);
  }
  if (!ffprobe && ffmpeg) {
    const sibling = path.join(path.dirname(ffmpeg), executableName('ffprobe'));
    if (isExecutableFile(sibling)) ffprobe = sibling;
    else looked.push(`${sibling} (next to ffmpeg)`);
  }
  if (!ffprobe) {
    ffprobe = searchPath('ffprobe', env);
    if (!ffprobe) looked.push('ffprobe on PATH');
  }
  return { ffmpeg, ffprobe, source, looked };
}

function searchPath(program: string, env: NodeJS.ProcessEnv): string | null {
  const dirs = pathVariable(env).split(path.delimiter).filter(Boolean);
  for (const dir of dirs) {
    // Windows PATH entries may be quoted.
    const candidate = path.resolve(dir.replace(/^"(.*)"$/, '$1'), executableName(program));
    if (isExecutableFile(candidate)) return candidate;
  }
  return null;
}

function pathVariable(env: NodeJS.ProcessEnv): string {
  if (process.platform !== 'win32') return env.PATH ?? '';
  // Windows environment names are case-insensitive ("Path" is common).
  const name = Object.keys(env).find((k) => k.toUpperCase() === 'PATH');
  return (name && env[name]) || '';
}

function executableName(program: string): string {
  return process.platform === 'win32' ? `${program}.exe` : program;
}

function isExecutableFile(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    if (process.platform !== 'win32') accessSync(file, constants.X_OK);
    return true;
  } catch {
    // A missing or non-executable candidate is simply not a match; the search goes on and reports what it tried.
    return false;
  }
}
