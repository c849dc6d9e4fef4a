/**
 * The closed list of errors the Satochip/Seedkeeper protocol client raises, and the mapping of the
 * applets' status words to them (../shared/protocols/satochip-seedkeeper.md section 11; PIN rules 4.1-4.2,
 * factory reset 13). Same shape as DriverError: a `code` from a closed union, named fields in `info`,
 * `isSatochipError` to narrow. Messages and info never hold a PIN, PUK or seed byte.
 *
 * Transport failures (no card, timeout, card removed) stay DriverError; everything that comes from
 * what the card answered, or from what we refuse to send, is a SatochipError.
 */
import { swHex } from '../pcsc/apdu.ts';
import { type CardProtocolErrorInfo, CodedError, codedErrorGuard } from '../errors.ts';

export type SatochipErrorCode =
  /** Wrong PIN (63Cx, x > 0): `info.triesLeft` tries remain. Also the factory PIN refused by SETUP. */
  | 'PIN_INVALID'
  /** The PIN is blocked: 9C0C, or 63C0 (the wrong try that used the last one). UNBLOCK with the PUK. */
  | 'PIN_BLOCKED'
  /** The command needs a verified PIN (9C06): never verified, or logged out by CHANGE PIN / LOGOUT / SELECT. */
  | 'PIN_NOT_VERIFIED'
  /** Wrong PUK on UNBLOCK (63Cx, x > 0): `info.triesLeft` tries remain. */
  | 'PUK_INVALID'
  /** The PUK is used up (63C0 / 9C0C on UNBLOCK, Satochip): the card can no longer be unblocked. */
  | 'PUK_BLOCKED'
  /** The card wiped itself (FF00): Seedkeeper's last wrong PUK, or the fifth factory-reset signal. */
  | 'CARD_WIPED'
  /** SETUP has not been done (9C04). */
  | 'SETUP_NOT_DONE'
  /** SETUP was already done (9C07). */
  | 'SETUP_ALREADY_DONE'
  /** The command needs a secure channel (9C20), the card has none (9C21), or we have none open. */
  | 'SECURE_CHANNEL_REQUIRED'
  /** The secure channel broke: card refused our IV/MAC (9C22/9C23), or its answer did not decrypt/check. */
  | 'SECURE_CHANNEL_FAILED'
  /** Something the card signed with its authentikey does not verify with the authentikey this channel is bound to. */
  | 'AUTHENTIKEY_MISMATCH'
  /** A card signature (ephemeral key, derived key self-signature, transaction signature) does not verify. */
  | 'SIGNATURE_INVALID'
  /** The card derived another key for a path than the caller expected (another card, or another seed). */
  | 'KEY_MISMATCH'
  /** No BIP32 seed on the card (9C14). */
  | 'NOT_SEEDED'
  /** The card already has a seed (9C17): RESET SEED first. */
  | 'ALREADY_SEEDED'
  /** Out of card memory (9C01): Satochip BIP32 cache full even after a cache reset, Seedkeeper store full. */
  | 'CARD_MEMORY_FULL'
  /** Seedkeeper: no secret (or Satochip object) with that id (9C08). */
  | 'SECRET_NOT_FOUND'
  /** Seedkeeper: the secret's export rights forbid this export (9C31). */
  | 'EXPORT_NOT_ALLOWED'
  /** Encrypted import refused: wrong MAC (9C33) or, on a Satochip, wrong fingerprint (9C34). Nothing was stored. */
  | 'IMPORT_REJECTED'
  /** A started import/export was interrupted by another command (9C30); it is cancelled, start it again. */
  | 'OPERATION_LOCKED'
  /** The secret is of a type this command does not take (9C38), or the peer key slot is not a PUBKEY. */
  | 'WRONG_SECRET_TYPE'
  /** Satochip: no trusted Seedkeeper pubkey imported yet (9C35). */
  | 'NO_TRUSTED_PUBKEY'
  /** The card needs the 2FA device's HMAC for every signature (GET STATUS byte 8); we do not speak 2FA. */
  | 'TWO_FACTOR_REQUIRED'
  /** Any other status word; `info.sw` and `info.meaning` say which. */
  | 'CARD_ERROR'
  /** The card's answer is malformed (wrong length, bad DER, bad field). */
  | 'BAD_RESPONSE'
  /** The applet version is one this client does not speak (no mandatory secure channel before 0.12). */
  | 'UNSUPPORTED_VERSION'
  /** We refused to send: an argument is out of the protocol's range (PIN length, path depth, label size, ...). */
  | 'INVALID_ARGUMENT';

export const SATOCHIP_ERROR_CODES: readonly SatochipErrorCode[] = [
  'PIN_INVALID',
  'PIN_BLOCKED',
  'PIN_NOT_VERIFIED',
  'PUK_INVALID',
  'PUK_BLOCKED',
  'CARD_WIPED',
  'SETUP_NOT_DONE',
  'SETUP_ALREADY_DONE',
  'SECURE_CHANNEL_REQUIRED',
  'SECURE_CHANNEL_FAILED',
  'AUTHENTIKEY_MISMATCH',
  'SIGNATURE_INVALID',
  'KEY_MISMATCH',
  'NOT_SEEDED',
  'ALREADY_SEEDED',
  'CARD_MEMORY_FULL',
  'SECRET_NOT_FOUND',
  'EXPORT_NOT_ALLOWED',
  'IMPORT_REJECTED',
  'OPERATION_LOCKED',
  'WRONG_SECRET_TYPE',
  'NO_TRUSTED_PUBKEY',
  'TWO_FACTOR_REQUIRED',
  'CARD_ERROR',
  'BAD_RESPONSE',
  'UNSUPPORTED_VERSION',
  'INVALID_ARGUMENT',
];

/** Named facts about an error (section 11 gives `meaning`). None of them is ever a secret. */
export type SatochipErrorInfo = CardProtocolErrorInfo;

export class SatochipError extends CodedError<SatochipErrorCode, SatochipErrorInfo> {
  constructor(code: SatochipErrorCode, message: string, info: SatochipErrorInfo = {}, options?: { cause?: unknown }) {
    super('SatochipError', code, message, info, options);
  }
}

export const isSatochipError = codedErrorGuard(SatochipError);

/** Section 11: what each status word means (for `info.meaning` and logs). */
export const STATUS_WORD_MEANINGS: Readonly<Record<number, string>> = {
  0x6700: 'wrong length',
  0x6a82: 'applet not selected (spurious SELECT)',
  0x6d00: 'instruction not supported',
  0x6e00: 'class not supported',
  0x9c01: 'no memory left',
  0x9c03: 'operation not allowed',
  0x9c04: 'setup not done',
  0x9c05: 'unsupported feature',
  0x9c06: 'PIN not verified',
  0x9c07: 'setup already done',
  0x9c08: 'object not found',
  0x9c09: 'wrong algorithm or key type',
  0x9c0b: 'invalid signature or 2FA HMAC',
  0x9c0c: 'PIN or PUK blocked',
  0x9c0e: 'BIP32 derivation error',
  0x9c0f: 'invalid parameter',
  0x9c10: 'wrong P1',
  0x9c11: 'wrong P2',
  0x9c12: 'no more entries',
  0x9c13: 'chained operation not initialised',
  0x9c14: 'no seed',
  0x9c15: 'transaction hash mismatch',
  0x9c17: 'already seeded',
  0x9c18: '2FA already set',
  0x9c19: '2FA not set',
  0x9c1e: 'HMAC key too long',
  0x9c1f: 'message too long (wrapped command too big)',
  0x9c20: 'secure channel required',
  0x9c21: 'secure channel not initialised',
  0x9c22: 'bad secure-channel IV',
  0x9c23: 'bad secure-channel MAC',
  0x9c26: 'deprecated instruction',
  0x9c30: 'lock error (another import/export in progress)',
  0x9c31: 'export not allowed',
  0x9c32: 'imported data bigger than announced',
  0x9c33: 'encrypted import: wrong MAC',
  0x9c34: 'encrypted import: wrong fingerprint',
  0x9c35: 'no trusted pubkey',
  0x9c38: 'wrong secret type',
  0x9c40: 'PKI already locked',
  0x9c48: 'NFC disabled',
  0x9c49: 'NFC blocked',
  0x9cff: 'internal error',
  0xff00: 'card reset to factory',
  0xff01: 'factory reset: 1 more signal needed',
  0xff02: 'factory reset: 2 more signals needed',
  0xff03: 'factory reset: 3 more signals needed',
  0xff04: 'factory reset: 4 more signals needed',
  0xffff: 'factory reset aborted',
};

export function statusWordMeaning(sw: number): string {
  if ((sw & 0xfff0) === 0x63c0) return `wrong PIN or PUK, ${sw & 0x0f} tries left`;
  return STATUS_WORD_MEANINGS[sw] ?? (sw >> 8 === 0x00 ? 'uncaught card exception' : 'unknown status word');
}

/** INS values whose 63Cx / 9C0C answers are about the PUK, not the PIN (section 4.2 UNBLOCK PIN). */
const INS_UNBLOCK_PIN = 0x46;
/** SETUP checks the factory PIN Muscle00 (section 4.1): its 63Cx is about that PIN. */
const INS_SETUP = 0x2a;

export interface StatusContext {
  /** The inner command's INS (the one inside 82 when wrapped). */
  readonly ins: number;
  /** The inner command's name, for messages. */
  readonly command?: string;
}

/**
 * The SatochipError for a status word other than 9000 (section 11), given the command it answers.
 * 63Cx and 9C0C mean the PUK for UNBLOCK PIN and the PIN for everything else (VERIFY, CHANGE PIN,
 * RESET SEED, and SETUP's factory PIN check).
 */
export function errorForStatusWord(sw: number, context: StatusContext): SatochipError {
  const base = { sw: swHex(sw), ins: context.ins.toString(16).padStart(2, '0'), command: context.command };
  const meaning = statusWordMeaning(sw);
  const unblocking = context.ins === INS_UNBLOCK_PIN;
  if ((sw & 0xfff0) === 0x63c0) {
    const triesLeft = sw & 0x0f;
    if (unblocking) {
      return triesLeft > 0
        ? new SatochipError('PUK_INVALID', 'wrong PUK', { ...base, triesLeft })
        : new SatochipError('PUK_BLOCKED', 'wrong PUK, no tries left: the PUK is blocked', { ...base, triesLeft });
    }
    const reason = context.ins === INS_SETUP ? 'the factory default PIN was refused' : undefined;
    return triesLeft > 0
      ? new SatochipError('PIN_INVALID', 'wrong PIN', { ...base, triesLeft, reason })
      : new SatochipError('PIN_BLOCKED', 'wrong PIN, no tries left: the PIN is blocked', { ...base, triesLeft, reason });
  }
  switch (sw) {
    case 0x9c0c:
      return unblocking
        ? new SatochipError('PUK_BLOCKED', 'the PUK is blocked', { ...base, triesLeft: 0 })
        : new SatochipError('PIN_BLOCKED', 'the PIN is blocked; unblock it with the PUK', { ...base, triesLeft: 0 });
    case 0x9c06:
      return new SatochipError('PIN_NOT_VERIFIED', 'the PIN must be verified first', { ...base, meaning });
    case 0x9c04:
      return new SatochipError('SETUP_NOT_DONE', 'the card is not set up', { ...base, meaning });
    case 0x9c07:
      return new SatochipError('SETUP_ALREADY_DONE', 'the card is already set up', { ...base, meaning });
    case 0x9c20:
    case 0x9c21:
      return new SatochipError('SECURE_CHANNEL_REQUIRED', 'the card wants a secure channel', { ...base, meaning });
    case 0x9c22:
    case 0x9c23:
      return new SatochipError('SECURE_CHANNEL_FAILED', 'the card refused the secure-channel wrapping', { ...base, meaning });
    case 0x9c14:
      return new SatochipError('NOT_SEEDED', 'the card has no seed', { ...base, meaning });
    case 0x9c17:
      return new SatochipError('ALREADY_SEEDED', 'the card already has a seed', { ...base, meaning });
    case 0x9c01:
      return new SatochipError('CARD_MEMORY_FULL', 'the card is out of memory', { ...base, meaning });
    case 0x9c08:
      return new SatochipError('SECRET_NOT_FOUND', 'no secret with that id on the card', { ...base, meaning });
    case 0x9c31:
      return new SatochipError('EXPORT_NOT_ALLOWED', "the secret's export rights forbid this export", { ...base, meaning });
    case 0x9c33:
    case 0x9c34:
      return new SatochipError('IMPORT_REJECTED', 'the card refused the encrypted secret (it was not made for this card, or was altered)', { ...base, meaning });
    case 0x9c30:
      return new SatochipError('OPERATION_LOCKED', 'another import or export was in progress; it is cancelled now, start again', { ...base, meaning });
    case 0x9c38:
      return new SatochipError('WRONG_SECRET_TYPE', 'wrong secret type for this command', { ...base, meaning });
    case 0x9c35:
      return new SatochipError('NO_TRUSTED_PUBKEY', 'the Satochip has no trusted Seedkeeper key yet', { ...base, meaning });
    case 0xff00:
      return new SatochipError('CARD_WIPED', 'the card reset itself to factory state', { ...base, meaning });
    default:
      return new SatochipError('CARD_ERROR', 'the card refused the command', { ...base, meaning });
  }
}

/** A malformed answer. */
export function badResponse(reason: string, command?: string): SatochipError {
  return new SatochipError('BAD_RESPONSE', 'malformed card answer', { reason, command });
}

/** An argument we will not send. */
export function invalidArgument(field: string, reason: string): SatochipError {
  return new SatochipError('INVALID_ARGUMENT', 'argument out of range', { field, reason });
}
