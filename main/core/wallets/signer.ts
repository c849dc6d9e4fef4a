/**
 * What a wallet needs from a card, whatever its family: public nodes on BIP32 paths and ECDSA
 * signatures over 32-byte digests. Each family implements it over its own client inside one card
 * session (the PIN already verified); wallets never see APDUs or family-specific calls.
 */
import type { CardFamily } from '../../../drivers/card.ts';

export interface PublicNode {
  readonly path: string;
  /** 33 bytes, compressed. */
  readonly publicKey: Uint8Array;
  readonly chainCode: Uint8Array;
}

export interface DigestSignature {
  /** 64 bytes r || s, s low (BIP62 / EIP-2). */
  readonly signature: Uint8Array;
  /** 0..3, for the low-S signature (Ethereum v = 27 + id, or EIP-155 / typed-tx y-parity). */
  readonly recoveryId: number;
  /** 33 bytes: the key that signed, already checked against the signature by the driver. */
  readonly publicKey: Uint8Array;
}

export type VerifierSignature =
  /** 64 bytes r || s, low S, unverified. */
  | { readonly kind: 'signed'; readonly signature: Uint8Array }
  | { readonly kind: 'other-key' };

export interface CardSigner {
  readonly family: CardFamily;
  /** BIP340 Schnorr (taproot key-path) signing; a Satochip cannot (ECDSA only). */
  readonly schnorr: boolean;
  node(path: string): Promise<PublicNode>;
  /** BIP32 serialisation of `path` with `version` (default xpub 0x0488b21e). */
  xpub(path: string, version?: number): Promise<string>;
  /** ECDSA over `digest` exactly as given (no hashing), verified, low S. */
  signDigest(path: string, digest: Uint8Array): Promise<DigestSignature>;
  /**
   * ECDSA over `digest` by the key at `path`, which must be `expectedPublicKey` (derived by the
   * caller from the card's xpub; 33 bytes compressed, or 65 uncompressed, which spares the driver a
   * square root to decode it). Low S, but NOT verified here and without a recovery id:
   * only for callers that verify every signature under `expectedPublicKey` before use (the PSBT
   * signer), which saves the curve work of proving the key and the signature twice per input.
   * `other-key` when the card's key at `path` is not `expectedPublicKey` (another card): nothing signed.
   */
  signForVerifier(path: string, digest: Uint8Array, expectedPublicKey: Uint8Array): Promise<VerifierSignature>;
}
