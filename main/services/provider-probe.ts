// What the engine will really run on: a tiny ONNX session is opened on each execution provider candidate of this
// platform, in a child process (provider-probe-child.ts), and the result is kept for the app's life (a driver
// installed meanwhile needs a restart, as the engine's own provider libraries do). Settings › Engine shows it
// instead of guessing from the platform name.
import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { builtinPackDir } from '../engine/pack/builtin';
import { providerPlatformProblem, type ExecutionProvider } from '../engine/pack/providers';

export type ProviderOutcome = { provider: ExecutionProvider; loaded: boolean; reason: string | null; ms: number };
export type ProviderProbe = { outcomes: ProviderOutcome[]; model: string };

const CANDIDATES: ExecutionProvider[] = ['cuda', 'dml', 'coreml', 'cpu'];

function childEntry(): { file: string; execArgv: string[] } {
  const built = path.join(__dirname, 'provider-probe-child.js');
  const source = path.join(__dirname, 'provider-probe-child.ts');
  if (!__filename.endsWith('.ts') && existsSync(built)) return { file: built, execArgv: [] };
  if (existsSync(source)) return { file: source, execArgv: ['--import', pathToFileURL(require.resolve('tsx')).href] };
  return { file: built, execArgv: [] };
}

/** Opens the model on every provider this platform can have (the others are reported without a try). */
export function probeProviders(model: string, deviceId: number, platform: NodeJS.Platform = process.platform, timeoutMs = 60_000): Promise<ProviderProbe> {
  const tried = CANDIDATES.filter((p) => providerPlatformProblem(p, platform) === null);
  const skipped: ProviderOutcome[] = CANDIDATES.filter((p) => !tried.includes(p)).map((p) => ({
    provider: p,
    loaded: false,
    reason: providerPlatformProblem(p, platform),
    ms: 0,
  }));
  return new Promise((resolve, reject) => {
    const entry = childEntry();
    const child = fork(entry.file, [], { execArgv: entry.execArgv, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString('utf8')).slice(-4000)));
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish(() => reject(new Error(`The provider check did not finish in ${timeoutMs / 1000} s.`)));
    }, timeoutMs);
    child.on('message', (message: { outcomes?: ProviderOutcome[]; error?: string }) => {
      if (message.outcomes) finish(() => resolve({ outcomes: [...message.outcomes!, ...skipped].sort((a, b) => CANDIDATES.indexOf(a.provider) - CANDIDATES.indexOf(b.provider)), model }));
      else finish(() => reject(new Error(`The provider check failed: ${message.error ?? 'no result'}`)));
    });
    child.on('exit', (code, signal) => {
      finish(() => reject(new Error(`The provider check stopped (${signal ?? `exit code ${code}`}) before reporting.${stderr ? ` It printed: ${stderr.trim().split('\n').slice(-2).join(' ')}` : ''}`)));
    });
    child.on('error', (error) => finish(() => reject(error)));
    child.send({ model, deviceId, providers: tried });
  });
}

/** The probe's result for this app run, per GPU device id; a failed check is not kept (the next asks again). */
export class ProviderCheck {
  private readonly results = new Map<number, Promise<ProviderProbe>>();

  constructor(
    private readonly deviceId: () => number,
    private readonly log: (message: string) => void,
  ) {}

  get(refresh: boolean): Promise<ProviderProbe> {
    const device = this.deviceId();
    let result = refresh ? undefined : this.results.get(device);
    if (!result) {
      // The smallest committed graph: a few hundred bytes, so the check measures the provider, not the model.
      const model = path.join(builtinPackDir('analytic-test'), 'vae_encoder.onnx');
      result = probeProviders(model, device);
      result.then(
        (probe) => this.log(`Execution providers here: ${probe.outcomes.map((o) => `${o.provider} ${o.loaded ? 'starts' : `does not start (${o.reason})`}`).join('; ')}`),
        () => this.results.delete(device),
      );
      this.results.set(device, result);
    }
    return result;
  }
}
