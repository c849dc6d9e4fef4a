/**
 * Fee rates and transaction sizes for P2WPKH spends. Sizes are in weight units (BIP141) and virtual
 * bytes (weight / 4, rounded up); fees are whole satoshis, rounded up so the rate paid is never below
 * the rate asked. The P2WPKH witness is counted with a 72-byte signature (71-byte DER at most with a
 * low S, plus the sighash byte): an upper bound, the card does not grind for a low R.
 */
import { BtcError } from './errors.ts';
import { varIntSize } from './scripts.ts';

/** Bitcoin Core's default minimum relay fee rate (sat/vB). */
export const MIN_FEE_RATE = 1;
/** Above this (sat/vB) a fee rate is absurd: refused when building, a warning when decoding. */
export const ABSURD_FEE_RATE = 1000;

/** Outpoint 36 + empty scriptSig length 1 + sequence 4, at 4 WU per byte. */
const INPUT_BASE_WEIGHT = (36 + 1 + 4) * 4;
/** Witness: item count 1, signature push 1 + 72, public key push 1 + 33. */
export const P2WPKH_WITNESS_WEIGHT = 1 + 1 + 72 + 1 + 33;
/** 272 WU = 68 vB. */
export const P2WPKH_INPUT_WEIGHT = INPUT_BASE_WEIGHT + P2WPKH_WITNESS_WEIGHT;
/** Segwit marker and flag. */
const SEGWIT_HEADER_WEIGHT = 2;

/** A fee rate in sat/vB: finite, at least `min` (default 1), at most `max` (default 1000). */
export function requireFeeRate(rate: unknown, limits: { readonly min?: number; readonly max?: number } = {}): number {
  const min = limits.min ?? MIN_FEE_RATE;
  const max = limits.max ?? ABSURD_FEE_RATE;
  if (typeof rate !== 'number' || !Number.isFinite(rate)) {
    throw new BtcError('INVALID_FEE_RATE', 'the fee rate is not a number', { field: 'feeRate' });
  }
  if (rate < min) throw new BtcError('INVALID_FEE_RATE', `the fee rate is below ${min} sat/vB`, { field: 'feeRate', feeRate: rate, minimum: min });
  if (rate > max) {
    throw new BtcError('FEE_RATE_ABSURD', `a fee rate above ${max} sat/vB is absurd`, { field: 'feeRate', feeRate: rate, maximum: max });
  }
  return rate;
}

/** The weight of an output paying `scriptLength` bytes of script. */
export function outputWeight(scriptLength: number): number {
  return (8 + varIntSize(scriptLength) + scriptLength) * 4;
}

/** The weight of a transaction spending `p2wpkhInputs` P2WPKH inputs to outputs of these script lengths. */
export function p2wpkhTxWeight(p2wpkhInputs: number, outputScriptLengths: readonly number[]): number {
  const header = (4 + varIntSize(p2wpkhInputs) + varIntSize(outputScriptLengths.length) + 4) * 4 + SEGWIT_HEADER_WEIGHT;
  return header + p2wpkhInputs * P2WPKH_INPUT_WEIGHT + outputScriptLengths.reduce((w, length) => w + outputWeight(length), 0);
}

export function weightToVbytes(weight: number): number {
  return Math.ceil(weight / 4);
}

/** The fee for `vbytes` at `rate` sat/vB, rounded up (the rate counted to 0.001 sat/vB). */
export function feeForVbytes(vbytes: number, rate: number): number {
  const milliRate = Math.round(rate * 1000);
  return Math.floor((vbytes * milliRate + 999) / 1000);
}

/** sat/vB, to two decimals, for people. */
export function feeRateOf(fee: number, vbytes: number): number {
  return vbytes > 0 ? Math.round((fee / vbytes) * 100) / 100 : 0;
}
