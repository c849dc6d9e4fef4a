/**
 * BIP32 as the applet computes it (../shared/protocols/keycard.md section 8): master from a seed
 * (HMAC-SHA512 keyed with `Bitcoin seed`), CKDpriv per level, paths as 4-byte big-endian indexes
 * (hardened = bit 31), at most 10 levels. An invalid child (IL >= n or a zero key) is `6984`.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { ascii, bigintTo32, bytesToBigint, concat, u32 } from './bytes.ts';
import { CURVE_ORDER } from './crypto.ts';
import { SW, fail } from './status-words.ts';

export const MAX_DEPTH = 10;
export const HARDENED = 0x80000000;

export interface ExtendedKey {
  readonly privateKey: Uint8Array;
  /** Null for a key loaded without a chain code (not derivable). */
  readonly chainCode: Uint8Array | null;
}

/** BIP32 master key from a BIP39 seed; null when the seed gives an invalid key (practically never). */
export function masterFromSeed(seed: Uint8Array): ExtendedKey | null {
  const i = hmac(sha512, ascii('Bitcoin seed'), seed);
  const k = bytesToBigint(i.slice(0, 32));
  if (k === 0n || k >= CURVE_ORDER) return null;
  return { privateKey: i.slice(0, 32), chainCode: i.slice(32) };
}

/** CKDpriv(parent, index); throws `6984` for an invalid child. */
export function deriveChild(parent: ExtendedKey, index: number): ExtendedKey {
  if (!parent.chainCode) fail(SW.CONDITIONS_NOT_SATISFIED);
  const data = index >= HARDENED || index < 0
    ? concat(Uint8Array.of(0), parent.privateKey, u32(index))
    : concat(secp256k1.getPublicKey(parent.privateKey, true), u32(index));
  const i = hmac(sha512, parent.chainCode, data);
  const il = bytesToBigint(i.slice(0, 32));
  if (il >= CURVE_ORDER) fail(SW.INVALID_KEY);
  const child = (il + bytesToBigint(parent.privateKey)) % CURVE_ORDER;
  if (child === 0n) fail(SW.INVALID_KEY);
  return { privateKey: bigintTo32(child), chainCode: i.slice(32) };
}

export function derivePath(root: ExtendedKey, path: readonly number[]): ExtendedKey {
  let key = root;
  for (const index of path) key = deriveChild(key, index);
  return key;
}

/** 4-byte big-endian elements; null when the length is not a multiple of 4. */
export function parsePath(bytes: Uint8Array): number[] | null {
  if (bytes.length % 4 !== 0) return null;
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i += 4) out.push(((bytes[i]! << 24) | (bytes[i + 1]! << 16) | (bytes[i + 2]! << 8) | bytes[i + 3]!) >>> 0);
  return out;
}

export function encodePath(path: readonly number[]): Uint8Array {
  return concat(...path.map((index) => u32(index)));
}

/** `m/44'/60'/0'/0/0` -> element list (tests and demo). */
export function pathFromString(text: string): number[] {
  const parts = text.split('/');
  if (parts[0] !== 'm') throw new Error(`not a BIP32 path: ${text}`);
  return parts.slice(1).map((part) => {
    const hardened = part.endsWith("'") || part.endsWith('h');
    const n = Number(hardened ? part.slice(0, -1) : part);
    if (!Number.isInteger(n) || n < 0 || n >= HARDENED) throw new Error(`bad path element ${part}`);
    return (hardened ? n + HARDENED : n) >>> 0;
  });
}

export function samePath(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** EIP-1581 subtree `m/43'/60'/1581'` (section 9). */
export const EIP1581_PREFIX: readonly number[] = [43 + HARDENED, 60 + HARDENED, 1581 + HARDENED];

export function isEip1581(path: readonly number[]): boolean {
  return path.length >= EIP1581_PREFIX.length && EIP1581_PREFIX.every((v, i) => path[i] === v);
}
