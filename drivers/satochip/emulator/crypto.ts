/**
 * The card's cryptographic operations, all delegated to the audited @noble packages (no primitive is
 * implemented here). Where the applet runs a Java Card API object, the wrapper mimics its contract:
 * ECDSA-SHA256 signatures in DER and not low-S normalised (section 5.4 and 14.11), ECDH giving the
 * plain x coordinate (ALG_EC_SVDP_DH_PLAIN_XY, section 3.1), AES without padding (the applets pad
 * themselves), and streaming block ciphers that keep partial blocks between `update` calls.
 */
import { cbc, ecb } from '@noble/ciphers/aes.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha1 } from '@noble/hashes/legacy.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { concat } from './bytes.ts';
import { CRYPTO, CardError } from './status-words.ts';

export { sha1, sha256, sha512 };

export const hmacSha1 = (key: Uint8Array, message: Uint8Array): Uint8Array => hmac(sha1, key, message);
export const hmacSha512 = (key: Uint8Array, message: Uint8Array): Uint8Array => hmac(sha512, key, message);

/**
 * Signs a 32-byte digest with a secp256k1 private key, answering a DER signature. Injectable: the
 * real applet draws a random nonce the vectors do not record, so a replay test can substitute the
 * recorded signatures (after checking they verify for this key and digest).
 */
export type EcdsaSigner = (privateKey: Uint8Array, digest: Uint8Array) => Uint8Array;

/** RFC 6979 deterministic nonces, high S left as is (the card does not normalise). */
export const defaultSigner: EcdsaSigner = (privateKey, digest) =>
  secp256k1.sign(digest, privateKey, { prehash: false, lowS: false, format: 'der' });

/** `Signature.sign` with ALG_ECDSA_SHA_256: hashes the message once, then signs. */
export function signMessage(signer: EcdsaSigner, privateKey: Uint8Array, message: Uint8Array): Uint8Array {
  return signer(privateKey, sha256(message));
}

/** Uncompressed public key `04 | x | y` (what `KeyAgreement.generateSecret(G)` gives the applets). */
export function publicKeyOf(privateKey: Uint8Array): Uint8Array {
  try {
    return secp256k1.getPublicKey(privateKey, false);
  } catch {
    // An out-of-range scalar: setS accepts it, the first use throws.
    throw new CardError(CRYPTO.ILLEGAL_VALUE);
  }
}

/** x coordinate of privateKey * publicKey; an invalid point is CryptoException.ILLEGAL_VALUE. */
export function ecdhX(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  try {
    return secp256k1.getSharedSecret(privateKey, publicKey, false).slice(1, 33);
  } catch {
    throw new CardError(CRYPTO.ILLEGAL_VALUE);
  }
}

export function isValidPrivateKey(key: Uint8Array): boolean {
  return secp256k1.utils.isValidSecretKey(key);
}

function checkBlocks(data: Uint8Array): void {
  if (data.length % 16 !== 0) throw new CardError(CRYPTO.ILLEGAL_USE);
}

export function aesCbcEncrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  checkBlocks(data);
  return cbc(key, iv, { disablePadding: true }).encrypt(data);
}

export function aesCbcDecrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  checkBlocks(data);
  return cbc(key, iv, { disablePadding: true }).decrypt(data);
}

export function aesEcbEncrypt(key: Uint8Array, data: Uint8Array): Uint8Array {
  checkBlocks(data);
  return ecb(key, { disablePadding: true }).encrypt(data);
}

export function aesEcbDecrypt(key: Uint8Array, data: Uint8Array): Uint8Array {
  checkBlocks(data);
  return ecb(key, { disablePadding: true }).decrypt(data);
}

/** PKCS#7 to a 16-byte boundary, always 1..16 bytes (the applets' padding rule). */
export function pkcs7(data: Uint8Array): Uint8Array {
  const pad = 16 - (data.length % 16);
  return concat(data, new Uint8Array(pad).fill(pad));
}

/**
 * A `Cipher` object in NOPAD mode used chunk by chunk: `update` answers the whole blocks available
 * so far and keeps the rest; `doFinal` needs the total to be a multiple of 16 (else ILLEGAL_USE).
 */
export class BlockStream {
  private rest = new Uint8Array(0);
  private chain: Uint8Array;

  constructor(
    private readonly mode: 'ecb-encrypt' | 'ecb-decrypt' | 'cbc-encrypt' | 'cbc-decrypt',
    private readonly key: Uint8Array,
    iv: Uint8Array = new Uint8Array(16),
  ) {
    this.chain = iv.slice();
  }

  update(data: Uint8Array): Uint8Array {
    const all = concat(this.rest, data);
    const whole = all.length - (all.length % 16);
    this.rest = all.slice(whole);
    return this.run(all.subarray(0, whole));
  }

  doFinal(data: Uint8Array): Uint8Array {
    const all = concat(this.rest, data);
    this.rest = new Uint8Array(0);
    checkBlocks(all);
    return this.run(all);
  }

  private run(blocks: Uint8Array): Uint8Array {
    if (blocks.length === 0) return new Uint8Array(0);
    switch (this.mode) {
      case 'ecb-encrypt':
        return aesEcbEncrypt(this.key, blocks);
      case 'ecb-decrypt':
        return aesEcbDecrypt(this.key, blocks);
      case 'cbc-encrypt': {
        const out = aesCbcEncrypt(this.key, this.chain, blocks);
        this.chain = out.slice(out.length - 16);
        return out;
      }
      case 'cbc-decrypt': {
        const out = aesCbcDecrypt(this.key, this.chain, blocks);
        this.chain = blocks.slice(blocks.length - 16);
        return out;
      }
    }
  }
}
