/**
 * CardSigner over an opened Keycard client (SELECT, secure channel, PIN verified). Keys come from
 * EXPORT KEY, signatures from SIGN with the path (P1=01: the card's current path is left alone); the
 * card returns the public key with each signature, and the client verifies the signature under it
 * and finds the recovery id (../shared/protocols/keycard.md sections 9-10); signForVerifier leaves
 * both to its caller, which verifies under the key it expects (one curve check per PSBT input).
 *
 * The master node: EXPORT KEY of the master returns a stale chain code (section 9), so `node('m')`
 * reads the public key only and gives an empty chain code (callers use it for the fingerprint).
 */
import type { KeycardClient } from '../../../drivers/keycard/client.ts';
import { bytesEqual } from '../../../drivers/satochip/bytes.ts';
import { compressPoint } from '../../../drivers/satochip/card-signatures.ts';
import type { CardSigner } from './signer.ts';

export function keycardSigner(client: KeycardClient): CardSigner {
  return {
    family: 'keycard',
    schnorr: false,
    async node(path) {
      if (path === 'm') return { path, publicKey: compressPoint(await client.exportPublicKey('m')), chainCode: new Uint8Array(0) };
      const key = await client.exportExtendedPublicKey(path);
      return { path, publicKey: compressPoint(key.publicKey), chainCode: key.chainCode };
    },
    async xpub(path, version) {
      return client.getXpub(path, version);
    },
    async signDigest(path, digest) {
      const signed = await client.sign({ path }, digest);
      return { signature: signed.compact, recoveryId: signed.recoveryId, publicKey: compressPoint(signed.publicKey) };
    },
    async signForVerifier(path, digest, expectedPublicKey) {
      // The caller verifies the signature under expectedPublicKey: no verification or recovery here.
      const signed = await client.signUnverified({ path }, digest);
      const cardKey = expectedPublicKey.length === 65 ? signed.publicKey : compressPoint(signed.publicKey);
      if (!bytesEqual(cardKey, expectedPublicKey)) return { kind: 'other-key' };
      return { kind: 'signed', signature: signed.compact };
    },
  };
}
