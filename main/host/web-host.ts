// The local web host: serves the renderer, the API (POST /api/call), the event socket (/api/events), media
// (/media/<id>, with Range) and thumbnails (/thumbs/<file>) on 127.0.0.1 only, to holders of the launch token.
import { createReadStream, promises as fs } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { WebSocketServer, type WebSocket } from 'ws';
import type { AnyEvent } from '../common/api';
import { dispatch } from '../services/dispatch';
import type { Services } from '../services/services';
import { newToken, requestToken, tokenCookie, tokensEqual } from './auth';
import { contentSecurityPolicy } from './csp';
import { contentTypeFor, parseRange } from './http-range';

export type WebHostOptions = {
  services: Services;
  /** The renderer build (dist/renderer). */
  rendererDir: string;
  host?: '127.0.0.1';
  /** 0 (the default) picks a free port. */
  port?: number;
  token?: string;
};

export type WebHost = {
  /** Opens the editor: includes the token. */
  url: string;
  origin: string;
  token: string;
  port: number;
  close(): Promise<void>;
};

const MAX_BODY_BYTES = 8 * 1024 * 1024;
const PING_EVERY_MS = 30_000;

export async function startWebHost(opts: WebHostOptions): Promise<WebHost> {
  const { services } = opts;
  const bindHost = opts.host ?? '127.0.0.1';
  const token = opts.token ?? newToken();
  const rendererDir = path.resolve(opts.rendererDir);
  let port = 0;
  let csp = '';
  const allowedHosts = () => [`127.0.0.1:${port}`, `localhost:${port}`];
  const allowedOrigins = () => allowedHosts().map((h) => `http://${h}`);

  const server = http.createServer((req, res) => {
    handleRequest(req, res).catch((err) => {
      services.log(`web host: ${req.method} ${req.url} failed: ${(err as Error).stack ?? err}`);
      if (!res.headersSent) sendText(res, 500, 'Upframe hit an internal error; see the terminal it runs in.');
      else res.destroy(err as Error);
    });
  });

  function commonHeaders(res: ServerResponse): void {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Content-Security-Policy', csp);
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    res.setHeader('X-Frame-Options', 'DENY');
  }

  async function handleRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    commonHeaders(res);
    // DNS-rebinding guard: a page on another name that resolves to 127.0.0.1 must not reach the host.
    if (!allowedHosts().includes(req.headers.host ?? '')) {
      return sendText(res, 403, `Upframe only answers requests addressed to 127.0.0.1:${port} or localhost:${port}.`);
    }
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    const queryToken = url.searchParams.get('token');
    if (queryToken !== null && (req.method === 'GET' || req.method === 'HEAD')) {
      if (!tokensEqual(queryToken, token)) return refuse(res, 'The token in this link is wrong (Upframe was restarted?).');
      // Trade the token in the URL for a cookie, and drop it from the address bar and history.
      url.searchParams.delete('token');
      res.setHeader('Set-Cookie', tokenCookie(token));
      res.setHeader('Cache-Control', 'no-store');
      res.writeHead(302, { Location: url.pathname + url.search });
      res.end();
      return;
    }
    const given = requestToken(req);
    if (given === null) return refuse(res, 'Upframe needs the link with its token: open the URL printed in the terminal where it runs.');
    if (!tokensEqual(given, token)) return refuse(res, 'Wrong token: open the URL printed in the terminal where Upframe runs.');

    const pathname = url.pathname;
    if (pathname === '/api/call') return handleCall(req, res);
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendText(res, 405, `${req.method} is not supported here.`);
    if (pathname.startsWith('/media/')) return handleMedia(req, res, pathname.slice('/media/'.length));
    if (pathname.startsWith('/thumbs/')) return handleThumbnail(req, res, pathname.slice('/thumbs/'.length));
    if (pathname.startsWith('/files/')) return handleServedFile(req, res, pathname.slice('/files/'.length));
    if (pathname === '/api/events') return sendText(res, 426, 'This is the event socket: connect with a WebSocket.');
    return handleStatic(req, res, pathname);
  }

  async function handleCall(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST') return sendText(res, 405, 'POST a JSON body {method, input} to /api/call.');
    // A cross-site form cannot send JSON without a preflight, and a browser states its origin: check both.
    const origin = req.headers.origin;
    if (origin !== undefined && !allowedOrigins().includes(origin)) return sendText(res, 403, `Requests from ${origin} are not allowed.`);
    if (!(req.headers['content-type'] ?? '').toLowerCase().startsWith('application/json')) {
      return sendText(res, 415, 'Send the call as application/json.');
    }
    let body: { method?: unknown; input?: unknown };
    try {
      body = JSON.parse(await readBody(req, MAX_BODY_BYTES));
    } catch (err) {
      return sendJson(res, 400, { ok: false, error: { code: 'BAD_REQUEST', message: `The call body is not valid JSON: ${(err as Error).message}` } });
    }
    if (typeof body !== 'object' || body === null) {
      return sendJson(res, 400, { ok: false, error: { code: 'BAD_REQUEST', message: 'The call body must be an object {method, input}.' } });
    }
    sendJson(res, 200, await dispatch(services, body.method, body.input));
  }

  async function handleMedia(req: IncomingMessage, res: ServerResponse, rest: string): Promise<void> {
    if (!/^\d+$/.test(rest)) return sendText(res, 404, 'No such media.');
    const file = services.mediaFilePath(Number(rest));
    if (!file) return sendText(res, 404, `The open project has no media ${rest} online.`);
    if (!services.authorizeFile(file)) return sendText(res, 403, 'This file is not part of the open project.');
    return sendFile(req, res, file, { range: true });
  }

  async function handleThumbnail(req: IncomingMessage, res: ServerResponse, rest: string): Promise<void> {
    let rel: string;
    try {
      rel = rest.split('/').map(decodeURIComponent).join(path.sep);
    } catch {
      return sendText(res, 400, 'Malformed thumbnail path.');
    }
    const file = services.thumbnailFilePath(rel);
    if (!file || !services.authorizeFile(file)) return sendText(res, 403, 'Not a thumbnail of the open project.');
    res.setHeader('Cache-Control', 'private, max-age=31536000, immutable');
    return sendFile(req, res, file, { range: false });
  }

  /** Preview videos and other files a service handed out under a token. */
  async function handleServedFile(req: IncomingMessage, res: ServerResponse, token: string): Promise<void> {
    const file = /^[0-9a-f]{24}$/.test(token) ? services.servedFilePath(token) : null;
    if (!file || !services.authorizeFile(file)) return sendText(res, 404, 'No such file (it was replaced or the cache was cleared).');
    return sendFile(req, res, file, { range: true });
  }

  async function handleStatic(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
    let rel: string;
    try {
      rel = decodeURIComponent(pathname === '/' ? '/index.html' : pathname);
    } catch {
      return sendText(res, 400, 'Malformed path.');
    }
    const file = path.resolve(rendererDir, `.${rel}`);
    const inside = path.relative(rendererDir, file);
    if (rel.includes('\0') || inside.startsWith('..') || path.isAbsolute(inside)) return sendText(res, 404, 'Not found.');
    const stat = await fs.stat(file).catch(() => null);
    if (!stat?.isFile()) return sendText(res, 404, 'Not found.');
    res.setHeader('Cache-Control', file.endsWith('.html') ? 'no-cache' : 'private, max-age=3600');
    return sendFile(req, res, file, { range: false });
  }

  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  const alive = new WeakMap<WebSocket, boolean>();
  server.on('upgrade', (req, socket, head) => {
    const reject = (status: number, text: string) => {
      socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n${text}\n`);
    };
    if (!allowedHosts().includes(req.headers.host ?? '')) return reject(403, 'Unexpected Host header.');
    const origin = req.headers.origin;
    // Browsers always send Origin on a WebSocket: refuse pages of any other origin. Non-browser clients
    // (tests, tools) send none and are authorised by the token alone.
    if (origin !== undefined && !allowedOrigins().includes(origin)) return reject(403, `Sockets from ${origin} are not allowed.`);
    const given = requestToken(req);
    if (given === null || !tokensEqual(given, token)) return reject(401, 'Upframe needs its token on the event socket.');
    if (new URL(req.url ?? '/', 'http://127.0.0.1').pathname !== '/api/events') return reject(404, 'Not found.');
    wss.handleUpgrade(req, socket, head, (ws) => {
      alive.set(ws, true);
      ws.on('pong', () => alive.set(ws, true));
      ws.on('error', (err) => services.log(`event socket error: ${err.message}`));
      wss.emit('connection', ws, req);
    });
  });
  const pinger = setInterval(() => {
    for (const ws of wss.clients) {
      if (!alive.get(ws)) {
        ws.terminate();
        continue;
      }
      alive.set(ws, false);
      ws.ping();
    }
  }, PING_EVERY_MS);
  pinger.unref();
  const unsubscribe = services.subscribe((event: AnyEvent) => {
    const text = JSON.stringify(event);
    for (const ws of wss.clients) if (ws.readyState === ws.OPEN) ws.send(text);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, bindHost, () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  csp = contentSecurityPolicy({ connectSrc: [`ws://127.0.0.1:${port}`, `ws://localhost:${port}`] });
  const origin = `http://127.0.0.1:${port}`;

  return {
    url: `${origin}/?token=${token}`,
    origin,
    token,
    port,
    async close() {
      clearInterval(pinger);
      unsubscribe();
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

function refuse(res: ServerResponse, why: string): void {
  sendText(res, 401, why);
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(`${text}\n`);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(body);
}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new Error(`the body is larger than ${limit} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

async function sendFile(req: IncomingMessage, res: ServerResponse, file: string, opts: { range: boolean }): Promise<void> {
  const stat = await fs.stat(file).catch(() => null);
  if (!stat?.isFile()) return sendText(res, 404, 'The file is gone.');
  const size = stat.size;
  res.setHeader('Content-Type', contentTypeFor(file));
  res.setHeader('Last-Modified', stat.mtime.toUTCString());
  if (opts.range) res.setHeader('Accept-Ranges', 'bytes');
  const range = opts.range ? parseRange(req.headers.range, size) : null;
  if (range === 'unsatisfiable') {
    res.writeHead(416, { 'Content-Range': `bytes */${size}`, 'Content-Type': 'text/plain; charset=utf-8' });
    res.end('Requested range not satisfiable.\n');
    return;
  }
  const start = range ? range.start : 0;
  const end = range ? range.end : size - 1;
  if (range) res.setHeader('Content-Range', `bytes ${start}-${end}/${size}`);
  res.writeHead(range ? 206 : 200, { 'Content-Length': String(Math.max(0, end - start + 1)) });
  if (req.method === 'HEAD' || size === 0) {
    res.end();
    return;
  }
  try {
    await pipeline(createReadStream(file, { start, end }), res);
  } catch (err) {
    // A player that seeks closes its previous request mid-stream: that is normal, not an error.
    if ((err as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE') throw err;
  }
}
