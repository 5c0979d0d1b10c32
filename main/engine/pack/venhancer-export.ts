// Turns the three released VEnhancer files (checkpoint, SVD VAE folder, OpenCLIP weights) into a verified model pack
// by running the Python exporter (native-models/venhancer/export_pack.py) under a python3 that has torch, onnx and
// numpy. The exporter reports progress as JSON lines on stdout; this module turns them into progress callbacks, stops
// it on abort (it then removes its temporary folder, so no half pack is left), and verifies the result.
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { PackError } from './errors';
import type { HashCache } from './hash-cache';
import { verifyPack } from './verify';

const execFileAsync = promisify(execFile);

export type VenhancerExportOptions = {
  checkpoint?: string;
  vae?: string;
  clip?: string;
  out: string;
  /** Full-size architecture with random weights and no input files: proves the full-size path. */
  randomWeights?: boolean;
  /** Tests: a JSON file of tiny configurations ({"denoiser", "vae", "text"}) for the models (exporter --tiny). */
  tinyConfig?: string;
  /** Where the verification's file hashes go, so installing the pack from the same folder does not hash it again. */
  hashCache?: HashCache;
  /** A python3 the caller already found with checkPythonForExport (else it is looked for here). */
  python?: string;
};

export type VenhancerExportProgress = {
  graph: string;
  index: number;
  total: number;
  fraction: number;
  etaSeconds: number | null;
  message: string;
};

export type VenhancerExportHooks = {
  onProgress(p: VenhancerExportProgress): void;
  signal?: AbortSignal;
  /** Lines the exporter prints that are not progress (warnings, notes). */
  onLog?(line: string): void;
};

export type PythonCheck = { ok: true; python: string } | { ok: false; message: string; installCommand: string };

/** Why an export failed: bad input (a file that is missing, truncated or of another model), not enough disk or
 *  memory, a missing Python setup, cancellation, or an exporter failure. The message names the file and what to do. */
export type VenhancerExportErrorCode = 'BAD_INPUT' | 'RESOURCES' | 'PYTHON' | 'CANCELLED' | 'FAILED';

export class VenhancerExportError extends Error {
  constructor(
    readonly code: VenhancerExportErrorCode,
    message: string,
    /** The input file the error is about, when there is one. */
    readonly file: string | null = null,
  ) {
    super(message);
    this.name = 'VenhancerExportError';
  }
}

const REQUIRED_MODULES = ['torch', 'onnx', 'numpy'] as const;
const DEBIAN_PACKAGES: Record<(typeof REQUIRED_MODULES)[number], string> = {
  torch: 'python3-torch',
  onnx: 'python3-onnx',
  numpy: 'python3-numpy',
};

/** Python interpreters to try, in order: UPFRAME_PYTHON when set, Debian's /usr/bin/python3, then python3 on PATH. */
function pythonCandidates(): string[] {
  const candidates: string[] = [];
  const fromEnv = process.env.UPFRAME_PYTHON;
  if (fromEnv) candidates.push(fromEnv);
  if (process.platform !== 'win32') candidates.push('/usr/bin/python3');
  candidates.push(process.platform === 'win32' ? 'python' : 'python3');
  return [...new Set(candidates)];
}

/** Which of torch/onnx/numpy the interpreter lacks; null when it does not run at all. Asynchronous: the services
 *  ask on every Add VEnhancer… status, and a blocking probe would stall every other request meanwhile. */
async function missingModules(python: string): Promise<string[] | null> {
  const probe = `import importlib.util, json; print(json.dumps([m for m in ${JSON.stringify(REQUIRED_MODULES)} if importlib.util.find_spec(m) is None]))`;
  try {
    const { stdout } = await execFileAsync(python, ['-c', probe], { encoding: 'utf8', timeout: 30_000 });
    return JSON.parse(stdout.trim().split('\n').pop() ?? '') as string[];
  } catch {
    // Not found, not runnable, timed out, or no answer it understands: not a usable interpreter.
    return null;
  }
}

function isDebianLike(): boolean {
  return process.platform === 'linux' && fs.existsSync('/etc/debian_version');
}

/** Finds a python3 with torch, onnx and numpy, or says exactly what to install. */
export async function checkPythonForExport(): Promise<PythonCheck> {
  let firstRunnable: { python: string; missing: string[] } | null = null;
  for (const python of pythonCandidates()) {
    const missing = await missingModules(python);
    if (missing === null) continue;
    if (missing.length === 0) return { ok: true, python };
    firstRunnable ??= { python, missing };
  }
  if (!firstRunnable) {
    const installCommand = isDebianLike() ? `sudo apt-get install python3 ${REQUIRED_MODULES.map((m) => DEBIAN_PACKAGES[m]).join(' ')}` : `pip install ${REQUIRED_MODULES.join(' ')}`;
    return {
      ok: false,
      message:
        `No Python 3 found (tried ${pythonCandidates().join(', ')}). The VEnhancer export needs python3 with torch, onnx and numpy. ` +
        `Install them (${installCommand}), or set UPFRAME_PYTHON to a python3 that has them.`,
      installCommand,
    };
  }
  const { python, missing } = firstRunnable;
  const installCommand = isDebianLike()
    ? `sudo apt-get install ${missing.map((m) => DEBIAN_PACKAGES[m as keyof typeof DEBIAN_PACKAGES]).join(' ')}`
    : `${python} -m pip install ${missing.join(' ')}`;
  return {
    ok: false,
    message:
      `${python} lacks ${missing.join(', ')}, which the VEnhancer export needs. Install ${missing.length > 1 ? 'them' : 'it'}: ` +
      `${installCommand} (or set UPFRAME_PYTHON to a python3 that has torch, onnx and numpy).`,
    installCommand,
  };
}

/** The folder holding the `venhancer` Python package: native-models/ in the source tree, beside dist/ after a
 *  build, or in a packaged app's resources. */
export function venhancerPythonRoot(): string {
  const roots: string[] = [];
  const resourcesPath = (process as NodeJS.Process & { resourcesPath?: string }).resourcesPath;
  if (resourcesPath) roots.push(path.join(resourcesPath, 'native-models'));
  roots.push(path.resolve(__dirname, '..', '..', '..', 'native-models'));
  roots.push(path.resolve(__dirname, '..', '..', '..', '..', 'native-models'));
  const found = roots.find((root) => fs.existsSync(path.join(root, 'venhancer', 'export_pack.py')));
  if (!found) throw new Error(`The VEnhancer exporter (venhancer/export_pack.py) was not found in ${roots.join(', ')}. Reinstall the app.`);
  return found;
}

/** One line of the exporter's JSON-lines protocol (see native-models/venhancer/export_pack.py). */
type ExporterEvent =
  | ({ event: 'progress' } & VenhancerExportProgress)
  | { event: 'log'; message: string }
  | { event: 'needs'; diskBytes: number; memoryBytes: number; freeDiskBytes: number; availableMemoryBytes: number | null }
  | { event: 'done'; packDir: string }
  | { event: 'error'; code: VenhancerExportErrorCode; message: string; file?: string | null };

/** Runs the exporter and verifies the pack it wrote. Rejects with VenhancerExportError. */
export async function exportVenhancerPack(opts: VenhancerExportOptions, hooks: VenhancerExportHooks): Promise<{ packDir: string }> {
  const out = path.resolve(opts.out);
  const args = exporterArgs(opts, out);
  const python = opts.python ? { ok: true as const, python: opts.python } : await checkPythonForExport();
  if (!python.ok) throw new VenhancerExportError('PYTHON', python.message);
  if (hooks.signal?.aborted) throw new VenhancerExportError('CANCELLED', 'The export was cancelled before it started.');

  const result = await runExporter(python.python, args, hooks);
  try {
    await verifyPack(result.packDir, { hashCache: opts.hashCache });
  } catch (error) {
    if (error instanceof PackError) {
      throw new VenhancerExportError('FAILED', `The exported pack in ${result.packDir} does not pass verification: ${error.message}`);
    }
    throw error;
  }
  return result;
}

export function exporterArgs(opts: VenhancerExportOptions, out: string): string[] {
  const args = ['-m', 'venhancer.export_pack', '--out', out, '--progress', 'json'];
  if (opts.randomWeights) {
    args.push('--random-weights');
  } else {
    const missing = (['checkpoint', 'vae', 'clip'] as const).filter((k) => !opts[k]);
    if (missing.length > 0) {
      throw new VenhancerExportError(
        'BAD_INPUT',
        `The export needs ${missing.map((m) => `--${m}`).join(', ')}: the VEnhancer checkpoint (venhancer_v2.pt), the SVD "vae" folder and open_clip_pytorch_model.bin.`,
      );
    }
    args.push('--checkpoint', path.resolve(opts.checkpoint!), '--vae', path.resolve(opts.vae!), '--clip', path.resolve(opts.clip!));
  }
  if (opts.tinyConfig) args.push('--tiny', path.resolve(opts.tinyConfig));
  return args;
}

/** Spawns the exporter, relays its progress, and maps its exit to a result or a VenhancerExportError. */
export function runExporter(python: string, args: string[], hooks: VenhancerExportHooks): Promise<{ packDir: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(python, args, {
      cwd: venhancerPythonRoot(),
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1' },
    });
    let done: { packDir: string } | null = null;
    let failure: VenhancerExportError | null = null;
    let cancelled = false;
    let stderrTail = '';
    let partial = '';

    const onAbort = () => {
      cancelled = true;
      // The exporter handles SIGTERM: it stops, removes its temporary folder and exits 130.
      child.kill('SIGTERM');
    };
    hooks.signal?.addEventListener('abort', onAbort, { once: true });

    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) handleLine(line);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderrTail = (stderrTail + chunk).slice(-4000);
    });

    function handleLine(line: string): void {
      const text = line.trim();
      if (!text) return;
      let event: ExporterEvent;
      try {
        event = JSON.parse(text) as ExporterEvent;
      } catch {
        hooks.onLog?.(text);
        return;
      }
      switch (event.event) {
        case 'progress':
          hooks.onProgress({
            graph: event.graph,
            index: event.index,
            total: event.total,
            fraction: event.fraction,
            etaSeconds: event.etaSeconds,
            message: event.message,
          });
          break;
        case 'log':
          hooks.onLog?.(event.message);
          break;
        case 'needs': {
          const gb = (bytes: number | null) => (bytes === null ? 'unknown' : `${(bytes / 1e9).toFixed(1)} GB`);
          hooks.onLog?.(
            `The export needs ${gb(event.diskBytes)} of disk (${gb(event.freeDiskBytes)} free) and about ${gb(event.memoryBytes)} ` +
              `of memory (${gb(event.availableMemoryBytes)} available).`,
          );
          break;
        }
        case 'done':
          done = { packDir: event.packDir };
          break;
        case 'error':
          failure = new VenhancerExportError(event.code, event.message, event.file ?? null);
          break;
      }
    }

    child.on('error', (error) => {
      hooks.signal?.removeEventListener('abort', onAbort);
      reject(new VenhancerExportError('PYTHON', `Could not start ${python}: ${error.message}`));
    });
    child.on('close', (code, signal) => {
      hooks.signal?.removeEventListener('abort', onAbort);
      if (partial) handleLine(partial);
      if (cancelled) {
        reject(new VenhancerExportError('CANCELLED', 'The export was cancelled; no pack was written.'));
      } else if (failure) {
        reject(failure);
      } else if (code === 0 && done) {
        resolve(done);
      } else {
        const tail = stderrTail.trim().split('\n').slice(-8).join('\n');
        reject(
          new VenhancerExportError(
            'FAILED',
            `The exporter stopped (${signal ? `signal ${signal}` : `exit code ${code}`}) without writing a pack.${tail ? `\n${tail}` : ''}`,
          ),
        );
      }
    });
  });
}
