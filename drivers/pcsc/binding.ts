/**
 * Loads nfc-pcsc (and through it the native @pokusew/pcsclite addon) lazily. It is an optional
 * dependency: where libpcsclite-dev was missing at install time the addon did not build, and the
 * app runs without PC/SC (demo card only) and says so.
 */
import { createRequire } from 'node:module';

/** The subset of nfc-pcsc's API we use (see node_modules/nfc-pcsc/src/{NFC,Reader}.js). */
export interface NfcPcscReader {
  readonly name: string;
  autoProcessing: boolean;
  /** The underlying @pokusew/pcsclite CardReader (status events, state bits). */
  readonly reader: {
    readonly name: string;
    readonly state: number;
    readonly SCARD_STATE_PRESENT: number;
    readonly SCARD_STATE_EMPTY: number;
    readonly SCARD_STATE_MUTE: number;
    on(event: 'status', listener: (status: { state: number; atr?: Buffer }) => void): void;
    close(): void;
  };
  readonly card: { atr?: Buffer } | null;
  readonly connection: { protocol: number } | null;
  /** SCardConnect to the card now present (sets `connection`). */
  connect(): Promise<unknown>;
  /** SCardDisconnect, leaving the card as it is (clears `connection`). */
  disconnect(): Promise<unknown>;
  transmit(data: Buffer, responseMaxLength: number): Promise<Buffer>;
  on(event: 'card', listener: (card: { atr?: Buffer }) => void): this;
  on(event: 'card.off', listener: (card: { atr?: Buffer }) => void): this;
  on(event: 'error', listener: (error: Error) => void): this;
  on(event: 'end', listener: () => void): this;
  removeAllListeners(): this;
}

export interface NfcPcscContext {
  on(event: 'reader', listener: (reader: NfcPcscReader) => void): this;
  on(event: 'error', listener: (error: Error) => void): this;
  removeAllListeners(): this;
  close(): void;
}

export interface NfcPcscModule {
  NFC: new (logger?: unknown) => NfcPcscContext;
}

export type BindingResult = { readonly ok: true; readonly module: NfcPcscModule } | { readonly ok: false; readonly reason: string };


let cached: BindingResult | undefined;

export function loadPcscBinding(): BindingResult {
  if (cached) return cached;
  try {
    const load = typeof require === 'function' ? require : createRequire(import.meta.url);
    const module = load('nfc-pcsc') as NfcPcscModule;
    if (typeof module.NFC !== 'function') throw new Error('nfc-pcsc has no NFC export');
    cached = { ok: true, module };
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0]! : String(error);
    cached = {
      ok: false,
      reason: /Cannot find module/.test(message)
        ? 'the PC/SC binding (nfc-pcsc) is not installed: libpcsclite-dev was probably missing when npm install ran'
        : /NODE_MODULE_VERSION/.test(message)
          ? process.versions.electron
            ? 'the PC/SC binding was built for Node, not for Electron: run npx @electron/rebuild -w @pokusew/pcsclite'
            : 'the PC/SC binding was built for another runtime (Electron?): run npm rebuild @pokusew/pcsclite'
          : `the PC/SC binding failed to load: ${message}`,
    };
  }
  return cached;
}
