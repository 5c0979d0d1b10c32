#!/usr/bin/env node
// Sets up a checkout: installs npm packages, builds the native SQLite binding, then tries the three downloads
// that come from outside the npm registry (Electron's binary, ffmpeg-static's binary, onnxruntime-node's CUDA
// provider). Each of those is optional: where the network refuses them, Upframe falls back to the web host,
// the system ffmpeg and the CPU provider, and says so here.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const skipBuild = process.argv.includes('--no-build');

// `npm run --silent setup` would silence the nested npm commands too, hiding why an install failed.
const childEnv = { ...process.env };
delete childEnv.npm_config_loglevel;

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', shell: process.platform === 'win32', env: childEnv, ...opts });
  return r.status === 0;
}

function must(cmd, args, what, opts) {
  if (!run(cmd, args, opts)) {
    console.error(`\nsetup: ${what} failed (see the output above).`);
    process.exit(1);
  }
}

const lock = path.join(root, 'package-lock.json');
const installed = path.join(root, 'node_modules', '.package-lock.json');
const upToDate = existsSync(installed) && statSync(installed).mtimeMs >= statSync(lock).mtimeMs;
if (!upToDate) {
  // Scripts are run one by one below, so a refused download cannot abort the whole install.
  must(npm, ['ci', '--ignore-scripts', '--no-audit', '--no-fund'], 'npm ci');
  must(npm, ['rebuild', 'better-sqlite3', 'esbuild', '@upframe/native-kernels'], 'building better-sqlite3 and the native kernels');
}

const ortBin = path.join(root, 'node_modules/onnxruntime-node/bin/napi-v6', process.platform, process.arch);
// Each download is judged by the file it should leave behind, not by its script's exit code: the scripts of
// these packages exit 0 in some offline cases.
const optional = [
  {
    what: "Electron's binary",
    script: 'node_modules/electron/install.js',
    installed: () => existsSync(path.join(root, 'node_modules/electron/path.txt')),
    fallback: 'npm start will open the editor in your browser through the local web host',
  },
  {
    what: "ffmpeg-static's binary",
    script: 'node_modules/ffmpeg-static/install.js',
    installed: () => existsSync(path.join(root, 'node_modules/ffmpeg-static', process.platform === 'win32' ? 'ffmpeg.exe' : 'ffmpeg')),
    fallback: 'the ffmpeg on FFMPEG_PATH or PATH is used (Debian/Ubuntu: sudo apt-get install ffmpeg)',
  },
  {
    what: "onnxruntime-node's CUDA provider",
    script: 'node_modules/onnxruntime-node/script/install.js',
    installed: () =>
      process.platform !== 'linux' || existsSync(path.join(ortBin, 'libonnxruntime_providers_cuda.so')),
    fallback: 'the diffusion engine runs on the CPU provider (and DirectML on Windows)',
    platforms: ['linux', 'win32'],
  },
];
for (const step of optional) {
  if (step.platforms && !step.platforms.includes(process.platform)) continue;
  if (!existsSync(path.join(root, step.script))) continue;
  if (!step.installed()) {
    run(process.execPath, [step.script], { timeout: 300_000, stdio: ['ignore', 'ignore', 'pipe'] });
  }
  console.log(step.installed() ? `setup: ${step.what}: ready` : `setup: ${step.what}: not available here; ${step.fallback}.`);
}

if (!skipBuild) must(npm, ['run', '--silent', 'build'], 'the build');

// The built-in per-frame model: @upscalerjs/esrgan-thick (an npm dependency) converted to ONNX by the app's own
// converter into native-models/generated/ (not committed). Skipped when already current; never fatal.
const converter = path.join(root, 'dist/main/engine/perframe/convert-builtin.js');
if (existsSync(converter)) {
  if (!run(process.execPath, [converter])) console.log('setup: ESRGAN (thick) pack: not converted (see above); the model engine needs an imported .onnx pack.');
} else {
  console.log('setup: ESRGAN (thick) pack: skipped (no build); run npm run setup without --no-build to convert it.');
}
console.log('setup: done');
