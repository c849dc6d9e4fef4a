/**
 * Status words of the Satochip and Seedkeeper applets (../shared/protocols/satochip-seedkeeper.md
 * section 11; constants of SATO CardEdge.java and SK SeedKeeper.java), and the exception the
 * emulators throw to answer one. A handler throws `CardError(sw)`; the applet frame turns it into
 * the bare status word, exactly as an `ISOException.throwIt(sw)` does on the card.
 */

export const SW = {
  OK: 0x9000,
  WRONG_LENGTH: 0x6700,
  FILE_NOT_FOUND: 0x6a82,
  INS_NOT_SUPPORTED: 0x6d00,
  CLA_NOT_SUPPORTED: 0x6e00,
  /** GlobalPlatform GET DATA on the simulator, which has no card manager (section 1). */
  CONDITIONS_NOT_SATISFIED: 0x6986,
  /** What a physical card answers for an uncaught runtime exception. */
  UNKNOWN: 0x6f00,
  PIN_FAILED: 0x63c0,
  NO_MEMORY_LEFT: 0x9c01,
  OPERATION_NOT_ALLOWED: 0x9c03,
  SETUP_NOT_DONE: 0x9c04,
  UNSUPPORTED_FEATURE: 0x9c05,
  UNAUTHORIZED: 0x9c06,
  SETUP_ALREADY_DONE: 0x9c07,
  OBJECT_NOT_FOUND: 0x9c08,
  INCORRECT_ALG: 0x9c09,
  SIGNATURE_INVALID: 0x9c0b,
  IDENTITY_BLOCKED: 0x9c0c,
  BIP32_DERIVATION_ERROR: 0x9c0e,
  INVALID_PARAMETER: 0x9c0f,
  INCORRECT_P1: 0x9c10,
  INCORRECT_P2: 0x9c11,
  SEQUENCE_END: 0x9c12,
  INCORRECT_INITIALIZATION: 0x9c13,
  BIP32_UNINITIALIZED_SEED: 0x9c14,
  INCORRECT_TXHASH: 0x9c15,
  BIP32_INITIALIZED_SEED: 0x9c17,
  TWOFA_INITIALIZED_KEY: 0x9c18,
  TWOFA_UNINITIALIZED_KEY: 0x9c19,
  HMAC_UNSUPPORTED_KEYSIZE: 0x9c1e,
  HMAC_UNSUPPORTED_MSGSIZE: 0x9c1f,
  SECURE_CHANNEL_REQUIRED: 0x9c20,
  SECURE_CHANNEL_UNINITIALIZED: 0x9c21,
  SECURE_CHANNEL_WRONG_IV: 0x9c22,
  SECURE_CHANNEL_WRONG_MAC: 0x9c23,
  INS_DEPRECATED: 0x9c26,
  LOCK_ERROR: 0x9c30,
  EXPORT_NOT_ALLOWED: 0x9c31,
  IMPORTED_DATA_TOO_LONG: 0x9c32,
  SECURE_IMPORT_WRONG_MAC: 0x9c33,
  SECURE_IMPORT_WRONG_FINGERPRINT: 0x9c34,
  SECURE_IMPORT_NO_TRUSTED_PUBKEY: 0x9c35,
  WRONG_SECRET_TYPE: 0x9c38,
  PKI_ALREADY_LOCKED: 0x9c40,
  NFC_DISABLED: 0x9c48,
  NFC_BLOCKED: 0x9c49,
  INTERNAL_ERROR: 0x9cff,
  RESET_TO_FACTORY: 0xff00,
} as const;

/** An `ISOException`: the command ends with this status word and no data. */
export class CardError extends Error {
  constructor(readonly sw: number) {
    super(`SW ${sw.toString(16).padStart(4, '0')}`);
  }
}

export function fail(sw: number): never {
  throw new CardError(sw);
}

/**
 * javacard.security.CryptoException reason codes. The Java Card simulator the vectors were recorded
 * on reports an uncaught CryptoException as the bare reason code (section 11: `0002` when signing
 * with an uninitialised key); physical cards usually answer `6F00` instead.
 */
export const CRYPTO = {
  ILLEGAL_VALUE: 0x0001,
  UNINITIALIZED_KEY: 0x0002,
  ILLEGAL_USE: 0x0005,
} as const;

/** A runtime fault (array index out of bounds and the like): `6F00`, like an uncaught Java exception. */
export function runtimeFault(): never {
  throw new CardError(SW.UNKNOWN);
}
