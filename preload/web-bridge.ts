/**
 * Browser mode's bridge: the same `TapdeskApi`, carried over a token-guarded loopback WebSocket
 * instead of Electron IPC. The page learns the per-launch token from its URL fragment
 * (`#token=...`, never sent to a server), removes it from the address bar, and offers it as a
 * WebSocket subprotocol (`tapdesk.v1`, `token.<hex>`). Main checks Host, Origin and the token.
 *
 * Wire format (JSON text frames):
 *   page -> main  { id, method, payload }
 *   main -> page  { id, envelope }            the answer to request `id`
 *   main -> page  { event, payload }          a pushed event
 */
import { type BridgeTransport, type EventName, type TapdeskApi, BridgeError, createTapdeskApi } from './contract.ts';

export const WS_PATH = '/bridge';
export const WS_PROTOCOL = 'tapdesk.v1';
export const TOKEN_PROTOCOL_PREFIX = 'token.';

export function readTokenFromFragment(hash: string): string | null {
  const match = /(?:^#|&)token=([0-9a-f]{32,128})(?:&|$)/.exec(hash);
  return match ? match[1]! : null;
}

/** A JSON-frame WebSocket transport for any method table (the app's, or the approval window's). */
export interface JsonSocketTransport extends BridgeTransport {
  invoke(method: string, payload: unknown): Promise<unknown>;
}

/** A JSON-frame WebSocket transport; `protocols` carry the protocol name and the credentials. */
export function createWebSocketTransport(url: string, protocols: readonly string[]): JsonSocketTransport {
  let nextId = 1;
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: unknown) => void }>();
  const listeners = new Map<EventName, Set<(payload: unknown) => void>>();
  let socket: WebSocket | null = null;
  let opening: Promise<WebSocket> | null = null;

  const open = (): Promise<WebSocket> => {
    if (socket && socket.readyState === WebSocket.OPEN) return Promise.resolve(socket);
    if (opening) return opening;
    opening = new Promise<WebSocket>((resolve, reject) => {
      const ws = new WebSocket(url, [...protocols]);
      ws.onopen = () => {
        socket = ws;
        opening = null;
        resolve(ws);
      };
      ws.onerror = () => {
        opening = null;
        reject(new BridgeError('FORBIDDEN', 'cannot reach the Tapdesk main process'));
      };
      ws.onclose = () => {
        socket = null;
        for (const [, p] of pending) p.reject(new BridgeError('INTERNAL', 'connection to the main process closed'));
        pending.clear();
        // Reconnect so that events keep flowing (main may restart its socket).
        if (listeners.size > 0) setTimeout(() => void open().catch(() => undefined), 500);
      };
      ws.onmessage = (message) => {
        let frame: { id?: number; envelope?: unknown; event?: EventName; payload?: unknown };
        try {
          frame = JSON.parse(String(message.data));
        } catch {
          return;
        }
        if (typeof frame.id === 'number') {
          const entry = pending.get(frame.id);
          pending.delete(frame.id);
          entry?.resolve(frame.envelope);
        } else if (typeof frame.event === 'string') {
          for (const listener of listeners.get(frame.event) ?? []) listener(frame.payload);
        }
      };
    });
    return opening;
  };

  return {
    async invoke(method: string, payload: unknown) {
      const ws = await open();
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        ws.send(JSON.stringify({ id, method, payload }));
      });
    },
    subscribe(event: EventName, listener: (payload: unknown) => void) {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(listener);
      void open().catch(() => undefined);
      return () => {
        set.delete(listener);
      };
    },
  };
}

/** Where the page keeps its token for reloads: this tab only, this origin only (this launch's port). */
export const TOKEN_STORAGE_KEY = 'tapdesk.token';

/**
 * Build `window.tapdesk` for browser mode from the page's own location. The token is taken from
 * the fragment, removed from the address bar, and kept in this tab's sessionStorage so a reload
 * still works (the origin includes the per-launch port, so a later launch cannot reuse it).
 */
export function createBrowserModeApi(location: Location, history: History, storage?: Storage): TapdeskApi {
  const fromFragment = readTokenFromFragment(location.hash);
  const token = fromFragment ?? storage?.getItem(TOKEN_STORAGE_KEY) ?? null;
  if (!token || !/^[0-9a-f]{32,128}$/.test(token)) {
    throw new BridgeError('FORBIDDEN', 'this page was opened without its launch token; open the link Tapdesk printed');
  }
  if (fromFragment) {
    storage?.setItem(TOKEN_STORAGE_KEY, fromFragment);
    history.replaceState(null, '', location.pathname + location.search);
  }
  const url = `ws://${location.host}${WS_PATH}`;
  return createTapdeskApi(createWebSocketTransport(url, [WS_PROTOCOL, TOKEN_PROTOCOL_PREFIX + token]));
}
