import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { Envelope, ReadersSnapshot } from '../preload/contract.ts';
import { TOKEN_PROTOCOL_PREFIX, WS_PATH, WS_PROTOCOL } from '../preload/web-bridge.ts';
import { type TapdeskCore, createCore } from './core/app-core.ts';
import { DEMO_READER_NAME } from './core/readers.ts';
import {
  type WebServer,
  browserModeCsp,
  hostAllowed,
  newToken,
  originAllowed,
  resolveStaticPath,
  startWebServer,
  tokenFromProtocols,
  tokensEqual,
} from './web.ts';

describe('browser-mode guards (pure)', () => {
  it('hostAllowed accepts only 127.0.0.1 on our port', () => {
    expect(hostAllowed('127.0.0.1:4000', 4000)).toBe(true);
    for (const host of [undefined, '', '127.0.0.1', '127.0.0.1:4001', 'localhost:4000', '[::1]:4000', 'evil.example:4000', '127.0.0.1:4000.evil', '127.0.0.1:04000']) {
      expect(hostAllowed(host, 4000)).toBe(false);
    }
  });

  it('originAllowed accepts only http://127.0.0.1 on our port', () => {
    expect(originAllowed('http://127.0.0.1:4000', 4000)).toBe(true);
    for (const origin of [undefined, 'null', 'http://localhost:4000', 'https://127.0.0.1:4000', 'http://127.0.0.1:4001', 'http://127.0.0.1:4000/', 'file://']) {
      expect(originAllowed(origin, 4000)).toBe(false);
    }
  });

  it('tokenFromProtocols reads the token only when our protocol is offered too', () => {
    expect(tokenFromProtocols(`${WS_PROTOCOL}, ${TOKEN_PROTOCOL_PREFIX}abc123`)).toBe('abc123');
    expect(tokenFromProtocols(`${TOKEN_PROTOCOL_PREFIX}abc123,${WS_PROTOCOL}`)).toBe('abc123');
    expect(tokenFromProtocols(`${TOKEN_PROTOCOL_PREFIX}abc123`)).toBeNull();
    expect(tokenFromProtocols(WS_PROTOCOL)).toBeNull();
    expect(tokenFromProtocols(undefined)).toBeNull();
    expect(tokenFromProtocols('')).toBeNull();
    expect(tokenFromProtocols(`${WS_PROTOCOL}, ${TOKEN_PROTOCOL_PREFIX}`)).toBe('');
  });

  it('tokensEqual compares exactly, null never matches', () => {
    const token = newToken();
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    expect(newToken()).not.toBe(token);
    expect(tokensEqual(token, token)).toBe(true);
    expect(tokensEqual(token, null)).toBe(false);
    expect(tokensEqual(token, '')).toBe(false);
    expect(tokensEqual(token, token.slice(0, -1))).toBe(false);
    expect(tokensEqual(token, token + '0')).toBe(false);
    expect(tokensEqual(token, token.toUpperCase())).toBe(false);
    expect(tokensEqual('', '')).toBe(true);
  });

  describe('resolveStaticPath', () => {
    const root = path.resolve('/srv/renderer');
    it.each([
      ['/', 'index.html'],
      ['', 'index.html'],
      ['/index.html', 'index.html'],
      ['/assets/app.js?v=3', 'assets/app.js'],
      ['/assets/app.js#x', 'assets/app.js'],
      ['/a%20b.css', 'a b.css'],
      ['//assets//x.js', 'assets/x.js'],
    ])('%j -> %s', (url, file) => {
      expect(resolveStaticPath(root, url)).toBe(path.join(root, file));
    });

    it.each([
      '/../etc/passwd',
      '/assets/../../etc/passwd',
      '/%2e%2e/etc/passwd',
      '/%2E%2E/%2E%2E/etc/passwd',
      '/assets/%2e%2e%2f%2e%2e%2fetc/passwd',
      '/..%2fetc/passwd',
      '/./index.html',
      '/..',
      '/%5c..%5cetc',
      '/assets\\..\\..\\etc',
      '/index.html%00.js',
      '/%E0%A4%A', // malformed escape
    ])('refuses %j', (url) => {
      expect(resolveStaticPath(root, url)).toBeNull();
    });
  });

  it('browserModeCsp is the DESIGN.md CSP plus exactly one WebSocket origin', () => {
    const csp = browserModeCsp(43210);
    const directives = new Map(
      csp.split(';').map((d) => {
        const [name, ...values] = d.trim().split(/\s+/);
        return [name!, values] as const;
      }),
    );
    expect(directives.get('default-src')).toEqual(["'none'"]);
    expect(directives.get('script-src')).toEqual(["'self'"]);
    expect(directives.get('style-src')).toEqual(["'self'"]);
    expect(directives.get('img-src')).toEqual(["'self'", 'data:']);
    expect(directives.get('connect-src')).toEqual(['ws://127.0.0.1:43210']);
    expect(directives.get('frame-ancestors')).toEqual(["'none'"]);
    expect(csp.match(/ws:\/\//g)?.length).toBe(1);
    expect(csp).not.toMatch(/unsafe|\*|https?:/);
  });
});

// ---------------------------------------------------------------------------------------------
// A real server over the real core with the in-process demo reader.

describe('the browser-mode server', () => {
  let dir: string;
  let core: TapdeskCore;
  let server: WebServer;
  const open = new Set<WebSocket>();

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'tapdesk-web-'));
    const renderer = path.join(dir, 'renderer');
    await mkdir(path.join(renderer, 'assets'), { recursive: true });
    await writeFile(path.join(renderer, 'index.html'), '<!doctype html><title>Tapdesk</title>');
    await writeFile(path.join(renderer, 'assets', 'app.js'), 'console.log(1)');
    await writeFile(path.join(dir, 'secret.txt'), 'TOP-SECRET-OUTSIDE-ROOT');
    core = await createCore({ mode: 'browser', pcsc: false, demo: 'on' });
    server = await startWebServer({ core, rendererDir: renderer });
  });

  afterAll(async () => {
    for (const ws of open) ws.terminate();
    await server?.close();
    await core?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const base = () => `http://127.0.0.1:${server.port}`;
  const wsUrl = () => `ws://127.0.0.1:${server.port}${WS_PATH}`;

  interface ConnectOptions {
    token?: string | null;
    origin?: string | null;
    host?: string;
    path?: string;
  }

  /** Connects; resolves with the open socket, or with the HTTP status the upgrade was refused with. */
  function connect(options: ConnectOptions = {}): Promise<{ ws: WebSocket } | { status: number }> {
    const token = options.token === undefined ? server.token : options.token;
    const protocols = token === null ? [WS_PROTOCOL] : [WS_PROTOCOL, TOKEN_PROTOCOL_PREFIX + token];
    const headers: Record<string, string> = {};
    if (options.host) headers.Host = options.host;
    const origin = options.origin === undefined ? base() : options.origin;
    const url = options.path ? `ws://127.0.0.1:${server.port}${options.path}` : wsUrl();
    const ws = new WebSocket(url, protocols, { headers, ...(origin === null ? {} : { origin }) });
    open.add(ws);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve({ ws }));
      ws.once('unexpected-response', (req, response) => {
        resolve({ status: response.statusCode ?? 0 });
        req.destroy();
      });
      ws.once('error', reject);
      ws.on('error', () => undefined);
    });
  }

  async function connected(): Promise<WebSocket> {
    const result = await connect();
    if (!('ws' in result)) throw new Error(`refused with ${result.status}`);
    expect(result.ws.protocol).toBe(WS_PROTOCOL);
    return result.ws;
  }

  function request(ws: WebSocket, id: number, method: unknown, payload?: unknown): Promise<Envelope<unknown>> {
    return new Promise((resolve) => {
      const onMessage = (data: WebSocket.RawData) => {
        const frame = JSON.parse(data.toString());
        if (frame.id !== id) return;
        ws.off('message', onMessage);
        resolve(frame.envelope);
      };
      ws.on('message', onMessage);
      ws.send(JSON.stringify({ id, method, payload }));
    });
  }

  function httpGet(urlPath: string, host?: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
    return new Promise((resolve, reject) => {
      const req = http.request(
        { host: '127.0.0.1', port: server.port, path: urlPath, method: 'GET', headers: host ? { Host: host } : {} },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk) => (body += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        },
      );
      req.on('error', reject);
      req.end();
    });
  }

  it('hands out a URL with the token in the fragment only', () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/#token=${server.token}`);
    expect(server.token).toMatch(/^[0-9a-f]{64}$/);
  });

  it('answers readers.list with the demo reader and its identified demo Satochip', async () => {
    const ws = await connected();
    let snapshot: ReadersSnapshot | undefined;
    const deadline = Date.now() + 5000;
    for (let id = 1; Date.now() < deadline; id += 1) {
      const envelope = await request(ws, id, 'readers.list', {});
      expect(envelope.ok).toBe(true);
      snapshot = (envelope as { ok: true; result: ReadersSnapshot }).result;
      if (snapshot.readers[0]?.card?.status === 'identified') break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(snapshot!.readers.map((r) => r.name)).toEqual([DEMO_READER_NAME]);
    const reader = snapshot!.readers[0]!;
    expect(reader.kind).toBe('demo');
    expect(reader.card).toMatchObject({ status: 'identified', family: 'satochip', product: 'Satochip' });
    expect(reader.card!.details).toMatchObject({ 'setup done': 'yes', seeded: 'yes' });
    expect(snapshot!.service).toBe('unavailable');
    ws.close();
  });

  it('app.info and card.identify work over the socket', async () => {
    const ws = await connected();
    const info = await request(ws, 1, 'app.info');
    expect(info).toMatchObject({ ok: true, result: { name: 'Tapdesk', mode: 'browser' } });
    const card = await request(ws, 2, 'card.identify', { reader: DEMO_READER_NAME });
    expect(card).toMatchObject({ ok: true, result: { status: 'identified', product: 'Satochip' } });
    const missing = await request(ws, 3, 'card.identify', { reader: 'No such reader' });
    expect(missing).toMatchObject({ ok: false, error: { code: 'NO_READER' } });
    ws.close();
  });

  it('an unknown method gets an UNKNOWN_METHOD envelope and the socket stays open', async () => {
    const ws = await connected();
    expect(await request(ws, 7, 'app.quit', {})).toMatchObject({ ok: false, error: { code: 'UNKNOWN_METHOD' } });
    expect(await request(ws, 8, undefined)).toMatchObject({ ok: false, error: { code: 'UNKNOWN_METHOD' } });
    expect(await request(ws, 9, 'readers.list', {})).toMatchObject({ ok: true });
    ws.close();
  });

  it.each<[string, string, unknown]>([
    ['unknown key', 'readers.list', { all: true }],
    ['empty reader', 'card.identify', { reader: '' }],
    ['reader of the wrong type', 'card.identify', { reader: 5 }],
    ['array payload', 'card.identify', ['x']],
  ])('a bad payload (%s) gets an INVALID_REQUEST envelope', async (_name, method, payload) => {
    const ws = await connected();
    expect(await request(ws, 1, method, payload)).toMatchObject({ ok: false, error: { code: 'INVALID_REQUEST' } });
    ws.close();
  });

  it.each([
    ['not JSON', '{nope'],
    ['no id', JSON.stringify({ method: 'readers.list' })],
    ['a string id', JSON.stringify({ id: '1', method: 'readers.list' })],
    ['a JSON array', '[1,2]'],
    ['JSON null', 'null'],
  ])('a malformed frame (%s) closes the socket with 1003', async (_name, text) => {
    const ws = await connected();
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    ws.send(text);
    expect(await closed).toBe(1003);
  });

  it('a binary frame closes the socket with 1003', async () => {
    const ws = await connected();
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    ws.send(Buffer.from(JSON.stringify({ id: 1, method: 'readers.list' })), { binary: true });
    expect(await closed).toBe(1003);
  });

  it('refuses a wrong token with 401', async () => {
    expect(await connect({ token: newToken() })).toEqual({ status: 401 });
    expect(await connect({ token: server.token.slice(0, -2) })).toEqual({ status: 401 });
  });

  it('refuses a missing token with 401', async () => {
    expect(await connect({ token: null })).toEqual({ status: 401 });
  });

  it('refuses a wrong or missing Origin with 403', async () => {
    expect(await connect({ origin: 'http://evil.example' })).toEqual({ status: 403 });
    expect(await connect({ origin: `http://localhost:${server.port}` })).toEqual({ status: 403 });
    expect(await connect({ origin: null })).toEqual({ status: 403 });
  });

  it('refuses a wrong Host header with 403 (DNS rebinding), on the socket and over HTTP', async () => {
    expect(await connect({ host: `evil.example:${server.port}` })).toEqual({ status: 403 });
    expect(await connect({ host: `localhost:${server.port}` })).toEqual({ status: 403 });
    const page = await httpGet('/', `evil.example:${server.port}`);
    expect(page.status).toBe(403);
    expect(page.body).not.toContain('Tapdesk');
  });

  it('refuses an upgrade on another path with 404', async () => {
    expect(await connect({ path: '/other' })).toEqual({ status: 404 });
  });

  it('serves the renderer with the CSP and nosniff headers', async () => {
    const page = await httpGet('/');
    expect(page.status).toBe(200);
    expect(page.body).toContain('<title>Tapdesk</title>');
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['content-security-policy']).toBe(browserModeCsp(server.port));
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    const script = await httpGet('/assets/app.js');
    expect(script.status).toBe(200);
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(script.headers['content-security-policy']).toBe(browserModeCsp(server.port));
  });

  it.each(['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt', '/nope.html', '/assets'])(
    'GET %s is 404 and leaks nothing',
    async (urlPath) => {
      const response = await httpGet(urlPath);
      expect(response.status).toBe(404);
      expect(response.body).not.toContain('TOP-SECRET');
      expect(response.headers['x-content-type-options']).toBe('nosniff');
    },
  );
});
