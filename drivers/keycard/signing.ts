/**
 * Checking a SIGN answer (../shared/protocols/keycard.md section 10; `primitives.json
 * signature_recovery`, `sign_der_encoding`): read the card's DER leniently (signature.ts), bring s
 * to the low half (the applet always does; we make sure), verify the signature over the digest
 * under the public key the card returned, and find the recovery id by recovering with 0..3.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { bytesEqual } from './bytes.ts';
import { KeycardError, keycardBadResponse } from './errors.ts';
import { parseCardDerSignature, to32 } from './signature.ts';

export interface KeycardSignature {
  /** 65-byte uncompressed key the card signed with. */
  readonly publicKey: Uint8Array;
  /** r || s, 64 bytes, low S. */
  readonly compact: Uint8Array;
  /** 0..3 (0 or 1 in practice). Ethereum: v = 27 + id (legacy), chainId*2+35+id (EIP-155), yParity = id. */
  readonly recoveryId: number;
  /** The DER signature as the card sent it (s may be non-minimal). */
  readonly der: Uint8Array;
}

const N = secp256k1.Point.CURVE().n;

/** The recovery id of a low-S compact signature for `publicKey` (65 bytes); null when none recovers it. */
export function recoveryIdFor(compact: Uint8Array, digest: Uint8Array, publicKey: Uint8Array): number | null {
  for (let recovery = 0; recovery < 4; recovery++) {
    try {
      const point = secp256k1.Signature.fromBytes(compact, 'compact').addRecoveryBit(recovery).recoverPublicKey(digest).toBytes(false);
      if (bytesEqual(point, publicKey)) return recovery;
    } catch {
      // this recovery id gives no point
    }
  }
  return null;
}

/** The card's DER (read leniently) as 64 bytes r || s with s in the low half; BAD_RESPONSE when it is not DER. */
export function lowSCompact(der: Uint8Array, command = 'SIGN'): Uint8Array {
  const parsed = parseCardDerSignature(der);
  if (!parsed) throw keycardBadResponse('the signature is not DER (r, s)', command);
  const s = parsed.s > N >> 1n ? N - parsed.s : parsed.s;
  const compact = new Uint8Array(64);
  compact.set(to32(parsed.r), 0);
  compact.set(to32(s), 32);
  return compact;
}

/** A checked KeycardSignature, or SIGNATURE_INVALID / BAD_RESPONSE. */
export function checkCardSignature(der: Uint8Array, digest: Uint8Array, publicKey: Uint8Array, command = 'SIGN'): KeycardSignature {
  const compact = lowSCompact(der, command);
  let valid = false;
  try {
    valid = secp256k1.verify(compact, digest, publicKey, { prehash: false, lowS: true, format: 'compact' });
  } catch {
    valid = false;
  }
  if (!valid) throw new KeycardError('SIGNATURE_INVALID', 'the card signature does not verify under the key it returned', { command });
  const recoveryId = recoveryIdFor(compact, digest, publicKey);
  if (recoveryId === null) throw new KeycardError('SIGNATURE_INVALID', 'no recovery id gives back the card key', { command });
  return { publicKey: Uint8Array.from(publicKey), compact, recoveryId, der: Uint8Array.from(der) };
}
