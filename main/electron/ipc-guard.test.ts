import { describe, expect, it, vi } from 'vitest';
import type { AppInfo } from '../../preload/contract.ts';
import type { HandlerTable } from '../ipc/handlers.ts';
import { FORBIDDEN_ENVELOPE, type SenderInfo, guardedDispatch, isAllowedSender } from './ipc-guard.ts';

const info: AppInfo = { name: 'Tapdesk', version: '0.0.0', mode: 'electron', notices: [] };

const settingsSample = { eth: { rpcUrl: 'http://x', chainId: 1, name: 'n', demo: false }, btc: { network: 'mainnet' as const, esploraUrl: 'http://y', demo: false } };

function fakeHandlers() {
  const appInfo = vi.fn(async () => info);
  const handlers = {
    'app.info': appInfo,
    'readers.list': vi.fn(async () => ({ service: 'running' as const, readers: [], revision: 1 })),
    'card.identify': vi.fn(async () => ({ status: 'unknown' as const, atr: '3b00' })),
    'eth.signMessage': vi.fn(async () => ({ address: '0x0', signature: '0x', hash: '0x' })),
    'wallet.unlock': vi.fn(async () => ({ reader: 'R', locked: false, demo: false })),
    'wallet.overview': vi.fn(async () => ({ reader: 'R', locked: true, demo: false })),
    'eth.send': vi.fn(async () => ({ hash: '0x', from: '0x', blockNumber: 1 })),
    'btc.send': vi.fn(async () => ({ txid: '00', fee: 1, signedInputs: 1 })),
    'wallet.verifyAddresses': vi.fn(async () => ({ btc: { address: 'a', path: 'p', verified: true as const }, eth: { address: 'b', path: 'q', verified: true as const } })),
    'eth.signTypedData': vi.fn(async () => ({ address: '0x0', signature: '0x', digest: '0x' })),
    'eth.signTransaction': vi.fn(async () => ({ raw: '0x', hash: '0x', from: '0x', broadcast: false })),
    'wallet.history': vi.fn(async () => ({ btc: { unit: 'BTC', items: [] }, eth: { items: [] } })),
    'settings.get': vi.fn(async () => settingsSample),
    'settings.set': vi.fn(async () => settingsSample),
    'btc.signPsbt': vi.fn(async () => ({ psbtBase64: '', signedInputs: 0, txid: null, txHex: null, broadcast: false })),
    'keycard.newWallet': vi.fn(async () => {
      const card = { instanceUid: '00', keyUid: '11', publicKey: '04' };
      return { keyUid: '11', checkPath: "m/44'/60'/0'/0/0", publicKey: '04', cards: { first: card, backup: card }, mnemonicShown: true };
    }),
  } satisfies HandlerTable;
  return { handlers, appInfo };
}

const trusted: SenderInfo = { frameUrl: 'app://tapdesk/index.html', isMainFrame: true, fromOwnWindow: true };

describe('guardedDispatch', () => {
  it('dispatches calls from the main frame of our window on app://tapdesk', async () => {
    const { handlers, appInfo } = fakeHandlers();
    await expect(guardedDispatch(handlers, 'app.info', trusted, {})).resolves.toEqual({ ok: true, result: info });
    expect(appInfo).toHaveBeenCalledOnce();
  });

  it.each<[string, SenderInfo | null]>([
    ['no frame', null],
    ['a subframe', { ...trusted, isMainFrame: false }],
    ['another window', { ...trusted, fromOwnWindow: false }],
    ['file://', { ...trusted, frameUrl: 'file:///tmp/index.html' }],
    ['http://127.0.0.1', { ...trusted, frameUrl: 'http://127.0.0.1:5173/' }],
    ['app://evil', { ...trusted, frameUrl: 'app://evil/index.html' }],
    ['a destroyed frame', { ...trusted, frameUrl: null }],
  ])('refuses %s with FORBIDDEN without calling core', async (_name, sender) => {
    const { handlers, appInfo } = fakeHandlers();
    expect(isAllowedSender(sender)).toBe(false);
    const envelope = await guardedDispatch(handlers, 'app.info', sender, {});
    expect(envelope).toEqual({ ok: false, error: { code: 'FORBIDDEN', message: expect.any(String) } });
    expect(envelope).toBe(FORBIDDEN_ENVELOPE);
    expect(appInfo).not.toHaveBeenCalled();
  });

  it('still validates payloads from trusted senders', async () => {
    const { handlers } = fakeHandlers();
    const envelope = await guardedDispatch(handlers, 'card.identify', trusted, { reader: 'x', extra: 1 });
    expect(envelope).toMatchObject({ ok: false, error: { code: 'INVALID_REQUEST' } });
  });
});
