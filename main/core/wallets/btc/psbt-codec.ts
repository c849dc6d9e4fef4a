/**
 * PSBTs in and out (BIP174): import from base64 (Bitcoin Core, Sparrow's "copy"), hex, or a file's
 * bytes (binary as Sparrow saves it, or base64 text as Bitcoin Core writes it); export as base64 or
 * bytes. Anything that does not parse, or breaks a consensus rule we can check without the chain
 * (no inputs or outputs, amounts above 21e6 BTC), is INVALID_PSBT and nothing else.
 */
import { base64 } from '@scure/base';
import { Psbt } from 'bitcoinjs-lib';
import { MAX_MONEY } from './amounts.ts';
import { hexToBytes } from './bytes.ts';
import { BtcError, reasonOf } from './errors.ts';
import { ABSURD_FEE_RATE } from './fees.ts';
import type { BtcNetwork } from './networks.ts';
import { unsignedTransaction } from './psbt-tx.ts';

/** "psbt" 0xff */
const MAGIC = Uint8Array.of(0x70, 0x73, 0x62, 0x74, 0xff);
/** Large enough for hundreds of inputs with their full previous transactions. */
export const MAX_PSBT_BYTES = 8 * 1024 * 1024;

/** A bitcoinjs-lib Psbt for `network` (addresses in its encoding; its own fee-rate cap at the absurd rate). */
export function newPsbt(network: BtcNetwork): Psbt {
  return new Psbt({ network: network.params, maximumFeeRate: ABSURD_FEE_RATE });
}

/** Parses a PSBT given as base64 or hex text, or as bytes (binary, or base64/hex text in a file). */
export function importPsbt(input: string | Uint8Array, network: BtcNetwork): Psbt {
  const bytes = psbtBytes(input);
  let psbt: Psbt;
  try {
    psbt = Psbt.fromBuffer(bytes, { network: network.params, maximumFeeRate: ABSURD_FEE_RATE });
  } catch (error) {
    throw invalid('the PSBT does not parse', reasonOf(error));
  }
  checkConsensus(psbt);
  return psbt;
}

export function exportPsbtBase64(psbt: Psbt): string {
  return psbt.toBase64();
}

export function exportPsbtBytes(psbt: Psbt): Uint8Array {
  return psbt.toBuffer();
}

function psbtBytes(input: string | Uint8Array): Uint8Array {
  if (input instanceof Uint8Array) {
    if (input.length > MAX_PSBT_BYTES * 2) throw invalid('the PSBT is too large', `${input.length} bytes`);
    if (startsWithMagic(input)) return checkSize(input);
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(input);
    } catch {
      throw invalid('not a PSBT: neither binary (psbt 0xff) nor text', 'bad magic');
    }
    return textBytes(text);
  }
  if (typeof input !== 'string') throw invalid('not a PSBT', 'expected base64 text or bytes');
  if (input.length > MAX_PSBT_BYTES * 2) throw invalid('the PSBT is too large', `${input.length} characters`);
  return textBytes(input);
}

function textBytes(text: string): Uint8Array {
  const compact = text.replace(/\s+/g, '');
  if (compact === '') throw invalid('the PSBT is empty', 'no data');
  let bytes: Uint8Array;
  if (/^70736274ff([0-9a-f]{2})*$/i.test(compact)) {
    bytes = hexToBytes(compact.toLowerCase());
  } else {
    try {
      bytes = base64.decode(compact);
    } catch (error) {
      throw invalid('the PSBT is not valid base64', reasonOf(error));
    }
  }
  if (!startsWithMagic(bytes)) throw invalid('not a PSBT: it does not start with "psbt" 0xff', 'bad magic');
  return checkSize(bytes);
}

function checkSize(bytes: Uint8Array): Uint8Array {
  if (bytes.length > MAX_PSBT_BYTES) throw invalid('the PSBT is too large', `${bytes.length} bytes, at most ${MAX_PSBT_BYTES}`);
  return bytes;
}

function startsWithMagic(bytes: Uint8Array): boolean {
  return bytes.length >= MAGIC.length && MAGIC.every((b, i) => bytes[i] === b);
}

/** Rules a valid transaction follows whatever the chain says. */
function checkConsensus(psbt: Psbt): void {
  if (psbt.inputCount === 0) throw invalid('the transaction has no inputs', 'no inputs');
  const outputs = unsignedTransaction(psbt).outs;
  if (outputs.length === 0) throw invalid('the transaction has no outputs', 'no outputs');
  const max = BigInt(MAX_MONEY);
  let total = 0n;
  outputs.forEach((output, i) => {
    if (output.value < 0n || output.value > max) throw invalid('an output amount is out of range', `output ${i}: ${output.value} sat`);
    total += output.value;
  });
  if (total > max) throw invalid('the outputs total more than 21,000,000 BTC', `${total} sat`);
  let inputs = 0n;
  psbt.data.inputs.forEach((input, i) => {
    const value = input.witnessUtxo?.value;
    if (value === undefined) return;
    if (value < 0n || value > max) throw invalid('an input amount (witnessUtxo) is out of range', `input ${i}: ${value} sat`);
    inputs += value;
  });
  if (inputs > max) throw invalid('the inputs total more than 21,000,000 BTC', `${inputs} sat`);
}

function invalid(message: string, reason: string): BtcError {
  return new BtcError('INVALID_PSBT', message, { reason: reason.length > 200 ? `${reason.slice(0, 200)}...` : reason });
}
