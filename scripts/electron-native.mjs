#!/usr/bin/env node
// Builds better-sqlite3 for Electron's ABI into .cache/electron-native/better_sqlite3.node, leaving the Node
// build in node_modules untouched (tests and the web host use that one). Electron's main process passes the
// file to better-sqlite3 as its nativeBinding. Exits 0 when the binding is ready, 1 with the reason otherwise.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outDir = path.join(root, '.cache', 'electron-native');
const outFile = path.join(outDir, 'better_sqlite3.node');
const stampFile = path.join(outDir, 'built-for.json');

function readJson(file) {
  return JSON.parse(readFileSync(file, 'utf8'));
}

/** node-gyp: npm's own (npm_config_node_gyp is set under npm scripts), the one bundled with npm, else PATH. */
function nodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    path.join(path.dirname(process.execPath), 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ].filter(Boolean);
  const script = candidates.find((file) => existsSync(file));
  return script ? [process.execPath, [script]] : ['node-gyp', []];
}

/** The lines of node-gyp's output that say what went wrong (its stack traces say little). */
function gypCause(stderr) {
  const lines = stderr.split('\n');
  const cause = lines.filter((line) => /ERR! stack Error:|error:|ERR! stack .*(network|proxy|not found)/i.test(line));
  return (cause.length ? cause : lines.slice(-6)).map((line) => line.replace(/^gyp ERR! stack /, '')).join(' ').trim();
}

export function buildElectronNative({ quiet = false } = {}) {
  const electronVersion = readJson(path.join(root, 'node_modules', 'electron', 'package.json')).version;
  const sqliteVersion = readJson(path.join(root, 'node_modules', 'better-sqlite3', 'package.json')).version;
  const stamp = { electron: electronVersion, betterSqlite3: sqliteVersion, arch: process.arch, platform: process.platform };
  if (existsSync(outFile) && existsSync(stampFile) && JSON.stringify(readJson(stampFile)) === JSON.stringify(stamp)) {
    return { ok: true, file: outFile, built: false };
  }
  const work = mkdtempSync(path.join(os.tmpdir(), 'upframe-electron-native-'));
  try {
    const copy = path.join(work, 'better-sqlite3');
    // A copy, so a failed or partial build never breaks the Node binding in node_modules.
    cpSync(path.join(root, 'node_modules', 'better-sqlite3'), copy, {
      recursive: true,
      filter: (src) => !src.startsWith(path.join(root, 'node_modules', 'better-sqlite3', 'build')),
    });
    const [cmd, pre] = nodeGyp();
    const args = [...pre, 'rebuild', '--release', `--target=${electronVersion}`, `--arch=${process.arch}`, '--dist-url=https://electronjs.org/headers'];
    if (!quiet) console.log(`Building better-sqlite3 ${sqliteVersion} for Electron ${electronVersion} (one time)...`);
    // A nodedir from npm's config (set for offline Node builds) would point node-gyp at Node's headers, not
    // Electron's, and silently build for the wrong ABI.
    const env = { ...process.env };
    for (const name of Object.keys(env)) if (name.toLowerCase() === 'npm_config_nodedir') delete env[name];
    const result = spawnSync(cmd, args, { cwd: copy, env, stdio: quiet ? 'pipe' : 'inherit', encoding: 'utf8', timeout: 15 * 60_000 });
    const built = path.join(copy, 'build', 'Release', 'better_sqlite3.node');
    if (result.error || result.status !== 0 || !existsSync(built)) {
      const why = result.error ? result.error.message : `node-gyp exited with ${result.status}${quiet ? `: ${gypCause(result.stderr ?? '')}` : ''}`;
      return {
        ok: false,
        reason:
          `could not build better-sqlite3 for Electron ${electronVersion} (${why}). It needs a C++20 compiler, Python 3 ` +
          'and the Electron headers from https://electronjs.org/headers (network).',
      };
    }
    mkdirSync(outDir, { recursive: true });
    copyFileSync(built, outFile);
    writeFileSync(stampFile, JSON.stringify(stamp));
    return { ok: true, file: outFile, built: true };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const result = buildElectronNative();
  if (result.ok) console.log(`electron-native: ${result.file}${result.built ? ' (built)' : ' (up to date)'}`);
  else {
    console.error(`electron-native: ${result.reason}`);
    process.exit(1);
  }
}
