/**
 * Seedkeeper secret commands and the Satochip's side of a Seedkeeper transfer, as plain APDU
 * builders (../shared/protocols/satochip-seedkeeper.md sections 7.2, 8, 9). All travel inside the
 * secure channel. Commands that carry a plain secret are `sensitive` (the APDU log shows only
 * their length); answers that carry one are `sensitiveResponse`.
 */
import type { CommandApdu } from '../../pcsc/apdu.ts';
import { encodeBip32Path } from '../bip32-path.ts';
import { concatBytes, u16 } from '../bytes.ts';
import { command } from '../commands.ts';
import { invalidArgument } from '../errors.ts';

export const SEEDKEEPER_INS = {
  GET_EXTENDED_KEY: 0x6d,
  IMPORT_SECRET: 0xa1,
  EXPORT_SECRET: 0xa2,
  GENERATE_RANDOM_SECRET: 0xa3,
  RESET_SECRET: 0xa5,
  LIST_SECRET_HEADERS: 0xa6,
  GET_SEEDKEEPER_STATUS: 0xa7,
  EXPORT_SECRET_TO_SATOCHIP: 0xa8,
  // Satochip side of section 9.
  IMPORT_TRUSTED_PUBKEY: 0xaa,
  EXPORT_TRUSTED_PUBKEY: 0xab,
  IMPORT_ENCRYPTED_SECRET: 0xac,
} as const;

/** P1 of A1/A2: plain or encrypted (section 7.2, 8). P2: init, (update), final. */
export const TRANSFER = { PLAIN: 0x01, ENCRYPTED: 0x02 } as const;
export const STEP = { INIT: 0x01, UPDATE: 0x02, FINAL: 0x03 } as const;
/** Section 7.2: the reference client's chunk size for imports (and the card's for exports). */
export const SECRET_CHUNK = 128;


function sidBytes(sid: number, field = 'sid'): Uint8Array {
  if (!Number.isInteger(sid) || sid < 0 || sid > 0xffff) throw invalidArgument(field, 'must be 0..65535');
  return u16(sid);
}

/** `B0 A6 00 01` first header, `B0 A6 00 02` next; 9C12 = no more. */
export function listHeadersCommand(first: boolean): CommandApdu {
  return command(SEEDKEEPER_INS.LIST_SECRET_HEADERS, 0x00, first ? 0x01 : 0x02, first ? 'LIST SECRET HEADERS first' : 'LIST SECRET HEADERS next');
}

export function seedkeeperStatusCommand(): CommandApdu {
  return command(SEEDKEEPER_INS.GET_SEEDKEEPER_STATUS, 0, 0, 'GET SEEDKEEPER STATUS');
}

export function deleteSecretCommand(sid: number): CommandApdu {
  return command(SEEDKEEPER_INS.RESET_SECRET, 0, 0, 'DELETE SECRET', sidBytes(sid));
}

/**
 * GENERATE RANDOM SECRET `B0 A3 size rights | type | subtype | save_entropy | llen | label | elen | user_entropy`.
 * The card keeps SHA-512(user_entropy | card_random)[0..size).
 */
export function generateSecretCommand(fields: {
  readonly size: number;
  readonly exportRights: number;
  readonly type: number;
  readonly subtype: number;
  readonly label: Uint8Array;
  readonly userEntropy: Uint8Array;
  readonly saveEntropy: boolean;
}): CommandApdu {
  if (!Number.isInteger(fields.size) || fields.size < 16 || fields.size > 64) throw invalidArgument('size', 'must be 16..64 bytes');
  if (fields.userEntropy.length > fields.size) throw invalidArgument('userEntropy', `at most ${fields.size} bytes`);
  const data = concatBytes(
    Uint8Array.of(fields.type, fields.subtype, fields.saveEntropy ? 0x01 : 0x00, fields.label.length),
    fields.label,
    Uint8Array.of(fields.userEntropy.length),
    fields.userEntropy,
  );
  return command(SEEDKEEPER_INS.GENERATE_RANDOM_SECRET, fields.size, fields.exportRights & 0x03, 'GENERATE RANDOM SECRET', data);
}

/** IMPORT plain init `B0 A1 01 01 | header | label | padded_size(2)`. */
export function importPlainInitCommand(header: Uint8Array, paddedSize: number): CommandApdu {
  return command(SEEDKEEPER_INS.IMPORT_SECRET, TRANSFER.PLAIN, STEP.INIT, 'IMPORT SECRET plain init', concatBytes(header, u16(paddedSize)));
}

/** IMPORT plain chunk (P2 02, not last) or final (P2 03): `clen(2) | chunk`. */
export function importPlainChunkCommand(chunk: Uint8Array, last: boolean): CommandApdu {
  return command(SEEDKEEPER_INS.IMPORT_SECRET, TRANSFER.PLAIN, last ? STEP.FINAL : STEP.UPDATE, last ? 'IMPORT SECRET plain final' : 'IMPORT SECRET plain chunk', concatBytes(u16(chunk.length), chunk), {
    sensitive: true,
  });
}

/** EXPORT plain `B0 A2 01 01 | sid` then `B0 A2 01 02 | sid` per chunk. */
export function exportPlainCommand(sid: number, first: boolean): CommandApdu {
  return command(SEEDKEEPER_INS.EXPORT_SECRET, TRANSFER.PLAIN, first ? STEP.INIT : STEP.UPDATE, first ? 'EXPORT SECRET plain init' : 'EXPORT SECRET plain next', sidBytes(sid), {
    sensitiveResponse: !first,
  });
}

/** EXPORT encrypted `B0 A2 02 01 | sid | sid_peer_pubkey` then `B0 A2 02 02 | same` per chunk. */
export function exportEncryptedCommand(sid: number, peerPubkeySid: number, first: boolean): CommandApdu {
  return command(
    SEEDKEEPER_INS.EXPORT_SECRET,
    TRANSFER.ENCRYPTED,
    first ? STEP.INIT : STEP.UPDATE,
    first ? 'EXPORT SECRET encrypted init' : 'EXPORT SECRET encrypted next',
    concatBytes(sidBytes(sid), sidBytes(peerPubkeySid, 'peerPubkeySid')),
  );
}

/** IMPORT encrypted init `B0 A1 02 01 | header | label | sid_peer_pubkey | IV(16) | ctlen(2)`. */
export function importEncryptedInitCommand(header: Uint8Array, peerPubkeySid: number, iv: Uint8Array, ciphertextLength: number): CommandApdu {
  if (iv.length !== 16) throw invalidArgument('iv', 'must be 16 bytes');
  return command(SEEDKEEPER_INS.IMPORT_SECRET, TRANSFER.ENCRYPTED, STEP.INIT, 'IMPORT SECRET encrypted init', concatBytes(header, sidBytes(peerPubkeySid, 'peerPubkeySid'), iv, u16(ciphertextLength)));
}

/** IMPORT encrypted chunk `B0 A1 02 02 | clen(2) | chunk` (every chunk but the last). */
export function importEncryptedChunkCommand(chunk: Uint8Array): CommandApdu {
  return command(SEEDKEEPER_INS.IMPORT_SECRET, TRANSFER.ENCRYPTED, STEP.UPDATE, 'IMPORT SECRET encrypted chunk', concatBytes(u16(chunk.length), chunk));
}

/** IMPORT encrypted final `B0 A1 02 03 | clen(2) | last chunk | 14 | hmac(20)` (1-byte MAC length, section 8). */
export function importEncryptedFinalCommand(chunk: Uint8Array, mac: Uint8Array): CommandApdu {
  if (mac.length !== 20) throw invalidArgument('mac', 'must be 20 bytes');
  return command(SEEDKEEPER_INS.IMPORT_SECRET, TRANSFER.ENCRYPTED, STEP.FINAL, 'IMPORT SECRET encrypted final', concatBytes(u16(chunk.length), chunk, Uint8Array.of(mac.length), mac));
}

/** EXPORT SECRET TO SATOCHIP `B0 A8 00 00 | sid_seed | sid_satochip_pubkey` (section 9). */
export function exportToSatochipCommand(sid: number, satochipPubkeySid: number): CommandApdu {
  return command(SEEDKEEPER_INS.EXPORT_SECRET_TO_SATOCHIP, 0, 0, 'EXPORT SECRET TO SATOCHIP', concatBytes(sidBytes(sid), sidBytes(satochipPubkeySid, 'satochipPubkeySid')));
}

/** Seedkeeper GET EXTENDED KEY on a stored master seed: `B0 6D depth 00 | path | sid` (section 7.2). */
export function seedkeeperExtendedKeyCommand(indexes: readonly number[], sid: number): CommandApdu {
  return command(SEEDKEEPER_INS.GET_EXTENDED_KEY, indexes.length, 0x00, 'GET EXTENDED KEY (Seedkeeper)', concatBytes(encodeBip32Path(indexes), sidBytes(sid)));
}

/** Satochip IMPORT TRUSTED PUBKEY `B0 AA 00 00 | 0041 | pubkey(65)` (section 9 step 4). */
export function importTrustedPubkeyCommand(publicKey: Uint8Array): CommandApdu {
  if (publicKey.length !== 65 || publicKey[0] !== 0x04) throw invalidArgument('publicKey', 'must be an uncompressed 65-byte point');
  return command(SEEDKEEPER_INS.IMPORT_TRUSTED_PUBKEY, 0, 0, 'IMPORT TRUSTED PUBKEY', concatBytes(u16(publicKey.length), publicKey));
}

export function exportTrustedPubkeyCommand(): CommandApdu {
  return command(SEEDKEEPER_INS.EXPORT_TRUSTED_PUBKEY, 0, 0, 'EXPORT TRUSTED PUBKEY');
}

/** Satochip IMPORT ENCRYPTED SECRET `B0 AC 00 00 | header[0..12) | IV | ctlen(2) | ct | 14 | hmac` (section 9 step 5). */
export function importEncryptedSecretCommand(header12: Uint8Array, iv: Uint8Array, ciphertext: Uint8Array, mac: Uint8Array): CommandApdu {
  if (header12.length !== 12) throw invalidArgument('header', 'must be the 12 MAC-covered header bytes');
  if (iv.length !== 16) throw invalidArgument('iv', 'must be 16 bytes');
  if (mac.length !== 20) throw invalidArgument('mac', 'must be 20 bytes');
  return command(
    SEEDKEEPER_INS.IMPORT_ENCRYPTED_SECRET,
    0,
    0,
    'IMPORT ENCRYPTED SECRET',
    concatBytes(header12, iv, u16(ciphertext.length), ciphertext, Uint8Array.of(mac.length), mac),
  );
}
