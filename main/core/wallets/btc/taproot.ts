/**
 * Taproot (BIP86, P2TR key path) needs BIP340 Schnorr signatures from the card. A Satochip signs
 * ECDSA only, so its cards have no taproot account: we say so plainly (SCHNORR_UNSUPPORTED) instead
 * of offering addresses whose coins the card could never spend. No card family we drive signs
 * Schnorr today, so taproot accounts are not built.
 */
import type { CardSigner } from '../signer.ts';
import { BtcError } from './errors.ts';

/** Throws SCHNORR_UNSUPPORTED when the card cannot make BIP340 signatures. */
export function requireSchnorr(signer: Pick<CardSigner, 'family' | 'schnorr'>): void {
  if (!signer.schnorr) {
    throw new BtcError('SCHNORR_UNSUPPORTED', `this card (${signer.family}) cannot make Schnorr (BIP340) signatures, so it cannot spend taproot (BIP86) coins`, {
      family: signer.family,
    });
  }
}

/**
 * A BIP86 taproot account: SCHNORR_UNSUPPORTED on a card without Schnorr, UNSUPPORTED_SCRIPT_TYPE
 * otherwise (not built: no card we drive has Schnorr).
 */
export function taprootAccount(signer: Pick<CardSigner, 'family' | 'schnorr'>): never {
  requireSchnorr(signer);
  throw new BtcError('UNSUPPORTED_SCRIPT_TYPE', 'taproot (BIP86) accounts are not available yet; use the native segwit (BIP84) account', {
    scriptType: 'p2tr',
    family: signer.family,
  });
}
