/**
 * Output scripts: what kind a script is, its address on a network, and its dust threshold.
 * Scripts carry no network: the same P2WPKH script is bc1... on mainnet and tb1... on testnet, so an
 * address is always the script's encoding on the network the caller names.
 */
import { address as bjsAddress } from 'bitcoinjs-lib';
import type { BtcNetwork } from './networks.ts';

export type ScriptType =
  | 'p2wpkh'
  | 'p2wsh'
  | 'p2tr'
  | 'p2pkh'
  | 'p2sh'
  /** A segwit version or program length with no meaning yet (v1 not 32 bytes, v2..v16). */
  | 'witness_unknown'
  /** OP_RETURN: unspendable data. */
  | 'op_return'
  | 'unknown';

const OP_0 = 0x00;
const OP_1 = 0x51;
const OP_16 = 0x60;
const OP_RETURN = 0x6a;
const OP_DUP = 0x76;
const OP_HASH160 = 0xa9;
const OP_EQUAL = 0x87;
const OP_EQUALVERIFY = 0x88;
const OP_CHECKSIG = 0xac;

export function p2wpkhScript(hash160: Uint8Array): Uint8Array {
  return Uint8Array.of(OP_0, 0x14, ...hash160);
}

export function p2wshScript(hash: Uint8Array): Uint8Array {
  return Uint8Array.of(OP_0, 0x20, ...hash);
}

export function p2trScript(xOnly: Uint8Array): Uint8Array {
  return Uint8Array.of(OP_1, 0x20, ...xOnly);
}

export function p2pkhScript(hash160: Uint8Array): Uint8Array {
  return Uint8Array.of(OP_DUP, OP_HASH160, 0x14, ...hash160, OP_EQUALVERIFY, OP_CHECKSIG);
}

export function p2shScript(hash160: Uint8Array): Uint8Array {
  return Uint8Array.of(OP_HASH160, 0x14, ...hash160, OP_EQUAL);
}

/** A segwit program: version 0..16 and 2..40 bytes of data (BIP141), or null. */
export function witnessProgram(script: Uint8Array): { version: number; program: Uint8Array } | null {
  if (script.length < 4 || script.length > 42) return null;
  const op = script[0]!;
  const version = op === OP_0 ? 0 : op >= OP_1 && op <= OP_16 ? op - OP_1 + 1 : -1;
  if (version < 0 || script[1] !== script.length - 2) return null;
  return { version, program: script.subarray(2) };
}

export function classifyScript(script: Uint8Array): ScriptType {
  const witness = witnessProgram(script);
  if (witness) {
    if (witness.version === 0 && witness.program.length === 20) return 'p2wpkh';
    if (witness.version === 0 && witness.program.length === 32) return 'p2wsh';
    if (witness.version === 0) return 'unknown';
    if (witness.version === 1 && witness.program.length === 32) return 'p2tr';
    return 'witness_unknown';
  }
  if (script.length === 25 && script[0] === OP_DUP && script[1] === OP_HASH160 && script[2] === 0x14 && script[23] === OP_EQUALVERIFY && script[24] === OP_CHECKSIG) {
    return 'p2pkh';
  }
  if (script.length === 23 && script[0] === OP_HASH160 && script[1] === 0x14 && script[22] === OP_EQUAL) return 'p2sh';
  if (script.length > 0 && script[0] === OP_RETURN) return 'op_return';
  return 'unknown';
}

/** The script's address on `network`, or null when it has none (OP_RETURN, bare scripts). */
export function scriptAddress(script: Uint8Array, network: BtcNetwork): string | null {
  const params = network.params;
  switch (classifyScript(script)) {
    case 'p2wpkh':
    case 'p2wsh':
    case 'p2tr':
    case 'witness_unknown': {
      const witness = witnessProgram(script)!;
      return bjsAddress.toBech32(witness.program, witness.version, params.bech32);
    }
    case 'p2pkh':
      return bjsAddress.toBase58Check(script.subarray(3, 23), params.pubKeyHash);
    case 'p2sh':
      return bjsAddress.toBase58Check(script.subarray(2, 22), params.scriptHash);
    default:
      return null;
  }
}

/**
 * The data an OP_RETURN output carries: the bytes after OP_RETURN with push opcodes removed when
 * they parse, else everything after OP_RETURN.
 */
export function opReturnData(script: Uint8Array): Uint8Array {
  const chunks: Uint8Array[] = [];
  let i = 1;
  while (i < script.length) {
    const op = script[i]!;
    let length: number;
    let start: number;
    if (op >= 0x01 && op <= 0x4b) [length, start] = [op, i + 1];
    else if (op === 0x4c && i + 1 < script.length) [length, start] = [script[i + 1]!, i + 2];
    else if (op === 0x4d && i + 2 < script.length) [length, start] = [script[i + 1]! | (script[i + 2]! << 8), i + 3];
    else return script.subarray(1);
    if (start + length > script.length) return script.subarray(1);
    chunks.push(script.subarray(start, start + length));
    i = start + length;
  }
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const chunk of chunks) out.set(chunk, (offset += chunk.length) - chunk.length);
  return out;
}

/** Bitcoin Core's dust relay fee (sat/kvB) behind GetDustThreshold. */
const DUST_RELAY_FEE_PER_KVB = 3000;

/**
 * Bitcoin Core's GetDustThreshold at the default dust relay fee: the cost of the output plus the
 * input that would spend it, at 3 sat/vB. 294 for P2WPKH, 330 for P2WSH/P2TR, 546 for P2PKH,
 * 540 for P2SH; 0 for OP_RETURN (unspendable, never dust).
 */
export function dustThreshold(script: Uint8Array): number {
  if (script.length > 0 && script[0] === OP_RETURN) return 0;
  const outputSize = 8 + varIntSize(script.length) + script.length;
  const spendSize = witnessProgram(script) ? 32 + 4 + 1 + Math.floor(107 / 4) + 4 : 32 + 4 + 1 + 107 + 4;
  return Math.floor(((outputSize + spendSize) * DUST_RELAY_FEE_PER_KVB) / 1000);
}

export function varIntSize(n: number): number {
  return n < 0xfd ? 1 : n <= 0xffff ? 3 : n <= 0xffffffff ? 5 : 9;
}
