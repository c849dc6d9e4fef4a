/**
 * Builds `window.tapdesk` for the Electron preload: the contract's frozen API object over an IPC
 * transport. The renderer gets named functions only; `ipcRenderer`, its event objects and generic
 * channel access never cross the context bridge.
 *
 * Pure (no 'electron' import) so it can be unit-tested with fakes, and so main can share the
 * channel names without pulling anything else into the sandboxed preload bundle.
 */
import { type BridgeTransport, type EventName, type MethodName, type TapdeskApi, createTapdeskApi } from './contract.ts';

/** The key under which the API appears in the renderer: `window.tapdesk`. */
export const API_KEY = 'tapdesk';

export const METHOD_CHANNEL_PREFIX = 'tapdesk:';
export const EVENT_CHANNEL_PREFIX = 'tapdesk:event:';

/** `ipcMain.handle` / `ipcRenderer.invoke` channel of a contract method, e.g. `tapdesk:app.info`. */
export function methodChannel(method: MethodName): string {
  return `${METHOD_CHANNEL_PREFIX}${method}`;
}

/** `webContents.send` / `ipcRenderer.on` channel of a contract event, e.g. `tapdesk:event:readers.changed`. */
export function eventChannel(event: EventName): string {
  return `${EVENT_CHANNEL_PREFIX}${event}`;
}

/** The part of Electron's `contextBridge` used here. */
export interface ContextBridgeLike {
  exposeInMainWorld(apiKey: string, api: unknown): void;
}

type IpcListener = (event: unknown, ...args: unknown[]) => void;

/** The part of Electron's `ipcRenderer` used here. */
export interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: IpcListener): unknown;
  removeListener(channel: string, listener: IpcListener): unknown;
}

export function createIpcTransport(ipcRenderer: IpcRendererLike): BridgeTransport {
  return Object.freeze({
    invoke: (method: MethodName, payload: unknown): Promise<unknown> => ipcRenderer.invoke(methodChannel(method), payload),
    subscribe: (event: EventName, listener: (payload: unknown) => void): (() => void) => {
      const channel = eventChannel(event);
      // The renderer's listener sees the payload only: never the IpcRendererEvent (which carries `sender`).
      const wrapper: IpcListener = (_event, payload) => {
        listener(payload);
      };
      ipcRenderer.on(channel, wrapper);
      let subscribed = true;
      return () => {
        if (!subscribed) return;
        subscribed = false;
        ipcRenderer.removeListener(channel, wrapper);
      };
    },
  });
}

/** Expose the frozen API as `window.tapdesk`; returns the object handed to the bridge. */
export function exposeTapdesk(contextBridge: ContextBridgeLike, ipcRenderer: IpcRendererLike): TapdeskApi {
  const api = createTapdeskApi(createIpcTransport(ipcRenderer));
  const frozen = Object.isFrozen(api) ? api : Object.freeze(api);
  contextBridge.exposeInMainWorld(API_KEY, frozen);
  return frozen;
}
