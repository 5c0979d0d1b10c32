// Starts the real web host (node dist/main/host/serve.js) as a child process for end-to-end and crash tests,
// and calls its API the way the renderer does (POST /api/call with the per-launch token).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { CallResult, MethodInput, MethodName, MethodOutput } from '../../main/common/api';

const ROOT = path.resolve(__dirname, '..', '..');
const SERVE_JS = path.join(ROOT, 'dist', 'main', 'host', 'serve.js');
const RENDERER_INDEX = path.join(ROOT, 'dist', 'renderer', 'index.html');
const URL_LINE = /^Upframe is running at (\S+)\s*$/m;
const START_TIMEOUT_MS = 30_000;

export type HostProcess = {
  /** The full URL printed by the host, including ?token=... */
  url: string;
  /** http://127.0.0.1:PORT */
  origin: string;
  token: string;
  pid: number;
  /** SIGTERM, then waits for the exit (SIGKILL after 10 s). */
  stop(): Promise<void>;
  kill(signal?: NodeJS.Signals): void;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
};

export async function startHostProcess(opts: { userDataDir: string; env?: NodeJS.ProcessEnv }): Promise<HostProcess> {
  for (const file of [SERVE_JS, RENDERER_INDEX]) {
    if (!existsSync(file)) {
      throw new Error(`${path.relative(ROOT, file)} is missing: run \`npm run build\` before the host tests.`);
    }
  }
  const child = spawn(process.execPath, [SERVE_JS, '--no-open', '--user-data', opts.userDataDir, '--port', '0'], {
    cwd: ROOT,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  // Keep draining both pipes for the whole life of the process, so a chatty host never blocks on a full pipe.
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    output += chunk;
    if (process.env.UPFRAME_TEST_HOST_LOG) process.stderr.write(chunk);
  });

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`The host did not print its URL within ${START_TIMEOUT_MS / 1000} s. Output:\n${output}`));
    }, START_TIMEOUT_MS);
    child.stdout.on('data', (chunk: string) => {
      output += chunk;
      if (process.env.UPFRAME_TEST_HOST_LOG) process.stdout.write(chunk);
      const match = URL_LINE.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`The host exited (code ${code}) before printing its URL. Output:\n${output}`));
    });
  });

  const parsed = new URL(url);
  const token = parsed.searchParams.get('token');
  if (!token) throw new Error(`The host URL has no token: ${url}`);
  return {
    url,
    origin: parsed.origin,
    token,
    pid: child.pid!,
    kill: (signal: NodeJS.Signals = 'SIGKILL') => {
      child.kill(signal);
    },
    exited,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Raw call: returns the CallResult (ok or error) as the host sent it. */
export async function callApiResult<M extends MethodName>(
  origin: string,
  token: string,
  method: M,
  input: MethodInput<M>,
): Promise<CallResult<M>> {
  const res = await fetch(`${origin}/api/call`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ method, input }),
  });
  if (!(res.headers.get('content-type') ?? '').startsWith('application/json')) {
    throw new Error(`POST /api/call ${method}: HTTP ${res.status} ${await res.text()}`);
  }
  return (await res.json()) as CallResult<M>;
}

/** Calls one API method on a running host; throws an Error carrying the API error's code and message. */
export async function callApi<M extends MethodName>(
  origin: string,
  token: string,
  method: M,
  input: MethodInput<M>,
): Promise<MethodOutput<M>> {
  const result = await callApiResult(origin, token, method, input);
  if (!result.ok) {
    const err = new Error(`${method} failed: ${result.error.code}: ${result.error.message}`) as Error & { code: string };
    err.code = result.error.code;
    throw err;
  }
  return result.value;
}
