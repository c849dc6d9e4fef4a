/** CardSigner over an opened Satochip client (SELECT, secure channel, PIN verified). */
import type { SatochipClient } from '../../../drivers/satochip/client.ts';
import { isSatochipError } from '../../../drivers/satochip/errors.ts';
import type { CardSigner } from './signer.ts';

export function satochipSigner(client: SatochipClient): CardSigner {
  return {
    family: 'satochip',
    schnorr: false,
    async node(path) {
      const key = await client.getExtendedKey(path);
      return { path: key.path, publicKey: key.publicKey, chainCode: key.chainCode };
    },
    async xpub(path, version) {
      return (await client.getXpub(path, version === undefined ? {} : { version })).xpub;
    },
    async signDigest(path, digest) {
      const signed = await client.signHash({ path }, digest);
      return { signature: signed.compact, recoveryId: signed.recoveryId, publicKey: signed.key!.publicKey };
    },
    async signForVerifier(path, digest, expectedPublicKey) {
      try {
        return { kind: 'signed', signature: (await client.signHashForVerifier(path, digest, expectedPublicKey)).compact };
      } catch (error) {
        if (isSatochipError(error, 'KEY_MISMATCH')) return { kind: 'other-key' };
        throw error;
      }
    },
  };
}
