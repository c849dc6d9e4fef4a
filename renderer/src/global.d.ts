import type { TapdeskApi } from '../../preload/contract.ts';

declare global {
  interface Window {
    /** Exposed by the Electron preload (contextBridge); absent in browser mode. */
    readonly tapdesk?: TapdeskApi;
  }
}

export {};
