/**
 * The closed list of errors the Keycard protocol client raises, and the mapping of the applet's
 * status words to them (../shared/protocols/keycard.md sections 3, 6.5, 7, 16). Same shape as
 * DriverError and SatochipError: a `code` from a closed union, named fields in `info`,
 * `isKeycardError` to narrow. Messages and info never hold a PIN, PUK, pairing secret or seed byte.
 *
 * Transport failures (no card, timeout, card removed) stay DriverError; everything that comes from
 * what the card answered, or from what we refuse to send, is a KeycardError.
 */
import { type CardProtocolErrorInfo, CodedError, codedErrorGuard } from '../errors.ts';
import { swHex } from '../pcsc/apdu.ts';

export type KeycardErrorCode =
  /** Wrong PIN (63Cx, x > 0): `info.triesLeft` tries remain. Never retried by the client. */
  | 'PIN_INVALID'
  /** The PIN is blocked (63C0): UNBLOCK PIN with the PUK. */
  | 'PIN_BLOCKED'
  /** Wrong PUK on UNBLOCK PIN (63Cx, x > 0): `info.triesLeft` tries remain. */
  | 'PUK_INVALID'
  /** The PUK is used up (63C0 on UNBLOCK PIN): only a factory reset makes the card usable again. */
  | 'PUK_BLOCKED'
  /** The card is in factory state (pre-initialised): INIT it first. */
  | 'NOT_INITIALIZED'
  /** INIT on a card that is already initialised (6D00 to INIT). */
  | 'ALREADY_INITIALIZED'
  /** Pairing refused: the card's cryptogram does not match our secret (wrong pairing password, or not a real Keycard), or the card refused ours (6982). */
  | 'PAIRING_FAILED'
  /** All 5 pairing slots are taken (6A84): unpair one from a paired host first. */
  | 'NO_FREE_PAIRING_SLOT'
  /** OPEN SECURE CHANNEL refused the pairing index (6A86): the slot is empty (unpaired elsewhere, or factory reset). Pair again. */
  | 'PAIRING_NOT_FOUND'
  /** The command needs an open secure channel and there is none (plain 6985, or none opened on our side). */
  | 'SECURE_CHANNEL_REQUIRED'
  /** The secure channel broke: a MAC did not check, the card aborted it (plain 6982), or an answer did not decrypt. The channel is closed. */
  | 'SECURE_CHANNEL_FAILED'
  /** The command needs a verified PIN (6985 where the PIN is the missing condition). */
  | 'PIN_NOT_VERIFIED'
  /** No key is loaded on the card (GET STATUS says so, or 6985 on a key command). */
  | 'NO_KEY'
  /** EXPORT KEY refused by the applet's export rules (private keys only inside EIP-1581, no xpub inside it). */
  | 'EXPORT_NOT_ALLOWED'
  /** SIGN on the PIN-less path with none set (6A88). */
  | 'NO_PINLESS_PATH'
  /** IDENT: the card holds no attestation certificate (6985). */
  | 'NO_CERTIFICATE'
  /** A signature from the card does not verify (under the key it returned, or our recovery failed). */
  | 'SIGNATURE_INVALID'
  /** Any other refusal (6985 with no more precise reason, 6A80, 6A86, 6B00, 6D00, 6Fxx); `info.sw`, `info.meaning`. */
  | 'CARD_ERROR'
  /** The card's answer is malformed (wrong length, bad TLV, bad DER, bad point). */
  | 'BAD_RESPONSE'
  /** The applet version is one this client does not speak (only 3.x; 4.x has secure channel v2). */
  | 'UNSUPPORTED_VERSION'
  /** We refused to send: an argument is out of the protocol's range (PIN format, path depth, data size, ...). */
  | 'INVALID_ARGUMENT';

export const KEYCARD_ERROR_CODES: readonly KeycardErrorCode[] = [
  'PIN_INVALID',
  'PIN_BLOCKED',
  'PUK_INVALID',
  'PUK_BLOCKED',
  'NOT_INITIALIZED',
  'ALREADY_INITIALIZED',
  'PAIRING_FAILED',
  'NO_FREE_PAIRING_SLOT',
  'PAIRING_NOT_FOUND',
  'SECURE_CHANNEL_REQUIRED',
  'SECURE_CHANNEL_FAILED',
  'PIN_NOT_VERIFIED',
  'NO_KEY',
  'EXPORT_NOT_ALLOWED',
  'NO_PINLESS_PATH',
  'NO_CERTIFICATE',
  'SIGNATURE_INVALID',
  'CARD_ERROR',
  'BAD_RESPONSE',
  'UNSUPPORTED_VERSION',
  'INVALID_ARGUMENT',
];

/** Named facts about an error (section 16 gives `meaning`). None of them is ever a secret. */
export interface KeycardErrorInfo extends CardProtocolErrorInfo {
  /** The pairing slot involved (PAIR / OPEN SECURE CHANNEL / UNPAIR). */
  readonly pairingIndex?: number;
}

export class KeycardError extends CodedError<KeycardErrorCode, KeycardErrorInfo> {
  constructor(code: KeycardErrorCode, message: string, info: KeycardErrorInfo = {}, options?: { cause?: unknown }) {
    super('KeycardError', code, message, info, options);
  }
}

export const isKeycardError = codedErrorGuard(KeycardError);

/** Section 16: what each status word means (for `info.meaning` and logs). */
export const KEYCARD_STATUS_WORD_MEANINGS: Readonly<Record<number, string>> = {
  0x6982: 'security condition not satisfied (MAC failure, channel aborted, or pairing cryptogram wrong)',
  0x6984: 'BIP32 derivation produced an invalid key',
  0x6985: 'conditions of use not satisfied (no channel, PIN not verified, no key, export rule)',
  0x6a80: 'wrong data (length or format)',
  0x6a84: 'no free pairing slot',
  0x6a86: 'wrong P1/P2 (or empty pairing slot)',
  0x6a88: 'no PIN-less path set',
  0x6b00: 'wrong P1/P2 (undefined mode)',
  0x6d00: 'instruction not supported in this state',
  0x6f00: 'internal card error',
};

export function keycardStatusWordMeaning(sw: number): string {
  if ((sw & 0xfff0) === 0x63c0) return `wrong PIN or PUK, ${sw & 0x0f} tries left`;
  return KEYCARD_STATUS_WORD_MEANINGS[sw] ?? ((sw & 0xff00) === 0x6f00 ? 'internal card error' : 'unknown status word');
}

/** INS of UNBLOCK PIN: its 63Cx answers count PUK tries (section 7). */
export const INS_UNBLOCK_PIN = 0x22;

export interface KeycardStatusContext {
  readonly ins: number;
  readonly command?: string;
}

/**
 * The KeycardError for a status word other than 9000 given the command it answers. Only the
 * mappings that hold for every command live here (63Cx, 6A88); the client narrows 6985, 6A84,
 * 6A86 and 6D00 where the command decides their meaning (PAIR, OPEN SECURE CHANNEL, EXPORT KEY,
 * IDENT, INIT) before falling back to this.
 */
export function keycardErrorForStatusWord(sw: number, context: KeycardStatusContext): KeycardError {
  const base = { sw: swHex(sw), ins: context.ins.toString(16).padStart(2, '0'), command: context.command };
  if ((sw & 0xfff0) === 0x63c0) {
    const triesLeft = sw & 0x0f;
    if (context.ins === INS_UNBLOCK_PIN) {
      return triesLeft > 0
        ? new KeycardError('PUK_INVALID', 'wrong PUK', { ...base, triesLeft })
        : new KeycardError('PUK_BLOCKED', 'wrong PUK, no tries left: the PUK is blocked; only a factory reset helps', { ...base, triesLeft });
    }
    return triesLeft > 0
      ? new KeycardError('PIN_INVALID', 'wrong PIN', { ...base, triesLeft })
      : new KeycardError('PIN_BLOCKED', 'the PIN is blocked; unblock it with the PUK', { ...base, triesLeft });
  }
  if (sw === 0x6a88) return new KeycardError('NO_PINLESS_PATH', 'no PIN-less path is set on the card', { ...base, meaning: keycardStatusWordMeaning(sw) });
  if (sw === 0x6a84) return new KeycardError('NO_FREE_PAIRING_SLOT', 'all pairing slots of the card are taken', { ...base, meaning: keycardStatusWordMeaning(sw) });
  return new KeycardError('CARD_ERROR', 'the card refused the command', { ...base, meaning: keycardStatusWordMeaning(sw) });
}

/** A malformed answer. */
export function keycardBadResponse(reason: string, command?: string): KeycardError {
  return new KeycardError('BAD_RESPONSE', 'malformed card answer', { reason, command });
}

/** An argument we will not send. */
export function keycardInvalidArgument(field: string, reason: string): KeycardError {
  return new KeycardError('INVALID_ARGUMENT', 'argument out of range', { field, reason });
}
