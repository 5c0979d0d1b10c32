// The headless `upframe` command: enhances one video with the classic or the diffusion engine, running the engine
// in its own process through EngineHost exactly as the editor does.
// `upframe render` exports a project (main/cli/render-command.ts).
// Exit codes: 0 done, 1 the job failed, 2 bad input (options, input file, existing output), 130 cancelled.
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { ApiError } from '../common/api';
import type { ClipSettings } from '../common/settings';
import { defaultExecutionOptions } from '../engine/execution';
import { builtinPackDirs } from '../engine/pack/builtin';
import { packId } from '../engine/pack/contract';
import { isTestPack, packLabel } from '../engine/pack/label';
import { PackRegistry, type PackEntry } from '../engine/pack/registry';
import { verifyPack } from '../engine/pack/verify';
import { PackError } from '../engine/pack/errors';
import { checkPerFrameModels } from '../engine/pack/per-frame-import';
import { perFramePackId, perFramePackLabel, verifyPerFramePack } from '../engine/pack/per-frame-manifest';
import { EngineHost } from '../engine/process/engine-host';
import { EngineCrashedError, EngineJobError } from '../engine/process/errors';
import { CancelledError, type EnhanceJobSpec, type ExecutionOptions } from '../engine/types';
import { defaultUserDataDir } from '../host/user-data-dir';
import { locateFfmpeg } from '../media/ffmpeg-locate';
import { inspectMedia } from '../media/fingerprint';
import { BadInputError, checkRange, integerArg, numberArg, settingsFromOptions, type EnhanceCliOptions } from './enhance-options';
import { createProgressDisplay } from './progress-display';
import { renderCommand } from './render-command';
import type { RenderCliOptions } from './render-options';
import { onInterrupt } from './interrupts';
import { workerCommand, type WorkerCliOptions } from './worker-command';
import { packsInstallCommand, packsRemoveCommand, type PacksInstallOptions } from './packs-install';
import { exportVenhancerCommand, type ExportVenhancerCliOptions } from './export-venhancer-command';

export const EXIT = { ok: 0, failed: 1, badInput: 2, cancelled: 130 } as const;

const VIDEO_EXTENSIONS = ['.mp4', '.mov', '.m4v', '.mkv', '.webm'];

export type CliIo = { stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream };

/** Runs the command line; resolves with the exit code (never calls process.exit). */
export async function main(argv: string[] = process.argv, io: CliIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  let exitCode: number = EXIT.ok;
  const program = new Command('upframe')
    .description('Upframe: generative video enhancement from the command line')
    .version(readVersion(), '-V, --version')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });

  program
    .command('enhance')
    .description('Upscale and/or raise the frame rate of a video')
    .argument('<input>', 'video file to enhance')
    .requiredOption('-o, --output <file>', 'output video (.mp4, .mov, .m4v, .mkv or .webm)')
    .addOption(
      new Option('--engine <engine>', 'classic (ffmpeg filters), diffusion (a diffusion pack) or model (a per-frame pack, e.g. the built-in ESRGAN)')
        .choices(['classic', 'diffusion', 'model'])
        .default('classic'),
    )
    .option('--pack <dir|id>', 'model pack folder, or the id (name@version) of an installed pack; required for --engine diffusion; --engine model defaults to the built-in ESRGAN')
    .option('--scale <factor>', 'spatial upscale factor, 1 to 8', parseWith(numberArg))
    .option('--fps <rate>', 'target frame rate (frames are inserted between source frames)', parseWith(numberArg))
    .option('--noise <level>', 'diffusion: noise augmentation 0-300 (higher regenerates more detail)', parseWith(integerArg))
    .option('--steps <steps>', 'diffusion: fast, normal or a number of evaluations (1-100)')
    .option('--cfg <scale>', 'diffusion: classifier-free guidance scale, 1 to 20', parseWith(numberArg))
    .option('--prompt <text>', 'diffusion: text describing the video')
    .option('--seed <n>', 'diffusion: random seed', parseWith(integerArg))
    .option('--start <sec>', 'start of the segment to enhance, in seconds', parseWith(numberArg))
    .option('--end <sec>', 'end of the segment to enhance, in seconds', parseWith(numberArg))
    .addOption(new Option('--provider <provider>', 'diffusion: execution provider').choices(['auto', 'cuda', 'dml', 'coreml', 'cpu']).default('auto'))
    .option('--allow-cpu-fallback', 'diffusion: run on the CPU when the chosen GPU provider cannot start')
    .option('--threads <n>', 'diffusion: CPU threads (0 = automatic)', parseWith(integerArg))
    .option('--overwrite', 'replace the output file when it exists')
    .option('-v, --verbose', 'print the engine log')
    .action(async (input: string, opts: EnhanceCliOptions) => {
      exitCode = await enhance(input, opts, io);
    });

  program
    .command('render')
    .description('Export a project (.upframe) without the editor: same planner, chunk cache and resume as the render queue')
    .argument('<project>', 'project file (.upframe)')
    .requiredOption('-o, --output <path>', 'output file (.mp4, .mov), or a folder for --codec png')
    .option('--range <range>', 'timeline (default), marks (the I/O range), or clips:ID,ID')
    .option('--codec <codec>', 'h264, h265, prores_hq, png or a hardware encoder (default: from the output extension)')
    .option('--crf <n>', 'constant quality, 0 (lossless) to 51 (default 18)', parseWith(integerArg))
    .option('--bitrate <kbps>', 'video bitrate in kb/s instead of --crf', parseWith(integerArg))
    .addOption(new Option('--audio <mode>', 'copy (the source codec where possible), aac, or none').choices(['copy', 'aac', 'none']).default('aac'))
    .option('--conform <policy>', 'when clips differ: first (default), largest, project (its settings), or WIDTHxHEIGHT@FPS')
    .addOption(
      new Option('--rate-conversion <method>', 'clips at another frame rate: nearest frame, blend neighbouring frames (default), or motion-compensated')
        .choices(['nearest', 'blend', 'motion'])
        .default('blend'),
    )
    .option('--overwrite', 'replace the output when it exists')
    .option('--data-dir <dir>', 'folder of the chunk cache, packs and preferences (default: the app\'s user data folder)')
    .option('--farm <url>', 'render the pieces on a farm: redis://host:6379 (rediss:// for TLS); workers run `upframe worker`')
    .action(async (project: string, opts: RenderCliOptions) => {
      exitCode = await renderCommand(project, opts, io);
    });

  program
    .command('worker')
    .description('Render export pieces for a farm until Ctrl+C (one worker per GPU)')
    .requiredOption('--farm <url>', 'the farm\'s Redis: redis://host:6379, or rediss://user:password@host:6380 for TLS')
    .option('--gpu <n>', 'render on this GPU only (one worker per GPU)', parseWith(integerArg))
    .option('--path-map <from=to...>', 'where a shared folder of the submitting machine is found here (repeatable); confines the worker to these folders')
    .option('--packs <ids>', 'which installed packs to offer: all (default), none (classic pieces only) or name@version,…')
    .option('--data-dir <dir>', 'folder of the chunk cache, packs and preferences (default: the app\'s user data folder)')
    .action(async (opts: WorkerCliOptions) => {
      exitCode = await workerCommand(opts, io);
    });

  const packs = program
    .command('packs')
    .description('List the model packs (installed and built-in); --import adds a folder or a per-frame .onnx, `packs install` a pack exported elsewhere')
    .option('--import <path>', 'install a pack folder (holding manifest.json) or a per-frame .onnx model; bad models are refused')
    .action(async (opts: { import?: string }) => {
      exitCode = opts.import ? await importPack(opts.import, io) : await listPacks(io);
    });
  packs
    .command('install')
    .description('Install a pack exported elsewhere: its folder, a .tar/.tar.gz/.tgz/.zip of it, or an http(s) address of such an archive')
    .argument('<source>', 'pack folder (holding manifest.json), pack archive, or URL (resumes an interrupted download)')
    .option('--data-dir <dir>', "folder of the packs (default: the app's user data folder)")
    .action(async (source: string, opts: PacksInstallOptions) => {
      exitCode = await packsInstallCommand(source, opts, io);
    });
  packs
    .command('remove')
    .description('Remove an installed pack (built-in test packs cannot be removed)')
    .argument('<id>', 'the pack id, name@version, as `upframe packs` lists it')
    .option('--data-dir <dir>', "folder of the packs (default: the app's user data folder)")
    .action(async (id: string, opts: PacksInstallOptions) => {
      exitCode = await packsRemoveCommand(id, opts, io);
    });
  packs
    .command('export-venhancer')
    .description('Export the released VEnhancer model (three downloaded files) into a model pack; needs python3 with torch, onnx and numpy')
    .option('--checkpoint <file>', 'venhancer_v2.pt (or venhancer_paper.pt) from the Hugging Face repo jwhejwhe/VEnhancer')
    .option('--vae <dir>', 'the "vae" folder of stabilityai/stable-video-diffusion-img2vid (config.json and diffusion_pytorch_model.*)')
    .option('--clip <file>', 'open_clip_pytorch_model.bin of laion/CLIP-ViT-H-14-laion2B-s32B-b79K')
    .requiredOption('-o, --output <dir>', 'the pack folder to create')
    .option('--random-weights', 'no files: the full-size architecture with random weights (proves the export; does not enhance)')
    .option('--install', 'install the verified pack as well, so the editor and `upframe render` can use it at once')
    .option('--data-dir <dir>', "with --install: folder of the packs (default: the app's user data folder)")
    .action(async (opts: ExportVenhancerCliOptions) => {
      exitCode = await exportVenhancerCommand(opts, io);
    });

  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has already printed the message; help and version are not errors.
      return error.exitCode === 0 ? EXIT.ok : EXIT.badInput;
    }
    io.stderr.write(`upframe: ${(error as Error).stack ?? String(error)}\n`);
    return EXIT.failed;
  }
  return exitCode;
}

function parseWith(parse: (value: string) => number): (value: string) => number {
  return (value) => {
    try {
      return parse(value);
    } catch (error) {
      throw new InvalidArgumentError((error as Error).message);
    }
  };
}

async function enhance(input: string, opts: EnhanceCliOptions, io: CliIo): Promise<number> {
  let prepared: { spec: EnhanceJobSpec; packNote: string | null };
  try {
    prepared = await prepareJob(input, opts, io);
  } catch (error) {
    if (error instanceof BadInputError) {
      io.stderr.write(`upframe: ${error.message}\n`);
      return EXIT.badInput;
    }
    if (error instanceof ApiError) {
      io.stderr.write(`upframe: ${error.message}\n`);
      return error.code === 'FFMPEG_MISSING' || error.code === 'INTERNAL' ? EXIT.failed : EXIT.badInput;
    }
    throw error;
  }
  return runJob(prepared.spec, prepared.packNote, opts, io);
}

async function prepareJob(input: string, opts: EnhanceCliOptions, io: CliIo): Promise<{ spec: EnhanceJobSpec; packNote: string | null }> {
  const settings = settingsFromOptions(opts);
  let execution: ExecutionOptions;
  try {
    execution = defaultExecutionOptions({ provider: settings.provider, threads: opts.threads, allowCpuFallback: opts.allowCpuFallback });
  } catch (error) {
    throw new BadInputError(`--threads: ${(error as Error).message}`);
  }

  const inputPath = path.resolve(input);
  const inputStat = await stat(inputPath).catch(() => null);
  if (!inputStat) throw new BadInputError(`Input not found: ${inputPath}. Check the path and try again.`);
  if (!inputStat.isFile()) throw new BadInputError(`Input ${inputPath} is not a file: give a video file.`);

  const outputPath = path.resolve(opts.output);
  const ext = path.extname(outputPath).toLowerCase();
  if (!VIDEO_EXTENSIONS.includes(ext)) {
    throw new BadInputError(`--output ${opts.output}: name the output ${VIDEO_EXTENSIONS.join(', ')} (the extension picks the container).`);
  }
  if (outputPath === inputPath) throw new BadInputError('--output is the input file: choose another name, the input is never overwritten.');
  if (existsSync(outputPath) && !opts.overwrite) {
    throw new BadInputError(`Output ${outputPath} already exists: pass --overwrite to replace it, or choose another name.`);
  }

  const { ffprobe } = locateFfmpeg();
  const facts = await inspectMedia(inputPath, ffprobe);
  checkRange(opts.start, opts.end, facts.probe.durationSec);

  let packDir: string | undefined;
  let packNote: string | null = null;
  if (settings.engine === 'diffusion') {
    ({ packDir, packNote } = await choosePack(opts.pack));
  } else if (settings.engine === 'model') {
    ({ packDir, packNote } = await choosePerFramePack(opts.pack));
  } else if (opts.pack) {
    io.stderr.write('upframe: --pack is ignored by the classic engine (add --engine diffusion to use a pack).\n');
  }

  const spec: EnhanceJobSpec = {
    input: inputPath,
    settings,
    execution,
    output: { kind: 'video', path: outputPath },
    ...(packDir ? { packDir } : {}),
    ...(opts.start !== undefined ? { startSec: opts.start } : {}),
    ...(opts.end !== undefined ? { endSec: opts.end } : {}),
  };
  return { spec, packNote };
}

function packRegistry(): PackRegistry {
  return new PackRegistry({ dir: path.join(defaultUserDataDir(), 'packs'), builtinDirs: builtinPackDirs() });
}

function describeEntry(entry: PackEntry): string {
  const status = entry.status === 'ok' ? '' : ` [${entry.status}: ${entry.problem ?? 'unusable'}]`;
  return `  ${entry.id}${entry.testPack ? ' (test pack)' : ''}: ${entry.label}${status}\n    ${entry.dir}`;
}

/** The pack folder for --pack (a folder, or an installed pack's id), verified before the job starts. */
async function choosePack(pack: string | undefined): Promise<{ packDir: string; packNote: string }> {
  if (!pack) {
    const entries = await packRegistry()
      .list()
      .catch(() => [] as PackEntry[]);
    const list = entries.length ? entries.map(describeEntry).join('\n') : '  (none)';
    throw new BadInputError(
      `--engine diffusion needs --pack: a model pack folder or the id of an installed pack. Packs found:\n${list}\n` +
        'Test packs prove the engine and do not enhance; for enhancement without a pack use --engine classic.',
    );
  }
  let dir = path.resolve(pack);
  const isDir = await stat(dir)
    .then((s) => s.isDirectory())
    .catch(() => false);
  if (!isDir) {
    try {
      dir = await packRegistry().resolve(pack);
    } catch (error) {
      throw new BadInputError(`--pack ${pack}: no such folder, and ${(error as Error).message}`);
    }
  }
  let manifest;
  try {
    ({ manifest } = await verifyPack(dir));
  } catch (error) {
    throw new BadInputError(`--pack ${pack}: ${(error as Error).message}`);
  }
  const test = isTestPack(manifest);
  const note = `Pack: ${packId(manifest)}${test ? ' (test pack)' : ''}: ${packLabel(manifest)}`;
  return { packDir: dir, packNote: test ? `${note}\nThis is a test pack: the output proves the engine runs; it is not an enhancement.` : note };
}

/** The per-frame pack for --engine model (a folder, an installed pack's id, or the default: the built-in ESRGAN),
 *  verified and its models checked before the job starts. */
async function choosePerFramePack(pack: string | undefined): Promise<{ packDir: string; packNote: string }> {
  let dir: string | null = pack ? path.resolve(pack) : null;
  const isDir = dir !== null && (await stat(dir).then((s) => s.isDirectory()).catch(() => false));
  if (!isDir) {
    try {
      dir = await packRegistry().resolve(pack ?? null, 'per-frame');
    } catch (error) {
      throw new BadInputError(pack ? `--pack ${pack}: no such folder, and ${(error as Error).message}` : (error as Error).message);
    }
  }
  try {
    const { manifest } = await verifyPerFramePack(dir!);
    await checkPerFrameModels(dir!, manifest);
    const note = `Pack: ${perFramePackId(manifest)}: ${perFramePackLabel(manifest)}`;
    return { packDir: dir!, packNote: manifest.testPack ? `${note}\nThis is a test pack: it is not an enhancement.` : note };
  } catch (error) {
    throw new BadInputError(`--pack ${pack ?? path.basename(dir!)}: ${(error as Error).message}`);
  }
}

async function runJob(spec: EnhanceJobSpec, packNote: string | null, opts: EnhanceCliOptions, io: CliIo): Promise<number> {
  const display = createProgressDisplay(io.stderr);
  const host = new EngineHost({ log: opts.verbose ? (m) => display.note(m) : undefined });
  const controller = new AbortController();
  const stopListening = onInterrupt({
    first: () => {
      display.note('Cancelling (press Ctrl+C again to stop at once)...');
      controller.abort();
    },
    // A second Ctrl+C: stop the engine now. Its temporary output is hidden and marked partial.
    again: () => void host.dispose().finally(() => process.exit(EXIT.cancelled)),
  });

  if (packNote) io.stderr.write(`${packNote}\n`);
  io.stderr.write(`${describeJob(spec)}\n`);
  const started = Date.now();
  try {
    const result = await host.run(spec, { signal: controller.signal, onProgress: (p) => display.update(p) });
    display.stop();
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    io.stdout.write(`Wrote ${result.outputPath}: ${result.width}x${result.height}, ${result.frames} frames at ${formatFps(result.fps)} fps in ${seconds} s\n`);
    for (const note of result.notes) io.stdout.write(`  ${note}\n`);
    return EXIT.ok;
  } catch (error) {
    display.stop();
    if (error instanceof CancelledError) {
      io.stderr.write('upframe: cancelled; no output was written.\n');
      return EXIT.cancelled;
    }
    if (error instanceof EngineJobError || error instanceof EngineCrashedError) {
      io.stderr.write(`upframe: the job failed: ${error.message}\n`);
      return EXIT.failed;
    }
    throw error;
  } finally {
    stopListening();
    await host.dispose();
  }
}

function describeJob(spec: EnhanceJobSpec): string {
  const s: ClipSettings = spec.settings;
  const parts = [`${s.engine} engine`, `scale ${s.scale}x`];
  if (s.targetFps !== null) parts.push(`target ${s.targetFps} fps`);
  if (s.engine === 'model') parts.push(`provider ${spec.execution.provider}`);
  if (s.engine === 'diffusion') {
    const { provider, allowCpuFallback } = spec.execution;
    parts.push(`noise ${s.noise}`, `steps ${s.steps}`, `provider ${provider}${allowCpuFallback && provider !== 'cpu' ? ' (CPU fallback allowed)' : ''}`);
  }
  if (spec.startSec !== undefined || spec.endSec !== undefined) parts.push(`range ${spec.startSec ?? 0}-${spec.endSec ?? 'end'} s`);
  return `Enhancing ${path.basename(spec.input)} (${parts.join(', ')})`;
}

function formatFps(fps: number): string {
  return Number.isInteger(fps) ? String(fps) : fps.toFixed(3);
}

/** Imports a pack folder or a bare per-frame .onnx file; a refused model installs nothing and exits 2. */
async function importPack(source: string, io: CliIo): Promise<number> {
  const file = path.resolve(source);
  const isDir = await stat(file).then((s) => s.isDirectory()).catch(() => false);
  try {
    const registry = packRegistry();
    const entry = isDir ? await registry.importFromFolder(file) : await registry.importOnnxFile(file);
    io.stdout.write(`Installed ${entry.id}: ${entry.label}\n  ${entry.dir}\n`);
    return EXIT.ok;
  } catch (error) {
    if (error instanceof PackError || error instanceof ApiError) {
      io.stderr.write(`upframe: cannot import ${source}: ${error.message}\n`);
      return EXIT.badInput;
    }
    throw error;
  }
}

async function listPacks(io: CliIo): Promise<number> {
  const entries = await packRegistry().list();
  if (entries.length === 0) io.stdout.write('No model packs found.\n');
  for (const entry of entries) io.stdout.write(`${describeEntry(entry)}\n`);
  return EXIT.ok;
}

function readVersion(): string {
  // main/cli (source) or dist/main/cli (build): package.json is two or three levels up.
  for (const up of ['../..', '../../..']) {
    const file = path.resolve(__dirname, up, 'package.json');
    if (existsSync(file)) {
      try {
        const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
        if (pkg.name === 'upframe' && pkg.version) return pkg.version;
      } catch {
        // An unreadable package.json only costs the version string.
      }
    }
  }
  return 'unknown';
}

if (require.main === module) {
  void main(process.argv).then((code) => {
    process.exitCode = code;
  });
}
