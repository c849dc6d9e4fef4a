/**
 * A TEST certificate authority for Ident attestation (../shared/protocols/keycard.md section 13),
 * the same test CA the recorded vectors use: private key SHA-256(ASCII
 * `keycard-3.1-vectors/test-ca/private-key`), public key
 * `0386cb87db7b7f34ff5abcf4cec7ea212e2e5c224aebe1c06b815f567c94598d13`. Never trust it outside tests
 * and demo mode: the production CA is a different key.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { ascii, concat } from './bytes.ts';
import { sha256 } from './crypto.ts';

export const TEST_CA_PRIVATE_KEY: Uint8Array = sha256(ascii('keycard-3.1-vectors/test-ca/private-key'));

/** Compressed public key of a CA private key (what a verifier trusts). */
export function caPublicKey(caPrivateKey: Uint8Array): Uint8Array {
  return secp256k1.getPublicKey(caPrivateKey, true);
}

/**
 * Certificate = compressed ident public key (33) || r (32) || s (32) || recovery id (1), where
 * (r, s, rec) is the CA's ECDSA signature over SHA-256(compressed ident public key). RFC 6979
 * nonce, low-S, so a given pair of keys always gives the same certificate.
 */
export function makeIdentCertificate(caPrivateKey: Uint8Array, identPrivateKey: Uint8Array): { certificate: Uint8Array; privateKey: Uint8Array } {
  const identPublicKey = secp256k1.getPublicKey(identPrivateKey, true);
  const recovered = secp256k1.sign(sha256(identPublicKey), caPrivateKey, { prehash: false, lowS: true, format: 'recovered' });
  return { certificate: concat(identPublicKey, recovered.slice(1, 65), recovered.slice(0, 1)), privateKey: identPrivateKey.slice() };
}
