/**
 * Which CA keys a Keycard IDENT certificate may chain to (../shared/protocols/keycard.md section 13).
 *
 * The production CA public key is the one Keycard Shell trusts: `_KEYCARD_CA_PUB` in
 * keycard-tech/keycard-shell `app/storage/keys.c` (commit aa8cf7a), used by `app/keycard/keycard.c`
 * `keycard_verify_cert_ca`. The applet repository, keycard-site and the TypeScript SDK leave the
 * trusted CA to the app, so this is the only published value.
 *
 * The test CA of our recorded vectors (private key SHA-256("keycard-3.1-vectors/test-ca/private-key"),
 * so anyone can sign with it) is exported separately and is NEVER part of the production set: a
 * card certified by it can only be reported as a `test` card, and only when the caller passes it
 * as an extra trusted key.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { keycardInvalidArgument } from '../errors.ts';

const fromHexConst = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex, 'hex'));

/** Keycard production CA (compressed secp256k1), from keycard-shell app/storage/keys.c `_KEYCARD_CA_PUB`. */
export const KEYCARD_PRODUCTION_CA_PUBLIC_KEY: Uint8Array = fromHexConst('029ab99ee1e7a71bdf45b3f9c58c99866ff1294d2c1e304e228a86e10c3343501c');

/** The built-in (genuine) trust: only the production CA. */
export const KEYCARD_PRODUCTION_CA_KEYS: readonly Uint8Array[] = Object.freeze([KEYCARD_PRODUCTION_CA_PUBLIC_KEY]);

/**
 * TEST CA of ../shared/vectors/keycard (primitives.json `ident`, session-ident.json `test_ca`).
 * Its private key is public: never trust it as genuine. Pass it as an extra trusted key in tests.
 */
export const KEYCARD_VECTORS_TEST_CA_PUBLIC_KEY: Uint8Array = fromHexConst('0386cb87db7b7f34ff5abcf4cec7ea212e2e5c224aebe1c06b815f567c94598d13');

export const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((v, i) => v === b[i]);

/**
 * The compressed (33-byte) form of a secp256k1 public key given compressed or uncompressed (65
 * bytes, `04`), or null when it is not a point on the curve.
 */
export function compressedPublicKey(key: Uint8Array): Uint8Array | null {
  if (!(key.length === 33 && (key[0] === 0x02 || key[0] === 0x03)) && !(key.length === 65 && key[0] === 0x04)) return null;
  try {
    return secp256k1.Point.fromBytes(key).toBytes(true);
  } catch {
    return null;
  }
}

/**
 * Extra trusted CA keys from text: one hex public key per line (compressed 33 bytes or
 * uncompressed 65 bytes; `0x` prefix and surrounding spaces allowed), blank lines and `#`
 * comments ignored. Returns compressed keys, duplicates removed. A line that is not a valid
 * secp256k1 public key is an INVALID_ARGUMENT KeycardError naming the line.
 */
export function parseCaPublicKeys(text: string): Uint8Array[] {
  const keys: Uint8Array[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = raw.replace(/#.*$/, '').trim().replace(/^0x/i, '');
    if (line === '') return;
    const key = /^(?:[0-9a-fA-F]{2})+$/.test(line) ? compressedPublicKey(fromHexConst(line)) : null;
    if (!key) throw keycardInvalidArgument('trusted CA key', `line ${index + 1} is not a secp256k1 public key in hex (33 or 65 bytes)`);
    if (!keys.some((k) => sameBytes(k, key))) keys.push(key);
  });
  return keys;
}
