/**
 * Checking what the card signs (../shared/protocols/satochip-seedkeeper.md sections 3.1, 5.1-5.5):
 *
 * - Card signatures are DER ECDSA over secp256k1. Everything the card signs to prove a key
 *   (channel init, authentikey, derived keys) is ECDSA-SHA256 over the message; SIGN HASH (7A) signs
 *   the 32 given bytes as they are (5.4); SIGN MESSAGE signs the BIP-137 digest (5.5).
 * - The card sends only x of a public key; the point is the parity whose point verifies the
 *   signature that key made over the answer (`primitives.json` `pubkey_from_x`).
 * - The Satochip INIT SC answer does not carry the authentikey; the keys that can have made `sig2`
 *   are recovered from it (recovery ids 0..3), and the real one is picked later (section 5.2).
 * - Signatures are not low-S normalised by the card (5.4, 14.11): the host flips S and finds the
 *   recovery id itself.
 *
 * All curve maths is @noble/curves / @noble/secp256k1; this module only arranges the bytes.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes } from './bytes.ts';
import { SatochipError, badResponse, invalidArgument } from './errors.ts';

type NobleSignature = ReturnType<typeof secp256k1.Signature.fromBytes>;

/** secp256k1 group order n. */
const CURVE_ORDER = secp256k1.Point.CURVE().n;
const HALF_ORDER = CURVE_ORDER >> 1n;

/** Parses a DER signature from the card; anything noble rejects is a BAD_RESPONSE. */
export function parseDerSignature(der: Uint8Array, what: string): NobleSignature {
  try {
    return secp256k1.Signature.fromBytes(der, 'der');
  } catch (error) {
    throw badResponse(`${what}: not a DER ECDSA signature (${(error as Error).message})`);
  }
}

/** True when `der` is an ECDSA-SHA256 signature of `message` by `publicKey` (33 or 65 bytes). High S accepted. */
export function verifySha256Signature(publicKey: Uint8Array, message: Uint8Array, der: Uint8Array): boolean {
  let signature: NobleSignature;
  try {
    signature = secp256k1.Signature.fromBytes(der, 'der');
  } catch {
    return false;
  }
  try {
    return secp256k1.verify(signature.toBytes('compact'), sha256(message), publicKey, { prehash: false, lowS: false });
  } catch {
    return false;
  }
}

/**
 * The 65-byte point with this x whose key made `der` over `message` (ECDSA-SHA256), or null when
 * neither parity verifies (or x is not on the curve).
 */
export function pointFromX(x: Uint8Array, message: Uint8Array, der: Uint8Array): Uint8Array | null {
  if (x.length !== 32) return null;
  for (const prefix of [0x02, 0x03]) {
    let point: Uint8Array;
    try {
      point = secp256k1.Point.fromBytes(concatBytes(Uint8Array.of(prefix), x)).toBytes(false);
    } catch {
      return null;
    }
    if (verifySha256Signature(point, message, der)) return point;
  }
  return null;
}

/** Every public key that can have made `der` over `message` (ECDSA-SHA256), 65 bytes each, no duplicates. */
export function recoverSigners(message: Uint8Array, der: Uint8Array): Uint8Array[] {
  let signature: NobleSignature;
  try {
    signature = secp256k1.Signature.fromBytes(der, 'der');
  } catch {
    return [];
  }
  const digest = sha256(message);
  const found: Uint8Array[] = [];
  for (let recovery = 0; recovery < 4; recovery++) {
    try {
      const point = signature.addRecoveryBit(recovery).recoverPublicKey(digest).toBytes(false);
      if (!found.some((known) => equalHex(known, point))) found.push(point);
    } catch {
      // this recovery id does not give a point (r + n >= p, or not on the curve)
    }
  }
  return found;
}

function equalHex(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/** Normalises a 33- or 65-byte public key to 65 bytes; INVALID_ARGUMENT if it is not a curve point. */
export function uncompressedPoint(publicKey: Uint8Array, field: string): Uint8Array {
  try {
    return secp256k1.Point.fromBytes(publicKey).toBytes(false);
  } catch {
    throw invalidArgument(field, 'not a secp256k1 public key');
  }
}

export function compressPoint(uncompressed: Uint8Array): Uint8Array {
  return secp256k1.Point.fromBytes(uncompressed).toBytes(true);
}

/** A card signature over a 32-byte digest, checked and put in the form Bitcoin and Ethereum want. */
export interface NormalisedSignature {
  /** The digest that was signed, as given to the card. */
  readonly digest: Uint8Array;
  /** 33-byte compressed key that made it. */
  readonly publicKey: Uint8Array;
  /** DER with low S (BIP-62/BIP-146); what goes into a Bitcoin witness (plus the sighash byte). */
  readonly der: Uint8Array;
  /** r(32) | s(32) with low S. */
  readonly compact: Uint8Array;
  /** Recovery id (0..3) of the low-S signature: Ethereum v = 27 + id (or EIP-155), BIP-137 header = 31 + id. */
  readonly recoveryId: number;
  /** True when the card's own signature had a high S that we flipped. */
  readonly flippedHighS: boolean;
  /** The DER exactly as the card returned it. */
  readonly cardDer: Uint8Array;
}

/**
 * Section 5.4: checks the card's DER signature over `digest` against `publicKey`, flips S to the
 * low half when needed, and finds the recovery id of the result. One recovery per candidate id
 * does both jobs: a signature whose recovered key equals `publicKey` verifies against it (recovery
 * solves the verification equation for the key), and ids 0/1 cover every r below the curve order
 * (2/3 only when r + n < p, tried last). SIGNATURE_INVALID when no id gives `publicKey`.
 */
export function normaliseDigestSignature(cardDer: Uint8Array, digest: Uint8Array, publicKey: Uint8Array, what: string): NormalisedSignature {
  const { low, flippedHighS } = lowS(cardDer, what);
  const compressed = compressPoint(publicKey);
  let recoveryId = -1;
  for (let candidate = 0; candidate < 4 && recoveryId < 0; candidate++) {
    try {
      const recovered = low.addRecoveryBit(candidate).recoverPublicKey(digest).toBytes(true);
      if (equalHex(recovered, compressed)) recoveryId = candidate;
    } catch {
      // not this id
    }
  }
  if (recoveryId < 0) throw signatureInvalid(what);
  const compact = low.toBytes('compact');
  return { digest, publicKey: compressed, der: low.toBytes('der'), compact, recoveryId, flippedHighS, cardDer };
}

/** A card signature parsed and put in low-S form, NOT verified: for callers that verify it themselves. */
export interface LowSSignature {
  /** r(32) | s(32) with low S. */
  readonly compact: Uint8Array;
  /** Minimal DER with low S. */
  readonly der: Uint8Array;
  readonly flippedHighS: boolean;
  /** The DER exactly as the card returned it. */
  readonly cardDer: Uint8Array;
}

/** The card's DER parsed, with S brought to the low half (section 5.4: the card does not). */
function lowS(cardDer: Uint8Array, what: string): { low: NobleSignature; flippedHighS: boolean } {
  const parsed = parseDerSignature(cardDer, what);
  const flippedHighS = parsed.s > HALF_ORDER;
  return { low: flippedHighS ? new secp256k1.Signature(parsed.r, CURVE_ORDER - parsed.s) : parsed, flippedHighS };
}

export function lowSSignature(cardDer: Uint8Array, what: string): LowSSignature {
  const { low, flippedHighS } = lowS(cardDer, what);
  return { compact: low.toBytes('compact'), der: low.toBytes('der'), flippedHighS, cardDer };
}

/**
 * A key a caller expects, as both encodings; INVALID_ARGUMENT unless it is a point on the curve.
 * 65 bytes uncompressed is checked on the curve and compressed by its y parity; 33 bytes costs a
 * square root to decompress.
 */
export function expectedPoint(key: Uint8Array): { compressed: Uint8Array; uncompressed: Uint8Array } {
  if (!(key instanceof Uint8Array) || (key.length !== 33 && key.length !== 65)) throw invalidArgument('expectedPublicKey', 'must be a 33-byte compressed or 65-byte uncompressed key');
  let point: InstanceType<typeof secp256k1.Point>;
  try {
    point = secp256k1.Point.fromBytes(key);
  } catch {
    throw invalidArgument('expectedPublicKey', 'not a point on secp256k1');
  }
  return key.length === 65 ? { compressed: point.toBytes(true), uncompressed: Uint8Array.from(key) } : { compressed: Uint8Array.from(key), uncompressed: point.toBytes(false) };
}

function signatureInvalid(what: string): SatochipError {
  return new SatochipError('SIGNATURE_INVALID', 'the card signature does not verify', {
    reason: `${what} does not verify against the expected key`,
  });
}

/** Section 5.5: the BIP-137 digest SHA-256(SHA-256(0x18 "Bitcoin Signed Message:\n" | varint(len) | message)). */
export function bitcoinMessageDigest(message: Uint8Array): Uint8Array {
  const header = new TextEncoder().encode('\x18Bitcoin Signed Message:\n');
  return sha256(sha256(concatBytes(header, compactSize(message.length), message)));
}

/** Bitcoin CompactSize (varint) of a length. */
export function compactSize(length: number): Uint8Array {
  if (length < 0xfd) return Uint8Array.of(length);
  if (length <= 0xffff) return Uint8Array.of(0xfd, length & 0xff, length >> 8);
  return Uint8Array.of(0xfe, length & 0xff, (length >> 8) & 0xff, (length >> 16) & 0xff, (length >>> 24) & 0xff);
}
