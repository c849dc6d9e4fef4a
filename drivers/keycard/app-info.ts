/**
 * The Keycard SELECT answer (../shared/protocols/keycard.md section 2).
 *
 * Pre-initialised: `80 41 <65-byte secure-channel public key>` (the key INIT is encrypted to).
 * Initialised: Application Info template `A4` (length short or `81 xx`) holding, in order,
 *   8F instance UID (16) | 80 SC public key (65) | 02 version (2, `0301`) | 02 free pairing slots (1)
 *   | 8E key UID (0 or 32) | 8D capabilities (1).
 * Only applet 3.x is spoken here: 4.x has another layout and secure channel v2, so any other
 * version is UNSUPPORTED_VERSION (checked before the rest of the layout).
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { KeycardError, keycardBadResponse } from './errors.ts';
import { parseTlvs, type Tlv } from './tlv.ts';

export type KeycardSelectInfo =
  | { readonly initialized: false; readonly secureChannelPublicKey: Uint8Array }
  | {
      readonly initialized: true;
      readonly instanceUid: Uint8Array;
      readonly secureChannelPublicKey: Uint8Array;
      readonly version: { major: number; minor: number };
      readonly freePairingSlots: number;
      /** SHA-256 of the master public key; null when no key is loaded. */
      readonly keyUid: Uint8Array | null;
      /** Bits: 01 secure channel, 02 key management, 04 credentials, 08 NDEF, 10 factory reset. */
      readonly capabilities: number;
    };

export const SUPPORTED_MAJOR_VERSION = 3;
/** Section 2: capability bits. */
export const CAPABILITIES = { secureChannel: 0x01, keyManagement: 0x02, credentials: 0x04, ndef: 0x08, factoryReset: 0x10 } as const;

const COMMAND = 'SELECT';

function publicKey(value: Uint8Array): Uint8Array {
  if (value.length !== 65 || value[0] !== 0x04) throw keycardBadResponse('secure-channel public key is not a 65-byte uncompressed point', COMMAND);
  try {
    secp256k1.Point.fromBytes(value).assertValidity();
  } catch {
    throw keycardBadResponse('secure-channel public key is not on secp256k1', COMMAND);
  }
  return Uint8Array.from(value);
}

function expect(fields: readonly Tlv[], index: number, tag: number, what: string, lengths: readonly number[]): Uint8Array {
  const field = fields[index];
  if (!field || field.tag !== tag) throw keycardBadResponse(`Application Info: ${what} (tag ${tag.toString(16)}) missing at position ${index + 1}`, COMMAND);
  if (!lengths.includes(field.value.length)) throw keycardBadResponse(`Application Info: ${what} is ${field.value.length} bytes`, COMMAND);
  return field.value;
}

/** Parses the data of a 9000 SELECT answer. BAD_RESPONSE when malformed, UNSUPPORTED_VERSION for anything but 3.x. */
export function parseSelectAnswer(data: Uint8Array): KeycardSelectInfo {
  const top = parseTlvs(data);
  if (!top || top.length !== 1) throw keycardBadResponse('SELECT answer is not one TLV', COMMAND);
  const only = top[0]!;
  if (only.tag === 0x80) return { initialized: false, secureChannelPublicKey: publicKey(only.value) };
  if (only.tag !== 0xa4) throw keycardBadResponse(`SELECT answer starts with tag ${only.tag.toString(16)}, not 80 or A4`, COMMAND);
  const fields = parseTlvs(only.value);
  if (!fields) throw keycardBadResponse('Application Info template is not TLV', COMMAND);
  const versionField = fields.find((f) => f.tag === 0x02);
  if (!versionField || versionField.value.length !== 2) throw keycardBadResponse('Application Info has no 2-byte version', COMMAND);
  const version = { major: versionField.value[0]!, minor: versionField.value[1]! };
  if (version.major !== SUPPORTED_MAJOR_VERSION) {
    throw new KeycardError('UNSUPPORTED_VERSION', 'this Keycard applet version is not supported (only 3.x)', {
      command: COMMAND,
      reason: `applet version ${version.major}.${version.minor}`,
    });
  }
  if (fields.length !== 6) throw keycardBadResponse(`Application Info has ${fields.length} fields, expected 6`, COMMAND);
  const instanceUid = Uint8Array.from(expect(fields, 0, 0x8f, 'instance UID', [16]));
  const secureChannelPublicKey = publicKey(expect(fields, 1, 0x80, 'secure-channel public key', [65]));
  expect(fields, 2, 0x02, 'version', [2]);
  const freePairingSlots = expect(fields, 3, 0x02, 'free pairing slots', [1])[0]!;
  if (freePairingSlots > 5) throw keycardBadResponse(`Application Info: ${freePairingSlots} free pairing slots (at most 5)`, COMMAND);
  const keyUid = expect(fields, 4, 0x8e, 'key UID', [0, 32]);
  const capabilities = expect(fields, 5, 0x8d, 'capabilities', [1])[0]!;
  return {
    initialized: true,
    instanceUid,
    secureChannelPublicKey,
    version,
    freePairingSlots,
    keyUid: keyUid.length === 0 ? null : Uint8Array.from(keyUid),
    capabilities,
  };
}
