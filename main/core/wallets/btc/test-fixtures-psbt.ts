/**
 * Test support: PSBTs as other tools make them. Built directly with bitcoinjs-lib (not with our
 * builder), the way Sparrow or Bitcoin Core's walletcreatefundedpsbt lay them out: witnessUtxo and/or
 * the full previous transaction, bip32Derivation or none, foreign inputs signed by another key.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { HDKey } from '@scure/bip32';
import { mnemonicToSeedSync } from '@scure/bip39';
import { Psbt, Transaction } from 'bitcoinjs-lib';
import type { Bip84Account } from './account.ts';
import { hash160 } from './bytes.ts';
import type { AddressChain } from './paths.ts';
import { p2wpkhScript } from './scripts.ts';

export const OTHER_MNEMONIC = 'legal winner thank year wave sausage worth useful legal winner thank yellow';
const TPUB_VERSIONS = { public: 0x043587cf, private: 0x04358394 };

/** Another wallet's key (test networks), private key included, for foreign inputs. */
export function otherKey(index = 0): { publicKey: Uint8Array; privateKey: Uint8Array; script: Uint8Array; fingerprint: Uint8Array; path: string } {
  const root = HDKey.fromMasterSeed(mnemonicToSeedSync(OTHER_MNEMONIC), TPUB_VERSIONS);
  const path = `m/84'/1'/0'/0/${index}`;
  const node = root.derive(path);
  const fingerprint = new Uint8Array(4);
  new DataView(fingerprint.buffer).setUint32(0, root.fingerprint);
  return { publicKey: node.publicKey!, privateKey: node.privateKey!, script: p2wpkhScript(hash160(node.publicKey!)), fingerprint, path };
}

/** A previous transaction paying `value` to `script` at output `vout` (the others pay elsewhere). */
export function previousTx(script: Uint8Array, value: number, vout = 0, salt = 0): Transaction {
  const tx = new Transaction();
  tx.version = 2;
  tx.addInput(new Uint8Array(32).fill(salt + 1), salt);
  for (let i = 0; i <= vout; i += 1) {
    tx.addOutput(i === vout ? script : Uint8Array.of(0x00, 0x14, ...new Uint8Array(20).fill(0xee)), i === vout ? BigInt(value) : 1000n);
  }
  return tx;
}

export interface ExternalInput {
  readonly value: number;
  /** Our key at chain/index, or a foreign key. */
  readonly owner: { readonly chain: AddressChain; readonly index: number } | 'foreign';
  readonly witnessUtxo?: boolean;
  readonly nonWitnessUtxo?: boolean;
  readonly bip32Derivation?: boolean;
}

export interface ExternalOutput {
  readonly script: Uint8Array;
  readonly value: number;
  /** Sparrow marks its change with bip32Derivation. */
  readonly change?: { readonly chain: AddressChain; readonly index: number };
}

/** A PSBT as another tool would make it for `account`'s card. */
export function externalPsbt(account: Bip84Account, inputs: readonly ExternalInput[], outputs: readonly ExternalOutput[]): Psbt {
  const psbt = new Psbt({ network: account.network.params });
  inputs.forEach((input, i) => {
    const foreign = input.owner === 'foreign' ? otherKey(i) : null;
    const script = foreign ? foreign.script : account.script((input.owner as { chain: AddressChain }).chain, (input.owner as { index: number }).index);
    const prev = previousTx(script, input.value, i % 2, i);
    const derivation = foreign
      ? { masterFingerprint: foreign.fingerprint, path: foreign.path, pubkey: foreign.publicKey }
      : {
          masterFingerprint: account.masterFingerprint,
          path: account.keyPath((input.owner as { chain: AddressChain }).chain, (input.owner as { index: number }).index),
          pubkey: account.publicKey((input.owner as { chain: AddressChain }).chain, (input.owner as { index: number }).index),
        };
    psbt.addInput({
      hash: prev.getId(),
      index: i % 2,
      sequence: 0xfffffffd,
      ...(input.witnessUtxo === false ? {} : { witnessUtxo: { script, value: BigInt(input.value) } }),
      ...(input.nonWitnessUtxo ? { nonWitnessUtxo: prev.toBuffer() } : {}),
      ...(input.bip32Derivation === false ? {} : { bip32Derivation: [derivation] }),
    });
  });
  for (const output of outputs) {
    psbt.addOutput({
      script: output.script,
      value: BigInt(output.value),
      ...(output.change
        ? {
            bip32Derivation: [
              {
                masterFingerprint: account.masterFingerprint,
                path: account.keyPath(output.change.chain, output.change.index),
                pubkey: account.publicKey(output.change.chain, output.change.index),
              },
            ],
          }
        : {}),
    });
  }
  return psbt;
}

/** Signs the foreign inputs (from `otherKey`) as the other wallet would. */
export function signForeignInputs(psbt: Psbt, inputs: readonly ExternalInput[]): void {
  inputs.forEach((input, i) => {
    if (input.owner !== 'foreign') return;
    const key = otherKey(i);
    psbt.signInput(i, { publicKey: key.publicKey, sign: (hash: Uint8Array) => secp256k1.sign(hash, key.privateKey, { prehash: false }) });
  });
}
