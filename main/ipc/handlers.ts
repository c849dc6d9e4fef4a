/**
 * The one handler table. Every front end (Electron IPC, browser-mode WebSocket) calls `dispatch`,
 * which checks the method name against the contract, validates the payload, calls core, and turns
 * every failure into a `{ code, message }` from the bridge's closed list.
 */
import {
  type BridgeErrorView,
  type Envelope,
  type MethodName,
  type RequestOf,
  type ResultOf,
  BridgeError,
  isMethodName,
  validateRequest,
} from '../../preload/contract.ts';
import type { TapdeskCore } from '../core/app-core.ts';
import { toBridgeError } from './errors.ts';

export type HandlerTable = { readonly [M in MethodName]: (request: RequestOf<M>) => Promise<ResultOf<M>> };

export function createHandlers(core: TapdeskCore): HandlerTable {
  return {
    'app.info': async () => core.appInfo(),
    'readers.list': async () => core.readers.snapshot(),
    'card.identify': async ({ reader }) => core.readers.identify(reader),
    'eth.signMessage': ({ reader, text }) => core.wallets.signMessage(reader, text),
    'wallet.unlock': ({ reader, pin }) => core.wallets.unlock(reader, pin),
    'wallet.overview': ({ reader }) => core.wallets.overview(reader),
    'eth.send': ({ reader, to, value }) => core.wallets.sendEth(reader, to, value),
    'btc.send': ({ reader, to, amount, feeRate }) => core.wallets.sendBtc(reader, to, amount, feeRate),
    'btc.signPsbt': ({ reader, psbt, finalize, broadcast }) => core.wallets.signPsbt(reader, psbt, finalize, broadcast),
    'wallet.verifyAddresses': ({ reader, pin }) => core.wallets.verifyAddresses(reader, pin),
    'eth.signTypedData': ({ reader, json }) => core.wallets.signTypedData(reader, json),
    'wallet.history': ({ reader }) => core.wallets.history(reader),
    'eth.signTransaction': ({ reader, tx, broadcast }) => core.wallets.signRawTransaction(reader, tx, broadcast),
    'settings.get': async () => core.chainSettings(),
    'settings.set': async (settings) => core.setChainSettings(settings),
    'keycard.newWallet': (request) => core.keycard.newWallet(request),
  };
}

export async function dispatch(handlers: HandlerTable, method: unknown, payload: unknown): Promise<Envelope<unknown>> {
  try {
    if (!isMethodName(method)) {
      throw new BridgeError('UNKNOWN_METHOD', `unknown method ${JSON.stringify(String(method)).slice(0, 80)}`);
    }
    const request = validateRequest(method, payload);
    const handler = handlers[method] as (request: unknown) => Promise<unknown>;
    return { ok: true, result: await handler(request) };
  } catch (error) {
    const view: BridgeErrorView = toBridgeError(error).toView();
    return { ok: false, error: view };
  }
}
