// The web host's entry: `node dist/main/host/serve.js [--user-data DIR] [--port N] [--no-open]`. Serves the
// editor on 127.0.0.1 and prints exactly one line `Upframe is running at <url>` (scripts and tests parse it).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { createServices } from '../services/services';
import { defaultUserDataDir } from './user-data-dir';
import { startWebHost } from './web-host';

const RENDERER_DIR = path.resolve(__dirname, '..', '..', 'renderer');

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError('a port is a whole number from 0 to 65535.');
  return port;
}

/** Opens the URL in the desktop's browser; where there is none, says how to open it by hand. */
function openInBrowser(url: string): void {
  const [command, args] =
    process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['cmd', ['/c', 'start', '""', url.replace(/&/g, '^&')]]
        : ['xdg-open', [url]];
  const hint = () => console.error('Could not open a browser here: open the URL above in your browser.');
  try {
    const child = spawn(command, args as string[], { stdio: 'ignore', detached: true });
    child.on('error', hint);
    child.on('exit', (code) => {
      if (code !== 0) hint();
    });
    child.unref();
  } catch {
    hint();
  }
}

async function main(): Promise<void> {
  const program = new Command()
    .name('upframe-web')
    .description('Serve the Upframe editor to your browser on 127.0.0.1, protected by a per-launch token.')
    .option('--user-data <dir>', 'folder for the recent-projects list and caches (default: UPFRAME_USER_DATA or the platform folder)')
    .option('--port <n>', 'port to listen on (0 picks a free one)', parsePort, 0)
    .option('--no-open', 'do not open a browser')
    .parse();
  const options = program.opts<{ userData?: string; port: number; open: boolean }>();

  if (!existsSync(path.join(RENDERER_DIR, 'index.html'))) {
    console.error(`The editor's build is missing (${RENDERER_DIR}): run \`npm run build\` first.`);
    process.exit(1);
  }
  const userDataDir = options.userData ? path.resolve(options.userData) : defaultUserDataDir();
  mkdirSync(userDataDir, { recursive: true });
  const services = createServices({ userDataDir, host: 'web', log: (message) => console.error(message) });
  const host = await startWebHost({ services, rendererDir: RENDERER_DIR, port: options.port });
  console.log(`Upframe is running at ${host.url}`);
  if (options.open) openInBrowser(host.url);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.error(`${signal}: closing Upframe.`);
    // Close the socket first so no edit starts, then the project (which finishes any edit in flight).
    host
      .close()
      .then(() => services.close())
      .then(
        () => process.exit(0),
        (err) => {
          console.error(`Upframe did not close cleanly: ${(err as Error).stack ?? err}`);
          process.exit(1);
        },
      );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err) => {
  console.error(`Upframe could not start: ${(err as Error).stack ?? err}`);
  process.exit(1);
});
