#!/usr/bin/env node
// `npm start`: builds when the build is missing or older than the sources, then opens the desktop app where
// Electron can run, and otherwise serves the same editor to the browser through the local web host.
// Arguments after `npm start --` pass through to whichever starts.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildElectronNative } from './electron-native.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(root, 'package.json'));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const args = process.argv.slice(2);

const builtFiles = ['dist/main/electron/main.js', 'dist/main/host/serve.js', 'dist/preload/preload.js', 'dist/renderer/index.html'].map((f) =>
  path.join(root, f),
);
const sourceRoots = ['main', 'preload', 'renderer/src', 'renderer/index.html', 'renderer/vite.config.ts', 'tsconfig.json', 'package.json'].map((f) =>
  path.join(root, f),
);

function newestMtime(file) {
  if (!existsSync(file)) return 0;
  const stat = statSync(file);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = 0;
  for (const entry of readdirSync(file)) newest = Math.max(newest, newestMtime(path.join(file, entry)));
  return newest;
}

function buildIsCurrent() {
  if (!builtFiles.every((f) => existsSync(f))) return false;
  const oldestBuilt = Math.min(...builtFiles.map((f) => statSync(f).mtimeMs));
  return Math.max(...sourceRoots.map(newestMtime)) <= oldestBuilt;
}

/** The Electron binary's path, or why it cannot open a window here. */
function electronBinary() {
  let binary;
  try {
    binary = require('electron');
  } catch {
    return { why: "Electron's binary is not installed (offline install?)" };
  }
  if (typeof binary !== 'string' || !existsSync(binary)) return { why: "Electron's binary is not installed (offline install?)" };
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
    return { why: 'there is no graphical display (neither DISPLAY nor WAYLAND_DISPLAY is set)' };
  }
  return { binary };
}

function run(cmd, cmdArgs) {
  const child = spawn(cmd, cmdArgs, { cwd: root, stdio: 'inherit' });
  // Forward terminations so the child closes its project cleanly (it ignores a second Ctrl+C from the terminal).
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

if (!buildIsCurrent()) {
  console.log('Building Upframe...');
  const build = spawnSync(npm, ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
  if (build.status !== 0) {
    console.error('The build failed (see above); fix it and run `npm start` again.');
    process.exit(1);
  }
}

let electron = electronBinary();
if (electron.binary) {
  const native = buildElectronNative();
  if (!native.ok) electron = { why: `the SQLite binding for Electron is missing: ${native.reason}` };
}
if (electron.binary) {
  run(electron.binary, [root, ...args]);
} else {
  console.log(`${electron.why}: opening Upframe in your browser instead.`);
  run(process.execPath, [path.join(root, 'dist', 'main', 'host', 'serve.js'), ...args]);
}
