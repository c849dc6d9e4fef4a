/** Byte helpers for the Keycard emulator (hex, concatenation, comparison, big-endian integers). */
import { bytesToHex, concatBytes, hexToBytes } from '@noble/hashes/utils.js';

export const EMPTY = new Uint8Array(0);

export function hex(bytes: Uint8Array): string {
  return bytesToHex(bytes);
}

export function fromHex(text: string): Uint8Array {
  return hexToBytes(text.replace(/\s+/g, ''));
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  return concatBytes(...parts);
}

export function ascii(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

export function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i += 1) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

export function u32(value: number): Uint8Array {
  return Uint8Array.of(value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff);
}

export function bigintTo32(value: bigint): Uint8Array {
  const out = new Uint8Array(32);
  let v = value;
  for (let i = 31; i >= 0; i -= 1) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

export function bytesToBigint(bytes: Uint8Array): bigint {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

/** True when every byte is an ASCII digit (PIN, PUK, duress PIN). */
export function allDigits(bytes: Uint8Array): boolean {
  return bytes.every((b) => b >= 0x30 && b <= 0x39);
}
