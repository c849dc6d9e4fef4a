/**
 * The Seedkeeper's secret store over an opened SatochipClient (SELECT seedkeeper, secure channel,
 * PIN verified): ../shared/protocols/satochip-seedkeeper.md sections 7-9, replayed against
 * seedkeeper-transcript-backup-two-readers.json and seedkeeper-transcript-to-satochip.json.
 *
 * APDUs per operation (each wrapped command is one APDU; C = ceil(blob or ciphertext / 128)):
 *   status 1; list N secrets N + 1 (the last answers 9C12); delete 1; generate 1
 *   import plain 1 + C (init, chunks, final); export plain 1 + C (init, one per 128-byte piece)
 *   export encrypted 1 + C; import encrypted C + 1 (init, chunks, final); to Satochip 1
 *
 * A started import/export holds the card's sequencing lock (section 7.2) until its last APDU; if
 * one was left unfinished (card pulled), the card refuses the next command once with 9C30 and
 * cancels it (SatochipClient sends that command again once). A cancelled import leaves a
 * half-written object (fingerprint 00000000) the caller deletes.
 */
import { randomBytes } from '@noble/hashes/utils.js';
import type { CommandApdu } from '../../pcsc/apdu.ts';
import { parseBip32Path } from '../bip32-path.ts';
import { ByteReader, concatBytes } from '../bytes.ts';
import type { ExtendedPublicKey, SatochipClient } from '../client.ts';
import { SatochipError, badResponse, invalidArgument, isSatochipError } from '../errors.ts';
import {
  SECRET_CHUNK,
  deleteSecretCommand,
  exportEncryptedCommand,
  exportPlainCommand,
  exportToSatochipCommand,
  generateSecretCommand,
  importEncryptedChunkCommand,
  importEncryptedFinalCommand,
  importEncryptedInitCommand,
  importPlainChunkCommand,
  importPlainInitCommand,
  listHeadersCommand,
  seedkeeperExtendedKeyCommand,
  seedkeeperStatusCommand,
} from './commands.ts';
import {
  type SecretContent,
  type SecretHeader,
  SECRET_TYPE,
  decodeSecret,
  encodeSecret,
  importHeader,
  paddedSize,
  parseSidHeader,
  readSecretHeader,
  secretFingerprint,
} from './secrets.ts';

export interface SeedkeeperStatus {
  readonly secrets: number;
  readonly totalMemory: number;
  readonly freeMemory: number;
  readonly logEvents: number;
  /** Section 14.9: the log capacity (100), not the records available. */
  readonly logCapacity: number;
}

/** What a store operation created: the new secret's id and the fingerprint the card computed. */
export interface StoredSecret {
  readonly sid: number;
  readonly fingerprint: string;
}

export interface PlainExport {
  readonly header: SecretHeader;
  readonly blob: Uint8Array;
  readonly content: SecretContent;
}

/** An encrypted export for another Seedkeeper (section 8): opaque to the host, only the two cards hold its key. */
export interface EncryptedSecret {
  readonly sourceSid: number;
  /** Header (13 + label) from this same export: the MAC covers its bytes 0..11. */
  readonly header: Uint8Array;
  readonly iv: Uint8Array;
  readonly ciphertext: Uint8Array;
  readonly mac: Uint8Array;
  /** Header bytes 6..9, hex: the fingerprint the receiving card must compute (it does not check it; we do). */
  readonly fingerprint: string;
}

/** An encrypted export for a Satochip (section 9 step 3): same parts; the card rewrote the header (fingerprint, subtype, label). */
export type SatochipTransfer = EncryptedSecret;

export interface ImportOptions {
  readonly label: string;
  /** Default plain-or-encrypted (01), what the reference apps use. */
  readonly exportRights?: number;
}

const MAC_LENGTH = 20;
/**
 * Bounds on what a card can hold (its store is 4 KB on the applets we know, GET SEEDKEEPER STATUS
 * total memory): more is a broken card, and a loop that trusts it would never end.
 */
const MAX_SECRETS = 512;
const MAX_SECRET_BYTES = 0x4000;
/** Section 14.5: the A8 answer carries 2 bytes after the MAC on the real applet; they mean nothing. */
const A8_TRAILING_BYTES = 2;

export class SeedkeeperClient {
  private readonly random: (length: number) => Uint8Array;

  constructor(
    private readonly card: SatochipClient,
    options: { readonly random?: (length: number) => Uint8Array } = {},
  ) {
    this.random = options.random ?? ((length) => randomBytes(length));
  }

  /** GET SEEDKEEPER STATUS (A7). */
  async status(): Promise<SeedkeeperStatus> {
    const reader = new ByteReader(await this.exchange(seedkeeperStatusCommand()), 'GET SEEDKEEPER STATUS');
    const status = {
      secrets: reader.u16('nb secrets'),
      totalMemory: reader.u16('total memory'),
      freeMemory: reader.u16('free memory'),
      logEvents: reader.u16('nb log events'),
      logCapacity: reader.u16('log capacity'),
    };
    reader.take(7, 'last log record');
    return status;
  }

  /** Every secret header, newest first (A6 until 9C12). */
  async listHeaders(): Promise<SecretHeader[]> {
    const headers: SecretHeader[] = [];
    for (let first = true; ; first = false) {
      let data: Uint8Array;
      try {
        data = await this.exchange(listHeadersCommand(first));
      } catch (error) {
        if (isSatochipError(error) && error.info.sw === '9c12') return headers;
        throw error;
      }
      const header = parseSidHeader(data, 'LIST SECRET HEADERS');
      if (headers.some((h) => h.sid === header.sid)) throw badResponse(`secret ${header.sid} listed twice`, 'LIST SECRET HEADERS');
      if (headers.length >= MAX_SECRETS) throw badResponse(`more than ${MAX_SECRETS} secrets listed`, 'LIST SECRET HEADERS');
      headers.push(header);
    }
  }

  /** DELETE SECRET (A5). SECRET_NOT_FOUND for an unknown id. */
  async deleteSecret(sid: number): Promise<void> {
    await this.exchange(deleteSecretCommand(sid));
  }

  /**
   * Generates a master seed on the card (A3 type 10): SHA-512(host entropy | card random)[0..size).
   * The host entropy is `size` fresh random bytes. It never leaves the card unless its rights allow.
   */
  async generateMasterSeed(options: ImportOptions & { readonly size?: number }): Promise<StoredSecret> {
    const size = options.size ?? 64;
    const label = new TextEncoder().encode(options.label);
    const data = await this.exchange(
      generateSecretCommand({ size, exportRights: options.exportRights ?? 0x01, type: SECRET_TYPE.MASTER_SEED, subtype: 0, label, userEntropy: this.random(size), saveEntropy: false }),
    );
    return parseStored(data, 'GENERATE RANDOM SECRET', true);
  }

  /**
   * Plain import (A1 P1 01): init with the header and padded size, then 128-byte chunks, the last
   * one in the final APDU. The card's fingerprint must equal the one of the blob we sent.
   */
  async importSecret(content: SecretContent, options: ImportOptions): Promise<StoredSecret> {
    const { type, subtype, blob } = await encodeSecret(content);
    try {
      const header = importHeader(type, options.exportRights ?? 0x01, subtype, options.label);
      await this.exchange(importPlainInitCommand(header, paddedSize(blob.length)));
      let offset = 0;
      while (blob.length - offset > SECRET_CHUNK) {
        await this.exchange(importPlainChunkCommand(blob.subarray(offset, offset + SECRET_CHUNK), false));
        offset += SECRET_CHUNK;
      }
      const stored = parseStored(await this.exchange(importPlainChunkCommand(blob.subarray(offset), true)), 'IMPORT SECRET plain final');
      const expected = secretFingerprint(blob);
      if (stored.fingerprint !== expected) {
        throw badResponse(`the card stored fingerprint ${stored.fingerprint}, the secret sent has ${expected}`, 'IMPORT SECRET');
      }
      return stored;
    } finally {
      if (type !== SECRET_TYPE.PUBKEY) blob.fill(0);
    }
  }

  /**
   * Plain export (A2 P1 01), where the secret's rights allow it (else EXPORT_NOT_ALLOWED). The
   * card signs `sid | header | blob` with its authentikey; the signature and the fingerprint are checked.
   */
  async exportSecret(sid: number): Promise<PlainExport> {
    const header = parseSidHeader(await this.exchange(exportPlainCommand(sid, true)), 'EXPORT SECRET plain init');
    if (header.sid !== sid) throw badResponse(`asked for secret ${sid}, the card answered for ${header.sid}`, 'EXPORT SECRET');
    const pieces: Uint8Array[] = [];
    for (;;) {
      const reader = new ByteReader(await this.exchange(exportPlainCommand(sid, false)), 'EXPORT SECRET plain');
      pieces.push(reader.take(reader.u16('chunk length'), 'chunk'));
      checkBounded(pieces, 'EXPORT SECRET');
      if (reader.remaining === 0) continue;
      const signature = reader.lengthPrefixed('signature');
      reader.end();
      const blob = concatBytes(...pieces);
      this.card.verifyAuthentikeySignature(concatBytes(Uint8Array.of(sid >> 8, sid & 0xff), header.raw, blob), signature, 'EXPORT SECRET signature');
      if (secretFingerprint(blob) !== header.fingerprint) throw badResponse('the exported secret does not match its fingerprint', 'EXPORT SECRET');
      return { header, blob, content: decodeSecret(header.type, header.subtype, blob) };
    }
  }

  /** Encrypted export for another Seedkeeper whose authentikey is stored here as PUBKEY `peerPubkeySid` (section 8). */
  async exportEncrypted(sid: number, peerPubkeySid: number): Promise<EncryptedSecret> {
    const init = new ByteReader(await this.exchange(exportEncryptedCommand(sid, peerPubkeySid, true)), 'EXPORT SECRET encrypted init');
    const answeredSid = init.u16('sid');
    const header = readSecretHeader(init, answeredSid);
    const iv = init.take(16, 'IV');
    init.end();
    if (answeredSid !== sid) throw badResponse(`asked for secret ${sid}, the card answered for ${answeredSid}`, 'EXPORT SECRET');
    const pieces: Uint8Array[] = [];
    for (;;) {
      const reader = new ByteReader(await this.exchange(exportEncryptedCommand(sid, peerPubkeySid, false)), 'EXPORT SECRET encrypted');
      pieces.push(reader.take(reader.u16('chunk length'), 'ciphertext chunk'));
      checkBounded(pieces, 'EXPORT SECRET');
      if (reader.remaining === 0) continue;
      const mac = reader.lengthPrefixed('hmac', MAC_LENGTH);
      reader.end();
      const ciphertext = concatBytes(...pieces);
      if (ciphertext.length === 0 || ciphertext.length % 16 !== 0) throw badResponse(`ciphertext of ${ciphertext.length} bytes is not whole AES blocks`, 'EXPORT SECRET');
      return { sourceSid: sid, header: header.raw, iv, ciphertext, mac, fingerprint: header.fingerprint };
    }
  }

  /**
   * Encrypted import (A1 P1 02) of an export made for this card by the Seedkeeper whose
   * authentikey is stored here as PUBKEY `peerPubkeySid`. The card answers the fingerprint it
   * computed; it must equal the export's (the Seedkeeper does not compare, section 8).
   */
  async importEncrypted(secret: EncryptedSecret, peerPubkeySid: number): Promise<StoredSecret> {
    const { ciphertext } = secret;
    await this.exchange(importEncryptedInitCommand(secret.header, peerPubkeySid, secret.iv, ciphertext.length));
    let offset = 0;
    while (ciphertext.length - offset > SECRET_CHUNK) {
      await this.exchange(importEncryptedChunkCommand(ciphertext.subarray(offset, offset + SECRET_CHUNK)));
      offset += SECRET_CHUNK;
    }
    const stored = parseStored(await this.exchange(importEncryptedFinalCommand(ciphertext.subarray(offset), secret.mac)), 'IMPORT SECRET encrypted final');
    if (stored.fingerprint !== secret.fingerprint) {
      throw new SatochipError('IMPORT_REJECTED', 'the copied secret does not have the fingerprint of the original', {
        command: 'IMPORT SECRET encrypted',
        reason: `card computed ${stored.fingerprint}, the export says ${secret.fingerprint}`,
      });
    }
    return stored;
  }

  /** EXPORT SECRET TO SATOCHIP (A8, section 9 step 3), for the Satochip whose authentikey is PUBKEY `satochipPubkeySid` here. */
  async exportToSatochip(sid: number, satochipPubkeySid: number): Promise<SatochipTransfer> {
    const reader = new ByteReader(await this.exchange(exportToSatochipCommand(sid, satochipPubkeySid)), 'EXPORT SECRET TO SATOCHIP');
    const answeredSid = reader.u16('sid');
    const header = readSecretHeader(reader, answeredSid);
    const iv = reader.take(16, 'IV');
    const ciphertext = reader.take(reader.u16('ciphertext length'), 'ciphertext');
    const mac = reader.lengthPrefixed('hmac', MAC_LENGTH);
    if (reader.remaining > A8_TRAILING_BYTES) throw badResponse(`${reader.remaining} unexpected trailing bytes`, 'EXPORT SECRET TO SATOCHIP');
    if (answeredSid !== sid) throw badResponse(`asked for secret ${sid}, the card answered for ${answeredSid}`, 'EXPORT SECRET TO SATOCHIP');
    if (ciphertext.length === 0 || ciphertext.length % 16 !== 0) throw badResponse(`ciphertext of ${ciphertext.length} bytes is not whole AES blocks`, 'EXPORT SECRET TO SATOCHIP');
    return { sourceSid: sid, header: header.raw, iv, ciphertext, mac, fingerprint: header.fingerprint };
  }

  /**
   * The public node at `path` of the master seed `sid` (6D with a secret id; needs plain export
   * rights). Checked like a Satochip's (section 5.3): sig1 by the node, sig2 by the authentikey.
   */
  async getExtendedKey(sid: number, path: string | readonly number[]): Promise<ExtendedPublicKey> {
    const indexes = parseBip32Path(path);
    return this.card.checkedExtendedKey(indexes, await this.exchange(seedkeeperExtendedKeyCommand(indexes, sid)));
  }

  /** One wrapped command (the client sends it again once after 9C30, section 7.2). */
  private exchange(command: CommandApdu): Promise<Uint8Array> {
    if (this.card.applet !== 'seedkeeper') return Promise.reject(invalidArgument('applet', `${command.name ?? 'this command'} is a Seedkeeper command`));
    return this.card.sendSecure(command);
  }
}

/** An export that never ends (empty pieces, or more than a card can store) is a broken card. */
function checkBounded(pieces: readonly Uint8Array[], what: string): void {
  const total = pieces.reduce((sum, piece) => sum + piece.length, 0);
  if (total > MAX_SECRET_BYTES || pieces.length > MAX_SECRET_BYTES / SECRET_CHUNK) throw badResponse(`the export does not end (${pieces.length} pieces, ${total} bytes)`, what);
}

/** `sid(2) | fp(4)` (+ `sid2 | fp2` of the entropy record when the generator saved it). */
function parseStored(data: Uint8Array, what: string, allowSecond = false): StoredSecret {
  const reader = new ByteReader(data, what);
  const sid = reader.u16('sid');
  const fingerprint = reader.take(4, 'fingerprint');
  if (allowSecond && reader.remaining === 6) reader.take(6, 'entropy record');
  reader.end();
  return { sid, fingerprint: Buffer.from(fingerprint).toString('hex') };
}
