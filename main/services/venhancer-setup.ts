// Settings › Model packs › Add VEnhancer…: one background job at a time that runs the exporter on the three released
// files, writing straight into a hidden staging folder of the packs folder, then installs the verified pack by a
// rename. Progress, ETA and the end go out as 'packs.venhancerUpdated' events; cancel stops the exporter, which
// removes its temporary folder, so nothing half-written is ever listed.
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { ApiError, type AnyEvent } from '../common/api';
import {
  venhancerGraphLabel,
  venhancerJobRunning,
  type PythonStatus,
  type VenhancerInputs,
  type VenhancerJob,
} from '../common/venhancer-setup-model';
import { checkPythonForExport, exportVenhancerPack, VenhancerExportError } from '../engine/pack/venhancer-export';
import { locateVenhancerInputs, venhancerInputProblems, type LocatedVenhancerInputs } from '../engine/pack/venhancer-inputs';
import type { PackService } from './packs';

const MAX_NOTES = 6;

export type VenhancerSetupOptions = {
  packs: PackService;
  emit(event: AnyEvent): void;
  log(message: string): void;
  /** Tiny model configurations for the exporter (its --tiny): tests only, so a whole export takes seconds. */
  tinyConfig?: string;
};

export class VenhancerSetup {
  private job: VenhancerJob | null = null;
  private controller: AbortController | null = null;
  private running: Promise<void> | null = null;
  private staleRemoved = false;

  constructor(private readonly opts: VenhancerSetupOptions) {}

  async python(): Promise<PythonStatus> {
    const check = await checkPythonForExport();
    return check.ok
      ? { ok: true, python: check.python, message: null, installCommand: null }
      : { ok: false, python: null, message: check.message, installCommand: check.installCommand };
  }

  /** The running or last job of this app run. */
  current(): VenhancerJob | null {
    return this.job;
  }

  async locate(dir: string): Promise<LocatedVenhancerInputs> {
    if (!path.isAbsolute(dir)) throw new ApiError('BAD_REQUEST', `${dir} is not an absolute path: choose the folder again.`);
    try {
      return await locateVenhancerInputs(dir);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') throw new ApiError('NOT_FOUND', `The folder ${dir} does not exist: choose the folder holding the downloads.`);
      if (code === 'EACCES' || code === 'EPERM') throw new ApiError('BAD_REQUEST', `Upframe may not read ${dir}: check its permissions.`);
      throw error;
    }
  }

  /** Checks what can be checked at once (paths, Python), then starts the job and returns its first snapshot. */
  async start(inputs: VenhancerInputs): Promise<VenhancerJob> {
    if (venhancerJobRunning(this.job)) {
      throw new ApiError('CONFLICT', 'A VEnhancer export is already running: wait for it or cancel it first.');
    }
    const problems = venhancerInputProblems(inputs);
    if (problems.length > 0) throw new ApiError('BAD_REQUEST', problems.map((p) => p.message).join(' '));
    const python = await checkPythonForExport();
    if (!python.ok) throw new ApiError('BAD_REQUEST', python.message);
    if (!this.staleRemoved) {
      // Staging folders of an export that was killed with the app; this app runs one export at a time.
      await this.opts.packs.removeStaleStaging();
      this.staleRemoved = true;
    }
    const resolved = { checkpoint: path.resolve(inputs.checkpoint), vae: path.resolve(inputs.vae), clip: path.resolve(inputs.clip) };
    const job: VenhancerJob = {
      id: randomUUID(),
      state: 'exporting',
      inputs: resolved,
      stage: 'Starting the exporter',
      fraction: 0,
      etaSec: null,
      startedAt: Date.now(),
      endedAt: null,
      notes: [],
      error: null,
      errorFile: null,
      packId: null,
    };
    this.job = job;
    this.controller = new AbortController();
    this.emit();
    this.running = this.run(job.id, resolved, python.python, this.controller.signal).finally(() => {
      this.running = null;
    });
    return job;
  }

  /** Stops the running export; false when none runs (or it is already installing, which takes a moment). */
  cancel(): { cancelled: boolean } {
    if (this.job?.state !== 'exporting' || !this.controller) return { cancelled: false };
    this.controller.abort();
    return { cancelled: true };
  }

  /** Stops a running export and waits for it (app shutdown). */
  async close(): Promise<void> {
    this.controller?.abort();
    await this.running;
  }

  private async run(id: string, inputs: VenhancerInputs, python: string, signal: AbortSignal): Promise<void> {
    const { packs } = this.opts;
    try {
      const out = await packs.stagingPath('venhancer');
      const { packDir } = await exportVenhancerPack(
        { ...inputs, out, python, tinyConfig: this.opts.tinyConfig, hashCache: packs.hashCache },
        {
          signal,
          onProgress: (p) =>
            this.update(id, {
              stage: `${venhancerGraphLabel(p.graph)} (${Math.min(p.index + 1, p.total)}/${p.total}): ${p.message}`,
              fraction: Math.min(1, Math.max(0, p.fraction)),
              etaSec: p.etaSeconds === null ? null : Math.max(0, p.etaSeconds),
            }),
          onLog: (line) => this.update(id, { notes: [...(this.job?.notes ?? []), line].slice(-MAX_NOTES) }),
        },
      );
      this.update(id, { state: 'installing', stage: 'Verifying and installing the pack', fraction: 1, etaSec: null });
      const installed = await packs.installStaged(packDir);
      this.update(id, { state: 'done', stage: `Installed ${installed.label}`, packId: installed.id, endedAt: Date.now() });
    } catch (error) {
      if (error instanceof VenhancerExportError && error.code === 'CANCELLED') {
        this.update(id, { state: 'cancelled', stage: 'Cancelled: nothing was installed', etaSec: null, endedAt: Date.now() });
      } else if (error instanceof VenhancerExportError || error instanceof ApiError) {
        this.update(id, {
          state: 'failed',
          stage: 'Failed: nothing was installed',
          etaSec: null,
          error: error.message,
          errorFile: error instanceof VenhancerExportError ? error.file : null,
          endedAt: Date.now(),
        });
      } else {
        this.opts.log(`VEnhancer export failed: ${(error as Error).stack ?? error}`);
        this.update(id, {
          state: 'failed',
          stage: 'Failed: nothing was installed',
          etaSec: null,
          error: `The export stopped on an unexpected error: ${(error as Error).message}. The app's log has the details.`,
          endedAt: Date.now(),
        });
      }
    } finally {
      this.controller = null;
    }
  }

  private update(id: string, patch: Partial<VenhancerJob>): void {
    if (this.job?.id !== id) return;
    this.job = { ...this.job, ...patch };
    this.emit();
  }

  private emit(): void {
    if (this.job) this.opts.emit({ event: 'packs.venhancerUpdated', payload: this.job });
  }
}
