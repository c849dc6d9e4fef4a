/**
 * BIP32 paths as the Satochip takes them, and xpub serialisation
 * (../shared/protocols/satochip-seedkeeper.md section 5.3; `primitives.json` `bip32_path_bytes`).
 *
 * GET EXTENDED KEY P1 = depth (0..10), data = 4 big-endian bytes per level, bit 31 = hardened:
 * m/84'/0'/0'/0/0 -> P1 05, data 80000054 80000000 80000000 00000000 00000000.
 */
import { ripemd160 } from '@noble/hashes/legacy.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { HDKey } from '@scure/bip32';
import { concatBytes, u32 } from './bytes.ts';
import { invalidArgument } from './errors.ts';

export const HARDENED = 0x80000000;
/** Section 12: MAX_BIP32_DEPTH. Deeper paths get 9C10; we refuse them before sending. */
export const MAX_BIP32_DEPTH = 10;

/** Version bytes of serialised public keys (BIP32 xpub, SLIP-132 ypub/zpub, testnet tpub/vpub). */
export const XPUB_VERSIONS = {
  xpub: 0x0488b21e,
  ypub: 0x049d7cb2,
  zpub: 0x04b24746,
  tpub: 0x043587cf,
  vpub: 0x045f1cf6,
} as const;

/** "m/84'/0'/0'/0/0" (also `h`/`H` for hardened) or child numbers -> child numbers; INVALID_ARGUMENT when malformed or deeper than 10. */
export function parseBip32Path(path: string | readonly number[]): number[] {
  let indexes: number[];
  if (typeof path === 'string') {
    const parts = path.trim().split('/');
    if (parts[0] !== 'm' && parts[0] !== 'M') throw invalidArgument('path', 'must start with m');
    indexes = parts.slice(1).map((part) => {
      const match = /^(\d{1,10})(['hH]?)$/.exec(part);
      if (!match) throw invalidArgument('path', `bad level "${part}"`);
      const value = Number(match[1]);
      if (value >= HARDENED) throw invalidArgument('path', `level ${value} is 2^31 or more`);
      return match[2] ? value + HARDENED : value;
    });
  } else {
    indexes = path.map((value) => {
      if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw invalidArgument('path', `bad child number ${value}`);
      return value;
    });
  }
  if (indexes.length > MAX_BIP32_DEPTH) throw invalidArgument('path', `depth ${indexes.length}; the card derives at most ${MAX_BIP32_DEPTH} levels`);
  return indexes;
}

export function formatBip32Path(indexes: readonly number[]): string {
  return ['m', ...indexes.map((i) => (i >= HARDENED ? `${i - HARDENED}'` : String(i)))].join('/');
}

/** The GET EXTENDED KEY data field: 4 bytes per level. */
export function encodeBip32Path(indexes: readonly number[]): Uint8Array {
  return concatBytes(...indexes.map((index) => u32(index)));
}

/** BIP32 key fingerprint: the first 4 bytes of HASH160(compressed public key), as a number. */
export function keyFingerprint(compressedPublicKey: Uint8Array): number {
  const id = ripemd160(sha256(compressedPublicKey));
  return ((id[0]! << 24) | (id[1]! << 16) | (id[2]! << 8) | id[3]!) >>> 0;
}

export interface XpubFields {
  readonly version: number;
  readonly depth: number;
  readonly parentFingerprint: number;
  readonly childNumber: number;
  readonly chainCode: Uint8Array;
  /** 33-byte compressed key. */
  readonly publicKey: Uint8Array;
}

/** BIP32 serialisation (Base58Check) of a public node, by @scure/bip32. */
export function serializeXpub(fields: XpubFields): string {
  try {
    return new HDKey({
      versions: { public: fields.version, private: 0 },
      depth: fields.depth,
      index: fields.childNumber,
      parentFingerprint: fields.parentFingerprint,
      chainCode: fields.chainCode,
      publicKey: fields.publicKey,
    }).publicExtendedKey;
  } catch (error) {
    throw invalidArgument('xpub', (error as Error).message);
  }
}
