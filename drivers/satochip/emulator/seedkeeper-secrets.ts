/**
 * The Seedkeeper's secret handlers (sections 7 - 9; SK `SeedKeeper.java` `generateMasterseed`,
 * `generate2FASecret`, `generateRandomSecret`, `deriveMasterPassword`, `getBIP32ExtendedKey`,
 * `importSecret`, `exportSecret`, `exportSecretToSatochip`, `listSecretHeaders`, `resetSecret`,
 * `printLogs`, `GetSeedKeeperStatus`).
 *
 * A secret is stored as `header(13) | label | AES-ECB(storage key, PKCS#7(blob))` in the object store
 * (seedkeeper-memory.ts). Header (section 7.1): type, origin, export rights, nb plain exports,
 * nb encrypted exports, use counter, fingerprint(4) = SHA-256(blob)[0..4), subtype, RFU, label length.
 *
 * Multi-APDU imports and exports hold a lock (section 7.2): another INS in between is refused once
 * with 9C30 and cancels the operation. The logger records every operation start and its outcome.
 */
import type { CommandBuffer } from './apdu.ts';
import { derivePath, masterFromSeed, type ExtendedKey } from './bip32.ts';
import { ascii, concat, equal, lv16, signedByte, u16 } from './bytes.ts';
import {
  BlockStream,
  aesEcbDecrypt,
  aesEcbEncrypt,
  ecdhX,
  hmacSha1,
  hmacSha512,
  pkcs7,
  publicKeyOf,
  sha256,
  sha512,
  signMessage,
  type EcdsaSigner,
} from './crypto.ts';
import type { RandomSource } from './random.ts';
import { transferKeys } from './secure-channel.ts';
import { NULL_OFFSET, ObjectManager } from './seedkeeper-memory.ts';
import { SeedkeeperLogger } from './seedkeeper-logger.ts';
import { CRYPTO, CardError, SW, fail, runtimeFault } from './status-words.ts';

export const SK_INS = {
  GENERATE_MASTERSEED: 0xa0,
  IMPORT_SECRET: 0xa1,
  EXPORT_SECRET: 0xa2,
  GENERATE_RANDOM_SECRET: 0xa3,
  RESET_SECRET: 0xa5,
  LIST_SECRET_HEADERS: 0xa6,
  GET_SEEDKEEPER_STATUS: 0xa7,
  EXPORT_SECRET_TO_SATOCHIP: 0xa8,
  PRINT_LOGS: 0xa9,
  GENERATE_2FA_SECRET: 0xae,
  DERIVE_MASTER_PASSWORD: 0xaf,
  GET_EXTENDED_KEY: 0x6d,
  RESET_TO_FACTORY: 0xff,
} as const;

export const SECRET_TYPE = {
  MASTER_SEED: 0x10,
  PRIVKEY: 0x60,
  PUBKEY: 0x70,
  KEY: 0x80,
  MASTER_PASSWORD: 0x91,
  TWO_FA: 0xb0,
} as const;

const ORIGIN_PLAIN = 0x01;
const ORIGIN_SECURE = 0x02;
const ORIGIN_ONCARD = 0x03;
const RIGHTS_MASK = 0x03;
const EXPORT_ALLOWED = 0x01;
const EXPORT_SECURE_ONLY = 0x02;
const HEADER_SIZE = 13;
const OFF_ORIGIN = 1;
const OFF_RIGHTS = 2;
const OFF_NB_PLAIN = 3;
const OFF_NB_SECURE = 4;
const OFF_COUNTER = 5;
const OFF_FINGERPRINT = 6;
const OFF_LABEL_SIZE = 12;
const MAX_LABEL = 127;
const CHUNK = 128;
const OP_INIT = 0x01;
const OP_PROCESS = 0x02;
const OP_FINALIZE = 0x03;
const ENTROPY_LABEL = ascii('entropy');
const BIP85_SALT = ascii('bip-entropy-from-k');

export interface VaultContext {
  readonly rng: RandomSource;
  readonly signer: EcdsaSigner;
  readonly authentikey: Uint8Array;
  /** 9C06 unless the PIN is verified. */
  requirePin(): void;
}

/** The applet's lock_* fields (persistent: they survive SELECT and power loss). */
interface Lock {
  enabled: boolean;
  ins: number;
  lastOp: number;
  transport: number;
  id: number;
  idPubkey: number;
  dataSize: number;
  dataRemaining: number;
  objOffset: number;
  objSize: number;
}

const toShort = (v: number) => ((v & 0xffff) << 16) >> 16;

export class SecretVault {
  readonly store: ObjectManager;
  readonly logger = new SeedkeeperLogger(100);
  nextId = 0;
  private readonly lock: Lock = { enabled: false, ins: 0, lastOp: 0, transport: 0, id: -1, idPubkey: -1, dataSize: 0, dataRemaining: 0, objOffset: 0, objSize: 0 };
  /** om_aes128_ecb during a multi-APDU import/export. */
  private storageCipher: BlockStream | null = null;
  /** secret_sc_aes128_cbc and the MAC key of the card-to-card channel (transient, cleared on deselect). */
  private transferCipher: BlockStream | null = null;
  private transferMacKey: Uint8Array = new Uint8Array(20);
  /** sha256 (fingerprint) and secret_sha256 (MAC input) running digests. */
  private fingerprintHash = sha256.create();
  private macHash = sha256.create();
  /** The bytes a plain export signs (the applet updates a Signature object chunk by chunk). */
  private signedExport: Uint8Array[] = [];

  constructor(
    private readonly storageKey: Uint8Array,
    memorySize: number,
  ) {
    this.store = new ObjectManager(memorySize);
  }

  /** CLEAR_ON_DESELECT state of the card-to-card channel. */
  onDeselect(): void {
    this.transferCipher = null;
    this.transferMacKey = new Uint8Array(20);
  }

  get lockEnabled(): boolean {
    return this.lock.enabled;
  }

  /** `process`: an INS other than the locked one cancels the import/export (9C30). */
  checkLock(ins: number): void {
    if (this.lock.enabled && this.lock.ins !== ins) this.resetLockThenThrow(SW.LOCK_ERROR, false);
  }

  private resetLockThenThrow(sw: number, destroyObject: boolean): never {
    if (destroyObject) this.store.destroy(this.lock.id, true);
    this.logger.update(this.lock.ins, this.lock.id, this.lock.idPubkey, sw);
    Object.assign(this.lock, { enabled: false, ins: 0, lastOp: 0, transport: 0, objOffset: 0, objSize: 0 });
    fail(sw);
  }

  /** Factory reset: secrets wiped (logs kept, with an FF entry). */
  resetAll(): void {
    this.logger.create(SK_INS.RESET_TO_FACTORY, -1, -1, 0x0000);
    this.store.reset(true);
    this.logger.update(SK_INS.RESET_TO_FACTORY, -1, -1, SW.OK);
  }

  // --- helpers ---

  private freshId(): number {
    while (this.store.exists(this.nextId)) this.nextId = toShort(this.nextId + 1);
    return this.nextId;
  }

  private header(type: number, origin: number, rights: number, subtype: number, rfu: number, label: Uint8Array): Uint8Array {
    return concat(Uint8Array.of(type, origin, rights, 0, 0, 0, 0, 0, 0, 0, subtype, rfu, label.length & 0x7f), label);
  }

  /** Stores a plain blob `len | secret` as a new secret; answers its id. */
  private storeSecret(header: Uint8Array, blob: Uint8Array, zero = false): { id: number; address: number } {
    const fingerprint = sha256(blob).slice(0, 4);
    const encrypted = aesEcbEncrypt(this.storageKey, pkcs7(blob));
    const id = this.freshId();
    const address = this.store.create(id, header.length + encrypted.length, zero);
    this.store.write(address, 0, header);
    this.store.write(address, OFF_FINGERPRINT, fingerprint);
    this.store.write(address, header.length, encrypted);
    return { id, address };
  }

  private labelSizeAt(address: number): number {
    return signedByte(this.store.getByte(address, OFF_LABEL_SIZE));
  }

  /** The decrypted, still padded blob of a secret. */
  private decryptSecret(address: number): Uint8Array {
    const offset = HEADER_SIZE + this.labelSizeAt(address);
    return aesEcbDecrypt(this.storageKey, this.store.read(address, offset, this.store.sizeOf(address) - offset));
  }

  /**
   * Keys for the card-to-card channel from a PUBKEY secret (section 8): the applet decrypts 80 bytes
   * of the object's data after the label and wants `41 | 04 x y` (else 9C0F). Bumps its use counter
   * when `count` (exports do, imports do not).
   */
  private peerKeys(idPubkey: number, count: boolean, authentikey: Uint8Array): { encKey: Uint8Array; macKey: Uint8Array } {
    const address = this.store.find(idPubkey);
    if (address === NULL_OFFSET) this.resetLockThenThrow(SW.OBJECT_NOT_FOUND, false);
    const data = this.store.read(address, 0, this.store.sizeOf(address));
    if (data[0] !== SECRET_TYPE.PUBKEY) this.resetLockThenThrow(SW.WRONG_SECRET_TYPE, false);
    if (count) this.store.setByte(address, OFF_COUNTER, (data[OFF_COUNTER]! + 1) & 0xff);
    const offset = HEADER_SIZE + signedByte(data[OFF_LABEL_SIZE]!);
    // Bytes past a short object come from the applet's scratch buffer; zeros here.
    const window = new Uint8Array(80);
    window.set(data.subarray(offset, offset + 80));
    const plain = aesEcbDecrypt(this.storageKey, window);
    if (signedByte(plain[0]!) !== 65) this.resetLockThenThrow(SW.INVALID_PARAMETER, false);
    return transferKeys(ecdhX(authentikey, plain.subarray(1, 66)));
  }

  // --- A0 / AE / A3: generation (section 7.2) ---

  /** GENERATE MASTER SEED (deprecated): `B0 A0 size rights Lc | llen | label` → `sid | fp`. */
  generateMasterseed(cmd: CommandBuffer, ctx: VaultContext): Uint8Array {
    ctx.requirePin();
    this.logger.create(SK_INS.GENERATE_MASTERSEED, -1, -1, 0x0000);
    const size = signedByte(cmd.p1);
    if (size < 16 || size > 64) fail(SW.INCORRECT_P1);
    return this.generateSimple(cmd, ctx, SECRET_TYPE.MASTER_SEED, size, SK_INS.GENERATE_MASTERSEED);
  }

  /** GENERATE 2FA SECRET (deprecated): 20 random bytes, type B0. */
  generate2fa(cmd: CommandBuffer, ctx: VaultContext): Uint8Array {
    ctx.requirePin();
    this.logger.create(SK_INS.GENERATE_2FA_SECRET, -1, -1, 0x0000);
    return this.generateSimple(cmd, ctx, SECRET_TYPE.TWO_FA, 20, SK_INS.GENERATE_2FA_SECRET);
  }

  private generateSimple(cmd: CommandBuffer, ctx: VaultContext, type: number, size: number, ins: number): Uint8Array {
    const rights = cmd.p2 & RIGHTS_MASK;
    const labelSize = cmd.byte(5);
    if (labelSize > MAX_LABEL) fail(SW.INVALID_PARAMETER);
    const header = this.header(type, ORIGIN_ONCARD, rights, 0, 0, cmd.read(6, labelSize));
    const blob = concat(Uint8Array.of(size), ctx.rng.bytes(size));
    const { id, address } = this.storeSecret(header, blob);
    this.logger.update(ins, id, -1, SW.OK);
    this.nextId = toShort(id + 1);
    return concat(u16(id), this.store.read(address, OFF_FINGERPRINT, 4));
  }

  /**
   * GENERATE RANDOM SECRET `B0 A3 size rights Lc | type | subtype | save_entropy | llen | label | elen | entropy`:
   * secret = SHA-512(user_entropy | card_random(size))[0..size); with save_entropy 01 a second
   * secret (type 80, subtype 10, label "entropy") keeps `user_entropy | card_random`.
   */
  generateRandomSecret(cmd: CommandBuffer, ctx: VaultContext): Uint8Array {
    ctx.requirePin();
    this.logger.create(SK_INS.GENERATE_RANDOM_SECRET, -1, -1, 0x0000);
    const size = signedByte(cmd.p1);
    if (size < 16 || size > 64) fail(SW.INCORRECT_P1);
    const rights = cmd.p2 & RIGHTS_MASK;
    let left = cmd.lc;
    if (left < 4) fail(SW.INVALID_PARAMETER);
    const type = cmd.byte(5);
    const subtype = cmd.byte(6);
    const saveEntropy = cmd.byte(7);
    const labelSize = cmd.byte(8);
    left -= 4;
    if (labelSize > MAX_LABEL) fail(SW.INVALID_PARAMETER);
    if (left <= labelSize) fail(SW.INVALID_PARAMETER);
    const allowed: readonly number[] = [SECRET_TYPE.MASTER_SEED, SECRET_TYPE.MASTER_PASSWORD, SECRET_TYPE.TWO_FA, SECRET_TYPE.PRIVKEY, SECRET_TYPE.KEY];
    if (!allowed.includes(type)) fail(SW.WRONG_SECRET_TYPE);
    const label = cmd.read(9, labelSize);
    const padded = 1 + size + (16 - ((1 + size) % 16));
    const id = this.freshId();
    const address = this.store.create(id, HEADER_SIZE + labelSize + padded, false);
    this.store.write(address, 0, this.header(type, ORIGIN_ONCARD, rights, subtype, 0, label));
    let offset = 9 + labelSize;
    left -= labelSize;
    const entropySize = signedByte(cmd.byte(offset));
    if (entropySize > size) fail(SW.INVALID_PARAMETER);
    offset += 1;
    left -= 1;
    if (left < entropySize) fail(SW.INVALID_PARAMETER);
    const entropy = cmd.read(offset, Math.max(0, entropySize));
    const cardRandom = ctx.rng.bytes(size);
    const blob = concat(Uint8Array.of(size), sha512(concat(entropy, cardRandom)).slice(0, size));
    this.store.write(address, OFF_FINGERPRINT, sha256(blob).slice(0, 4));
    this.store.write(address, HEADER_SIZE + labelSize, aesEcbEncrypt(this.storageKey, pkcs7(blob)));
    this.logger.update(SK_INS.GENERATE_RANDOM_SECRET, id, -1, SW.OK);
    const first = concat(u16(id), this.store.read(address, OFF_FINGERPRINT, 4));
    this.nextId = toShort(id + 1);
    if (saveEntropy !== 0x01) return first;
    this.logger.create(SK_INS.GENERATE_RANDOM_SECRET, -1, -1, 0x0000);
    const record = concat(Uint8Array.of((entropy.length + size) & 0xff), entropy, cardRandom);
    const header = this.header(SECRET_TYPE.KEY, ORIGIN_ONCARD, rights, 0x10, 0, ENTROPY_LABEL);
    const second = this.storeSecret(header, record);
    this.logger.update(SK_INS.GENERATE_RANDOM_SECRET, second.id, -1, SW.OK);
    this.nextId = toShort(second.id + 1);
    return concat(first, u16(second.id), this.store.read(second.address, OFF_FINGERPRINT, 4));
  }

  /** DERIVE MASTER PASSWORD `sid(2) | slen | salt` → `0040 | HMAC-SHA512(salt, password) | len | sig`. */
  deriveMasterPassword(cmd: CommandBuffer, ctx: VaultContext): Uint8Array {
    ctx.requirePin();
    const left = cmd.lc;
    if (left < 3) fail(SW.INVALID_PARAMETER);
    const id = cmd.short(5);
    const saltSize = cmd.byte(7);
    if (left < 3 + saltSize) fail(SW.INVALID_PARAMETER);
    this.logger.create(SK_INS.DERIVE_MASTER_PASSWORD, id, -1, 0x0000);
    const address = this.store.find(id);
    if (address === NULL_OFFSET) {
      this.logger.update(SK_INS.DERIVE_MASTER_PASSWORD, id, -1, SW.OBJECT_NOT_FOUND);
      fail(SW.OBJECT_NOT_FOUND);
    }
    if (this.store.getByte(address, 0) !== SECRET_TYPE.MASTER_PASSWORD) {
      this.logger.update(SK_INS.DERIVE_MASTER_PASSWORD, id, -1, SW.WRONG_SECRET_TYPE);
      fail(SW.WRONG_SECRET_TYPE);
    }
    if ((this.store.getByte(address, OFF_RIGHTS) & RIGHTS_MASK) !== EXPORT_ALLOWED) {
      // (The applet logs this refusal under INS 6D.)
      this.logger.update(SK_INS.GET_EXTENDED_KEY, id, -1, SW.EXPORT_NOT_ALLOWED);
      fail(SW.EXPORT_NOT_ALLOWED);
    }
    this.store.setByte(address, OFF_COUNTER, this.store.getByte(address, OFF_COUNTER) + 1);
    const plain = this.decryptSecret(address);
    const padded = plain.length - signedByte(plain[plain.length - 1]!);
    const passwordSize = signedByte(plain[0]!);
    if (passwordSize >= padded) fail(SW.INVALID_PARAMETER);
    const derived = hmacSha512(cmd.read(8, saltSize), plain.subarray(1, 1 + Math.max(0, passwordSize)));
    const first = lv16(derived);
    const signature = signMessage(ctx.signer, ctx.authentikey, first);
    this.logger.update(SK_INS.DERIVE_MASTER_PASSWORD, id, -1, SW.OK);
    return concat(first, lv16(signature));
  }

  /**
   * BIP32 key from a stored master seed `B0 6D depth P2 Lc | path | sid` (section 7.2): the seed is
   * the blob's first field (`len | seed`); needs export rights 01. P2 02: private key instead of x;
   * 04: BIP85 entropy `0040 | HMAC-SHA512("bip-entropy-from-k", key)`.
   */
  getExtendedKey(cmd: CommandBuffer, ctx: VaultContext): Uint8Array {
    ctx.requirePin();
    const depth = signedByte(cmd.p1);
    if (depth < 0 || depth > 10) fail(SW.INCORRECT_P1);
    if (cmd.lc < 4 * depth + 2) fail(SW.INVALID_PARAMETER);
    const opts = cmd.p2;
    this.logger.create(SK_INS.GET_EXTENDED_KEY, -1, -1, 0x0000);
    const id = cmd.short(5 + 4 * depth);
    const address = this.store.find(id);
    const refuse: (sw: number) => never = (sw) => {
      this.logger.update(SK_INS.GET_EXTENDED_KEY, id, -1, sw);
      fail(sw);
    };
    if (address === NULL_OFFSET) refuse(SW.OBJECT_NOT_FOUND);
    if (this.store.getByte(address, 0) !== SECRET_TYPE.MASTER_SEED) refuse(SW.WRONG_SECRET_TYPE);
    if ((this.store.getByte(address, OFF_RIGHTS) & RIGHTS_MASK) !== EXPORT_ALLOWED) refuse(SW.EXPORT_NOT_ALLOWED);
    this.store.setByte(address, OFF_COUNTER, this.store.getByte(address, OFF_COUNTER) + 1);
    const blob = this.decryptSecret(address);
    const seedSize = signedByte(blob[0]!);
    if (seedSize < 0) runtimeFault();
    const path = cmd.read(5, 4 * depth);
    let node: ExtendedKey;
    try {
      node = derivePath(masterFromSeed(blob.subarray(1, 1 + seedSize)), path, depth);
    } catch (error) {
      if (!(error instanceof CardError)) throw error;
      refuse(error.sw);
    }
    let first: Uint8Array;
    if ((opts & 0x04) !== 0) first = lv16(hmacSha512(BIP85_SALT, node.privateKey));
    else if ((opts & 0x02) !== 0) first = concat(node.chainCode, lv16(node.privateKey));
    else first = concat(node.chainCode, lv16(publicKeyOf(node.privateKey).slice(1, 33)));
    const signed1 = concat(first, lv16(signMessage(ctx.signer, node.privateKey, first)));
    return concat(signed1, lv16(signMessage(ctx.signer, ctx.authentikey, signed1)));
  }

  // --- A1: import (plain P1 01, encrypted P1 02) ---

  importSecret(cmd: CommandBuffer, ctx: VaultContext): Uint8Array {
    ctx.requirePin();
    const transport = cmd.p1;
    if (transport !== EXPORT_ALLOWED && transport !== EXPORT_SECURE_ONLY) fail(SW.INVALID_PARAMETER);
    switch (cmd.p2) {
      case OP_INIT:
        return this.importInit(cmd, transport, ctx);
      case OP_PROCESS:
        return this.importProcess(cmd);
      case OP_FINALIZE:
        return this.importFinal(cmd);
      default:
        fail(SW.INCORRECT_P2);
    }
  }

  /** `header(13) | label | [sid_pubkey(2) | IV(16)] | padded_size(2)`. */
  private importInit(cmd: CommandBuffer, transport: number, ctx: VaultContext): Uint8Array {
    const lock = this.lock;
    lock.id = -1;
    lock.idPubkey = -1;
    this.logger.create(SK_INS.IMPORT_SECRET, -1, -1, 0x0000);
    let left = cmd.lc;
    if (left < HEADER_SIZE) fail(SW.INVALID_PARAMETER);
    const type = cmd.byte(5);
    const rights = cmd.byte(7) & RIGHTS_MASK;
    const subtype = cmd.byte(15);
    const rfu = cmd.byte(16);
    const labelSize = cmd.byte(17);
    if (labelSize > MAX_LABEL) fail(SW.INVALID_PARAMETER);
    left -= HEADER_SIZE;
    if (left < labelSize) fail(SW.INVALID_PARAMETER);
    const label = cmd.read(18, labelSize);
    let offset = 18 + labelSize;
    left -= labelSize;
    if (transport === EXPORT_SECURE_ONLY) {
      if (left < 2) fail(SW.INVALID_PARAMETER);
      lock.idPubkey = cmd.short(offset);
      offset += 2;
      left -= 2;
      if (left < 16) fail(SW.INVALID_PARAMETER);
      const keys = this.peerKeys(lock.idPubkey, false, ctx.authentikey);
      this.transferMacKey = keys.macKey;
      this.transferCipher = new BlockStream('cbc-decrypt', keys.encKey, cmd.read(offset, 16));
      // The MAC covers header bytes 0..11, not the label (section 8).
      this.macHash = sha256.create().update(cmd.read(5, HEADER_SIZE - 1));
      offset += 16;
      left -= 16;
    }
    if (left < 2) this.resetLockThenThrow(SW.INVALID_PARAMETER, false);
    const paddedSize = cmd.short(offset);
    const objectSize = toShort(HEADER_SIZE + labelSize + paddedSize);
    const id = this.freshId();
    const address = this.store.create(id, objectSize, true);
    lock.id = id;
    this.nextId = toShort(id + 1);
    this.store.write(address, 0, this.header(type, transport, rights, subtype, rfu, label));
    this.storageCipher = new BlockStream('ecb-encrypt', this.storageKey);
    this.fingerprintHash = sha256.create();
    Object.assign(lock, { ins: SK_INS.IMPORT_SECRET, lastOp: OP_INIT, transport, objOffset: HEADER_SIZE + labelSize, objSize: objectSize, dataSize: 0, enabled: true });
    return new Uint8Array(0);
  }

  private checkImportLock(): void {
    const lock = this.lock;
    if (!lock.enabled || lock.ins !== SK_INS.IMPORT_SECRET || (lock.lastOp !== OP_INIT && lock.lastOp !== OP_PROCESS)) {
      this.resetLockThenThrow(SW.LOCK_ERROR, true);
    }
  }

  /** A cipher object that was cleared (deselect) or never initialised. */
  private cipher(stream: BlockStream | null): BlockStream {
    if (!stream) fail(CRYPTO.UNINITIALIZED_KEY);
    return stream;
  }

  /** `clen(2) | chunk`. */
  private importProcess(cmd: CommandBuffer): Uint8Array {
    this.checkImportLock();
    const lock = this.lock;
    let left = cmd.lc;
    if (left < 2) this.resetLockThenThrow(SW.INVALID_PARAMETER, true);
    const size = cmd.short(5);
    left -= 2;
    if (left < size) this.resetLockThenThrow(SW.INVALID_PARAMETER, true);
    let data = cmd.read(7, Math.max(0, size));
    if (lock.transport === EXPORT_SECURE_ONLY) {
      this.macHash.update(data);
      data = this.cipher(this.transferCipher).update(data);
    }
    this.fingerprintHash.update(data);
    const encrypted = this.cipher(this.storageCipher).update(data);
    if (lock.objSize - lock.objOffset < encrypted.length) this.resetLockThenThrow(SW.IMPORTED_DATA_TOO_LONG, true);
    const address = this.store.find(lock.id);
    if (address === NULL_OFFSET) this.resetLockThenThrow(SW.OBJECT_NOT_FOUND, true);
    this.store.write(address, lock.objOffset, encrypted);
    lock.dataSize += data.length;
    lock.objOffset += encrypted.length;
    lock.lastOp = OP_PROCESS;
    return new Uint8Array(0);
  }

  /** `clen(2) | last chunk [| 14 | hmac(20)]` → `sid | fp`. */
  private importFinal(cmd: CommandBuffer): Uint8Array {
    this.checkImportLock();
    const lock = this.lock;
    let left = cmd.lc;
    let offset = 5;
    let size = 0;
    if (left >= 2) {
      size = cmd.short(5);
      offset = 7;
      left -= 2;
      if (left < size) this.resetLockThenThrow(SW.INVALID_PARAMETER, true);
    }
    let plain: Uint8Array;
    let toStore: Uint8Array;
    if (lock.transport === EXPORT_SECURE_ONLY) {
      offset += size;
      left -= size;
      if (left < 1) this.resetLockThenThrow(SW.INVALID_PARAMETER, true);
      const macSize = signedByte(cmd.byte(offset));
      offset += 1;
      left -= 1;
      if (macSize !== 20 || left < macSize) this.resetLockThenThrow(SW.INVALID_PARAMETER, true);
      const ct = cmd.read(7, Math.max(0, size));
      const mac = hmacSha1(this.transferMacKey, this.macHash.update(ct).digest());
      if (!equal(cmd.read(offset, 20), mac)) this.resetLockThenThrow(SW.SECURE_IMPORT_WRONG_MAC, true);
      const decrypted = this.cipher(this.transferCipher).doFinal(ct);
      const pad = signedByte(decrypted[decrypted.length - 1] ?? 0);
      toStore = decrypted;
      plain = decrypted.subarray(0, decrypted.length - pad);
    } else {
      plain = cmd.read(offset, Math.max(0, size));
      lock.dataSize += size;
      const pad = 16 - (lock.dataSize % 16);
      toStore = concat(plain, new Uint8Array(pad).fill(pad));
    }
    const encrypted = this.cipher(this.storageCipher).doFinal(toStore);
    const room = lock.objSize - lock.objOffset;
    if (room < encrypted.length) this.resetLockThenThrow(SW.IMPORTED_DATA_TOO_LONG, true);
    const address = this.store.find(lock.id);
    if (address === NULL_OFFSET) this.resetLockThenThrow(SW.OBJECT_NOT_FOUND, true);
    if (room > encrypted.length) this.store.clamp(address, lock.objOffset + encrypted.length);
    this.store.write(address, lock.objOffset, encrypted);
    lock.objOffset += encrypted.length;
    const fingerprint = this.fingerprintHash.update(plain).digest().slice(0, 4);
    this.store.write(address, OFF_FINGERPRINT, fingerprint);
    this.logger.update(SK_INS.IMPORT_SECRET, lock.id, lock.idPubkey, SW.OK);
    const answer = concat(u16(lock.id), fingerprint);
    Object.assign(lock, { enabled: false, ins: 0, lastOp: 0, transport: 0, dataSize: 0 });
    return answer;
  }

  // --- A2: export (plain P1 01, encrypted P1 02) ---

  exportSecret(cmd: CommandBuffer, ctx: VaultContext): Uint8Array {
    ctx.requirePin();
    const transport = cmd.p1;
    if (transport !== EXPORT_ALLOWED && transport !== EXPORT_SECURE_ONLY) fail(SW.INVALID_PARAMETER);
    switch (cmd.p2) {
      case OP_INIT:
        return this.exportInit(cmd, transport, ctx);
      case OP_PROCESS:
        return this.exportNext(ctx);
      default:
        fail(SW.INCORRECT_P2);
    }
  }

  /** `sid(2) [| sid_pubkey(2)]` → `sid | header | [IV(16)]`; the header already counts this export. */
  private exportInit(cmd: CommandBuffer, transport: number, ctx: VaultContext): Uint8Array {
    const lock = this.lock;
    Object.assign(lock, { ins: SK_INS.EXPORT_SECRET, lastOp: OP_INIT, transport, dataRemaining: 0, objOffset: 0, idPubkey: -1, id: -1, enabled: true });
    this.logger.create(SK_INS.EXPORT_SECRET, -1, -1, 0x0000);
    const left = cmd.lc;
    if (left < 2) this.resetLockThenThrow(SW.INVALID_PARAMETER, false);
    lock.id = cmd.short(5);
    let iv: Uint8Array | null = null;
    if (transport === EXPORT_SECURE_ONLY) {
      if (left < 4) this.resetLockThenThrow(SW.INVALID_PARAMETER, false);
      lock.idPubkey = cmd.short(7);
      const keys = this.peerKeys(lock.idPubkey, true, ctx.authentikey);
      this.transferMacKey = keys.macKey;
      iv = ctx.rng.bytes(16);
      this.transferCipher = new BlockStream('cbc-encrypt', keys.encKey, iv);
    }
    const address = this.store.find(lock.id);
    if (address === NULL_OFFSET) this.resetLockThenThrow(SW.OBJECT_NOT_FOUND, false);
    const objectSize = this.store.sizeOf(address);
    const rights = this.store.getByte(address, OFF_RIGHTS) & RIGHTS_MASK;
    if (lock.transport === EXPORT_ALLOWED) {
      if (rights !== EXPORT_ALLOWED) this.resetLockThenThrow(SW.EXPORT_NOT_ALLOWED, false);
      this.store.setByte(address, OFF_NB_PLAIN, this.store.getByte(address, OFF_NB_PLAIN) + 1);
    } else {
      if (rights !== EXPORT_ALLOWED && rights !== EXPORT_SECURE_ONLY) this.resetLockThenThrow(SW.EXPORT_NOT_ALLOWED, false);
      this.store.setByte(address, OFF_NB_SECURE, this.store.getByte(address, OFF_NB_SECURE) + 1);
    }
    const labelSize = this.labelSizeAt(address);
    const out = concat(u16(lock.id), this.store.read(address, 0, HEADER_SIZE + labelSize));
    lock.objOffset = HEADER_SIZE + labelSize;
    lock.dataRemaining = objectSize - lock.objOffset;
    this.storageCipher = new BlockStream('ecb-decrypt', this.storageKey);
    if (lock.transport === EXPORT_ALLOWED) {
      this.signedExport = [out];
      return out;
    }
    this.macHash = sha256.create().update(out.subarray(2, 2 + HEADER_SIZE - 1));
    return concat(out, iv ?? new Uint8Array(16));
  }

  /** Next 128-byte piece; the last one carries the signature (plain) or the HMAC (encrypted). */
  private exportNext(ctx: VaultContext): Uint8Array {
    const lock = this.lock;
    if (lock.ins !== SK_INS.EXPORT_SECRET || (lock.lastOp !== OP_INIT && lock.lastOp !== OP_PROCESS)) this.resetLockThenThrow(SW.LOCK_ERROR, false);
    const address = this.store.find(lock.id);
    if (address === NULL_OFFSET) this.resetLockThenThrow(SW.OBJECT_NOT_FOUND, false);
    const secure = lock.transport === EXPORT_SECURE_ONLY;
    if (lock.dataRemaining > CHUNK) {
      const plain = this.cipher(this.storageCipher).update(this.store.read(address, lock.objOffset, CHUNK));
      lock.objOffset += CHUNK;
      lock.dataRemaining -= CHUNK;
      if (secure) {
        const ct = this.cipher(this.transferCipher).update(plain);
        this.macHash.update(ct);
        return lv16(ct);
      }
      this.signedExport.push(plain);
      return lv16(plain);
    }
    const padded = this.cipher(this.storageCipher).doFinal(this.store.read(address, lock.objOffset, lock.dataRemaining));
    let out: Uint8Array;
    if (secure) {
      const ct = this.cipher(this.transferCipher).doFinal(padded);
      const mac = hmacSha1(this.transferMacKey, this.macHash.update(ct).digest());
      out = concat(lv16(ct), lv16(mac));
    } else {
      const plain = padded.subarray(0, padded.length - signedByte(padded[padded.length - 1] ?? 0));
      const signature = signMessage(ctx.signer, ctx.authentikey, concat(...this.signedExport, plain));
      this.signedExport = [];
      out = concat(lv16(plain), lv16(signature));
    }
    this.logger.update(SK_INS.EXPORT_SECRET, lock.id, lock.idPubkey, SW.OK);
    Object.assign(lock, { enabled: false, ins: 0, lastOp: 0, id: -1, idPubkey: -1, transport: 0, objOffset: 0, dataRemaining: 0 });
    return out;
  }

  /**
   * EXPORT SECRET TO SATOCHIP `sid(2) | sid_pubkey(2)` (section 9): one answer, only `len | secret`
   * (at most 64 bytes) re-padded and re-fingerprinted, subtype and label length zeroed in the header.
   * As on the card, the answer carries two more bytes than announced: the applet returns 2 bytes
   * past the HMAC, which are bytes 20..21 of the SHA-256 the HMAC was computed over.
   */
  exportToSatochip(cmd: CommandBuffer, ctx: VaultContext): Uint8Array {
    ctx.requirePin();
    const lock = this.lock;
    this.logger.create(SK_INS.EXPORT_SECRET, lock.id, lock.idPubkey, 0x0000);
    if (cmd.lc < 4) this.resetLockThenThrow(SW.INVALID_PARAMETER, false);
    lock.id = cmd.short(5);
    lock.idPubkey = cmd.short(7);
    const keys = this.peerKeys(lock.idPubkey, true, ctx.authentikey);
    const iv = ctx.rng.bytes(16);
    const address = this.store.find(lock.id);
    if (address === NULL_OFFSET) this.resetLockThenThrow(SW.OBJECT_NOT_FOUND, false);
    const objectSize = this.store.sizeOf(address);
    const type = this.store.getByte(address, 0);
    if (type !== SECRET_TYPE.MASTER_SEED && type !== SECRET_TYPE.TWO_FA) this.resetLockThenThrow(SW.WRONG_SECRET_TYPE, false);
    const rights = this.store.getByte(address, OFF_RIGHTS) & RIGHTS_MASK;
    if (rights !== EXPORT_ALLOWED && rights !== EXPORT_SECURE_ONLY) this.resetLockThenThrow(SW.EXPORT_NOT_ALLOWED, false);
    this.store.setByte(address, OFF_NB_SECURE, this.store.getByte(address, OFF_NB_SECURE) + 1);
    const header = this.store.read(address, 0, HEADER_SIZE);
    header[OFF_LABEL_SIZE] = 0;
    header[10] = 0;
    const offset = HEADER_SIZE + this.labelSizeAt(address);
    const remaining = Math.min(objectSize - offset, CHUNK);
    const first = new BlockStream('ecb-decrypt', this.storageKey).update(this.store.read(address, offset, remaining));
    const secretSize = signedByte(first[0] ?? 0);
    if (secretSize > 64) this.resetLockThenThrow(SW.WRONG_SECRET_TYPE, false);
    if (secretSize < 0 || secretSize + 1 > first.length) runtimeFault();
    const secret = first.slice(0, secretSize + 1);
    header.set(sha256(secret).subarray(0, 4), OFF_FINGERPRINT);
    const ct = new BlockStream('cbc-encrypt', keys.encKey, iv).doFinal(pkcs7(secret));
    const digest = sha256(concat(header.subarray(0, HEADER_SIZE - 1), ct));
    const mac = hmacSha1(keys.macKey, digest);
    this.logger.update(SK_INS.EXPORT_SECRET_TO_SATOCHIP, lock.id, lock.idPubkey, SW.OK);
    return concat(u16(lock.id), header, iv, lv16(ct), lv16(mac), digest.subarray(20, 22));
  }

  // --- A6 / A5 / A9 / A7 ---

  /** LIST HEADERS: P2 01 restarts, 02 continues; `sid | header`, newest first; 9C12 at the end. */
  listHeaders(cmd: CommandBuffer, ctx: VaultContext): Uint8Array {
    ctx.requirePin();
    let address: number;
    if (cmd.p2 === OP_INIT) address = this.store.first();
    else if (cmd.p2 === OP_PROCESS) address = this.store.next();
    else fail(SW.INCORRECT_P2);
    if (address === NULL_OFFSET) fail(SW.SEQUENCE_END);
    const labelSize = this.store.getByte(address, OFF_LABEL_SIZE);
    return concat(u16(this.store.idOf(address)), this.store.read(address, 0, HEADER_SIZE + labelSize));
  }

  /** DELETE SECRET `sid(2)`; unknown: 9C08. */
  resetSecret(cmd: CommandBuffer, ctx: VaultContext): Uint8Array {
    ctx.requirePin();
    this.logger.create(SK_INS.RESET_SECRET, -1, -1, 0x0000);
    if (cmd.lc < 2) fail(SW.INVALID_PARAMETER);
    const id = cmd.short(5);
    if (!this.store.destroy(id, true)) {
      this.logger.update(SK_INS.RESET_SECRET, id, -1, SW.OBJECT_NOT_FOUND);
      fail(SW.OBJECT_NOT_FOUND);
    }
    this.logger.update(SK_INS.RESET_SECRET, id, -1, SW.OK);
    return new Uint8Array(0);
  }

  /** LOGS: P2 01 `nb | capacity | newest`; 02 up to 19 records. */
  printLogs(cmd: CommandBuffer, ctx: VaultContext): Uint8Array {
    ctx.requirePin();
    if (cmd.p2 === OP_INIT) {
      const { counts, record } = this.logger.first();
      return record ? concat(counts, record) : counts;
    }
    if (cmd.p2 === OP_PROCESS) {
      const records: Uint8Array[] = [];
      for (let record = this.logger.next(); record; record = this.logger.next()) {
        records.push(record);
        if (records.length * 7 >= 128) break;
      }
      return concat(...records);
    }
    fail(SW.INCORRECT_P2);
  }

  /** SEEDKEEPER STATUS: `nb_secrets | total_mem | free_mem | nb_logs | log_capacity | last_log(7)`. */
  status(ctx: VaultContext): Uint8Array {
    ctx.requirePin();
    const { counts, record } = this.logger.first();
    return concat(u16(this.store.objectCount), u16(this.store.totalMemory), u16(this.store.freeMemory), counts, record ?? new Uint8Array(7));
  }
}
