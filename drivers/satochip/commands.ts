/**
 * The Satochip/Seedkeeper command APDUs, as plain builders (../shared/protocols/satochip-seedkeeper.md
 * sections 2, 4, 5, 13). All use CLA B0 and no Le. Everything except GET STATUS, INIT SC and the
 * factory-reset signal travels inside PROCESS SC (section 1). Commands carrying a PIN, PUK or seed are
 * marked `sensitive` so the APDU log shows only their length.
 */
import type { CommandApdu } from '../pcsc/apdu.ts';
import { concatBytes, u16, u32 } from './bytes.ts';
import { encodeBip32Path } from './bip32-path.ts';
import { invalidArgument } from './errors.ts';

const CLA = 0xb0;

export const INS = {
  SETUP: 0x2a,
  GET_STATUS: 0x3c,
  CARD_LABEL: 0x3d,
  VERIFY_PIN: 0x42,
  CHANGE_PIN: 0x44,
  UNBLOCK_PIN: 0x46,
  LOGOUT_ALL: 0x60,
  IMPORT_SEED: 0x6c,
  GET_EXTENDED_KEY: 0x6d,
  SIGN_MESSAGE: 0x6e,
  GET_AUTHENTIKEY: 0x73,
  RESET_SEED: 0x77,
  SIGN_HASH: 0x7a,
  EXPORT_AUTHENTIKEY: 0xad,
  RESET_TO_FACTORY: 0xff,
} as const;

/** Section 4.1/12: PIN and PUK are 4..16 bytes. */
export const PIN_MIN_LENGTH = 4;
export const PIN_MAX_LENGTH = 16;
/** Section 5.6/12: card label at most 64 bytes. */
export const MAX_LABEL_LENGTH = 64;
/** Section 5.1: seed at most 64 bytes (a BIP39 seed is 64). */
export const MAX_SEED_LENGTH = 64;
export const MIN_SEED_LENGTH = 16;
/** Section 5.5: the reference client's SIGN MESSAGE chunk size. */
export const SIGN_MESSAGE_CHUNK = 128;
/** Section 4.1: the Satochip factory PIN that SETUP must present. */
export const FACTORY_PIN = new TextEncoder().encode('Muscle00');
/** Section 5.3: P2 bit 40 is what the reference client sends (ignored); 80 empties the BIP32 cache first. */
export const GET_EXTENDED_KEY_P2 = 0x40;
export const GET_EXTENDED_KEY_RESET_CACHE = 0x80;
/** Section 5.4: P1 of SIGN HASH / SIGN MESSAGE for "the key GET EXTENDED KEY derived last". */
export const CURRENT_BIP32_KEY = 0xff;

/** A PIN or PUK as bytes: strings are UTF-8 (what the reference apps send). */
export function secretBytes(value: string | Uint8Array, field: string): Uint8Array {
  const bytes = typeof value === 'string' ? new TextEncoder().encode(value) : Uint8Array.from(value);
  if (bytes.length < PIN_MIN_LENGTH || bytes.length > PIN_MAX_LENGTH) {
    throw invalidArgument(field, `must be ${PIN_MIN_LENGTH} to ${PIN_MAX_LENGTH} bytes, got ${bytes.length}`);
  }
  return bytes;
}

/** A CLA B0 command; no data field when `data` is empty. */
export function command(ins: number, p1: number, p2: number, name: string, data?: Uint8Array, flags: Partial<Pick<CommandApdu, 'sensitive' | 'sensitiveResponse'>> = {}): CommandApdu {
  return data && data.length > 0 ? { cla: CLA, ins, p1, p2, data, name, ...flags } : { cla: CLA, ins, p1, p2, name, ...flags };
}

export function getStatusCommand(): CommandApdu {
  return command(INS.GET_STATUS, 0, 0, 'GET STATUS');
}

export interface SetupFields {
  /** Section 4.1: ASCII Muscle00 for a Satochip (checked, 3 tries); the Seedkeeper ignores it. */
  readonly defaultPin: Uint8Array;
  readonly pin: Uint8Array;
  readonly puk: Uint8Array;
  readonly pinTries: number;
  readonly pukTries: number;
  /** Legacy second PIN/PUK (4..16 bytes each, 1 try each): the reference apps send random bytes. */
  readonly pin1: Uint8Array;
  readonly puk1: Uint8Array;
  /** secmemsize: BIP32 cache slots (section 5.3); 32 like the reference apps. */
  readonly bip32CacheSlots: number;
}

/**
 * Section 4.1 SETUP, without the 2FA option block:
 * dlen | default_pin | pin_tries | puk_tries | pin_len | pin | puk_len | puk | pin1_tries | puk1_tries
 * | pin1_len | pin1 | puk1_len | puk1 | secmemsize(2) | memsize(2) = 0000 | acl(3) = 010101.
 */
export function setupCommand(fields: SetupFields): CommandApdu {
  for (const [name, tries] of [['pinTries', fields.pinTries], ['pukTries', fields.pukTries]] as const) {
    if (!Number.isInteger(tries) || tries < 1 || tries > 255) throw invalidArgument(name, 'must be 1..255');
  }
  if (!Number.isInteger(fields.bip32CacheSlots) || fields.bip32CacheSlots < 1 || fields.bip32CacheSlots > 0xffff) {
    throw invalidArgument('bip32CacheSlots', 'must be 1..65535');
  }
  if (fields.defaultPin.length < 1 || fields.defaultPin.length > PIN_MAX_LENGTH) throw invalidArgument('defaultPin', 'must be 1..16 bytes');
  secretBytes(fields.pin1, 'pin1');
  secretBytes(fields.puk1, 'puk1');
  const data = concatBytes(
    Uint8Array.of(fields.defaultPin.length),
    fields.defaultPin,
    Uint8Array.of(fields.pinTries, fields.pukTries, fields.pin.length),
    fields.pin,
    Uint8Array.of(fields.puk.length),
    fields.puk,
    Uint8Array.of(1, 1, fields.pin1.length),
    fields.pin1,
    Uint8Array.of(fields.puk1.length),
    fields.puk1,
    u16(fields.bip32CacheSlots),
    u16(0),
    Uint8Array.of(1, 1, 1),
  );
  return command(INS.SETUP, 0, 0, 'SETUP', data, { sensitive: true });
}

/** Section 4.2: VERIFY PIN, P1 = PIN number 0. */
export function verifyPinCommand(pin: Uint8Array): CommandApdu {
  return command(INS.VERIFY_PIN, 0, 0, 'VERIFY PIN', pin, { sensitive: true });
}

/** Section 4.2: CHANGE PIN, data olen | old | nlen | new. */
export function changePinCommand(oldPin: Uint8Array, newPin: Uint8Array): CommandApdu {
  const data = concatBytes(Uint8Array.of(oldPin.length), oldPin, Uint8Array.of(newPin.length), newPin);
  return command(INS.CHANGE_PIN, 0, 0, 'CHANGE PIN', data, { sensitive: true });
}

/** Section 4.2: UNBLOCK PIN with the PUK. */
export function unblockPinCommand(puk: Uint8Array): CommandApdu {
  return command(INS.UNBLOCK_PIN, 0, 0, 'UNBLOCK PIN', puk, { sensitive: true });
}

export function logoutAllCommand(): CommandApdu {
  return command(INS.LOGOUT_ALL, 0, 0, 'LOGOUT ALL');
}

/** Section 5.6: SET LABEL `3D 00 00 | len | label` (len 0 clears). */
export function setLabelCommand(label: Uint8Array): CommandApdu {
  if (label.length > MAX_LABEL_LENGTH) throw invalidArgument('label', `at most ${MAX_LABEL_LENGTH} bytes, got ${label.length}`);
  return command(INS.CARD_LABEL, 0, 0, 'SET LABEL', concatBytes(Uint8Array.of(label.length), label));
}

export function getLabelCommand(): CommandApdu {
  return command(INS.CARD_LABEL, 0, 1, 'GET LABEL');
}

/** Section 5.1: IMPORT SEED, P1 = seed length, data = the BIP32 seed (BIP39 PBKDF2 output). */
export function importSeedCommand(seed: Uint8Array): CommandApdu {
  if (seed.length < MIN_SEED_LENGTH || seed.length > MAX_SEED_LENGTH) {
    throw invalidArgument('seed', `must be ${MIN_SEED_LENGTH} to ${MAX_SEED_LENGTH} bytes, got ${seed.length}`);
  }
  return command(INS.IMPORT_SEED, seed.length, 0, 'IMPORT SEED', seed, { sensitive: true });
}

/** Section 5.1: RESET SEED `77 pinlen 00 | pin` (no 2FA HMAC: 2FA cards are refused earlier). */
export function resetSeedCommand(pin: Uint8Array): CommandApdu {
  return command(INS.RESET_SEED, pin.length, 0, 'RESET SEED', pin, { sensitive: true });
}

/** Section 5.2: EXPORT AUTHENTIKEY (AD; no seed needed). */
export function exportAuthentikeyCommand(): CommandApdu {
  return command(INS.EXPORT_AUTHENTIKEY, 0, 0, 'EXPORT AUTHENTIKEY');
}

/** Section 5.2: GET AUTHENTIKEY (73; Satochip needs a seed). */
export function getAuthentikeyCommand(): CommandApdu {
  return command(INS.GET_AUTHENTIKEY, 0, 0, 'GET AUTHENTIKEY');
}

/** Section 5.3: GET EXTENDED KEY, P1 = depth, P2 = 40 (| 80 to empty the cache first). */
export function getExtendedKeyCommand(indexes: readonly number[], resetCache: boolean): CommandApdu {
  const p2 = GET_EXTENDED_KEY_P2 | (resetCache ? GET_EXTENDED_KEY_RESET_CACHE : 0);
  return command(INS.GET_EXTENDED_KEY, indexes.length, p2, 'GET EXTENDED KEY', encodeBip32Path(indexes));
}

/** Section 5.4: SIGN HASH `7A key 00 | hash(32)`; key = FF (current BIP32 key) or an imported-key slot 00..0F. */
export function signHashCommand(keyRef: number, hash: Uint8Array): CommandApdu {
  if (hash.length !== 32) throw invalidArgument('hash', `must be 32 bytes, got ${hash.length}`);
  return command(INS.SIGN_HASH, keyRef, 0, 'SIGN HASH', hash);
}

/** Section 5.5: SIGN MESSAGE INIT, data = message length (4 bytes). */
export function signMessageInitCommand(keyRef: number, messageLength: number): CommandApdu {
  return command(INS.SIGN_MESSAGE, keyRef, 0x01, 'SIGN MESSAGE INIT', u32(messageLength));
}

/** Section 5.5: SIGN MESSAGE UPDATE, data = clen(2) | chunk. */
export function signMessageUpdateCommand(keyRef: number, chunk: Uint8Array): CommandApdu {
  return command(INS.SIGN_MESSAGE, keyRef, 0x02, 'SIGN MESSAGE UPDATE', concatBytes(u16(chunk.length), chunk));
}

/** Section 5.5: SIGN MESSAGE FINAL, data = clen(2) | last chunk -> DER signature. */
export function signMessageFinalCommand(keyRef: number, chunk: Uint8Array): CommandApdu {
  return command(INS.SIGN_MESSAGE, keyRef, 0x03, 'SIGN MESSAGE FINAL', concatBytes(u16(chunk.length), chunk));
}

/**
 * Section 13: the plaintext factory-reset signal `B0 FF 00 00 00`. The trailing 00 is encoded as a
 * short Le (256) so the bytes match what the applet and the reference client use.
 */
export function factoryResetSignalCommand(): CommandApdu {
  return { cla: CLA, ins: INS.RESET_TO_FACTORY, p1: 0, p2: 0, le: 256, name: 'RESET TO FACTORY' };
}
