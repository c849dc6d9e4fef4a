/**
 * The INIT payload (../shared/protocols/keycard.md section 4; known answers `primitives.json init`).
 *
 * Data = `41` || host ephemeral public key (65) || IV (16) || AES-256-CBC(key = ECDH-X(host eph,
 * card pre-init key), IV, M2pad(plaintext)). Plaintext forms:
 *   50 bytes: PIN (6 digits) || PUK (12 digits) || pairing secret (32)
 *   52 bytes: + PIN retry limit || PUK retry limit
 *   58 bytes: + duress PIN (6 digits)
 * This module builds any of the three (the known-answer tests and the replay of the recorded short
 * form need them); the client only ever sends the 58-byte form (the duress trap of section 4).
 */
import { cbc } from '@noble/ciphers/aes.js';
import { ascii, concat } from './bytes.ts';
import { ecdhSharedX, padIso9797M2 } from './secure-channel.ts';

export interface InitPlaintextFields {
  /** 6 ASCII digits. */
  readonly pin: string;
  /** 12 ASCII digits. */
  readonly puk: string;
  /** 32 bytes. */
  readonly pairingSecret: Uint8Array;
  /** Both or neither: the 52-byte form. */
  readonly pinTries?: number;
  readonly pukTries?: number;
  /** 6 ASCII digits: the 58-byte form (needs the retry limits). */
  readonly duressPin?: string;
}

/** The INIT plaintext, unvalidated (the client validates before calling). */
export function initPlaintext(fields: InitPlaintextFields): Uint8Array {
  const parts = [ascii(fields.pin), ascii(fields.puk), fields.pairingSecret];
  if (fields.pinTries !== undefined || fields.pukTries !== undefined || fields.duressPin !== undefined) {
    parts.push(Uint8Array.of(fields.pinTries ?? 3, fields.pukTries ?? 5));
  }
  if (fields.duressPin !== undefined) parts.push(ascii(fields.duressPin));
  return concat(...parts);
}

/** The INIT data field for `plaintext` under the given host ephemeral key pair and IV. */
export function encryptInitPayload(options: {
  readonly plaintext: Uint8Array;
  readonly cardPublicKey: Uint8Array;
  readonly hostPrivateKey: Uint8Array;
  readonly hostPublicKey: Uint8Array;
  readonly iv: Uint8Array;
}): Uint8Array {
  const aesKey = ecdhSharedX(options.hostPrivateKey, options.cardPublicKey, 'INIT');
  const ciphertext = cbc(aesKey, options.iv, { disablePadding: true }).encrypt(padIso9797M2(options.plaintext));
  aesKey.fill(0);
  return concat(Uint8Array.of(options.hostPublicKey.length), options.hostPublicKey, options.iv, ciphertext);
}
