/**
 * Address discovery (BIP44 gap limit) and UTXO listing for a BIP84 account over a BtcChainBackend.
 *
 * Each chain (receive, change) is scanned from index 0 until `gapLimit` consecutive addresses have
 * no history. Lookups run concurrently, one window at a time: each window asks exactly as many
 * addresses as could still end the scan, so an empty wallet costs one window of `gapLimit` lookups
 * per chain (both chains run at the same time).
 */
import type { Bip84Account, AccountAddress } from './account.ts';
import type { BackendUtxo, BtcChainBackend } from './backend.ts';
import { requireSats } from './amounts.ts';
import { isTxid } from './bytes.ts';
import { BtcError, throwIfAborted } from './errors.ts';
import { CHANGE, RECEIVE, type AddressChain } from './paths.ts';

export const DEFAULT_GAP_LIMIT = 20;
/** A backend that calls every address used would never let the scan end: stop here. */
export const MAX_SCAN_PER_CHAIN = 10_000;

export interface UsedAddress extends AccountAddress {
  readonly txCount: number;
}

export interface ChainScan {
  /** Addresses with history, by index. */
  readonly used: readonly UsedAddress[];
  /** The first index after the last used one: the next fresh address of the chain. */
  readonly nextIndex: number;
  /** Addresses looked up. */
  readonly scanned: number;
  /** True when the scan stopped at MAX_SCAN_PER_CHAIN instead of at the gap. */
  readonly truncated: boolean;
}

export interface AccountScan {
  readonly receive: ChainScan;
  readonly change: ChainScan;
}

export interface DiscoveryOptions {
  readonly gapLimit?: number;
  readonly signal?: AbortSignal;
}

export async function discoverAccount(account: Bip84Account, backend: BtcChainBackend, options: DiscoveryOptions = {}): Promise<AccountScan> {
  const gapLimit = options.gapLimit ?? DEFAULT_GAP_LIMIT;
  if (!Number.isInteger(gapLimit) || gapLimit < 1 || gapLimit > 1000) {
    throw new BtcError('INVALID_ARGUMENT', 'the gap limit must be an integer from 1 to 1000', { field: 'gapLimit', value: gapLimit });
  }
  const [receive, change] = await Promise.all([
    scanChain(account, backend, RECEIVE, gapLimit, options.signal),
    scanChain(account, backend, CHANGE, gapLimit, options.signal),
  ]);
  return { receive, change };
}

async function scanChain(account: Bip84Account, backend: BtcChainBackend, chain: AddressChain, gapLimit: number, signal?: AbortSignal): Promise<ChainScan> {
  const used: UsedAddress[] = [];
  let lastUsed = -1;
  let next = 0;
  while (next - lastUsed - 1 < gapLimit && next < MAX_SCAN_PER_CHAIN) {
    throwIfAborted(signal);
    const count = Math.min(gapLimit - (next - lastUsed - 1), MAX_SCAN_PER_CHAIN - next);
    const window = account.addresses(chain, next, count);
    const histories = await Promise.all(window.map((entry) => backend.addressHistory(entry.address, signal)));
    histories.forEach((history, i) => {
      const txCount = history.txCount;
      if (!Number.isInteger(txCount) || txCount < 0) {
        throw new BtcError('INVALID_ARGUMENT', 'the backend gave a bad transaction count', { field: 'txCount', address: window[i]!.address });
      }
      if (txCount > 0) {
        used.push({ ...window[i]!, txCount });
        lastUsed = window[i]!.index;
      }
    });
    next += count;
  }
  return { used, nextIndex: lastUsed + 1, scanned: next, truncated: next - lastUsed - 1 < gapLimit };
}

/** A coin of the account: the backend's UTXO and where its key is. */
export interface AccountUtxo extends BackendUtxo, AccountAddress {}

/** The UTXOs of `addresses` (e.g. the used ones of a scan), looked up concurrently and checked. */
export async function listUtxos(
  backend: BtcChainBackend,
  addresses: readonly AccountAddress[],
  signal?: AbortSignal,
): Promise<AccountUtxo[]> {
  const lists = await Promise.all(addresses.map((entry) => backend.utxos(entry.address, signal)));
  const seen = new Set<string>();
  const utxos: AccountUtxo[] = [];
  lists.forEach((list, i) => {
    const entry = addresses[i]!;
    for (const utxo of list) {
      if (!isTxid(utxo.txid) || !Number.isInteger(utxo.vout) || utxo.vout < 0 || utxo.vout > 0xffffffff) {
        throw new BtcError('INVALID_ARGUMENT', 'the backend gave a malformed UTXO', { field: 'utxo', address: entry.address });
      }
      const outpoint = `${utxo.txid}:${utxo.vout}`;
      if (seen.has(outpoint)) continue;
      seen.add(outpoint);
      utxos.push({
        txid: utxo.txid,
        vout: utxo.vout,
        value: requireSats(utxo.value, 'utxo.value'),
        confirmed: utxo.confirmed === true,
        ...(utxo.height === undefined ? {} : { height: utxo.height }),
        chain: entry.chain,
        index: entry.index,
        path: entry.path,
        address: entry.address,
      });
    }
  });
  return utxos;
}

export interface Balance {
  readonly confirmed: number;
  readonly unconfirmed: number;
  readonly total: number;
}

export function balanceOf(utxos: readonly Pick<BackendUtxo, 'value' | 'confirmed'>[]): Balance {
  let confirmed = 0;
  let unconfirmed = 0;
  for (const utxo of utxos) {
    if (utxo.confirmed) confirmed += utxo.value;
    else unconfirmed += utxo.value;
  }
  return { confirmed, unconfirmed, total: confirmed + unconfirmed };
}
