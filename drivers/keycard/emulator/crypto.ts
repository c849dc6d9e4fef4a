/**
 * Card-side cryptography of the Keycard 3.1 applet (../shared/protocols/keycard.md):
 * ISO 9797-1 method 2 padding and AES-256-CBC (6.3/6.4), the CBC-MAC of the secure channel (6.3),
 * ECDH as the raw X coordinate (4, 6.1), session keys (6.1), pairing values (5), and the two ECDSA
 * answer formats: SIGN (section 10, low-S, r minimal, s always 32 bytes) and IDENT (section 13, not
 * normalised, minimal DER).
 */
import { cbc } from '@noble/ciphers/aes.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { bigintTo32, bytesToBigint, concat } from './bytes.ts';
import type { RandomFn } from './random.ts';

export { sha256, sha512 };

export const CURVE_ORDER = secp256k1.Point.CURVE().n;
const HALF_ORDER = CURVE_ORDER >> 1n;

/** ISO/IEC 9797-1 method 2: always `80`, then zeros to a multiple of 16 (6.3 step 1). */
export function pad(data: Uint8Array): Uint8Array {
  const out = new Uint8Array((Math.floor(data.length / 16) + 1) * 16);
  out.set(data, 0);
  out[data.length] = 0x80;
  return out;
}

/** Removes method-2 padding; null when it is not valid (no `80` after the trailing zeros). */
export function unpad(padded: Uint8Array): Uint8Array | null {
  let i = padded.length - 1;
  while (i >= 0 && padded[i] === 0x00 && padded.length - i <= 16) i -= 1;
  if (i < 0 || padded[i] !== 0x80 || padded.length - i > 16) return null;
  return padded.slice(0, i);
}

export function aesCbcEncrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  return cbc(key, iv, { disablePadding: true }).encrypt(data);
}

export function aesCbcDecrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  return cbc(key, iv, { disablePadding: true }).decrypt(data);
}

/** Last block of AES-256-CBC(key, zero IV, data): the secure channel's MAC (plain CBC-MAC, 6.3 step 4). */
export function cbcMac(key: Uint8Array, data: Uint8Array): Uint8Array {
  return aesCbcEncrypt(key, new Uint8Array(16), data).slice(-16);
}

/** Uncompressed (65-byte) public key of a private key. */
export function publicKeyOf(privateKey: Uint8Array): Uint8Array {
  return secp256k1.getPublicKey(privateKey, false);
}

export function isValidPrivateKey(key: Uint8Array): boolean {
  if (key.length !== 32) return false;
  const k = bytesToBigint(key);
  return k > 0n && k < CURVE_ORDER;
}

/** A fresh key pair from the card RNG (redrawn in the practically impossible out-of-range case). */
export function randomPrivateKey(random: RandomFn): Uint8Array {
  for (;;) {
    const candidate = random(32);
    if (isValidPrivateKey(candidate)) return candidate;
  }
}

/** True for a 65-byte uncompressed point on the curve (what INIT and OPEN SECURE CHANNEL accept). */
export function isValidUncompressedPoint(point: Uint8Array): boolean {
  if (point.length !== 65 || point[0] !== 0x04) return false;
  try {
    secp256k1.Point.fromBytes(point).assertValidity();
    return true;
  } catch {
    return false;
  }
}

/** ECDH as the applet does it: the raw 32-byte X coordinate of priv * pub, no KDF (4, 6.1). */
export function ecdhX(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  return secp256k1.getSharedSecret(privateKey, publicKey, true).slice(1);
}

export interface SessionKeys {
  readonly encKey: Uint8Array;
  readonly macKey: Uint8Array;
}

/** 6.1: K = SHA-512(ECDH-X || pairing key || salt); enc key K[0..31], MAC key K[32..63]. */
export function deriveSessionKeys(sharedX: Uint8Array, pairingKey: Uint8Array, salt: Uint8Array): SessionKeys {
  const k = sha512(concat(sharedX, pairingKey, salt));
  return { encKey: k.slice(0, 32), macKey: k.slice(32, 64) };
}

/** Section 5: card cryptogram / client cryptogram = SHA-256(secret || challenge); pairing key = SHA-256(secret || salt). */
export function pairingHash(secret: Uint8Array, value: Uint8Array): Uint8Array {
  return sha256(concat(secret, value));
}

function derInteger(value: Uint8Array): Uint8Array {
  return concat(Uint8Array.of(0x02, value.length), value);
}

/** Minimal unsigned big-endian encoding for a DER INTEGER (leading 00 when the top bit is set). */
function minimalInteger(value: bigint): Uint8Array {
  const full = bigintTo32(value);
  let start = 0;
  while (start < 31 && full[start] === 0 && (full[start + 1]! & 0x80) === 0) start += 1;
  const body = full.slice(start);
  return (body[0]! & 0x80) !== 0 ? concat(Uint8Array.of(0), body) : body;
}

function derSequence(r: Uint8Array, s: Uint8Array): Uint8Array {
  const body = concat(derInteger(r), derInteger(s));
  return concat(Uint8Array.of(0x30, body.length), body);
}

function rawSign(privateKey: Uint8Array, digest: Uint8Array, random: RandomFn, lowS: boolean): { r: bigint; s: bigint } {
  const compact = secp256k1.sign(digest, privateKey, { prehash: false, lowS, extraEntropy: random(32) });
  return { r: bytesToBigint(compact.slice(0, 32)), s: bytesToBigint(compact.slice(32, 64)) };
}

/**
 * SIGN's signature (section 10): the digest signed as is, s replaced by n - s when s > n/2, r as a
 * minimal INTEGER, s written as exactly 32 bytes (so a leading 00 stays: the real card's DER quirk).
 */
export function signForSign(privateKey: Uint8Array, digest: Uint8Array, random: RandomFn): Uint8Array {
  const { r, s } = rawSign(privateKey, digest, random, false);
  const low = s > HALF_ORDER ? CURVE_ORDER - s : s;
  return keycardDer(r, low);
}

/** The SIGN encoding of (r, s): r minimal, s exactly 32 bytes. */
export function keycardDer(r: bigint, s: bigint): Uint8Array {
  const s32 = bigintTo32(s);
  return derSequence(minimalInteger(r), (s32[0]! & 0x80) !== 0 ? concat(Uint8Array.of(0), s32) : s32);
}

/** IDENT's challenge signature (section 13): not low-S normalised, minimal DER. */
export function signForIdent(privateKey: Uint8Array, digest: Uint8Array, random: RandomFn): Uint8Array {
  const { r, s } = rawSign(privateKey, digest, random, false);
  return derSequence(minimalInteger(r), minimalInteger(s));
}
