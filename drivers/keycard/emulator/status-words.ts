/**
 * Status words of the Keycard 3.1 applets (../shared/protocols/keycard.md section 16) and the
 * exception the card logic throws to answer one: handlers `fail(SW.X)`, the applet's top level turns
 * it into a (wrapped or plain) answer, as `KeycardApplet.handleException` does on the card.
 */
export const SW = {
  OK: 0x9000,
  /** Command MAC wrong / plain APDU in an open channel / MUTUALLY AUTHENTICATE length / PAIR cryptogram. */
  SECURITY_STATUS_NOT_SATISFIED: 0x6982,
  /** BIP32 derivation produced an invalid key. */
  INVALID_KEY: 0x6984,
  CONDITIONS_NOT_SATISFIED: 0x6985,
  WRONG_DATA: 0x6a80,
  FILE_NOT_FOUND: 0x6a82,
  /** No free pairing slot. */
  NOT_ENOUGH_MEMORY: 0x6a84,
  INCORRECT_P1P2: 0x6a86,
  /** SIGN P1=03 without a PIN-less path. */
  REFERENCED_DATA_NOT_FOUND: 0x6a88,
  WRONG_P1P2: 0x6b00,
  WRONG_LENGTH: 0x6700,
  INS_NOT_SUPPORTED: 0x6d00,
  UNKNOWN: 0x6f00,
} as const;

/** `63Cx`: wrong PIN/PUK, x tries left. */
export function wrongPin(triesLeft: number): number {
  return 0x63c0 | (triesLeft & 0x0f);
}

export class CardError extends Error {
  constructor(readonly sw: number) {
    super(`card status ${sw.toString(16).padStart(4, '0')}`);
    this.name = 'CardError';
  }
}

export function fail(sw: number): never {
  throw new CardError(sw);
}
