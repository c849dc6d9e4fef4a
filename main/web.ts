/**
 * Browser mode: the renderer served on 127.0.0.1 and the one handler table carried over a
 * loopback WebSocket. Guards: a random per-launch token (offered by the page as a WebSocket
 * subprotocol, learnt from the URL fragment main hands out), the Host header must be this exact
 * loopback address (DNS rebinding), and the Origin of the WebSocket must be this server.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { TOKEN_PROTOCOL_PREFIX, WS_PATH, WS_PROTOCOL } from '../preload/web-bridge.ts';
import type { TapdeskCore } from './core/app-core.ts';
import { createHandlers, dispatch } from './ipc/handlers.ts';

export const MAX_MESSAGE_BYTES = 64 * 1024;

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

export function newToken(): string {
  return randomBytes(32).toString('hex');
}

/** The CSP of DESIGN.md plus the one WebSocket this page may open. */
export function browserModeCsp(port: number): string {
  return `default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src ws://127.0.0.1:${port}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;
}

/** Starts `server` on 127.0.0.1 (`port` 0: any free port) and gives the port it got. */
export async function listenOnLoopback(server: http.Server, port = 0): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

/** Ends every socket, the WebSocket server and the HTTP server (keep-alive connections too). */
export async function closeServers(server: http.Server, wss: WebSocketServer, sockets: Iterable<WebSocket>): Promise<void> {
  for (const ws of sockets) ws.terminate();
  wss.close();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

export function hostAllowed(host: string | undefined, port: number): boolean {
  return host === `127.0.0.1:${port}`;
}

export function originAllowed(origin: string | undefined, port: number): boolean {
  return origin === `http://127.0.0.1:${port}`;
}

/** The token from a `Sec-WebSocket-Protocol` header, if it offers ours. */
export function tokenFromProtocols(header: string | undefined): string | null {
  if (!header) return null;
  const offered = header.split(',').map((p) => p.trim());
  if (!offered.includes(WS_PROTOCOL)) return null;
  const token = offered.find((p) => p.startsWith(TOKEN_PROTOCOL_PREFIX));
  return token ? token.slice(TOKEN_PROTOCOL_PREFIX.length) : null;
}

export function tokensEqual(expected: string, given: string | null): boolean {
  if (given === null) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Map a URL path onto a file under `root`; null for anything outside it or odd. */
export function resolveStaticPath(root: string, urlPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath.split('?')[0]!.split('#')[0]!);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  if (decoded === '/' || decoded === '') decoded = '/index.html';
  const segments = decoded.split('/').filter(Boolean);
  if (segments.some((s) => s === '..' || s === '.')) return null;
  const resolved = path.resolve(root, ...segments);
  const base = path.resolve(root);
  if (resolved !== base && !resolved.startsWith(base + path.sep)) return null;
  return resolved;
}

/**
 * One GET/HEAD of a file under `root` with the security headers, for a loopback server on `port`
 * (Host checked). `allow` narrows which paths this origin serves.
 */
export async function serveStaticFile(
  request: http.IncomingMessage,
  response: http.ServerResponse,
  options: { readonly root: string; readonly port: number; readonly csp: string; readonly allow?: (urlPath: string) => boolean; readonly index?: string },
): Promise<void> {
  const headers: http.OutgoingHttpHeaders = {
    'Content-Security-Policy': options.csp,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Cache-Control': 'no-store',
  };
  if (!hostAllowed(request.headers.host, options.port)) {
    response.writeHead(403, { ...headers, 'Content-Type': 'text/plain' }).end('forbidden host');
    return;
  }
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405, { ...headers, Allow: 'GET, HEAD' }).end();
    return;
  }
  const urlPath = (request.url ?? '/').split('?')[0]!.split('#')[0]!;
  const wanted = urlPath === '/' && options.index ? `/${options.index}` : urlPath;
  const file = options.allow && !options.allow(wanted) ? null : resolveStaticPath(options.root, wanted);
  const info = file ? await stat(file).catch(() => null) : null;
  if (!file || !info?.isFile()) {
    response.writeHead(404, { ...headers, 'Content-Type': 'text/plain' }).end('not found');
    return;
  }
  const type = MIME[path.extname(file)] ?? 'application/octet-stream';
  response.writeHead(200, { ...headers, 'Content-Type': type, 'Content-Length': info.size });
  if (request.method === 'HEAD') response.end();
  else createReadStream(file).pipe(response);
}

export interface WebServerOptions {
  readonly core: TapdeskCore;
  readonly rendererDir: string;
  readonly port?: number;
  readonly token?: string;
}

export interface WebServer {
  readonly port: number;
  readonly token: string;
  /** The address to open, token in the fragment. */
  readonly url: string;
  close(): Promise<void>;
}

export async function startWebServer(options: WebServerOptions): Promise<WebServer> {
  const token = options.token ?? newToken();
  const handlers = createHandlers(options.core);
  let port = 0;

  const server = http.createServer((request, response) => {
    void serveStatic(request, response);
  });

  async function serveStatic(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    await serveStaticFile(request, response, { root: options.rendererDir, port, csp: browserModeCsp(port) });
  }

  const sockets = new Set<WebSocket>();
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_MESSAGE_BYTES,
    handleProtocols: (protocols) => (protocols.has(WS_PROTOCOL) ? WS_PROTOCOL : false),
  });

  server.on('upgrade', (request, socket, head) => {
    const refuse = (status: number, why: string) => {
      socket.end(`HTTP/1.1 ${status} ${why}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    const urlPath = (request.url ?? '').split('?')[0];
    if (urlPath !== WS_PATH) return refuse(404, 'Not Found');
    if (!hostAllowed(request.headers.host, port)) return refuse(403, 'Forbidden');
    if (!originAllowed(request.headers.origin, port)) return refuse(403, 'Forbidden');
    if (!tokensEqual(token, tokenFromProtocols(request.headers['sec-websocket-protocol']))) return refuse(401, 'Unauthorized');
    wss.handleUpgrade(request, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
      ws.on('message', (data, isBinary) => {
        void answer(ws, isBinary ? null : data.toString());
      });
    });
  });

  async function answer(ws: WebSocket, text: string | null): Promise<void> {
    let frame: unknown;
    try {
      frame = text === null ? null : JSON.parse(text);
    } catch {
      frame = null;
    }
    if (typeof frame !== 'object' || frame === null || typeof (frame as { id?: unknown }).id !== 'number') {
      ws.close(1003, 'malformed frame');
      return;
    }
    const { id, method, payload } = frame as { id: number; method?: unknown; payload?: unknown };
    const envelope = await dispatch(handlers, method, payload);
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ id, envelope }));
  }

  const broadcastEvent = (event: string, payload: unknown) => {
    const frame = JSON.stringify({ event, payload });
    for (const ws of sockets) if (ws.readyState === ws.OPEN) ws.send(frame);
  };
  const offReaders = options.core.readers.onChange((snapshot) => broadcastEvent('readers.changed', snapshot));
  const offProgress = options.core.wallets.onProgress((progress) => broadcastEvent('signing.progress', progress));
  const offKeycard = options.core.keycard.onProgress((progress) => broadcastEvent('keycard.newWallet.progress', progress));
  const unsubscribe = () => {
    offReaders();
    offProgress();
    offKeycard();
  };

  port = await listenOnLoopback(server, options.port ?? 0);

  return {
    port,
    token,
    url: `http://127.0.0.1:${port}/#token=${token}`,
    close: async () => {
      unsubscribe();
      await closeServers(server, wss, sockets);
    },
  };
}
