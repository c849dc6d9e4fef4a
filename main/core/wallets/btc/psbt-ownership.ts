/**
 * Which parts of a PSBT belong to the card's account, proved by derivation and never taken on trust:
 *
 * - an input is the card's when one of its bip32Derivation entries has our master fingerprint, a path
 *   of this account whose key (derived on the host from the account xpub) is the entry's key, and the
 *   coin's script is the P2WPKH script of that key; or, with no such entry (a PSBT from a tool that
 *   leaves them out), when its script is one of the account's first addresses;
 * - an output goes back to the account by the same two proofs. A bip32Derivation claiming our
 *   fingerprint whose key or script does not match proves nothing and is reported as such.
 *
 * The coin an input spends comes from witnessUtxo, or from nonWitnessUtxo once its hash is the
 * outpoint's txid; when both are present they must agree.
 */
import { Transaction, type Psbt } from 'bitcoinjs-lib';
import type { Bip84Account, KeyLocation } from './account.ts';
import { MAX_MONEY } from './amounts.ts';
import { bytesToHex, equalBytes, hash160, txidFromHash } from './bytes.ts';
import { reasonOf } from './errors.ts';
import { unsignedTransaction, type Bip32DerivationEntry as Bip32Derivation, type PsbtInputMap as PsbtInput } from './psbt-tx.ts';
import { classifyScript, p2pkhScript, p2shScript, p2wpkhScript, type ScriptType } from './scripts.ts';

export interface ScanDepth {
  readonly receive?: number;
  readonly change?: number;
}

export type InputUtxo =
  | { readonly kind: 'ok'; readonly script: Uint8Array; readonly value: number; readonly from: 'witnessUtxo' | 'nonWitnessUtxo' }
  | { readonly kind: 'missing' }
  | { readonly kind: 'mismatch'; readonly reason: string };

export type InputOwner =
  /** A P2WPKH coin of the account: the card can sign it. */
  | { readonly kind: 'card'; readonly location: KeyLocation; readonly path: string; readonly publicKey: Uint8Array; readonly proof: 'bip32Derivation' | 'script' }
  /** The account's key, but in a script this wallet does not sign (legacy, nested segwit). */
  | { readonly kind: 'card-unsupported'; readonly path: string; readonly scriptType: ScriptType | 'p2sh-p2wpkh' }
  /** A taproot key of the card's seed (tapBip32Derivation with our fingerprint). */
  | { readonly kind: 'card-taproot'; readonly path: string }
  | { readonly kind: 'foreign' };

export interface InputInfo {
  readonly index: number;
  readonly txid: string;
  readonly vout: number;
  readonly sequence: number;
  readonly utxo: InputUtxo;
  readonly owner: InputOwner;
  /** Our signature is already there, or the input is finalized. */
  readonly signed: boolean;
  readonly sighashType: number | undefined;
  /** bip32Derivation entries claiming our fingerprint that prove nothing (wrong key, path or script). */
  readonly unprovenClaims: readonly string[];
}

export type OutputOwner =
  | { readonly kind: 'account'; readonly location: KeyLocation; readonly path: string; readonly proof: 'bip32Derivation' | 'derived' }
  | { readonly kind: 'none' };

export interface OutputInfo {
  readonly index: number;
  readonly script: Uint8Array;
  readonly value: number;
  readonly owner: OutputOwner;
  readonly unprovenClaims: readonly string[];
}

/** The coin input `index` spends, from witnessUtxo and/or nonWitnessUtxo. */
export function inputUtxo(psbt: Psbt, index: number, tx: Transaction = unsignedTransaction(psbt)): InputUtxo {
  const input = psbt.data.inputs[index]!;
  const outpoint = tx.ins[index]!;
  let fromFull: { script: Uint8Array; value: bigint } | undefined;
  if (input.nonWitnessUtxo) {
    let previous: Transaction;
    try {
      previous = Transaction.fromBuffer(input.nonWitnessUtxo);
    } catch (error) {
      return { kind: 'mismatch', reason: `nonWitnessUtxo does not parse: ${reasonOf(error)}` };
    }
    if (!equalBytes(previous.getHash(), outpoint.hash)) return { kind: 'mismatch', reason: 'nonWitnessUtxo is not the transaction the input spends' };
    const out = previous.outs[outpoint.index];
    if (!out) return { kind: 'mismatch', reason: `nonWitnessUtxo has no output ${outpoint.index}` };
    fromFull = { script: out.script, value: out.value };
  }
  const witness = input.witnessUtxo;
  if (witness && fromFull && (witness.value !== fromFull.value || !equalBytes(witness.script, fromFull.script))) {
    return { kind: 'mismatch', reason: 'witnessUtxo and nonWitnessUtxo disagree' };
  }
  const coin = witness ?? fromFull;
  if (!coin) return { kind: 'missing' };
  if (coin.value < 0n || coin.value > BigInt(MAX_MONEY)) return { kind: 'mismatch', reason: 'the coin amount is out of range' };
  return { kind: 'ok', script: coin.script, value: Number(coin.value), from: witness ? 'witnessUtxo' : 'nonWitnessUtxo' };
}

/** Every input of `psbt`, with its coin and whether the card's account owns it. */
export function describeInputs(psbt: Psbt, account: Bip84Account, scan: ScanDepth = {}): InputInfo[] {
  const tx = unsignedTransaction(psbt);
  return psbt.data.inputs.map((input, index) => {
    const txIn = tx.ins[index]!;
    const utxo = inputUtxo(psbt, index, tx);
    const unprovenClaims: string[] = [];
    const owner = inputOwner(input, utxo, account, scan, unprovenClaims);
    const signed =
      input.finalScriptWitness !== undefined ||
      input.finalScriptSig !== undefined ||
      (owner.kind === 'card' && (input.partialSig ?? []).some((sig) => equalBytes(sig.pubkey, owner.publicKey)));
    return { index, txid: txidFromHash(txIn.hash), vout: txIn.index, sequence: txIn.sequence, utxo, owner, signed, sighashType: input.sighashType, unprovenClaims };
  });
}

function inputOwner(input: PsbtInput, utxo: InputUtxo, account: Bip84Account, scan: ScanDepth, unproven: string[]): InputOwner {
  for (const entry of ours(input.bip32Derivation, account)) {
    const key = provenKey(entry, account);
    if (!key) {
      unproven.push(entry.path);
      continue;
    }
    if (utxo.kind !== 'ok') return { kind: 'card', ...key, proof: 'bip32Derivation' };
    const keyHash = hash160(key.publicKey);
    if (equalBytes(utxo.script, p2wpkhScript(keyHash))) return { kind: 'card', ...key, proof: 'bip32Derivation' };
    if (equalBytes(utxo.script, p2pkhScript(keyHash))) return { kind: 'card-unsupported', path: key.path, scriptType: 'p2pkh' };
    if (equalBytes(utxo.script, p2shScript(hash160(p2wpkhScript(keyHash))))) return { kind: 'card-unsupported', path: key.path, scriptType: 'p2sh-p2wpkh' };
    unproven.push(entry.path);
  }
  const taproot = ours(input.tapBip32Derivation, account)[0];
  if (taproot) return { kind: 'card-taproot', path: taproot.path };
  if (utxo.kind === 'ok' && classifyScript(utxo.script) === 'p2wpkh') {
    const location = account.locateScript(utxo.script, scan);
    if (location) {
      return { kind: 'card', location, path: account.keyPath(location.chain, location.index), publicKey: account.publicKey(location.chain, location.index), proof: 'script' };
    }
  }
  return { kind: 'foreign' };
}

/** Every output of `psbt`, and whether it pays back to the account (change, or one of our receive addresses). */
export function describeOutputs(psbt: Psbt, account: Bip84Account, scan: ScanDepth = {}): OutputInfo[] {
  const txOutputs = unsignedTransaction(psbt).outs;
  return psbt.data.outputs.map((output, index) => {
    const { script, value } = txOutputs[index]!;
    const unprovenClaims: string[] = [];
    let owner: OutputOwner = { kind: 'none' };
    for (const entry of ours(output.bip32Derivation, account)) {
      const key = provenKey(entry, account);
      if (key && equalBytes(script, p2wpkhScript(hash160(key.publicKey)))) {
        owner = { kind: 'account', location: key.location, path: key.path, proof: 'bip32Derivation' };
        break;
      }
      unprovenClaims.push(entry.path);
    }
    if (owner.kind === 'none') {
      const location = account.locateScript(script, scan);
      if (location) owner = { kind: 'account', location, path: account.keyPath(location.chain, location.index), proof: 'derived' };
    }
    return { index, script, value: Number(value), owner, unprovenClaims };
  });
}

function ours<T extends Bip32Derivation>(entries: readonly T[] | undefined, account: Bip84Account): T[] {
  return (entries ?? []).filter((entry) => equalBytes(entry.masterFingerprint, account.masterFingerprint));
}

/** The entry's key when its path is in this account and its key is the one the account derives there. */
function provenKey(entry: Bip32Derivation, account: Bip84Account): { location: KeyLocation; path: string; publicKey: Uint8Array } | null {
  const location = account.locatePath(entry.path);
  if (!location) return null;
  const publicKey = account.publicKey(location.chain, location.index);
  if (!equalBytes(publicKey, entry.pubkey)) return null;
  return { location, path: account.keyPath(location.chain, location.index), publicKey };
}

/** Hex of a script, for messages and the approval view. */
export function scriptHex(script: Uint8Array): string {
  return bytesToHex(script);
}
