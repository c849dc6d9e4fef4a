/**
 * The Bitcoin-family networks a wallet can be on: address encodings (bech32 HRP, base58 versions),
 * BIP32 serialisation versions, and the BIP44/84 coin type (0 on mainnet, 1 on every test network).
 *
 * `litecoin-regtest` is the demo and test regtest node: litecoind 0.21 is a Bitcoin Core 0.21 fork
 * with the same BIP143 signing and P2WPKH scripts; only its address encodings differ.
 */
import type { Network } from 'bitcoinjs-lib';
import { BtcError } from './errors.ts';

export type BtcNetworkName = 'mainnet' | 'testnet' | 'signet' | 'regtest' | 'litecoin-regtest';

export interface BtcNetwork {
  readonly name: BtcNetworkName;
  /** For people: "Bitcoin testnet", "Litecoin regtest (demo)". */
  readonly label: string;
  /** The BIP44/84 coin type: 0 on mainnet, 1 on test networks. */
  readonly coinType: 0 | 1;
  readonly isTest: boolean;
  /** Encodings in bitcoinjs-lib's shape (bech32 HRP, base58 versions, xpub/xprv versions, WIF). */
  readonly params: Network;
}

const XPUB = { public: 0x0488b21e, private: 0x0488ade4 };
const TPUB = { public: 0x043587cf, private: 0x04358394 };
const BITCOIN_MESSAGE = '\x18Bitcoin Signed Message:\n';

export const BTC_NETWORKS: Readonly<Record<BtcNetworkName, BtcNetwork>> = Object.freeze({
  mainnet: {
    name: 'mainnet',
    label: 'Bitcoin',
    coinType: 0,
    isTest: false,
    params: { messagePrefix: BITCOIN_MESSAGE, bech32: 'bc', bip32: XPUB, pubKeyHash: 0x00, scriptHash: 0x05, wif: 0x80 },
  },
  testnet: {
    name: 'testnet',
    label: 'Bitcoin testnet',
    coinType: 1,
    isTest: true,
    params: { messagePrefix: BITCOIN_MESSAGE, bech32: 'tb', bip32: TPUB, pubKeyHash: 0x6f, scriptHash: 0xc4, wif: 0xef },
  },
  signet: {
    name: 'signet',
    label: 'Bitcoin signet',
    coinType: 1,
    isTest: true,
    params: { messagePrefix: BITCOIN_MESSAGE, bech32: 'tb', bip32: TPUB, pubKeyHash: 0x6f, scriptHash: 0xc4, wif: 0xef },
  },
  regtest: {
    name: 'regtest',
    label: 'Bitcoin regtest',
    coinType: 1,
    isTest: true,
    params: { messagePrefix: BITCOIN_MESSAGE, bech32: 'bcrt', bip32: TPUB, pubKeyHash: 0x6f, scriptHash: 0xc4, wif: 0xef },
  },
  'litecoin-regtest': {
    name: 'litecoin-regtest',
    label: 'Litecoin regtest',
    coinType: 1,
    isTest: true,
    params: { messagePrefix: '\x19Litecoin Signed Message:\n', bech32: 'rltc', bip32: TPUB, pubKeyHash: 0x6f, scriptHash: 0x3a, wif: 0xef },
  },
});

export const BTC_NETWORK_NAMES: readonly BtcNetworkName[] = Object.keys(BTC_NETWORKS) as BtcNetworkName[];

export function isBtcNetworkName(name: unknown): name is BtcNetworkName {
  return typeof name === 'string' && Object.hasOwn(BTC_NETWORKS, name);
}

export function btcNetwork(name: BtcNetworkName | string): BtcNetwork {
  if (!isBtcNetworkName(name)) throw new BtcError('UNKNOWN_NETWORK', 'unknown Bitcoin network', { network: String(name), known: BTC_NETWORK_NAMES });
  return BTC_NETWORKS[name];
}

/** Whether two networks read each other's addresses the same way (testnet and signet do). */
export function sameEncodings(a: BtcNetwork, b: BtcNetwork): boolean {
  return a.params.bech32 === b.params.bech32 && a.params.pubKeyHash === b.params.pubKeyHash && a.params.scriptHash === b.params.scriptHash;
}
