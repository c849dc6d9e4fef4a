/**
 * The browser-mode approval origin: it serves only the approval page, and its socket decides only
 * the one request whose id and one-time token it was opened with.
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { APPROVAL_ID_PREFIX, APPROVAL_TOKEN_PREFIX, APPROVAL_WS_PATH, APPROVAL_WS_PROTOCOL, readApprovalFragment } from '../preload/approval-web-bridge.ts';
import { type ApprovalServer, approvalCredentials, startApprovalServer } from './approval-web.ts';
import { type OpenApproval, ApprovalBroker } from './core/approvals/broker.ts';

let dir: string;
let server: ApprovalServer;
const opened: OpenApproval<unknown>[] = [];
const broker = new ApprovalBroker({ open: (a) => opened.push(a) });

function get(urlPath: string, host = `127.0.0.1:${server.port}`): Promise<{ status: number; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port: server.port, path: urlPath, headers: { host } }, (res) => {
        res.resume();
        resolve({ status: res.statusCode!, headers: res.headers });
      })
      .on('error', reject);
  });
}

function connect(id: string, token: string, origin = `http://127.0.0.1:${server.port}`): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}${APPROVAL_WS_PATH}`, [APPROVAL_WS_PROTOCOL, APPROVAL_ID_PREFIX + id, APPROVAL_TOKEN_PREFIX + token], { origin });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

let frameId = 0;
function call(ws: WebSocket, method: string, payload: unknown = {}): Promise<{ ok: boolean; result?: any; error?: { code: string; message: string } }> {
  const id = ++frameId;
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

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tapdesk-approval-'));
  await mkdir(path.join(dir, 'assets'));
  await writeFile(path.join(dir, 'approval.html'), '<!doctype html><title>approve</title>');
  await writeFile(path.join(dir, 'index.html'), '<!doctype html><title>app</title>');
  await writeFile(path.join(dir, 'assets', 'approval-1.js'), 'export {}');
  server = await startApprovalServer({ broker, rendererDir: dir });
});

afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

describe('approval origin: static files', () => {
  it('serves the approval page and its assets with the CSP, never the app page; checks Host', async () => {
    const page = await get('/approval.html');
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toContain(`connect-src ws://127.0.0.1:${server.port}`);
    expect((await get('/assets/approval-1.js')).status).toBe(200);
    expect((await get('/')).status).toBe(200);
    expect((await get('/index.html')).status).toBe(404);
    expect((await get('/approval.html', `localhost:${server.port}`)).status).toBe(403);
  });
});

describe('approval origin: the socket', () => {
  it('reads and approves its one request, with the PIN, once', async () => {
    const { id, decision } = broker.request('eth-transaction', { to: '0x1', valueEth: '0.5' }, true);
    const { token } = opened.at(-1)!;
    expect(readApprovalFragment(new URL(server.urlFor(id, token)).hash)).toEqual({ id, token });
    const ws = await connect(id, token);
    const view = await call(ws, 'approval.get');
    expect(view).toMatchObject({ ok: true, result: { id, kind: 'eth-transaction', view: { to: '0x1', valueEth: '0.5' }, needsPin: true } });
    expect(await call(ws, 'readers.list')).toMatchObject({ ok: false, error: { code: 'UNKNOWN_METHOD' } });
    expect(await call(ws, 'approval.approve', { pin: '12' })).toMatchObject({ ok: false, error: { code: 'INVALID_REQUEST' } });
    expect(await call(ws, 'approval.approve', { pin: '1234', extra: 1 })).toMatchObject({ ok: false, error: { code: 'INVALID_REQUEST' } });
    expect(await call(ws, 'approval.approve', { pin: '1234' })).toEqual({ ok: true, result: { done: true } });
    expect(await decision).toEqual({ approved: true, pin: '1234' });
    expect(await call(ws, 'approval.approve', { pin: '1234' })).toMatchObject({ ok: false, error: { code: 'CANCELLED' } });
    ws.close();
  });

  it('refuses a socket without the right token, from another origin, or for a decided request', async () => {
    const { id } = broker.request('btc-psbt', {}, true);
    const { token } = opened.at(-1)!;
    await expect(connect(id, 'a'.repeat(64))).rejects.toThrow('HTTP 401');
    await expect(connect(id, token, 'http://127.0.0.1:1')).rejects.toThrow('HTTP 403');
    const other = broker.request('btc-psbt', {}, true);
    await expect(connect(other.id, token)).rejects.toThrow('HTTP 401'); // a token is for one request
    const ws = await connect(id, token);
    expect(await call(ws, 'approval.reject')).toEqual({ ok: true, result: { done: true } });
    ws.close();
    await expect(connect(id, token)).rejects.toThrow('HTTP 401');
  });

  it('parses the credentials from the offered subprotocols only with ours among them', () => {
    const id = 'a'.repeat(32);
    const token = 'b'.repeat(64);
    expect(approvalCredentials(`${APPROVAL_WS_PROTOCOL}, id.${id}, token.${token}`)).toEqual({ id, token });
    expect(approvalCredentials(`tapdesk.v1, id.${id}, token.${token}`)).toBeNull();
    expect(approvalCredentials(`${APPROVAL_WS_PROTOCOL}, id.${id}, token.short`)).toBeNull();
  });
});
