/**
 * Seedkeeper secrets as the host sees them (../shared/protocols/satochip-seedkeeper.md section 7.1):
 * the 13-byte header + label, and the plain blob formats of the secret kinds Tapdesk imports and
 * shows. Host side only; the card-side code (emulator) is separate on purpose.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { entropyToMnemonic, mnemonicToEntropy, mnemonicToSeed, validateMnemonic } from '@scure/bip39';
import { wordlist as englishWordlist } from '@scure/bip39/wordlists/english.js';
import { ByteReader, concatBytes, u16 } from '../bytes.ts';
import { toHex } from '../../pcsc/apdu.ts';
import { invalidArgument } from '../errors.ts';

/** Section 7.1 type byte. */
export const SECRET_TYPE = {
  MASTER_SEED: 0x10,
  BIP39_MNEMONIC: 0x30,
  ELECTRUM_MNEMONIC: 0x40,
  PRIVATE_KEY: 0x60,
  PUBKEY: 0x70,
  KEY: 0x80,
  PASSWORD: 0x90,
  MASTER_PASSWORD: 0x91,
  TWO_FA: 0xb0,
  DATA: 0xc0,
  WALLET_DESCRIPTOR: 0xc1,
} as const;

const TYPE_NAMES: Record<number, string> = {
  0x10: 'master seed',
  0x30: 'BIP39 mnemonic',
  0x40: 'Electrum mnemonic',
  0x50: 'Shamir share',
  0x60: 'private key',
  0x70: 'public key',
  0x71: 'authenticated public key',
  0x80: 'key',
  0x90: 'password',
  0x91: 'master password',
  0xa0: 'certificate',
  0xb0: '2FA secret',
  0xc0: 'data',
  0xc1: 'wallet descriptor',
};

export function secretTypeName(type: number): string {
  return TYPE_NAMES[type] ?? `type 0x${type.toString(16).padStart(2, '0')}`;
}

/** Section 7.1 export rights (low 2 bits). */
export const EXPORT_RIGHTS = { NEVER: 0x00, PLAIN_OR_ENCRYPTED: 0x01, ENCRYPTED_ONLY: 0x02 } as const;
export type ExportRights = 'never' | 'plain-or-encrypted' | 'encrypted-only';

export function exportRightsName(rights: number): ExportRights | 'reserved' {
  switch (rights & 0x03) {
    case 0:
      return 'never';
    case 1:
      return 'plain-or-encrypted';
    case 2:
      return 'encrypted-only';
    default:
      return 'reserved';
  }
}

export function exportRightsByte(rights: ExportRights): number {
  return rights === 'never' ? EXPORT_RIGHTS.NEVER : rights === 'plain-or-encrypted' ? EXPORT_RIGHTS.PLAIN_OR_ENCRYPTED : EXPORT_RIGHTS.ENCRYPTED_ONLY;
}

/** Section 7.1 origin byte. */
export type SecretOrigin = 'plain-import' | 'encrypted-import' | 'generated' | 'unknown';
const ORIGINS: Record<number, SecretOrigin> = { 1: 'plain-import', 2: 'encrypted-import', 3: 'generated' };

/** Master seed subtype 01: the BIP39 record (seed, entropy, passphrase, descriptor). */
export const MASTER_SEED_SUBTYPE_BIP39 = 0x01;
export const HEADER_LENGTH = 13;
/** Section 12 / 14.2: the applet takes secret labels up to 127 bytes. */
export const MAX_SECRET_LABEL = 127;
/** Marks an object an interrupted import left behind (section 7.2). */
export const HALF_WRITTEN_FINGERPRINT = '00000000';

/** A secret's header as the card returns it (LIST HEADERS, exports). */
export interface SecretHeader {
  readonly sid: number;
  readonly type: number;
  readonly typeName: string;
  readonly origin: SecretOrigin;
  readonly exportRights: number;
  readonly plainExports: number;
  readonly encryptedExports: number;
  readonly useCounter: number;
  /** First 4 bytes of SHA-256 of the plain blob, hex. */
  readonly fingerprint: string;
  readonly subtype: number;
  readonly label: string;
  /** The 13 header bytes and the label, as received (what an encrypted export's MAC covers bytes 0..11 of). */
  readonly raw: Uint8Array;
}

/** Reads `header(13) | label` at the reader's position. */
export function readSecretHeader(reader: ByteReader, sid: number): SecretHeader {
  const fixed = reader.take(HEADER_LENGTH, 'secret header');
  const label = reader.take(fixed[12]!, 'secret label');
  return {
    sid,
    type: fixed[0]!,
    typeName: secretTypeName(fixed[0]!),
    origin: ORIGINS[fixed[1]!] ?? 'unknown',
    exportRights: fixed[2]! & 0x03,
    plainExports: fixed[3]!,
    encryptedExports: fixed[4]!,
    useCounter: fixed[5]!,
    fingerprint: toHex(fixed.subarray(6, 10)),
    subtype: fixed[10]!,
    // Another app may have written non-UTF-8 bytes: show them with replacement characters.
    label: new TextDecoder('utf-8').decode(label),
    raw: concatBytes(fixed, label),
  };
}

/** `sid(2) | header | label` (LIST HEADERS, plain export init). */
export function parseSidHeader(data: Uint8Array, what: string): SecretHeader {
  const reader = new ByteReader(data, what);
  const sid = reader.u16('sid');
  const header = readSecretHeader(reader, sid);
  reader.end();
  return header;
}

/**
 * The header the host sends with a plain import (section 7.2): type, origin 00 (the card sets it),
 * rights, zero counters and fingerprint (the card computes it), subtype, RFU 00, label.
 */
export function importHeader(type: number, exportRights: number, subtype: number, label: string): Uint8Array {
  const labelBytes = new TextEncoder().encode(label);
  if (labelBytes.length > MAX_SECRET_LABEL) throw invalidArgument('label', `at most ${MAX_SECRET_LABEL} UTF-8 bytes, got ${labelBytes.length}`);
  return concatBytes(Uint8Array.of(type, 0x00, exportRights & 0x03, 0, 0, 0, 0, 0, 0, 0, subtype, 0x00, labelBytes.length), labelBytes);
}

/** Section 7.1: first 4 bytes of SHA-256 of the plain blob (with its own length prefix, no padding), hex. */
export function secretFingerprint(blob: Uint8Array): string {
  return toHex(sha256(blob).subarray(0, 4));
}

/** Section 7.2 IMPORT plain: memory reserved for the stored, PKCS#7-padded blob. */
export function paddedSize(blobLength: number): number {
  return blobLength + (16 - (blobLength % 16));
}

/** What a secret holds, for import and for showing a plain export. */
export type SecretContent =
  /** Master seed, BIP39 record (type 10, subtype 01): the PBKDF2 seed plus what rebuilds the wallet. */
  | { readonly kind: 'bip39'; readonly mnemonic: string; readonly passphrase: string; readonly descriptor: string }
  /** Master seed, raw (type 10, subtype 00), e.g. generated on the card. */
  | { readonly kind: 'master-seed'; readonly seed: Uint8Array }
  | { readonly kind: 'descriptor'; readonly text: string }
  | { readonly kind: 'password'; readonly password: string; readonly login: string; readonly url: string }
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'pubkey'; readonly publicKey: Uint8Array }
  /** Anything else, as stored. */
  | { readonly kind: 'raw'; readonly type: number; readonly blob: Uint8Array };

const utf8 = (text: string) => new TextEncoder().encode(text);
const shortField = (field: string, bytes: Uint8Array) => {
  if (bytes.length > 255) throw invalidArgument(field, `at most 255 bytes, got ${bytes.length}`);
  return concatBytes(Uint8Array.of(bytes.length), bytes);
};
const longField = (field: string, bytes: Uint8Array) => {
  if (bytes.length > 0xffff) throw invalidArgument(field, `at most 65535 bytes, got ${bytes.length}`);
  return concatBytes(u16(bytes.length), bytes);
};

/** The type, subtype and plain blob (section 7.1) for a content. BIP39 needs the PBKDF2 seed: async. */
export async function encodeSecret(content: SecretContent): Promise<{ type: number; subtype: number; blob: Uint8Array }> {
  switch (content.kind) {
    case 'bip39': {
      const words = content.mnemonic.normalize('NFKD').trim().split(/\s+/).join(' ');
      if (!validateMnemonic(words, englishWordlist)) throw invalidArgument('mnemonic', 'not a valid English BIP39 mnemonic (words or checksum)');
      const seed = await mnemonicToSeed(words, content.passphrase);
      const entropy = mnemonicToEntropy(words, englishWordlist);
      // 40 | seed(64) | wordlist 00 (English) | elen | entropy | plen | passphrase | dlen(2) | descriptor
      const blob = concatBytes(
        Uint8Array.of(seed.length),
        seed,
        Uint8Array.of(0x00),
        shortField('entropy', entropy),
        shortField('passphrase', utf8(content.passphrase)),
        longField('descriptor', utf8(content.descriptor)),
      );
      seed.fill(0);
      return { type: SECRET_TYPE.MASTER_SEED, subtype: MASTER_SEED_SUBTYPE_BIP39, blob };
    }
    case 'master-seed':
      if (content.seed.length < 16 || content.seed.length > 64) throw invalidArgument('seed', `must be 16 to 64 bytes, got ${content.seed.length}`);
      return { type: SECRET_TYPE.MASTER_SEED, subtype: 0, blob: shortField('seed', content.seed) };
    case 'descriptor':
      return { type: SECRET_TYPE.WALLET_DESCRIPTOR, subtype: 0, blob: longField('descriptor', utf8(content.text)) };
    case 'text':
      return { type: SECRET_TYPE.DATA, subtype: 0, blob: longField('text', utf8(content.text)) };
    case 'password':
      return {
        type: SECRET_TYPE.PASSWORD,
        subtype: 0,
        blob: concatBytes(shortField('password', utf8(content.password)), shortField('login', utf8(content.login)), shortField('url', utf8(content.url))),
      };
    case 'pubkey':
      // Section 14.1: the length byte 41 is required for the card to use the key.
      if (content.publicKey.length !== 65 || content.publicKey[0] !== 0x04) throw invalidArgument('publicKey', 'must be an uncompressed 65-byte point');
      return { type: SECRET_TYPE.PUBKEY, subtype: 0, blob: shortField('publicKey', content.publicKey) };
    case 'raw':
      return { type: content.type, subtype: 0, blob: Uint8Array.from(content.blob) };
  }
}

/** Reads a plain blob back into its content; unknown or malformed ones come back `raw` (never thrown away). */
export function decodeSecret(type: number, subtype: number, blob: Uint8Array): SecretContent {
  const raw: SecretContent = { kind: 'raw', type, blob: Uint8Array.from(blob) };
  const text = (bytes: Uint8Array) => new TextDecoder('utf-8').decode(bytes);
  try {
    const reader = new ByteReader(blob, 'secret');
    const short = (field: string) => reader.take(reader.u8(`${field} length`), field);
    const long = (field: string) => reader.take(reader.u16(`${field} length`), field);
    switch (type) {
      case SECRET_TYPE.MASTER_SEED: {
        const seed = short('seed');
        if (subtype !== MASTER_SEED_SUBTYPE_BIP39 || reader.remaining === 0) {
          reader.end();
          return { kind: 'master-seed', seed };
        }
        const wordlist = reader.u8('wordlist');
        const entropy = short('entropy');
        const passphrase = text(short('passphrase'));
        const descriptor = reader.remaining > 0 ? text(long('descriptor')) : '';
        reader.end();
        if (wordlist !== 0x00) return { kind: 'master-seed', seed };
        return { kind: 'bip39', mnemonic: entropyToMnemonic(entropy, englishWordlist), passphrase, descriptor };
      }
      case SECRET_TYPE.WALLET_DESCRIPTOR:
      case SECRET_TYPE.DATA: {
        const value = text(long('text'));
        reader.end();
        return type === SECRET_TYPE.DATA ? { kind: 'text', text: value } : { kind: 'descriptor', text: value };
      }
      case SECRET_TYPE.PASSWORD: {
        const password = text(short('password'));
        const login = reader.remaining > 0 ? text(short('login')) : '';
        const url = reader.remaining > 0 ? text(short('url')) : '';
        reader.end();
        return { kind: 'password', password, login, url };
      }
      case SECRET_TYPE.PUBKEY: {
        const publicKey = short('publicKey');
        reader.end();
        return { kind: 'pubkey', publicKey };
      }
      default:
        return raw;
    }
  } catch {
    return raw;
  }
}
