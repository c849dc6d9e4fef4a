/**
 * Keycard 3.1 command APDUs, plain (before wrapping), with their log names
 * (../shared/protocols/keycard.md sections 2-13). CLA `80` for everything but SELECT. Builders
 * do not validate: the client checks arguments before it builds. Commands carrying a PIN, PUK,
 * pairing secret, seed or private key are `sensitive` (the APDU log shows their length only);
 * EXPORT KEY of a private key is `sensitiveResponse`.
 */
import { selectCommand } from '../card.ts';
import type { CommandApdu } from '../pcsc/apdu.ts';
import { KEYCARD_INSTANCE_AID } from './identify.ts';

export const CLA = 0x80;

export const INS = {
  INIT: 0xfe,
  PAIR: 0x12,
  UNPAIR: 0x13,
  OPEN_SECURE_CHANNEL: 0x10,
  MUTUALLY_AUTHENTICATE: 0x11,
  VERIFY_PIN: 0x20,
  CHANGE_PIN: 0x21,
  UNBLOCK_PIN: 0x22,
  GET_STATUS: 0xf2,
  FACTORY_RESET: 0xfd,
  GENERATE_MNEMONIC: 0xd2,
  LOAD_KEY: 0xd0,
  DERIVE_KEY: 0xd1,
  REMOVE_KEY: 0xd3,
  GENERATE_KEY: 0xd4,
  EXPORT_KEY: 0xc2,
  SIGN: 0xc0,
  SET_PINLESS_PATH: 0xc1,
  IDENT: 0x14,
  STORE_DATA: 0xe2,
  GET_DATA: 0xca,
} as const;

/** DERIVE KEY / EXPORT KEY / SIGN source bits (sections 8-10). */
export const DERIVE_SOURCE = { master: 0x00, parent: 0x40, current: 0x80, pinless: 0xc0 } as const;
export type DeriveSource = keyof typeof DERIVE_SOURCE;

/** EXPORT KEY P1 low bits (section 9). */
export const EXPORT_P1 = { current: 0x00, derive: 0x01, deriveAndMakeCurrent: 0x02 } as const;
/** EXPORT KEY P2 (section 9). */
export const EXPORT_P2 = { privateKey: 0x00, publicKey: 0x01, extendedPublicKey: 0x02 } as const;
/** SIGN P1 low bits (section 10). */
export const SIGN_P1 = { current: 0x00, derive: 0x01, deriveAndMakeCurrent: 0x02, pinless: 0x03 } as const;
/** LOAD KEY P1 (section 8). */
export const LOAD_KEY_P1 = { keyPair: 0x01, extendedKeyPair: 0x02, seed: 0x03 } as const;
/** CHANGE PIN P1 (section 7). */
export const CHANGE_P1 = { pin: 0x00, puk: 0x01, pairingSecret: 0x02 } as const;
/** STORE DATA / GET DATA P1 (section 11). */
export const DATA_P1 = { public: 0x00, ndef: 0x01, cash: 0x02 } as const;
export type DataKind = keyof typeof DATA_P1;
/** Section 11: maximum stored bytes per kind. */
export const DATA_MAX_LENGTH: Readonly<Record<DataKind, number>> = { public: 127, ndef: 223, cash: 127 };

const EMPTY = new Uint8Array(0);

function command(ins: number, p1: number, p2: number, data: Uint8Array, name: string, flags: Partial<CommandApdu> = {}): CommandApdu {
  return { cla: CLA, ins, p1, p2, data, name, ...flags };
}

export function selectKeycardCommand(): CommandApdu {
  return selectCommand(KEYCARD_INSTANCE_AID);
}

export function initCommand(payload: Uint8Array): CommandApdu {
  return command(INS.INIT, 0, 0, payload, 'INIT', { sensitive: true });
}

export function pairCommand(step: 0 | 1, data: Uint8Array): CommandApdu {
  return command(INS.PAIR, step, 0, data, step === 0 ? 'PAIR step 1' : 'PAIR step 2');
}

export function unpairCommand(index: number): CommandApdu {
  return command(INS.UNPAIR, index, 0, EMPTY, 'UNPAIR');
}

export function openSecureChannelCommand(index: number, hostPublicKey: Uint8Array): CommandApdu {
  return command(INS.OPEN_SECURE_CHANNEL, index, 0, hostPublicKey, 'OPEN SECURE CHANNEL');
}

export function mutuallyAuthenticateCommand(challenge: Uint8Array): CommandApdu {
  return command(INS.MUTUALLY_AUTHENTICATE, 0, 0, challenge, 'MUTUALLY AUTHENTICATE');
}

export function verifyPinCommand(pin: Uint8Array): CommandApdu {
  return command(INS.VERIFY_PIN, 0, 0, pin, 'VERIFY PIN', { sensitive: true });
}

export function changePinCommand(kind: keyof typeof CHANGE_P1, value: Uint8Array): CommandApdu {
  const names = { pin: 'CHANGE PIN', puk: 'CHANGE PUK', pairingSecret: 'CHANGE PAIRING SECRET' } as const;
  return command(INS.CHANGE_PIN, CHANGE_P1[kind], 0, value, names[kind], { sensitive: true });
}

export function unblockPinCommand(pukAndNewPin: Uint8Array): CommandApdu {
  return command(INS.UNBLOCK_PIN, 0, 0, pukAndNewPin, 'UNBLOCK PIN', { sensitive: true });
}

/** P1 00 application status, 01 current key path. */
export function getStatusCommand(p1: 0 | 1 = 0): CommandApdu {
  return command(INS.GET_STATUS, p1, 0, EMPTY, p1 === 0 ? 'GET STATUS' : 'GET STATUS (key path)');
}

/** Section 12: `80 FD AA 55`, always plain, no data. */
export function factoryResetCommand(): CommandApdu {
  return { cla: CLA, ins: INS.FACTORY_RESET, p1: 0xaa, p2: 0x55, name: 'FACTORY RESET' };
}

/** P1 = checksum bits = words / 3. */
export function generateMnemonicCommand(checksumBits: number): CommandApdu {
  return command(INS.GENERATE_MNEMONIC, checksumBits, 0, EMPTY, 'GENERATE MNEMONIC');
}

export function loadKeyCommand(p1: number, data: Uint8Array): CommandApdu {
  return command(INS.LOAD_KEY, p1, 0, data, 'LOAD KEY', { sensitive: true });
}

export function generateKeyCommand(): CommandApdu {
  return command(INS.GENERATE_KEY, 0, 0, EMPTY, 'GENERATE KEY');
}

export function removeKeyCommand(): CommandApdu {
  return command(INS.REMOVE_KEY, 0, 0, EMPTY, 'REMOVE KEY');
}

export function deriveKeyCommand(source: number, path: Uint8Array): CommandApdu {
  return command(INS.DERIVE_KEY, source, 0, path, 'DERIVE KEY');
}

export function exportKeyCommand(p1: number, p2: number, path: Uint8Array): CommandApdu {
  return command(INS.EXPORT_KEY, p1, p2, path, 'EXPORT KEY', p2 === EXPORT_P2.privateKey ? { sensitiveResponse: true } : {});
}

export function signCommand(p1: number, data: Uint8Array): CommandApdu {
  return command(INS.SIGN, p1, 0, data, 'SIGN');
}

export function setPinlessPathCommand(path: Uint8Array): CommandApdu {
  return command(INS.SET_PINLESS_PATH, 0, 0, path, 'SET PINLESS PATH');
}

export function identCommand(challenge: Uint8Array): CommandApdu {
  return command(INS.IDENT, 0, 0, challenge, 'IDENT');
}

export function storeDataCommand(kind: DataKind, data: Uint8Array): CommandApdu {
  return command(INS.STORE_DATA, DATA_P1[kind], 0, data, 'STORE DATA');
}

/**
 * GET DATA. Wrapped inside a channel it has empty data; sent plain (no channel) it carries Le = 00
 * (`80 CA P1 00 00`), as recorded in `session-misc.json` step 69.
 */
export function getDataCommand(kind: DataKind, plain: boolean): CommandApdu {
  if (plain) return { cla: CLA, ins: INS.GET_DATA, p1: DATA_P1[kind], p2: 0, le: 256, name: 'GET DATA' };
  return command(INS.GET_DATA, DATA_P1[kind], 0, EMPTY, 'GET DATA');
}
