// Starts the engine process. onnxruntime-node's run() blocks its thread and cannot be interrupted, so inference
// never runs in the main or renderer process: it runs in a child process that the host can cancel by message and,
// as a last resort, kill.
//
// Two launchers implement EngineProcessLauncher:
// - childProcessLauncher() below (Node's child_process.fork) for the web host, the CLI and the tests;
// - the Electron shell's launcher, written in main/electron/ (the only place that may import 'electron'):
//     const child = utilityProcess.fork(workerEntry().file, [], { serviceName: 'Upframe engine', stdio: 'pipe' });
//     return { send: (m) => child.postMessage(m), onMessage: (cb) => child.on('message', cb),
//              onExit: (cb) => child.on('exit', (code) => cb(code, null)), kill: () => child.kill(),
//              get pid() { return child.pid } };
//   utilityProcess reports only an exit code, so crash messages there name the code rather than the signal.
//   The worker detects process.parentPort and talks through it, so the same worker.js serves both launchers;
//   pipe child.stdout/stderr into the host's log as below.
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import type { HostMessage } from './protocol';

export interface EngineProcessHandle {
  send(message: HostMessage): void;
  /** Raw messages from the engine process; the host validates them with parseEngineMessage. */
  onMessage(cb: (message: unknown) => void): void;
  onExit(cb: (code: number | null, signal: string | null) => void): void;
  kill(): void;
  readonly pid: number | undefined;
}

export interface EngineProcessLauncher {
  start(): EngineProcessHandle;
}

/** The worker's entry: the built worker.js, or the TypeScript source run through tsx's loader (vitest, tsx). */
export function workerEntry(): { file: string; execArgv: string[] } {
  const built = path.join(__dirname, 'worker.js');
  const source = path.join(__dirname, 'worker.ts');
  const runningFromSource = __filename.endsWith('.ts');
  if (!runningFromSource && existsSync(built)) return { file: built, execArgv: [] };
  if (existsSync(source)) {
    return { file: source, execArgv: ['--import', pathToFileURL(require.resolve('tsx')).href] };
  }
  if (existsSync(built)) return { file: built, execArgv: [] };
  throw new Error(`The engine worker is missing (looked for ${built} and ${source}). Run \`npm run build\` first.`);
}

export type ChildProcessLauncherOptions = {
  /** Receives the engine process's stdout/stderr lines (native libraries print there). */
  log?: (message: string) => void;
  env?: NodeJS.ProcessEnv;
};

export function childProcessLauncher(opts: ChildProcessLauncherOptions = {}): EngineProcessLauncher {
  return {
    start() {
      const entry = workerEntry();
      const child = fork(entry.file, [], {
        execArgv: entry.execArgv,
        env: opts.env ?? process.env,
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
        // Its own process group: a Ctrl+C in the terminal reaches the host only, which then cancels the job
        // cleanly, instead of killing the engine (and its ffmpeg) mid-write. The worker exits when the host's
        // IPC channel closes, so it never outlives the host.
        detached: process.platform !== 'win32',
      });
      return new ChildProcessHandle(child, opts.log);
    },
  };
}

class ChildProcessHandle implements EngineProcessHandle {
  private readonly exitListeners: Array<(code: number | null, signal: string | null) => void> = [];
  private exited = false;

  constructor(
    private readonly child: ChildProcess,
    log: ((message: string) => void) | undefined,
  ) {
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      const lines = createInterface({ input: stream });
      lines.on('line', (line) => log?.(`engine: ${line}`));
    }
    child.on('exit', (code, signal) => this.fireExit(code, signal));
    child.on('error', (error) => {
      log?.(`engine process error: ${error.message}`);
      // A spawn failure emits 'error' without 'exit': report it as an exit so a waiting job is not left hanging.
      if (child.pid === undefined) this.fireExit(null, null);
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  send(message: HostMessage): void {
    if (!this.child.connected) throw new Error('The engine process is not running');
    this.child.send(message);
  }

  onMessage(cb: (message: unknown) => void): void {
    this.child.on('message', cb);
  }

  onExit(cb: (code: number | null, signal: string | null) => void): void {
    this.exitListeners.push(cb);
  }

  kill(): void {
    if (!this.exited) this.child.kill('SIGKILL');
  }

  private fireExit(code: number | null, signal: string | null): void {
    if (this.exited) return;
    this.exited = true;
    for (const cb of this.exitListeners) cb(code, signal);
  }
}
