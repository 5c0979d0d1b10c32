// `upframe packs export-venhancer --checkpoint venhancer_v2.pt --vae DIR --clip FILE -o DIR`: turns the three released
// files into a verified model pack (main/engine/pack/venhancer-export.ts runs the Python exporter).
// Exit codes: 0 done, 1 failed, 2 bad input (a file missing, truncated or of another model; no Python with torch;
// not enough disk or memory), 130 cancelled (no half pack is left).
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { checkPythonForExport, exportVenhancerPack, VenhancerExportError } from '../engine/pack/venhancer-export';
import { venhancerInputProblems } from '../engine/pack/venhancer-inputs';
import { venhancerGraphLabel } from '../common/venhancer-setup-model';
import { onInterrupt } from './interrupts';
import { createLabelledProgressDisplay } from './progress-display';
import { ApiError } from '../common/api-error';
import { defaultUserDataDir } from '../host/user-data-dir';
import { PackService } from '../services/packs';

export type ExportVenhancerCliOptions = {
  checkpoint?: string;
  vae?: string;
  clip?: string;
  output: string;
  randomWeights?: boolean;
  /** Install the verified pack into the user data folder's packs (or --data-dir's): one command from the three files to a usable model. */
  install?: boolean;
  dataDir?: string;
};
type Io = { stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream };

const EXIT = { ok: 0, failed: 1, badInput: 2, cancelled: 130 } as const;

export async function exportVenhancerCommand(opts: ExportVenhancerCliOptions, io: Io): Promise<number> {
  const problem = checkOptions(opts);
  if (problem) {
    io.stderr.write(`upframe: ${problem}\n`);
    return EXIT.badInput;
  }
  const python = await checkPythonForExport();
  if (!python.ok) {
    io.stderr.write(`upframe: ${python.message}\n`);
    return EXIT.badInput;
  }
  const display = createLabelledProgressDisplay(io.stderr);
  const controller = new AbortController();
  const stopListening = onInterrupt({
    first: () => {
      display.note('Cancelling the export (the temporary folder is removed)...');
      controller.abort();
    },
    // The exporter ends its worker at once on the first signal; a second press changes nothing but is not ignored.
    again: () => display.note('Still cancelling...'),
  });
  const started = Date.now();
  try {
    const { packDir } = await exportVenhancerPack(
      { checkpoint: opts.checkpoint, vae: opts.vae, clip: opts.clip, out: opts.output, randomWeights: opts.randomWeights, python: python.python },
      {
        signal: controller.signal,
        onProgress: (p) =>
          display.update({ label: `${venhancerGraphLabel(p.graph)} (${Math.min(p.index + 1, p.total)}/${p.total})`, fraction: p.fraction, etaSec: p.etaSeconds }),
        onLog: (line) => display.note(line),
      },
    );
    display.stop();
    const minutes = ((Date.now() - started) / 60_000).toFixed(1);
    if (!opts.install) {
      io.stdout.write(`Wrote and verified the pack ${packDir} in ${minutes} min. Install it with upframe packs install ${packDir} (or Settings > Model packs), or use --pack ${packDir}.\n`);
      return EXIT.ok;
    }
    const service = new PackService({ userDataDir: opts.dataDir ? path.resolve(opts.dataDir) : defaultUserDataDir() });
    try {
      const installed = await service.import(packDir);
      io.stdout.write(`Wrote, verified and installed the pack ${installed.id} in ${minutes} min: pick it in the inspector (engine Diffusion).\n`);
      return EXIT.ok;
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      io.stderr.write(`upframe: the pack was written to ${packDir} but not installed: ${error.message}\n`);
      return EXIT.failed;
    }
  } catch (error) {
    display.stop();
    if (error instanceof VenhancerExportError) {
      io.stderr.write(`upframe: ${error.message}\n`);
      if (error.code === 'CANCELLED') return EXIT.cancelled;
      return error.code === 'FAILED' ? EXIT.failed : EXIT.badInput;
    }
    throw error;
  } finally {
    stopListening();
  }
}

/** What can be told before Python starts: the inputs exist and the output folder is new. */
function checkOptions(opts: ExportVenhancerCliOptions): string | null {
  if (opts.randomWeights) {
    if (opts.checkpoint || opts.vae || opts.clip) return '--random-weights takes no --checkpoint, --vae or --clip.';
  } else {
    const missing = (['checkpoint', 'vae', 'clip'] as const).filter((k) => !opts[k]);
    if (missing.length > 0) {
      return (
        `give ${missing.map((m) => `--${m}`).join(', ')}: the VEnhancer checkpoint (venhancer_v2.pt), the SVD "vae" folder ` +
        'and open_clip_pytorch_model.bin (the README says where to download them).'
      );
    }
    const problem = venhancerInputProblems({ checkpoint: opts.checkpoint!, vae: opts.vae!, clip: opts.clip! })[0];
    if (problem) return `--${problem.role} ${problem.message}`;
  }
  const out = path.resolve(opts.output);
  if (existsSync(out) && (!statSync(out).isDirectory() || readdirSync(out).length > 0)) {
    return `--output ${out} already exists and is not empty: choose a new folder for the pack.`;
  }
  return null;
}
