/**
 * Browser mode's approval window (../shared/DESIGN.md "Approvals"): a second loopback origin (its
 * own port) that serves only the approval page and a WebSocket whose only methods are
 * approval.get / approval.approve / approval.reject for ONE request. The page is opened at
 * `http://127.0.0.1:PORT/approval.html#id=ID&token=TOKEN`: the id and the one-time token come from
 * the broker and are handed only to the window main opens (or to a test harness); the app's page
 * never sees them and, being another origin, cannot script this one.
 * Guards: Host is this exact address, Origin is this server, and every socket is bound to the
 * (id, token) pair the broker accepts at upgrade time and again on every message.
 */
import type http from 'node:http';
import { createServer } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { APPROVAL_ID_PREFIX, APPROVAL_TOKEN_PREFIX, APPROVAL_WS_PATH, APPROVAL_WS_PROTOCOL } from '../preload/approval-web-bridge.ts';
import type { ApprovalBroker } from './core/approvals/broker.ts';
import { approvalDispatch } from './ipc/approval-handlers.ts';
import { MAX_MESSAGE_BYTES, closeServers, hostAllowed, listenOnLoopback, originAllowed, serveStaticFile } from './web.ts';

export const APPROVAL_PAGE = 'approval.html';

export function approvalCsp(port: number): string {
  return `default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src ws://127.0.0.1:${port}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;
}

/** The approval origin serves its page and the built assets, nothing else (not the app's index.html). */
export function approvalPathAllowed(urlPath: string): boolean {
  return urlPath === `/${APPROVAL_PAGE}` || /^\/assets\/[\w.-]+\.(js|css)$/.test(urlPath);
}

/** `id.<32 hex>` and `token.<64 hex>` from the offered subprotocols, with ours among them. */
export function approvalCredentials(header: string | undefined): { id: string; token: string } | null {
  if (!header) return null;
  const offered = header.split(',').map((p) => p.trim());
  if (!offered.includes(APPROVAL_WS_PROTOCOL)) return null;
  const id = offered.find((p) => p.startsWith(APPROVAL_ID_PREFIX))?.slice(APPROVAL_ID_PREFIX.length);
  const token = offered.find((p) => p.startsWith(APPROVAL_TOKEN_PREFIX))?.slice(APPROVAL_TOKEN_PREFIX.length);
  return id && token && /^[0-9a-f]{32}$/.test(id) && /^[0-9a-f]{64}$/.test(token) ? { id, token } : null;
}

export interface ApprovalServer {
  readonly port: number;
  /** The address of the approval page for one request (id and token in the fragment). */
  urlFor(id: string, token: string): string;
  close(): Promise<void>;
}

export async function startApprovalServer(options: { readonly broker: ApprovalBroker; readonly rendererDir: string; readonly port?: number }): Promise<ApprovalServer> {
  const { broker } = options;
  let port = 0;
  const server = createServer((request, response) => {
    void serveStaticFile(request, response, { root: options.rendererDir, port, csp: approvalCsp(port), allow: approvalPathAllowed, index: APPROVAL_PAGE });
  });
  const sockets = new Set<WebSocket>();
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_MESSAGE_BYTES,
    handleProtocols: (protocols) => (protocols.has(APPROVAL_WS_PROTOCOL) ? APPROVAL_WS_PROTOCOL : false),
  });

  server.on('upgrade', (request: http.IncomingMessage, socket, head) => {
    const refuse = (status: number, why: string) => socket.end(`HTTP/1.1 ${status} ${why}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    if ((request.url ?? '').split('?')[0] !== APPROVAL_WS_PATH) return refuse(404, 'Not Found');
    if (!hostAllowed(request.headers.host, port) || !originAllowed(request.headers.origin, port)) return refuse(403, 'Forbidden');
    const credentials = approvalCredentials(request.headers['sec-websocket-protocol']);
    if (!credentials) return refuse(401, 'Unauthorized');
    try {
      broker.get(credentials.id, credentials.token);
    } catch {
      return refuse(401, 'Unauthorized');
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
      ws.on('message', (data, isBinary) => answer(ws, credentials, isBinary ? null : data.toString()));
    });
  });

  function answer(ws: WebSocket, credentials: { id: string; token: string }, text: string | null): void {
    let frame: { id?: unknown; method?: unknown; payload?: unknown } | null = null;
    try {
      frame = text === null ? null : JSON.parse(text);
    } catch {
      frame = null;
    }
    if (typeof frame !== 'object' || frame === null || typeof frame.id !== 'number') {
      ws.close(1003, 'malformed frame');
      return;
    }
    const envelope = approvalDispatch(broker, credentials, frame.method, frame.payload);
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ id: frame.id, envelope }));
  }

  port = await listenOnLoopback(server, options.port ?? 0);
  return {
    port,
    urlFor: (id, token) => `http://127.0.0.1:${port}/${APPROVAL_PAGE}#id=${id}&token=${token}`,
    close: () => closeServers(server, wss, sockets),
  };
}
