import { describe, expect, it, vi } from 'vitest';
import { type ReadersSnapshot, type TapdeskApi, BridgeError, METHOD_NAMES } from './contract.ts';
import { API_KEY, type ContextBridgeLike, type IpcRendererLike, eventChannel, exposeTapdesk, methodChannel } from './expose.ts';

type Listener = (event: unknown, ...args: unknown[]) => void;

/** Every function TapdeskApi has; the type below fails to compile if this list and the interface drift apart. */
const API_FUNCTIONS = ['newKeycardWallet', 'onKeycardWalletProgress', 'signEthTransaction', 'walletHistory', 'onSigningProgress', 'signEthTypedData', 'chainSettings', 'setChainSettings', 'appInfo', 'identifyCard', 'listReaders', 'onReadersChanged', 'sendBtc', 'sendEth', 'signEthMessage', 'signPsbt', 'verifyAddresses', 'unlockWallet', 'walletOverview'] as const;
type Exhaustive = Exclude<keyof TapdeskApi, (typeof API_FUNCTIONS)[number]> extends never ? true : never;
const exhaustive: Exhaustive = true;

function fakes(answers: Record<string, unknown> = {}) {
  const exposed = new Map<string, unknown>();
  const contextBridge: ContextBridgeLike = { exposeInMainWorld: (key, api) => void exposed.set(key, api) };
  const listeners = new Map<string, Set<Listener>>();
  const invoke = vi.fn(async (channel: string, ..._args: unknown[]) => answers[channel] ?? { ok: true, result: null });
  const ipcRenderer: IpcRendererLike & { emit(channel: string, event: unknown, payload: unknown): void } = {
    invoke,
    on: vi.fn((channel: string, listener: Listener) => {
      if (!listeners.has(channel)) listeners.set(channel, new Set());
      listeners.get(channel)!.add(listener);
    }),
    removeListener: vi.fn((channel: string, listener: Listener) => {
      listeners.get(channel)?.delete(listener);
    }),
    emit(channel, event, payload) {
      for (const l of listeners.get(channel) ?? []) l(event, payload);
    },
  };
  return { exposed, contextBridge, ipcRenderer, invoke, listeners };
}

const snapshot: ReadersSnapshot = { service: 'running', readers: [{ name: 'Virtual PCD 00 00', kind: 'pcsc', card: null }], revision: 3 };

describe('exposeTapdesk', () => {
  it('exposes one frozen object as window.tapdesk', () => {
    const { exposed, contextBridge, ipcRenderer } = fakes();
    const api = exposeTapdesk(contextBridge, ipcRenderer);
    expect([...exposed.keys()]).toEqual([API_KEY]);
    expect(API_KEY).toBe('tapdesk');
    expect(exposed.get('tapdesk')).toBe(api);
    expect(Object.isFrozen(api)).toBe(true);
    expect(() => {
      (api as unknown as Record<string, unknown>).appInfo = () => 'hijacked';
    }).toThrow(TypeError);
  });

  it('has exactly the named functions of TapdeskApi and nothing else', () => {
    const { contextBridge, ipcRenderer } = fakes();
    const api = exposeTapdesk(contextBridge, ipcRenderer) as unknown as Record<string, unknown>;
    expect(exhaustive).toBe(true);
    expect(Reflect.ownKeys(api).map(String).sort()).toEqual([...API_FUNCTIONS].sort());
    for (const name of API_FUNCTIONS) expect(typeof api[name]).toBe('function');
    // No generic access to IPC.
    for (const forbidden of ['invoke', 'send', 'on', 'ipcRenderer', 'sendSync', 'removeListener']) expect(api).not.toHaveProperty(forbidden);
    for (const value of Object.values(api)) expect(value).not.toBe(ipcRenderer);
  });

  it('invokes the channel of each method with the request payload', async () => {
    const { contextBridge, ipcRenderer, invoke } = fakes({
      'tapdesk:card.identify': { ok: true, result: { status: 'unknown', atr: '3b00' } },
      'tapdesk:readers.list': { ok: true, result: snapshot },
    });
    const api = exposeTapdesk(contextBridge, ipcRenderer);

    await api.appInfo();
    expect(invoke).toHaveBeenLastCalledWith('tapdesk:app.info', {});
    await expect(api.listReaders()).resolves.toEqual(snapshot);
    expect(invoke).toHaveBeenLastCalledWith('tapdesk:readers.list', {});
    await expect(api.identifyCard('Virtual PCD 00 01')).resolves.toEqual({ status: 'unknown', atr: '3b00' });
    expect(invoke).toHaveBeenLastCalledWith('tapdesk:card.identify', { reader: 'Virtual PCD 00 01' });
    expect(invoke).toHaveBeenCalledTimes(3);
  });

  it('names channels tapdesk:<method> and tapdesk:event:<event>', () => {
    expect(METHOD_NAMES.map(methodChannel)).toEqual(['tapdesk:app.info', 'tapdesk:readers.list', 'tapdesk:card.identify', 'tapdesk:eth.signMessage', 'tapdesk:wallet.unlock', 'tapdesk:wallet.overview', 'tapdesk:eth.send', 'tapdesk:btc.send', 'tapdesk:btc.signPsbt', 'tapdesk:wallet.verifyAddresses', 'tapdesk:eth.signTypedData', 'tapdesk:eth.signTransaction', 'tapdesk:wallet.history', 'tapdesk:settings.get', 'tapdesk:settings.set', 'tapdesk:keycard.newWallet']);
    expect(eventChannel('readers.changed')).toBe('tapdesk:event:readers.changed');
  });

  it('gives listeners only the payload, never the IPC event', () => {
    const { contextBridge, ipcRenderer } = fakes();
    const api = exposeTapdesk(contextBridge, ipcRenderer);
    const seen: unknown[][] = [];
    api.onReadersChanged((...args: unknown[]) => seen.push(args));
    const ipcEvent = { sender: ipcRenderer, senderId: 0, ports: [] };
    ipcRenderer.emit('tapdesk:event:readers.changed', ipcEvent, snapshot);
    expect(seen).toEqual([[snapshot]]);
    expect(seen[0]![0]).not.toBe(ipcEvent);
  });

  it('unsubscribe removes exactly its own wrapper', () => {
    const { contextBridge, ipcRenderer, listeners } = fakes();
    const api = exposeTapdesk(contextBridge, ipcRenderer);
    const first = vi.fn();
    const second = vi.fn();
    const offFirst = api.onReadersChanged(first);
    api.onReadersChanged(second);
    expect(listeners.get('tapdesk:event:readers.changed')!.size).toBe(2);

    offFirst();
    expect(listeners.get('tapdesk:event:readers.changed')!.size).toBe(1);
    expect(ipcRenderer.removeListener).toHaveBeenCalledTimes(1);
    const [channel, removed] = vi.mocked(ipcRenderer.removeListener).mock.calls[0]!;
    expect(channel).toBe('tapdesk:event:readers.changed');
    expect(vi.mocked(ipcRenderer.on).mock.calls[0]![1]).toBe(removed);

    ipcRenderer.emit('tapdesk:event:readers.changed', {}, snapshot);
    expect(first).not.toHaveBeenCalled();
    expect(second).toHaveBeenCalledWith(snapshot);

    offFirst(); // idempotent
    expect(ipcRenderer.removeListener).toHaveBeenCalledTimes(1);
  });

  it('turns error envelopes into BridgeError with their code', async () => {
    const { contextBridge, ipcRenderer } = fakes({
      'tapdesk:card.identify': { ok: false, error: { code: 'NO_CARD', message: 'no card on the reader', hint: 'place a card' } },
      'tapdesk:app.info': { ok: false, error: { code: 'FORBIDDEN', message: 'this frame may not call Tapdesk' } },
      'tapdesk:readers.list': { ok: false, error: { code: 'SOMETHING_ELSE', message: 'odd' } },
    });
    const api = exposeTapdesk(contextBridge, ipcRenderer);

    const error = await api.identifyCard('r').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BridgeError);
    expect(error).toMatchObject({ code: 'NO_CARD', message: 'no card on the reader', hint: 'place a card' });
    await expect(api.appInfo()).rejects.toMatchObject({ name: 'BridgeError', code: 'FORBIDDEN' });
    // Codes outside the closed list are reported as INTERNAL.
    await expect(api.listReaders()).rejects.toMatchObject({ code: 'INTERNAL' });
  });

  it('rejects malformed answers as INTERNAL', async () => {
    const { contextBridge, ipcRenderer } = fakes({ 'tapdesk:app.info': 'garbage' });
    const api = exposeTapdesk(contextBridge, ipcRenderer);
    await expect(api.appInfo()).rejects.toMatchObject({ code: 'INTERNAL' });
  });
});
