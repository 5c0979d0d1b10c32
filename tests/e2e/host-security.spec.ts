// The local web host's guard rails, against the real host process and the system Chromium: the launch token on
// every request and socket, the Host and Origin checks, and that only the open project's files are served.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import NodeWebSocket from 'ws';
import { callApi, startHostProcess, type HostProcess } from '../helpers/host';
import { makeTempDir, makeTestVideo } from '../helpers/media-fixtures';

type RawResponse = { status: number; headers: http.IncomingHttpHeaders; body: Buffer };

/** A request with exactly this path and these headers (fetch would normalise ../ and refuse to set Host). */
function rawRequest(origin: string, rawPath: string, headers: Record<string, string> = {}, method = 'GET', body?: string): Promise<RawResponse> {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve, reject) => {
    const req = http.request({ hostname, port, path: rawPath, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function socketOutcome(url: string, headers: Record<string, string>): Promise<{ opened: true; ws: NodeWebSocket } | { opened: false; status: number }> {
  return new Promise((resolve, reject) => {
    const ws = new NodeWebSocket(url, { headers });
    ws.once('open', () => resolve({ opened: true, ws }));
    ws.once('unexpected-response', (_req, res) => resolve({ opened: false, status: res.statusCode! }));
    ws.once('error', (err) => reject(err));
  });
}

test.describe('web host security', () => {
  const tmp = makeTempDir('upframe-host-security-');
  let host: HostProcess;
  let video: string;
  let mediaId: number;
  let auth: Record<string, string>;

  test.beforeAll(async () => {
    host = await startHostProcess({ userDataDir: path.join(tmp.dir, 'user-data') });
    auth = { Authorization: `Bearer ${host.token}` };
    video = makeTestVideo(tmp.dir, { name: 'clip', width: 160, height: 120, fps: 24, durationSec: 1 });
    await callApi(host.origin, host.token, 'project.create', { path: path.join(tmp.dir, 'security.upframe') });
    mediaId = (await callApi(host.origin, host.token, 'media.import', { paths: [video] })).imported[0].id;
  });

  test.afterAll(async () => {
    await host?.stop();
    tmp.cleanup();
  });

  test('refuses requests without the token or with a wrong one', async () => {
    const call = JSON.stringify({ method: 'app.info', input: {} });
    const json = { 'Content-Type': 'application/json' };
    const attempts: Record<string, string>[] = [{}, { Authorization: 'Bearer wrong' }, { Cookie: 'upframe_token=wrong' }, { Authorization: `Bearer ${host.token}x` }];
    for (const headers of attempts) {
      const api = await rawRequest(host.origin, '/api/call', { ...json, ...headers }, 'POST', call);
      expect(api.status).toBe(401);
      expect(api.body.toString()).toMatch(/token/i);
      expect((await rawRequest(host.origin, '/', headers)).status).toBe(401);
      expect((await rawRequest(host.origin, '/index.html', headers)).status).toBe(401);
      expect((await rawRequest(host.origin, `/media/${mediaId}`, headers)).status).toBe(401);
    }
    expect((await rawRequest(host.origin, '/?token=wrong')).status).toBe(401);
    // And with it, the same call succeeds.
    const ok = await rawRequest(host.origin, '/api/call', { ...json, ...auth }, 'POST', call);
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body.toString())).toMatchObject({ ok: true, value: { host: 'web' } });
  });

  test('refuses a Host header of another name, even with the token (DNS rebinding)', async () => {
    const port = new URL(host.origin).port;
    for (const name of [`evil.example:${port}`, 'evil.example', `127.0.0.1:${Number(port) + 1}`]) {
      const res = await rawRequest(host.origin, '/', { ...auth, Host: name });
      expect(res.status).toBe(403);
    }
    expect((await rawRequest(host.origin, '/', { ...auth, Host: `localhost:${port}` })).status).toBe(200);
  });

  test('refuses calls from another origin', async () => {
    const res = await rawRequest(
      host.origin,
      '/api/call',
      { ...auth, 'Content-Type': 'application/json', Origin: 'http://evil.example' },
      'POST',
      JSON.stringify({ method: 'app.info', input: {} }),
    );
    expect(res.status).toBe(403);
  });

  test('serves only the open project files', async () => {
    const refused = [
      '/media/9999',
      '/media/../../etc/passwd',
      '/media/%2e%2e%2f%2e%2e%2fetc%2fpasswd',
      '/thumbs/../../etc/passwd',
      '/thumbs/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd',
      `/thumbs/${encodeURIComponent('/etc/passwd')}`,
      `/thumbs/${encodeURIComponent(video)}`,
      `/media/${encodeURIComponent(video)}`,
      '/%2e%2e/%2e%2e/etc/passwd',
      '/etc/passwd',
      `/${encodeURIComponent(video)}`,
    ];
    for (const p of refused) {
      const res = await rawRequest(host.origin, p, auth);
      expect([403, 404], p).toContain(res.status);
      expect(res.body.toString(), p).not.toContain('root:');
    }
    // A real thumbnail is served.
    const { urls } = await callApi(host.origin, host.token, 'media.thumbnails', { mediaId, frames: [0], height: 32 });
    const thumb = await rawRequest(host.origin, urls[0]!, auth);
    expect(thumb.status).toBe(200);
    expect(thumb.headers['content-type']).toBe('image/jpeg');
  });

  test('streams media with Range requests', async () => {
    const bytes = readFileSync(video);
    const { url } = await callApi(host.origin, host.token, 'media.url', { mediaId });
    const partial = await rawRequest(host.origin, url, { ...auth, Range: 'bytes=100-1099' });
    expect(partial.status).toBe(206);
    expect(partial.headers['content-range']).toBe(`bytes 100-1099/${bytes.length}`);
    expect(partial.headers['accept-ranges']).toBe('bytes');
    expect(partial.headers['content-type']).toBe('video/mp4');
    expect(partial.body.equals(bytes.subarray(100, 1100))).toBe(true);

    const tail = await rawRequest(host.origin, url, { ...auth, Range: 'bytes=-10' });
    expect(tail.status).toBe(206);
    expect(tail.body.equals(bytes.subarray(bytes.length - 10))).toBe(true);

    const whole = await rawRequest(host.origin, url, auth);
    expect(whole.status).toBe(200);
    expect(whole.body.equals(bytes)).toBe(true);

    const beyond = await rawRequest(host.origin, url, { ...auth, Range: `bytes=${bytes.length + 10}-` });
    expect(beyond.status).toBe(416);
  });

  test('guards the event socket with the token, the Host and the Origin', async () => {
    const wsUrl = `${host.origin.replace('http', 'ws')}/api/events`;
    expect(await socketOutcome(wsUrl, {})).toEqual({ opened: false, status: 401 });
    expect(await socketOutcome(wsUrl, { Authorization: 'Bearer wrong' })).toEqual({ opened: false, status: 401 });
    expect(await socketOutcome(wsUrl, { ...auth, Origin: 'http://evil.example' })).toEqual({ opened: false, status: 403 });
    const good = await socketOutcome(wsUrl, { ...auth, Origin: host.origin });
    expect(good.opened).toBe(true);
    if (!good.opened) return;
    const message = new Promise<string>((resolve) => good.ws.once('message', (data) => resolve(String(data))));
    const state = await callApi(host.origin, host.token, 'timeline.addTrack', {});
    expect(JSON.parse(await message)).toEqual({ event: 'project.changed', payload: { revision: state.revision } });
    good.ws.close();
  });

  test('the page loads with the token in Chromium, and the cookie authorises what follows', async ({ page }) => {
    const cspViolations: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
    });
    await page.goto(host.url);
    // The token is traded for an HttpOnly cookie and dropped from the address bar.
    expect(page.url()).toBe(`${host.origin}/`);
    await expect(page.locator('#root')).not.toBeEmpty();
    expect(await page.evaluate(() => document.cookie)).not.toContain('upframe_token');
    const cookies = await page.context().cookies(host.origin);
    expect(cookies.find((c) => c.name === 'upframe_token')).toMatchObject({ httpOnly: true, sameSite: 'Strict', value: host.token });

    const result = await page.evaluate(async () => {
      const res = await fetch('/api/call', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ method: 'app.info', input: {} }),
      });
      return { status: res.status, body: await res.json() };
    });
    expect(result).toMatchObject({ status: 200, body: { ok: true, value: { host: 'web' } } });
    const media = await page.evaluate(async (id) => (await fetch(`/media/${id}`, { headers: { Range: 'bytes=0-3' } })).status, mediaId);
    expect(media).toBe(206);
    const socketOpens = await page.evaluate(
      () =>
        new Promise<boolean>((resolve) => {
          const ws = new WebSocket(`ws://${location.host}/api/events`);
          ws.onopen = () => {
            ws.close();
            resolve(true);
          };
          ws.onerror = () => resolve(false);
        }),
    );
    expect(socketOpens).toBe(true);
    // The renderer runs under the strict policy without tripping it.
    expect(cspViolations).toEqual([]);

    // A fresh browser context without the cookie is refused.
    const stranger = await page.context().browser()!.newContext();
    const strangerPage = await stranger.newPage();
    const res = await strangerPage.goto(`${host.origin}/`);
    expect(res!.status()).toBe(401);
    await stranger.close();
  });
});
