/**
 * How cards find each other's authentikey among their PUBKEY secrets (section 10, UTILS
 * `get_fingerprint_from_authentikey_bytes`): the fingerprint of the blob `41 | 04 x y`.
 */
import { concatBytes } from '../bytes.ts';
import { type SecretHeader, SECRET_TYPE, secretFingerprint } from './secrets.ts';

/** SHA-256(41 | authentikey)[0..4], hex: the fingerprint the card gives that PUBKEY secret. */
export function authentikeyFingerprint(authentikey: Uint8Array): string {
  return secretFingerprint(concatBytes(Uint8Array.of(authentikey.length), authentikey));
}

/** The PUBKEY secret holding `authentikey`, if this card has one. */
export function findPubkeySecret(headers: readonly Pick<SecretHeader, 'sid' | 'type' | 'fingerprint'>[], authentikey: Uint8Array): number | null {
  const fingerprint = authentikeyFingerprint(authentikey);
  return headers.find((h) => h.type === SECRET_TYPE.PUBKEY && h.fingerprint === fingerprint)?.sid ?? null;
}
