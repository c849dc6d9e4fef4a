/**
 * Signing the card's inputs of a PSBT (built here or imported) through a CardSigner.
 *
 * Everything is checked before the card is touched: which inputs are the card's (psbt-ownership),
 * their coins (MISSING_UTXO, UTXO_MISMATCH), SIGHASH_ALL only, no taproot without Schnorr, no script
 * type we do not sign; and every BIP143 sighash is computed by bitcoinjs-lib up front. Then, in one
 * card session, one signDigest per input (grouped by path, so a card that keeps its last derived key
 * derives each key once). Each signature is checked before it is used: the card's key for the path
 * is the one the account derives (KEY_MISMATCH: another card; compared by the signer before it
 * signs), the signature is valid under it for that sighash and low-S (SIGNATURE_INVALID: this is
 * the one verification of each input's signature, signForVerifier leaves it to us), then
 * DER-encoded with the sighash byte. The PSBT gets the signatures only when all of them are good.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { Transaction, script as bscript, type Psbt } from 'bitcoinjs-lib';
import type { CardSigner } from '../signer.ts';
import type { Bip84Account } from './account.ts';
import { hash160 } from './bytes.ts';
import { BtcError, throwIfAborted } from './errors.ts';
import { describeInputs, type InputInfo, type ScanDepth } from './psbt-ownership.ts';
import { unsignedTransaction } from './psbt-tx.ts';
import { p2pkhScript } from './scripts.ts';
import { requireSchnorr } from './taproot.ts';

export interface SignProgress {
  /** Signatures made so far. */
  readonly signed: number;
  /** Signatures this PSBT needs from the card. */
  readonly total: number;
  /** The PSBT input just signed (undefined on the first call, before any). */
  readonly input?: number;
}

export interface SignOptions {
  /** Called once before the first signature ({signed: 0}) and after each one. */
  readonly onProgress?: (progress: SignProgress) => void;
  readonly signal?: AbortSignal;
  /** How deep to look for the account's scripts in inputs without bip32Derivation. */
  readonly scan?: ScanDepth;
}

export interface SignResult {
  /** Inputs signed now. */
  readonly signed: readonly number[];
  /** The card's inputs that already carried its signature. */
  readonly alreadySigned: readonly number[];
  /** Inputs that are not the card's. */
  readonly foreign: readonly number[];
}

/** One input the card will sign: where, with which key, over which digest. */
export interface SigningTask {
  readonly input: number;
  readonly path: string;
  /** 33 bytes: the key the partial signature names. */
  readonly publicKey: Uint8Array;
  /** The same key, 65 bytes uncompressed: what the card's key and the signature are checked against. */
  readonly verificationKey: Uint8Array;
  readonly sighash: Uint8Array;
}

export interface SigningPlan {
  readonly tasks: readonly SigningTask[];
  readonly alreadySigned: readonly number[];
  readonly foreign: readonly number[];
}

/**
 * What the card must sign, and the digests, or the first typed error. Pure host work: no card call.
 */
export function planSigning(psbt: Psbt, account: Bip84Account, signer: Pick<CardSigner, 'family' | 'schnorr'>, scan: ScanDepth = {}): SigningPlan {
  const inputs = describeInputs(psbt, account, scan);
  const foreign: number[] = [];
  const alreadySigned: number[] = [];
  const toSign: (InputInfo & { owner: Extract<InputInfo['owner'], { kind: 'card' }> })[] = [];
  for (const info of inputs) {
    const owner = info.owner;
    if (owner.kind === 'foreign') {
      foreign.push(info.index);
    } else if (info.signed) {
      alreadySigned.push(info.index);
    } else if (owner.kind === 'card-taproot') {
      requireSchnorr(signer);
      throw new BtcError('UNSUPPORTED_SCRIPT_TYPE', 'taproot inputs are not signed by this wallet yet', { input: info.index, path: owner.path, scriptType: 'p2tr' });
    } else if (owner.kind === 'card-unsupported') {
      throw new BtcError('UNSUPPORTED_SCRIPT_TYPE', `input ${info.index} is the card's key in a ${owner.scriptType} script; only native segwit (P2WPKH) is signed`, {
        input: info.index,
        path: owner.path,
        scriptType: owner.scriptType,
      });
    } else {
      toSign.push({ ...info, owner });
    }
  }
  if (toSign.length === 0) {
    throw new BtcError('NOTHING_TO_SIGN', alreadySigned.length ? "the card's inputs are signed already" : 'no input of this PSBT belongs to the card\'s account', {
      inputs: inputs.length,
      alreadySigned: alreadySigned.length,
      account: account.path,
    });
  }
  const tx = unsignedTransaction(psbt);
  const tasks = toSign.map((info): SigningTask => {
    if (info.utxo.kind === 'missing') {
      throw new BtcError('MISSING_UTXO', `input ${info.index} has neither witnessUtxo nor nonWitnessUtxo: its amount cannot be signed`, { input: info.index });
    }
    if (info.utxo.kind === 'mismatch') throw new BtcError('UTXO_MISMATCH', info.utxo.reason, { input: info.index });
    const sighashType = info.sighashType ?? Transaction.SIGHASH_ALL;
    if (sighashType !== Transaction.SIGHASH_ALL) {
      throw new BtcError('UNSUPPORTED_SIGHASH', `input ${info.index} asks for sighash type ${sighashType}; only SIGHASH_ALL is signed`, {
        input: info.index,
        sighashType,
      });
    }
    const scriptCode = p2pkhScript(hash160(info.owner.publicKey));
    const sighash = tx.hashForWitnessV0(info.index, scriptCode, BigInt(info.utxo.value), Transaction.SIGHASH_ALL);
    const { chain, index } = info.owner.location;
    return { input: info.index, path: info.owner.path, publicKey: info.owner.publicKey, verificationKey: account.uncompressedPublicKey(chain, index), sighash };
  });
  return { tasks, alreadySigned, foreign };
}

/** Signs the card's inputs of `psbt` in place (see the module comment for the checks). */
export async function signPsbt(psbt: Psbt, account: Bip84Account, signer: CardSigner, options: SignOptions = {}): Promise<SignResult> {
  throwIfAborted(options.signal);
  const plan = planSigning(psbt, account, signer, options.scan);
  const order = [...plan.tasks].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.input - b.input));
  const total = order.length;
  options.onProgress?.({ signed: 0, total });
  const signatures: { input: number; pubkey: Uint8Array; signature: Uint8Array }[] = [];
  for (const task of order) {
    throwIfAborted(options.signal);
    const signed = await signer.signForVerifier(task.path, task.sighash, task.verificationKey);
    if (signed.kind === 'other-key') {
      throw new BtcError('KEY_MISMATCH', "the card's key for this input is not the account's: is this the account's card?", {
        input: task.input,
        path: task.path,
      });
    }
    verifySignature(task, signed.signature);
    signatures.push({ input: task.input, pubkey: task.publicKey, signature: bscript.signature.encode(signed.signature, Transaction.SIGHASH_ALL) });
    options.onProgress?.({ signed: signatures.length, total, input: task.input });
  }
  signatures.sort((a, b) => a.input - b.input);
  for (const { input, pubkey, signature } of signatures) psbt.updateInput(input, { partialSig: [{ pubkey, signature }] });
  return { signed: signatures.map((s) => s.input), alreadySigned: plan.alreadySigned, foreign: plan.foreign };
}

/** SIGNATURE_INVALID unless `signature` (64 bytes r||s) is a low-S ECDSA signature of the task's digest by its key. */
export function verifySignature(task: Pick<SigningTask, 'input' | 'path' | 'verificationKey' | 'sighash'>, signature: Uint8Array): void {
  let valid = false;
  try {
    valid = signature.length === 64 && secp256k1.verify(signature, task.sighash, task.verificationKey, { prehash: false, lowS: true, format: 'compact' });
  } catch {
    valid = false;
  }
  if (!valid) {
    throw new BtcError('SIGNATURE_INVALID', `the signature for input ${task.input} does not verify (or is not low-S)`, { input: task.input, path: task.path });
  }
}
