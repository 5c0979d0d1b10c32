// The Electron app: one locked-down window that loads the renderer from app://upframe/, the API over IPC
// (upframe:call / upframe:event), media on the upframe-media scheme, and the native open dialog.
import { existsSync, promises as fs, createReadStream } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { app, BrowserWindow, dialog, ipcMain, net, protocol, session, shell, type IpcMainInvokeEvent } from 'electron';
import { contentSecurityPolicy } from '../host/csp';
import { contentTypeFor, parseRange } from '../host/http-range';
import { dispatch } from '../services/dispatch';
import { MEDIA_SCHEME } from '../services/media-urls';
import { createServices, type Services } from '../services/services';
import { utilityProcessLauncher } from './engine-launcher';

const APP_SCHEME = 'app';
const APP_HOST = 'upframe';
const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}/`;
const APP_ROOT = path.resolve(__dirname, '..', '..', '..');
const RENDERER_DIR = path.join(APP_ROOT, 'dist', 'renderer');
const PRELOAD = path.join(APP_ROOT, 'dist', 'preload', 'preload.js');
const CSP = contentSecurityPolicy({ imgSrc: [`${MEDIA_SCHEME}:`], mediaSrc: [`${MEDIA_SCHEME}:`], connectSrc: [`${MEDIA_SCHEME}:`] });
const MEDIA_EXTENSIONS = ['mp4', 'm4v', 'mov', 'mkv', 'webm', 'avi', 'mts', 'm2ts', 'ts', 'mpg', 'mpeg', 'ogv', 'gif'];

// Schemes must be registered before the app is ready. Both are standard and secure (origin, fetch, storage
// like https); neither bypasses the CSP.
protocol.registerSchemesAsPrivileged([
  { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
  { scheme: MEDIA_SCHEME, privileges: { standard: true, secure: true, stream: true, supportFetchAPI: true, bypassCSP: false } },
]);

// Same override as the web host (tests and portable setups); must be set before the app is ready.
if (process.env.UPFRAME_USER_DATA) app.setPath('userData', path.resolve(process.env.UPFRAME_USER_DATA));

/** better-sqlite3 built for Electron's ABI by scripts/start.mjs (dev) or electron-builder (packaged). */
function electronNativeBinding(): string | undefined {
  const candidates = [
    path.join(APP_ROOT, '.cache', 'electron-native', 'better_sqlite3.node'),
    path.join(process.resourcesPath ?? '', 'app.asar.unpacked', 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node'),
  ];
  return candidates.find((file) => existsSync(file));
}

let mainWindow: BrowserWindow | null = null;
let services: Services | null = null;

function isAppFrame(event: IpcMainInvokeEvent): boolean {
  const frame = event.senderFrame;
  return frame !== null && frame === event.sender.mainFrame && frame.url.startsWith(APP_ORIGIN);
}

function withSecurityHeaders(response: Response, extra: Record<string, string> = {}): Response {
  const headers = new Headers(response.headers);
  headers.set('Content-Security-Policy', CSP);
  headers.set('X-Content-Type-Options', 'nosniff');
  for (const [name, value] of Object.entries(extra)) headers.set(name, value);
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

function textResponse(status: number, text: string): Response {
  return new Response(`${text}\n`, { status, headers: { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' } });
}

/** app://upframe/<path>: the renderer build, nothing outside it. */
async function serveRenderer(request: Request): Promise<Response> {
  const url = new URL(request.url);
  if (url.host !== APP_HOST) return textResponse(404, 'Not found.');
  let rel: string;
  try {
    rel = decodeURIComponent(url.pathname === '/' ? '/index.html' : url.pathname);
  } catch {
    return textResponse(400, 'Malformed path.');
  }
  const file = path.resolve(RENDERER_DIR, `.${rel}`);
  const inside = path.relative(RENDERER_DIR, file);
  if (inside.startsWith('..') || path.isAbsolute(inside)) return textResponse(404, 'Not found.');
  const stat = await fs.stat(file).catch(() => null);
  if (!stat?.isFile()) return textResponse(404, 'Not found.');
  const response = await net.fetch(pathToFileURL(file).toString());
  return withSecurityHeaders(response, { 'Content-Type': contentTypeFor(file) });
}

/** upframe-media://media/<id>, upframe-media://files/<token> (previews) and upframe-media://thumbs/<file>: only files services.authorizeFile accepts. */
async function serveMedia(request: Request): Promise<Response> {
  const svc = services;
  if (!svc) return textResponse(503, 'Upframe is starting.');
  const url = new URL(request.url);
  let file: string | null = null;
  try {
    if (url.host === 'media' && /^\/\d+$/.test(url.pathname)) file = svc.mediaFilePath(Number(url.pathname.slice(1)));
    else if (url.host === 'files' && /^\/[0-9a-f]{24}$/.test(url.pathname)) file = svc.servedFilePath(url.pathname.slice(1));
    else if (url.host === 'thumbs') file = svc.thumbnailFilePath(url.pathname.slice(1).split('/').map(decodeURIComponent).join(path.sep));
  } catch {
    return textResponse(400, 'Malformed path.');
  }
  if (!file || !svc.authorizeFile(file)) return textResponse(403, 'Not a file of the open project.');
  const stat = await fs.stat(file).catch(() => null);
  if (!stat?.isFile()) return textResponse(404, 'The file is gone.');
  const size = stat.size;
  const range = parseRange(request.headers.get('Range'), size);
  if (range === 'unsatisfiable') return new Response(null, { status: 416, headers: { 'Content-Range': `bytes */${size}` } });
  const start = range ? range.start : 0;
  const end = range ? range.end : size - 1;
  const headers: Record<string, string> = {
    'Content-Type': contentTypeFor(file),
    'Content-Length': String(Math.max(0, end - start + 1)),
    'Accept-Ranges': 'bytes',
    'X-Content-Type-Options': 'nosniff',
  };
  if (range) headers['Content-Range'] = `bytes ${start}-${end}/${size}`;
  const body = size === 0 ? null : (Readable.toWeb(createReadStream(file, { start, end })) as ReadableStream<Uint8Array>);
  return new Response(body, { status: range ? 206 : 200, headers });
}

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1440,
    height: 900,
    minWidth: 960,
    minHeight: 600,
    title: 'Upframe',
    backgroundColor: '#16171a',
    show: false,
    webPreferences: {
      preload: PRELOAD,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
    },
  });
  win.once('ready-to-show', () => win.show());
  win.webContents.on('will-navigate', (event, url) => {
    if (!url.startsWith(APP_ORIGIN)) event.preventDefault();
  });
  win.webContents.setWindowOpenHandler(({ url }) => {
    // Links to the web (help, licences) open in the user's browser; nothing opens inside the app.
    if (/^https?:\/\//.test(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  void win.loadURL(`${APP_ORIGIN}index.html`);
  return win;
}

async function openMediaDialog(): Promise<string[]> {
  const options: Electron.OpenDialogOptions = {
    title: 'Import media',
    properties: ['openFile', 'multiSelections'],
    filters: [
      { name: 'Video', extensions: MEDIA_EXTENSIONS },
      { name: 'All files', extensions: ['*'] },
    ],
  };
  const result = mainWindow ? await dialog.showOpenDialog(mainWindow, options) : await dialog.showOpenDialog(options);
  return result.canceled ? [] : result.filePaths;
}

async function chooseFolderDialog(): Promise<string | null> {
  const options: Electron.OpenDialogOptions = { title: 'Choose the output folder', properties: ['openDirectory', 'createDirectory'] };
  const result = mainWindow ? await dialog.showOpenDialog(mainWindow, options) : await dialog.showOpenDialog(options);
  return result.canceled ? null : (result.filePaths[0] ?? null);
}

async function start(): Promise<void> {
  await app.whenReady();
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.defaultSession.setPermissionCheckHandler(() => false);
  protocol.handle(APP_SCHEME, serveRenderer);
  protocol.handle(MEDIA_SCHEME, serveMedia);

  const svc = createServices({
    userDataDir: app.getPath('userData'),
    host: 'electron',
    nativeBinding: electronNativeBinding(),
    openDialog: openMediaDialog,
    chooseFolder: chooseFolderDialog,
    showInFolder: (file) => shell.showItemInFolder(file),
    engineLauncher: utilityProcessLauncher({ log: (message) => console.error(message) }),
    log: (message) => console.error(message),
  });
  services = svc;
  ipcMain.handle('upframe:call', async (event, method: unknown, input: unknown) => {
    if (!isAppFrame(event)) {
      return { ok: false, error: { code: 'FORBIDDEN', message: 'Calls are accepted from the Upframe window only.' } };
    }
    return dispatch(svc, method, input);
  });
  svc.subscribe((event) => {
    if (mainWindow && !mainWindow.isDestroyed()) mainWindow.webContents.send('upframe:event', event);
  });

  mainWindow = createWindow();
  mainWindow.on('closed', () => {
    mainWindow = null;
  });
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    if (!mainWindow) return;
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.focus();
  });
  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-attach-webview', (event) => event.preventDefault());
  });
  app.on('window-all-closed', () => app.quit());
  let closing = false;
  app.on('will-quit', (event) => {
    if (closing || !services) return;
    // Close the project store (finishing any edit in flight) before the process ends.
    event.preventDefault();
    closing = true;
    services
      .close()
      .catch((err) => console.error(`Closing the project failed: ${(err as Error).stack ?? err}`))
      .finally(() => app.quit());
  });
  start().catch((err) => {
    console.error(`Upframe could not start: ${(err as Error).stack ?? err}`);
    dialog.showErrorBox('Upframe could not start', String((err as Error).message ?? err));
    app.exit(1);
  });
}
