// The Electron shell's engine launcher: the same worker.js as the child_process launcher, started as an Electron
// utilityProcess (a Node process Chromium manages: no extra Node binary in the packaged app, and it dies with the
// app). The worker detects process.parentPort and speaks the same protocol through it; this adapts utilityProcess's
// message and exit events to EngineProcessHandle, so EngineHost cannot tell the two launchers apart.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { utilityProcess, type UtilityProcess } from 'electron';
import type { EngineProcessHandle, EngineProcessLauncher } from '../engine/process/launcher';
import type { HostMessage } from '../engine/process/protocol';

/** dist/main/electron -> dist/main/engine/process/worker.js */
const WORKER = path.resolve(__dirname, '..', 'engine', 'process', 'worker.js');

export type UtilityProcessLauncherOptions = {
  /** Receives the engine process's stdout/stderr lines and fatal-error reports. */
  log?: (message: string) => void;
  env?: NodeJS.ProcessEnv;
  /** The built worker; dist/main/engine/process/worker.js by default. */
  workerFile?: string;
};

export function utilityProcessLauncher(opts: UtilityProcessLauncherOptions = {}): EngineProcessLauncher {
  return {
    start() {
      const file = opts.workerFile ?? WORKER;
      if (!existsSync(file)) throw new Error(`The engine worker is missing (${file}). Run \`npm run build\` first.`);
      const child = utilityProcess.fork(file, [], {
        serviceName: 'Upframe engine',
        stdio: 'pipe',
        env: opts.env ?? process.env,
      });
      return new UtilityProcessHandle(child, opts.log);
    },
  };
}

class UtilityProcessHandle implements EngineProcessHandle {
  private readonly exitListeners: Array<(code: number | null, signal: string | null) => void> = [];
  private exited = false;

  constructor(
    private readonly child: UtilityProcess,
    log: ((message: string) => void) | undefined,
  ) {
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      createInterface({ input: stream }).on('line', (line) => log?.(`engine: ${line}`));
    }
    // utilityProcess reports only an exit code (never a signal), so a crash is described by its code.
    child.on('exit', (code) => this.fireExit(code, null));
    child.on('error', (type, location, report) => {
      log?.(`engine process ${type} at ${location}${report ? `:\n${report}` : ''}`);
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  send(message: HostMessage): void {
    if (this.exited) throw new Error('The engine process is not running');
    this.child.postMessage(message);
  }

  onMessage(cb: (message: unknown) => void): void {
    this.child.on('message', (message: unknown) => cb(message));
  }

  onExit(cb: (code: number | null, signal: string | null) => void): void {
    this.exitListeners.push(cb);
  }

  kill(): void {
    if (!this.exited) this.child.kill();
  }

  private fireExit(code: number | null, signal: string | null): void {
    if (this.exited) return;
    this.exited = true;
    for (const cb of this.exitListeners) cb(code, signal);
  }
}
