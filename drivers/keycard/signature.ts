/**
 * Reading the ECDSA signatures a Keycard returns (../shared/protocols/keycard.md sections 10, 13):
 * DER `30 len 02 r 02 s`, where r may carry a leading 00 (33 bytes) or be shorter than 32, and s
 * is written as exactly 32 bytes after low-S normalisation, so about 1 in 150 signatures has a
 * non-minimal s (`00` followed by a byte < 80) that strict DER parsers (noble's included) refuse.
 * We read r and s as unsigned integers, check 0 < value < n, and hand out the 64-byte compact form;
 * re-encode minimal DER (noble) wherever strict DER is needed, e.g. in a Bitcoin transaction.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';

const CURVE_ORDER = secp256k1.Point.CURVE().n;

export interface CompactSignature {
  readonly r: bigint;
  readonly s: bigint;
  /** r || s, 32 bytes each. */
  readonly compact: Uint8Array;
}

function readInteger(der: Uint8Array, offset: number): { value: bigint; next: number } | null {
  if (der[offset] !== 0x02) return null;
  const length = der[offset + 1];
  if (length === undefined || length === 0 || length > 33) return null;
  const start = offset + 2;
  if (start + length > der.length) return null;
  if ((der[start]! & 0x80) !== 0) return null; // negative: never a valid r or s
  let value = 0n;
  for (let i = start; i < start + length; i++) value = (value << 8n) | BigInt(der[i]!);
  return { value, next: start + length };
}

/** A scalar below n as 32 big-endian bytes. */
export function to32(value: bigint): Uint8Array {
  const out = new Uint8Array(32);
  let v = value;
  for (let i = 31; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/** The (r, s) of a card DER signature, leniently read as described above; null when it is not one. */
export function parseCardDerSignature(der: Uint8Array): CompactSignature | null {
  if (der.length < 8 || der[0] !== 0x30 || der[1] !== der.length - 2) return null;
  const r = readInteger(der, 2);
  if (!r) return null;
  const s = readInteger(der, r.next);
  if (!s || s.next !== der.length) return null;
  if (r.value <= 0n || r.value >= CURVE_ORDER || s.value <= 0n || s.value >= CURVE_ORDER) return null;
  const compact = new Uint8Array(64);
  compact.set(to32(r.value), 0);
  compact.set(to32(s.value), 32);
  return { r: r.value, s: s.value, compact };
}
