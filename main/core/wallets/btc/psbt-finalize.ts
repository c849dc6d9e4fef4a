/**
 * The last steps of a PSBT: finalize every input (witness from its signature) and extract the network
 * transaction, its hex and txid. An input without its signature is PSBT_NOT_FINALIZABLE (checked for
 * every input before any is changed); a fee rate above the absurd rate is FEE_RATE_ABSURD.
 *
 * A P2WPKH input with its one signature is finalized here (witness = signature, public key; the
 * BIP174 finalizer's clean-up by bip174's own clearFinalizedInput), the same bytes bitcoinjs-lib
 * writes (a test compares) without its per-input script-type probing; every other input goes
 * through bitcoinjs-lib's finalizeInput.
 */
import type { Psbt, Transaction } from 'bitcoinjs-lib';
import { BtcError, reasonOf } from './errors.ts';
import { ABSURD_FEE_RATE, feeRateOf } from './fees.ts';
import { equalBytes, hash160 } from './bytes.ts';
import { inputUtxo } from './psbt-ownership.ts';
import { classifyScript } from './scripts.ts';
import { unsignedTransaction } from './psbt-tx.ts';

export interface ExtractedTransaction {
  readonly hex: string;
  readonly txid: string;
  readonly vsize: number;
  readonly weight: number;
  readonly fee: number;
  /** sat/vB, two decimals. */
  readonly feeRate: number;
}

function isFinalized(input: Psbt['data']['inputs'][number]): boolean {
  return input.finalScriptSig !== undefined || input.finalScriptWitness !== undefined;
}

/** Finalizes every input not finalized yet (in place). */
export function finalizePsbt(psbt: Psbt): Psbt {
  psbt.data.inputs.forEach((input, index) => {
    if (isFinalized(input)) return;
    if (!input.partialSig?.length && !input.tapKeySig && !input.tapScriptSig?.length) {
      throw new BtcError('PSBT_NOT_FINALIZABLE', `input ${index} has no signature yet`, { input: index });
    }
  });
  const unsigned = unsignedTransaction(psbt);
  psbt.data.inputs.forEach((input, index) => {
    if (isFinalized(input)) return;
    const utxo = inputUtxo(psbt, index, unsigned);
    const witness = utxo.kind === 'ok' ? p2wpkhWitness(input, utxo.script) : null;
    if (witness) {
      psbt.data.updateInput(index, { finalScriptWitness: witness });
      psbt.data.clearFinalizedInput(index);
      return;
    }
    try {
      psbt.finalizeInput(index);
    } catch (error) {
      throw new BtcError('PSBT_NOT_FINALIZABLE', `input ${index} cannot be finalized`, { input: index, reason: reasonOf(error) });
    }
  });
  return psbt;
}

/** The final witness of a P2WPKH input signed once (with its sighash type when one is set), or null. */
function p2wpkhWitness(input: Psbt['data']['inputs'][number], script: Uint8Array): Uint8Array | null {
  const sigs = input.partialSig;
  if (sigs?.length !== 1 || input.redeemScript || input.witnessScript || classifyScript(script) !== 'p2wpkh') return null;
  const { pubkey, signature } = sigs[0]!;
  if (pubkey.length !== 33 || !equalBytes(script.subarray(2), hash160(pubkey))) return null;
  if (signature.length < 9 || signature.length > 73) return null;
  if (input.sighashType !== undefined && signature[signature.length - 1] !== input.sighashType) return null;
  return Uint8Array.of(2, signature.length, ...signature, pubkey.length, ...pubkey);
}

/** The signed transaction of a finalized PSBT; FEE_RATE_ABSURD above `maxFeeRate` sat/vB (default 1000). */
export function extractTransaction(psbt: Psbt, options: { readonly maxFeeRate?: number } = {}): ExtractedTransaction {
  const pending = psbt.data.inputs.findIndex((input) => !isFinalized(input));
  if (pending >= 0) throw new BtcError('PSBT_NOT_FINALIZABLE', `input ${pending} is not finalized`, { input: pending });
  const unsigned = unsignedTransaction(psbt);
  let inputsTotal = 0;
  for (let index = 0; index < psbt.inputCount; index += 1) {
    const utxo = inputUtxo(psbt, index, unsigned);
    if (utxo.kind === 'missing') throw new BtcError('MISSING_UTXO', `the fee cannot be computed: input ${index} has no coin data`, { input: index });
    if (utxo.kind === 'mismatch') throw new BtcError('UTXO_MISMATCH', utxo.reason, { input: index });
    inputsTotal += utxo.value;
  }
  const fee = inputsTotal - unsigned.outs.reduce((sum, out) => sum + Number(out.value), 0);
  if (fee < 0) throw new BtcError('INVALID_PSBT', 'the outputs spend more than the inputs', { fee });
  let tx: Transaction;
  try {
    tx = psbt.extractTransaction(true);
  } catch (error) {
    throw new BtcError('PSBT_NOT_FINALIZABLE', 'the transaction cannot be extracted', { reason: reasonOf(error) });
  }
  const vsize = tx.virtualSize();
  const feeRate = feeRateOf(fee, vsize);
  const maxFeeRate = options.maxFeeRate ?? ABSURD_FEE_RATE;
  if (fee / vsize > maxFeeRate) {
    throw new BtcError('FEE_RATE_ABSURD', `the fee rate ${feeRate} sat/vB is above ${maxFeeRate} sat/vB`, { fee, vsize, maximum: maxFeeRate });
  }
  return { hex: tx.toHex(), txid: tx.getId(), vsize, weight: tx.weight(), fee, feeRate };
}
