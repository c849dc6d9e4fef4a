/**
 * Card-side emulator of the Status Keycard applet 3.1 package (Keycard, Ident, Cash, NDEF), written
 * from ../shared/protocols/keycard.md and checked against ../shared/vectors/keycard. It implements
 * `CardEmulator` (drivers/virtual/emulator.ts): use it in-process or through pcscd + vpcd.
 * Independent of the host client in drivers/keycard/ on purpose, so each can check the other.
 *
 * Where it knowingly differs from the real card:
 * - ECDSA nonces are RFC 6979 with extra entropy from the card RNG (the card uses random nonces);
 *   both are valid, clients must not depend on either.
 * - An unknown AID in SELECT is `6A82` and keeps the current selection; before any SELECT every
 *   command is `6D00`.
 * - A wrapped command whose MAC verifies but whose padding is invalid aborts the channel (`6982`).
 * - DERIVE KEY P1=C0 (copy the PIN-less path) with no PIN-less path set answers `6A88`.
 * - EXPORT KEY P2=02 on a key loaded without chain code answers `6985`.
 * - The NDEF file of a fresh card is `00 00` (empty message).
 */
export { parseCommand, type Command } from './apdu.ts';
export { EIP1581_PREFIX, HARDENED, encodePath, pathFromString } from './bip32.ts';
export {
  DEMO_KEYCARD_DURESS_PIN,
  DEMO_KEYCARD_LABEL,
  DEMO_KEYCARD_MNEMONIC,
  DEMO_KEYCARD_PAIRING_PASSWORD,
  DEMO_KEYCARD_PAIRING_SECRET,
  DEMO_KEYCARD_PIN,
  DEMO_KEYCARD_PIN_TRIES,
  DEMO_KEYCARD_PUK,
  DEMO_KEYCARD_PUK_TRIES,
  demoKeycard,
  type DemoKeycardOptions,
} from './demo.ts';
export { KEYCARD_EMULATOR_ATR, KeycardEmulator, type IdentKeyMaterial, type KeycardEmulatorOptions } from './emulator.ts';
export { CAPABILITIES, KEYCARD_AID, KeycardApplet, PAIRING_SLOTS, type InitParameters } from './keycard-applet.ts';
export { CASH_AID, IDENT_AID, NDEF_AID } from './other-applets.ts';
export { seededRandom, systemRandom, type RandomFn } from './random.ts';
export { SW } from './status-words.ts';
export { TEST_CA_PRIVATE_KEY, caPublicKey, makeIdentCertificate } from './test-ca.ts';
