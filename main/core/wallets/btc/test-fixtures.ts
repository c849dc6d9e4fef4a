/**
 * Test support for the Bitcoin wallet tests: the "abandon ... about" card (emulated Satochip) and its
 * BIP84 account, the same keys derived independently with @scure/bip32 (to sign as "another tool"
 * would), deterministic fake txids and coins, a fake chain backend, and a signer wrapper that can
 * tamper with what the card returns.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { HDKey } from '@scure/bip32';
import { mnemonicToSeedSync } from '@scure/bip39';
import type { CardSigner } from '../signer.ts';
import { TEST_MNEMONIC, emulatedSatochipSigner } from '../test-support/emulated-signer.ts';
import { Bip84Account } from './account.ts';
import type { BackendUtxo, BtcChainBackend } from './backend.ts';
import { bytesToHex } from './bytes.ts';
import type { AccountUtxo } from './discovery.ts';
import type { BtcNetworkName } from './networks.ts';
import type { AddressChain } from './paths.ts';

export { TEST_MNEMONIC };
/** The master fingerprint of "abandon ... about". */
export const TEST_FINGERPRINT = '73c5da0a';

export const testRoot = HDKey.fromMasterSeed(mnemonicToSeedSync(TEST_MNEMONIC));

export interface TestCard {
  readonly signer: CardSigner;
  readonly apdus: () => number;
}

/** A fresh emulated card seeded with `mnemonic`. */
export async function testCard(mnemonic = TEST_MNEMONIC): Promise<TestCard> {
  const { signer, apdus } = await emulatedSatochipSigner(mnemonic);
  return { signer, apdus };
}

/** The watch-only BIP84 account 0 of "abandon ... about" on `network` (no card). */
export function testAccount(network: BtcNetworkName = 'regtest'): Bip84Account {
  const coin = network === 'mainnet' ? 0 : 1;
  const versions = network === 'mainnet' ? undefined : { public: 0x043587cf, private: 0x04358394 };
  const root = versions ? HDKey.fromMasterSeed(mnemonicToSeedSync(TEST_MNEMONIC), versions) : testRoot;
  return Bip84Account.fromXpub(root.derive(`m/84'/${coin}'/0'`).publicExtendedKey, { network, masterFingerprint: TEST_FINGERPRINT });
}

/** A deterministic txid from a label. */
export function fakeTxid(label: string): string {
  return bytesToHex(sha256(new TextEncoder().encode(label)));
}

/** A coin of `account` at chain/index. */
export function coin(account: Bip84Account, value: number, chain: AddressChain = 0, index = 0, label = `${chain}/${index}/${value}`): AccountUtxo {
  return {
    txid: fakeTxid(label),
    vout: index % 3,
    value,
    confirmed: true,
    chain,
    index,
    path: account.keyPath(chain, index),
    address: account.address(chain, index),
  };
}

/** A chain backend over fixed data: address -> tx count and UTXOs; counts the lookups. */
export function fakeBackend(history: Readonly<Record<string, number>>, utxos: Readonly<Record<string, readonly BackendUtxo[]>> = {}) {
  const calls = { history: [] as string[], utxos: [] as string[] };
  const backend: BtcChainBackend = {
    async addressHistory(address) {
      calls.history.push(address);
      return { txCount: history[address] ?? 0 };
    },
    async utxos(address) {
      calls.utxos.push(address);
      return utxos[address] ?? [];
    },
  };
  return { backend, calls };
}

/** A signer that passes everything to `inner` but lets a test change the signatures the card returns. */
export function tamperingSigner(inner: CardSigner, tamper: (signature: Uint8Array, path: string) => Uint8Array): CardSigner {
  return {
    family: inner.family,
    schnorr: inner.schnorr,
    node: (path) => inner.node(path),
    xpub: (path, version) => inner.xpub(path, version),
    async signDigest(path, digest) {
      const signed = await inner.signDigest(path, digest);
      return { ...signed, signature: tamper(Uint8Array.from(signed.signature), path) };
    },
    async signForVerifier(path, digest, expectedPublicKey) {
      const signed = await inner.signForVerifier(path, digest, expectedPublicKey);
      return signed.kind === 'signed' ? { kind: 'signed', signature: tamper(Uint8Array.from(signed.signature), path) } : signed;
    },
  };
}
