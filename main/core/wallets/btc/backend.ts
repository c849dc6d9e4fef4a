/**
 * What the wallet needs from a Bitcoin chain backend (Esplora REST or a node; implemented in
 * main/core/chains). The wallet does no network I/O itself: it asks through this interface, so unit
 * tests use a fake and the chain layer owns timeouts and errors, which pass through unchanged.
 */

export interface AddressHistory {
  /** Transactions (confirmed or in the mempool) that paid to or spent from the address. */
  readonly txCount: number;
}

export interface BackendUtxo {
  /** Big-endian hex, as explorers show it. */
  readonly txid: string;
  readonly vout: number;
  /** Satoshis. */
  readonly value: number;
  readonly confirmed: boolean;
  /** Block height when confirmed. */
  readonly height?: number;
}

export interface BtcChainBackend {
  addressHistory(address: string, signal?: AbortSignal): Promise<AddressHistory>;
  utxos(address: string, signal?: AbortSignal): Promise<readonly BackendUtxo[]>;
}
