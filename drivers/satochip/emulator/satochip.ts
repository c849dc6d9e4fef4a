/**
 * Card side of the Satochip applet, protocol 0.12 / applet 0.6 (../shared/protocols/satochip-seedkeeper.md;
 * Toporin/SatochipApplet `CardEdge.java`), for tests and the app's demo mode. Checked byte for byte
 * against the recorded transcripts (*.test.ts here).
 *
 * Install time draws, in order, the authentikey private key (32 bytes) and the key that encrypts the
 * BIP32 cache (16 bytes) from the card RNG (vectors: `card.construction_rng`). The authentikey does
 * not depend on the seed and survives seed reset and factory reset (section 5.2, 13).
 */
import { SATOCHIP_AID } from '../identify.ts';
import type { CommandBuffer } from './apdu.ts';
import { AppletEmulator, INS, type AppletOptions } from './applet.ts';
import { Bip32Cache, masterFromSeed, type ExtendedKey } from './bip32.ts';
import { ascii, concat, equal, lv16, signedByte, u16 } from './bytes.ts';
import { BlockStream, aesCbcDecrypt, ecdhX, hmacSha1, publicKeyOf, sha256, signMessage } from './crypto.ts';
import { OwnerPin, pinPolicyOk } from './owner-pin.ts';
import type { PkiContext } from './pki.ts';
import { transferKeys } from './secure-channel.ts';
import { CRYPTO, SW, fail } from './status-words.ts';


/** Factory PIN `Muscle00`, 3 tries, needed by SETUP and factory PKI (section 4.1, 6.3). */
const DEFAULT_PIN = ascii('Muscle00');
const MAX_NUM_PINS = 8;
const MAX_NUM_KEYS = 16;
const MAX_BIP32_DEPTH = 10;
/** KeyBuilder.TYPE_EC_FP_PRIVATE, the only key type IMPORT KEY accepts. */
const TYPE_EC_FP_PRIVATE = 12;
/** The 2FA flag in front of an HMAC (section 5.4). */
const HMAC_CHALRESP_2FA = 0x8000;
const RESET_SIGNALS = 5;
/** "\x18Bitcoin Signed Message:\n" (section 5.5). */
const BTC_MESSAGE_HEADER = concat(Uint8Array.of(0x18), ascii('Bitcoin Signed Message:\n'));

const SAT = {
  SETUP: 0x2a,
  IMPORT_KEY: 0x32,
  RESET_KEY: 0x33,
  GET_PUBLIC_FROM_PRIVATE: 0x35,
  CREATE_PIN: 0x40,
  VERIFY_PIN: 0x42,
  CHANGE_PIN: 0x44,
  UNBLOCK_PIN: 0x46,
  LIST_PINS: 0x48,
  LOGOUT_ALL: 0x60,
  CARD_LABEL: 0x3d,
  IMPORT_SEED: 0x6c,
  RESET_SEED: 0x77,
  GET_AUTHENTIKEY: 0x73,
  SET_AUTHENTIKEY_PUBKEY: 0x75,
  GET_EXTENDED_KEY: 0x6d,
  SET_EXTENDED_PUBKEY: 0x74,
  SIGN_MESSAGE: 0x6e,
  SIGN_SHORT_MESSAGE: 0x72,
  SIGN_TRANSACTION: 0x6f,
  PARSE_TRANSACTION: 0x71,
  CRYPT_TRANSACTION_2FA: 0x76,
  SET_2FA_KEY: 0x79,
  RESET_2FA_KEY: 0x78,
  SIGN_TRANSACTION_HASH: 0x7a,
  IMPORT_TRUSTED_PUBKEY: 0xaa,
  EXPORT_TRUSTED_PUBKEY: 0xab,
  IMPORT_ENCRYPTED_SECRET: 0xac,
  EXPORT_AUTHENTIKEY: 0xad,
  IMPORT_PKI_CERTIFICATE: 0x92,
  EXPORT_PKI_CERTIFICATE: 0x93,
  SIGN_PKI_CSR: 0x94,
  EXPORT_PKI_PUBKEY: 0x98,
  LOCK_PKI: 0x99,
  CHALLENGE_RESPONSE_PKI: 0x9a,
  RESET_TO_FACTORY: 0xff,
} as const;

/** Commands a not-yet-personalised card accepts before SETUP (section 6.3). */
const FACTORY_COMMANDS: readonly number[] = [SAT.VERIFY_PIN, SAT.EXPORT_PKI_PUBKEY, SAT.IMPORT_PKI_CERTIFICATE, SAT.SIGN_PKI_CSR, SAT.LOCK_PKI];

export type SatochipOptions = AppletOptions;

interface TwoFactor {
  readonly hmacKey: Uint8Array;
  readonly limit: Uint8Array;
  readonly id: Uint8Array;
  readonly aesKey: Uint8Array;
}

export class SatochipEmulator extends AppletEmulator {
  protected readonly aid = SATOCHIP_AID;
  protected readonly initAppendsAuthentikeyX = false;
  protected readonly authentikeyPrivate: Uint8Array;
  private readonly cacheKey: Uint8Array;
  private readonly pins: (OwnerPin | null)[] = new Array<OwnerPin | null>(MAX_NUM_PINS).fill(null);
  private readonly puks: (OwnerPin | null)[] = new Array<OwnerPin | null>(MAX_NUM_PINS).fill(null);
  private setupDone = false;
  private master: ExtendedKey | null = null;
  private cache: Bip32Cache | null = null;
  /** The last derived key (`7A`/`6E` with P1 FF); persistent, never cleared (section 5.3). */
  private currentKey: Uint8Array | null = null;
  private readonly keys: (Uint8Array | null)[] = new Array<Uint8Array | null>(MAX_NUM_KEYS).fill(null);
  private twoFactor: TwoFactor | null = null;
  private twoFactorCipher: BlockStream | null = null;
  private trustedPubkey: Uint8Array | null = null;
  private messageHash: ReturnType<typeof sha256.create> | null = null;
  private resetCounter = RESET_SIGNALS;
  /** `reset_array[0]`: CLEAR_ON_RESET, so power loss clears it but SELECT does not. */
  private commandSincePowerUp = false;

  constructor(options: SatochipOptions = {}) {
    super(options);
    this.authentikeyPrivate = this.rng.bytes(32);
    this.cacheKey = this.rng.bytes(16);
    const pin = new OwnerPin(3);
    pin.update(DEFAULT_PIN);
    this.pins[0] = pin;
    this.installCertificate(options.certificate);
  }

  protected onSelect(): Uint8Array {
    this.logOutAll();
    return new Uint8Array(0);
  }

  protected onPowerUp(): void {
    this.logOutAll();
    this.commandSincePowerUp = false;
  }

  /** Factory reset signal (section 13): five power-ups, each SELECT + plaintext `B0 FF 00 00 00`. */
  protected override beforeCommand(cmd: CommandBuffer): Uint8Array | null {
    if (cmd.ins !== SAT.RESET_TO_FACTORY) {
      this.resetCounter = RESET_SIGNALS;
      this.commandSincePowerUp = true;
      return null;
    }
    if (this.commandSincePowerUp) {
      this.resetCounter = RESET_SIGNALS;
      fail(SW.RESET_TO_FACTORY + 0xff);
    }
    this.resetCounter -= 1;
    this.commandSincePowerUp = true;
    if (this.resetCounter === 0) {
      this.resetCounter = RESET_SIGNALS;
      this.resetToFactory();
      fail(SW.RESET_TO_FACTORY);
    }
    fail(SW.RESET_TO_FACTORY + this.resetCounter);
  }

  /** Section 2: 12 bytes; PIN tries read 0 before setup. */
  protected getStatus(cmd: CommandBuffer): Uint8Array {
    if (cmd.p1 !== 0) fail(SW.INCORRECT_P1);
    if (cmd.p2 !== 0) fail(SW.INCORRECT_P2);
    const tries = this.setupDone
      ? [this.pins[0]!.triesRemaining, this.puks[0]!.triesRemaining, this.pins[1]!.triesRemaining, this.puks[1]!.triesRemaining]
      : [0, 0, 0, 0];
    return Uint8Array.of(0x00, 0x0c, 0x00, 0x06, ...tries, this.twoFactor ? 1 : 0, this.master ? 1 : 0, this.setupDone ? 1 : 0, 1);
  }

  protected executeInner(cmd: CommandBuffer): Uint8Array {
    const ins = cmd.ins;
    if (!this.setupDone && ins !== SAT.SETUP && (this.pki.locked || !FACTORY_COMMANDS.includes(ins))) fail(SW.SETUP_NOT_DONE);
    if (this.setupDone && ins === SAT.SETUP) fail(SW.SETUP_ALREADY_DONE);
    switch (ins) {
      case SAT.SETUP:
        return this.setup(cmd);
      case SAT.IMPORT_KEY:
        return this.importKey(cmd);
      case SAT.RESET_KEY:
        return this.resetKey(cmd);
      case SAT.GET_PUBLIC_FROM_PRIVATE:
        return this.publicFromPrivate(cmd);
      case SAT.VERIFY_PIN:
        return this.verifyPin(cmd);
      case SAT.CREATE_PIN:
        return this.createPin(cmd);
      case SAT.CHANGE_PIN:
        return this.changePin(cmd);
      case SAT.UNBLOCK_PIN:
        return this.unblockPin(cmd);
      case SAT.LOGOUT_ALL:
        this.logOutAll();
        return new Uint8Array(0);
      case SAT.LIST_PINS:
        return this.listPins(cmd);
      case INS.GET_STATUS:
        return this.getStatus(cmd);
      case SAT.CARD_LABEL:
        return this.cardLabel(cmd);
      case SAT.IMPORT_SEED:
        this.requirePin();
        return this.importSeed(cmd.p1, cmd.p2, cmd.lc, cmd.read(5, Math.max(0, Math.min(signedByte(cmd.p1), cmd.lc))));
      case SAT.IMPORT_ENCRYPTED_SECRET:
        return this.importEncryptedSecret(cmd);
      case SAT.RESET_SEED:
        return this.resetSeedCommand(cmd);
      case SAT.GET_AUTHENTIKEY:
        this.requirePin();
        if (!this.master) fail(SW.BIP32_UNINITIALIZED_SEED);
        return this.authentikeyAnswer();
      case SAT.SET_AUTHENTIKEY_PUBKEY:
      case SAT.SET_EXTENDED_PUBKEY:
        // Deprecated hints: only report the cache slots (section 5.2).
        this.requirePin();
        return concat(u16(this.cache?.free ?? 0), u16(this.cache?.used ?? 0));
      case SAT.GET_EXTENDED_KEY:
        return this.getExtendedKey(cmd);
      case SAT.SIGN_MESSAGE:
        return this.signMessageCommand(cmd);
      case SAT.SIGN_SHORT_MESSAGE:
        fail(SW.INS_DEPRECATED);
      case SAT.SIGN_TRANSACTION:
      case SAT.PARSE_TRANSACTION:
        // The raw-transaction parser (6F/71) is the old path; not emulated (section 5.4).
        this.requirePin();
        fail(SW.UNSUPPORTED_FEATURE);
      case SAT.SIGN_TRANSACTION_HASH:
        return this.signHash(cmd);
      case SAT.SET_2FA_KEY:
        return this.set2faKey(cmd.lc, cmd.read(5, 28));
      case SAT.RESET_2FA_KEY:
        return this.reset2faKey(cmd);
      case SAT.CRYPT_TRANSACTION_2FA:
        return this.cryptTransaction2fa(cmd);
      case SAT.IMPORT_TRUSTED_PUBKEY:
        return this.importTrustedPubkey(cmd);
      case SAT.EXPORT_TRUSTED_PUBKEY:
        return this.exportTrustedPubkey();
      case SAT.EXPORT_AUTHENTIKEY:
        this.requirePin();
        return this.authentikeyAnswer();
      case SAT.EXPORT_PKI_PUBKEY:
        this.requirePin();
        return this.pki.exportPubkey(this.pkiContext());
      case SAT.IMPORT_PKI_CERTIFICATE:
        return this.pki.importCertificate(cmd, this.pkiContext());
      case SAT.EXPORT_PKI_CERTIFICATE:
        return this.pki.exportCertificate(cmd, this.pkiContext());
      case SAT.SIGN_PKI_CSR:
        return this.pki.signCsr(cmd, this.pkiContext());
      case SAT.LOCK_PKI:
        return this.pki.lock(this.pkiContext());
      case SAT.CHALLENGE_RESPONSE_PKI:
        return this.pki.challenge(cmd, this.pkiContext());
      default:
        fail(SW.INS_NOT_SUPPORTED);
    }
  }

  // --- PIN (section 4) ---

  private get pin0(): OwnerPin {
    return this.pins[0]!;
  }

  protected requirePin(): void {
    if (!this.pin0.validated) fail(SW.UNAUTHORIZED);
  }

  private logOutAll(): void {
    for (const pin of this.pins) pin?.reset();
  }

  private pkiContext(): PkiContext {
    return { authentikey: this.authentikeyPrivate, rng: this.rng, signer: this.signer, requirePin: () => this.requirePin() };
  }

  /** Wrong PIN: `63Cx` with x = tries left after this one. */
  private checkPin(pin: OwnerPin, value: Uint8Array): void {
    const tries = pin.triesRemaining;
    if (tries === 0) fail(SW.IDENTITY_BLOCKED);
    if (!pin.check(value)) fail(SW.PIN_FAILED + tries - 1);
  }

  /** SETUP (section 4.1): checks the factory PIN, then installs PIN/PUK, legacy PIN1/PUK1, cache size, 2FA. */
  private setup(cmd: CommandBuffer): Uint8Array {
    this.pki.locked = true;
    let left = cmd.lc;
    let base = 5;
    let size = signedByte(cmd.byte(base++));
    left -= 1;
    if (!pinPolicyOk(size)) fail(SW.INVALID_PARAMETER);
    this.checkPin(this.pin0, cmd.read(base, size));
    base += size;
    left -= size;
    const installPin = (slot: number, puk: boolean, tries: number) => {
      size = signedByte(cmd.byte(base++));
      left -= 1;
      if (!pinPolicyOk(size)) fail(SW.INVALID_PARAMETER);
      const table = puk ? this.puks : this.pins;
      if (!puk && slot === 0) table[0] = new OwnerPin(tries);
      else table[slot] ??= new OwnerPin(tries);
      table[slot]!.update(cmd.read(base, size));
      base += size;
      left -= size;
    };
    for (const slot of [0, 1]) {
      const pinTries = cmd.byte(base++);
      const pukTries = cmd.byte(base++);
      left -= 2;
      installPin(slot, false, pinTries);
      installPin(slot, true, pukTries);
    }
    const slots = cmd.short(base);
    base += 7;
    left -= 7;
    if (slots < 0) fail(SW.UNKNOWN);
    this.cache ??= new Bip32Cache(slots, this.cacheKey);
    this.master = null;
    if (left >= 2) {
      const flags = cmd.short(base);
      base += 2;
      if ((flags & HMAC_CHALRESP_2FA) !== 0) this.twoFactor = twoFactorFrom(cmd.read(base, 20), cmd.read(base + 20, 8));
    }
    this.setupDone = true;
    return new Uint8Array(0);
  }

  private verifyPin(cmd: CommandBuffer): Uint8Array {
    const pin = this.pinSlot(cmd.p1);
    if (cmd.p2 !== 0) fail(SW.INCORRECT_P2);
    const size = signedByte(cmd.lc);
    if (!pinPolicyOk(size)) fail(SW.INVALID_PARAMETER);
    this.checkPin(pin, cmd.read(5, size));
    return new Uint8Array(0);
  }

  private pinSlot(p1: number): OwnerPin {
    const nb = signedByte(p1);
    if (nb < 0 || nb >= MAX_NUM_PINS) fail(SW.INCORRECT_P1);
    const pin = this.pins[nb];
    if (!pin) fail(SW.INCORRECT_P1);
    return pin;
  }

  private createPin(cmd: CommandBuffer): Uint8Array {
    this.requirePin();
    const nb = signedByte(cmd.p1);
    if (nb < 0 || nb >= MAX_NUM_PINS || this.pins[nb]) fail(SW.INCORRECT_P1);
    const left = cmd.lc;
    if (left < 4) fail(SW.INVALID_PARAMETER);
    const pinSize = signedByte(cmd.byte(5));
    if (left < 1 + pinSize + 1) fail(SW.INVALID_PARAMETER);
    if (!pinPolicyOk(pinSize)) fail(SW.INVALID_PARAMETER);
    const pukSize = signedByte(cmd.byte(6 + pinSize));
    if (left !== 1 + pinSize + 1 + pukSize) fail(SW.INVALID_PARAMETER);
    if (!pinPolicyOk(pukSize)) fail(SW.INVALID_PARAMETER);
    const pin = new OwnerPin(cmd.p2);
    pin.update(cmd.read(6, pinSize));
    const puk = new OwnerPin(3);
    puk.update(cmd.read(7 + pinSize, pukSize));
    this.pins[nb] = pin;
    this.puks[nb] = puk;
    return new Uint8Array(0);
  }

  /** CHANGE PIN: old PIN needed; success leaves the card logged out (section 4.2). */
  private changePin(cmd: CommandBuffer): Uint8Array {
    const pin = this.pinSlot(cmd.p1);
    if (cmd.p2 !== 0) fail(SW.INCORRECT_P2);
    const left = cmd.lc;
    if (left < 4) fail(SW.INVALID_PARAMETER);
    const oldSize = signedByte(cmd.byte(5));
    if (left < 1 + oldSize + 1) fail(SW.INVALID_PARAMETER);
    if (!pinPolicyOk(oldSize)) fail(SW.INVALID_PARAMETER);
    const newSize = signedByte(cmd.byte(6 + oldSize));
    if (left < 1 + oldSize + 1 + newSize) fail(SW.INVALID_PARAMETER);
    if (!pinPolicyOk(newSize)) fail(SW.INVALID_PARAMETER);
    this.checkPin(pin, cmd.read(6, oldSize));
    pin.update(cmd.read(7 + oldSize, newSize));
    return new Uint8Array(0);
  }

  /** UNBLOCK PIN: only while blocked (else 9C03); wrong PUK 63Cx (the Satochip never self-resets). */
  private unblockPin(cmd: CommandBuffer): Uint8Array {
    const nb = signedByte(cmd.p1);
    const pin = this.pinSlot(cmd.p1);
    const puk = this.puks[nb];
    if (!puk) fail(SW.INTERNAL_ERROR);
    if (pin.triesRemaining !== 0) fail(SW.OPERATION_NOT_ALLOWED);
    if (cmd.p2 !== 0) fail(SW.INCORRECT_P2);
    const size = signedByte(cmd.lc);
    if (!pinPolicyOk(size)) fail(SW.INVALID_PARAMETER);
    this.checkPin(puk, cmd.read(5, size));
    pin.resetAndUnblock();
    return new Uint8Array(0);
  }

  private listPins(cmd: CommandBuffer): Uint8Array {
    this.requirePin();
    if (cmd.p1 !== 0) fail(SW.INCORRECT_P1);
    if (cmd.p2 !== 0) fail(SW.INCORRECT_P2);
    if (cmd.lc !== 2) fail(SW.WRONG_LENGTH);
    const mask = this.pins.reduce((m, pin, i) => (pin ? m | (1 << i) : m), 0);
    return u16(mask);
  }

  // --- label (section 5.6) ---

  // --- seed, authentikey, BIP32 (section 5.1 - 5.3) ---

  /** `[0020 | authentikey_x | len | sig]`, sig = authentikey ECDSA-SHA256 over `[0020 | x]`. */
  private authentikeyAnswer(): Uint8Array {
    const first = lv16(this.authentikeyX());
    return concat(first, lv16(signMessage(this.signer, this.authentikeyPrivate, first)));
  }

  /** IMPORT SEED core (also reached from IMPORT ENCRYPTED SECRET with the buffer rewritten). */
  private importSeed(p1: number, p2: number, lc: number, seed: Uint8Array): Uint8Array {
    this.requirePin();
    if (p2 !== 0) fail(SW.INCORRECT_P2);
    if (this.master) fail(SW.BIP32_INITIALIZED_SEED);
    const size = signedByte(p1);
    if (size < 0 || size > 64) fail(SW.WRONG_LENGTH);
    if (lc < size) fail(SW.WRONG_LENGTH);
    this.master = masterFromSeed(seed.subarray(0, size));
    return this.authentikeyAnswer();
  }

  /** Seed, cache, trusted pubkey gone; the authentikey stays (section 5.2). */
  private resetSeed(): void {
    this.cache?.reset();
    this.master = null;
    this.trustedPubkey = null;
  }

  /** RESET SEED `B0 77 pinlen 00 Lc pin [| 2FA hmac]`: checks the PIN itself, then logs out. */
  private resetSeedCommand(cmd: CommandBuffer): Uint8Array {
    const left = cmd.lc;
    const pinSize = signedByte(cmd.p1);
    if (left < pinSize) fail(SW.WRONG_LENGTH);
    if (!pinPolicyOk(pinSize)) fail(SW.INVALID_PARAMETER);
    this.checkPin(this.pin0, cmd.read(5, pinSize));
    if (!this.master) fail(SW.BIP32_UNINITIALIZED_SEED);
    if (this.twoFactor) {
      if (left - pinSize < 20) fail(SW.WRONG_LENGTH);
      const message = concat(this.authentikeyX(), new Uint8Array(32).fill(0xff));
      if (!equal(cmd.read(5 + pinSize, 20), hmacSha1(this.twoFactor.hmacKey, message))) fail(SW.SIGNATURE_INVALID);
    }
    this.resetSeed();
    this.logOutAll();
    return new Uint8Array(0);
  }

  /**
   * GET EXTENDED KEY (section 5.3): `[chaincode | 0020 | x | len | sig1 | len | sig2]`, sig1 by the
   * derived key over `[chaincode | 0020 | x]`, sig2 by the authentikey over all before it.
   */
  private getExtendedKey(cmd: CommandBuffer): Uint8Array {
    this.requirePin();
    const master = this.master;
    if (!master) fail(SW.BIP32_UNINITIALIZED_SEED);
    const depth = signedByte(cmd.p1);
    if (depth < 0 || depth > MAX_BIP32_DEPTH) fail(SW.INCORRECT_P1);
    if (cmd.lc < 4 * depth) fail(SW.INVALID_PARAMETER);
    const cache = this.cache!;
    if ((cmd.p2 & 0x80) !== 0) cache.reset();
    const node = cache.derive(master, cmd.read(5, 4 * depth), depth);
    this.currentKey = node.privateKey;
    const first = concat(node.chainCode, lv16(publicKeyOf(node.privateKey).slice(1, 33)));
    const signed1 = concat(first, lv16(signMessage(this.signer, node.privateKey, first)));
    return concat(signed1, lv16(signMessage(this.signer, this.authentikeyPrivate, signed1)));
  }

  /** The key for P1 (FF = current BIP32 key, 00..0F = imported key). */
  private signingKey(keyNb: number): Uint8Array {
    if (keyNb === 0xff) {
      // Never derived since install: the uninitialised key object (simulator: 0002).
      if (!this.currentKey) fail(CRYPTO.UNINITIALIZED_KEY);
      return this.currentKey;
    }
    const key = this.keys[keyNb];
    if (!key) fail(SW.INCORRECT_P1);
    return key;
  }

  private checkKeyNb(p1: number): number {
    const nb = signedByte(p1);
    if (p1 !== 0xff && (nb < 0 || nb >= MAX_NUM_KEYS)) fail(SW.INCORRECT_P1);
    return p1;
  }

  /** SIGN HASH (section 5.4): the 32 bytes are signed as given; optional `8000 | hmac` with 2FA. */
  private signHash(cmd: CommandBuffer): Uint8Array {
    this.requirePin();
    const keyNb = this.checkKeyNb(cmd.p1);
    const left = cmd.lc;
    if (left < 32) fail(SW.WRONG_LENGTH);
    if (keyNb === 0xff && !this.master) fail(SW.BIP32_UNINITIALIZED_SEED);
    const hash = cmd.read(5, 32);
    if (this.twoFactor) {
      if (left < 32 + 20 + 2) fail(SW.WRONG_LENGTH);
      if ((cmd.short(37) & 0xffff) !== HMAC_CHALRESP_2FA) fail(SW.INCORRECT_ALG);
      const expected = hmacSha1(this.twoFactor.hmacKey, concat(hash, new Uint8Array(32).fill(0xcc)));
      if (!equal(cmd.read(39, 20), expected)) fail(SW.SIGNATURE_INVALID);
    }
    return this.signer(this.signingKey(keyNb), hash);
  }

  /**
   * SIGN MESSAGE (section 5.5): INIT hashes the header and varint(length), UPDATE/FINAL add chunks;
   * the signature (ECDSA-SHA256) is over that first SHA-256, i.e. the BIP-137 double SHA-256.
   */
  private signMessageCommand(cmd: CommandBuffer): Uint8Array {
    this.requirePin();
    const keyNb = this.checkKeyNb(cmd.p1);
    const op = signedByte(cmd.p2);
    if (op <= 0 || op > 3) fail(SW.INCORRECT_P2);
    let left = cmd.lc;
    if (keyNb === 0xff && !this.master) fail(SW.BIP32_UNINITIALIZED_SEED);
    switch (op) {
      case 1: {
        let header: Uint8Array;
        if (left < 4) fail(SW.WRONG_LENGTH);
        else if (left === 4) header = BTC_MESSAGE_HEADER;
        else {
          const altSize = signedByte(cmd.byte(9));
          if (left !== 5 + altSize) fail(SW.WRONG_LENGTH);
          header = concat(Uint8Array.of((altSize + 17) & 0xff), cmd.read(10, altSize), BTC_MESSAGE_HEADER.subarray(8));
        }
        this.messageHash = sha256.create().update(concat(header, varint(cmd.read(5, 4))));
        return new Uint8Array(0);
      }
      case 2: {
        if (!this.messageHash) fail(SW.INCORRECT_INITIALIZATION);
        this.messageHash.update(cmd.read(7, cmd.short(5)));
        return new Uint8Array(0);
      }
      default: {
        const hashing = this.messageHash;
        if (!hashing) fail(SW.INCORRECT_INITIALIZATION);
        const chunk = cmd.short(5);
        left -= 2;
        const digest = hashing.update(cmd.read(7, chunk)).digest();
        this.messageHash = null;
        left -= chunk;
        if (this.twoFactor) {
          if (left < 20) fail(SW.WRONG_LENGTH);
          const expected = hmacSha1(this.twoFactor.hmacKey, concat(digest, new Uint8Array(32).fill(0xbb)));
          if (!equal(cmd.read(7 + chunk, 20), expected)) fail(SW.SIGNATURE_INVALID);
        }
        return signMessage(this.signer, this.signingKey(keyNb), digest);
      }
    }
  }

  // --- imported keys (section 5.6, not needed by Tapdesk) ---

  private keySlot(p1: number): number {
    const nb = signedByte(p1);
    if (nb < 0 || nb >= MAX_NUM_KEYS) fail(SW.INCORRECT_P1);
    return nb;
  }

  private importKey(cmd: CommandBuffer): Uint8Array {
    this.requirePin();
    if (cmd.p2 !== 0) fail(SW.INCORRECT_P2);
    const nb = this.keySlot(cmd.p1);
    let left = cmd.lc;
    if (left < 4) fail(SW.INVALID_PARAMETER);
    if (cmd.byte(5) !== 0) fail(SW.UNSUPPORTED_FEATURE);
    if (cmd.byte(6) !== TYPE_EC_FP_PRIVATE) fail(SW.INCORRECT_ALG);
    if (cmd.short(7) !== 256) fail(SW.INVALID_PARAMETER);
    left -= 10;
    if (left < 2) fail(SW.INVALID_PARAMETER);
    const blobSize = cmd.short(15);
    if (blobSize !== 32) fail(blobSize & 0xffff);
    left -= 2;
    if (left < blobSize) fail(SW.INVALID_PARAMETER);
    if (this.keys[nb]) fail(SW.INCORRECT_P1);
    const key = cmd.read(17, 32);
    if (this.twoFactor) {
      if (left < blobSize + 20) fail(SW.WRONG_LENGTH);
      const message = concat(publicKeyOf(key).slice(1, 33), new Uint8Array(32).fill(0x10 ^ nb));
      if (!equal(cmd.read(49, 20), hmacSha1(this.twoFactor.hmacKey, message))) fail(SW.SIGNATURE_INVALID);
    }
    this.keys[nb] = key;
    return new Uint8Array(0);
  }

  private resetKey(cmd: CommandBuffer): Uint8Array {
    this.requirePin();
    if (cmd.p2 !== 0) fail(SW.INCORRECT_P2);
    const nb = this.keySlot(cmd.p1);
    const key = this.keys[nb];
    if (!key) fail(SW.INCORRECT_P1);
    if (this.twoFactor) {
      if (cmd.lc < 20) fail(SW.WRONG_LENGTH);
      const message = concat(publicKeyOf(key).slice(1, 33), new Uint8Array(32).fill(0x20 ^ nb));
      if (!equal(cmd.read(5, 20), hmacSha1(this.twoFactor.hmacKey, message))) fail(SW.SIGNATURE_INVALID);
    }
    this.keys[nb] = null;
    return new Uint8Array(0);
  }

  private publicFromPrivate(cmd: CommandBuffer): Uint8Array {
    this.requirePin();
    if (cmd.p2 !== 0) fail(SW.INCORRECT_P2);
    const key = this.keys[this.keySlot(cmd.p1)];
    if (!key) fail(SW.INCORRECT_P1);
    const first = lv16(publicKeyOf(key).slice(1, 33));
    return concat(first, lv16(signMessage(this.signer, key, first)));
  }

  // --- 2FA (section 5.6) ---

  /** SET 2FA KEY `hmac_key(20) | amount_limit(8)` (also the end of a 2FA IMPORT ENCRYPTED SECRET). */
  private set2faKey(lc: number, data: Uint8Array): Uint8Array {
    this.requirePin();
    if (this.twoFactor) fail(SW.TWOFA_INITIALIZED_KEY);
    if (lc < 28) fail(SW.WRONG_LENGTH);
    this.twoFactor = twoFactorFrom(data.slice(0, 20), data.slice(20, 28));
    return new Uint8Array(0);
  }

  private reset2faKey(cmd: CommandBuffer): Uint8Array {
    this.requirePin();
    if (cmd.lc < 20) fail(SW.WRONG_LENGTH);
    const twoFactor = this.twoFactor;
    if (!twoFactor) fail(SW.TWOFA_UNINITIALIZED_KEY);
    const message = new Uint8Array(64).fill(0xaa);
    message.set(twoFactor.id, 0);
    if (!equal(cmd.read(5, 20), hmacSha1(twoFactor.hmacKey, message))) fail(SW.SIGNATURE_INVALID);
    this.twoFactor = null;
    this.twoFactorCipher = null;
    return new Uint8Array(0);
  }

  /** Encrypts/decrypts data for the 2FA device with AES-CBC under HMAC-SHA1(2FA key, "key_2FA"). */
  private cryptTransaction2fa(cmd: CommandBuffer): Uint8Array {
    this.requirePin();
    const twoFactor = this.twoFactor;
    if (!twoFactor) fail(SW.TWOFA_UNINITIALIZED_KEY);
    const left = cmd.lc;
    switch (cmd.p2) {
      case 0x01: {
        if (cmd.p1 === 0x02) {
          const iv = this.rng.bytes(16);
          this.twoFactorCipher = new BlockStream('cbc-encrypt', twoFactor.aesKey, iv);
          return concat(iv, twoFactor.id);
        }
        if (cmd.p1 === 0x01) {
          this.twoFactorCipher = new BlockStream('cbc-decrypt', twoFactor.aesKey, cmd.read(5, 16));
          return new Uint8Array(0);
        }
        fail(SW.INVALID_PARAMETER);
      }
      case 0x02:
      case 0x03: {
        if (left < 2) fail(SW.INVALID_PARAMETER);
        const size = cmd.short(5);
        if (left < 2 + size) fail(SW.INVALID_PARAMETER);
        const cipher = this.twoFactorCipher;
        if (!cipher) fail(CRYPTO.UNINITIALIZED_KEY);
        const data = cmd.read(7, size);
        const out = cmd.p2 === 0x02 ? cipher.update(data) : cipher.doFinal(data);
        return lv16(out);
      }
      default:
        fail(SW.INCORRECT_P2);
    }
  }

  // --- Seedkeeper -> Satochip (section 9) ---

  /** IMPORT TRUSTED PUBKEY `0041 | 04 x y` → the EXPORT TRUSTED PUBKEY answer. Seeded card: 9C17. */
  private importTrustedPubkey(cmd: CommandBuffer): Uint8Array {
    this.requirePin();
    if (this.master) fail(SW.BIP32_INITIALIZED_SEED);
    const size = cmd.short(5);
    if (size !== 65) fail(SW.INVALID_PARAMETER);
    if (cmd.lc < size) fail(SW.INVALID_PARAMETER);
    if (cmd.byte(7) !== 0x04) fail(SW.INVALID_PARAMETER);
    this.trustedPubkey = cmd.read(7, 65);
    return this.exportTrustedPubkey();
  }

  /** `[0041 | pubkey | len | sig]`, sig = authentikey over `[0041 | pubkey]`; none stored: 9C35. */
  private exportTrustedPubkey(): Uint8Array {
    this.requirePin();
    if (!this.trustedPubkey) fail(SW.SECURE_IMPORT_NO_TRUSTED_PUBKEY);
    const first = lv16(this.trustedPubkey);
    return concat(first, lv16(signMessage(this.signer, this.authentikeyPrivate, first)));
  }

  /**
   * IMPORT ENCRYPTED SECRET `header(12) | IV(16) | ctlen(2) | ct | 14 | hmac(20)` (section 8, 9):
   * keys from ECDH(authentikey, trusted pubkey), MAC = HMAC-SHA1(mac key, SHA-256(header | ct)),
   * fingerprint checked (9C34); a seed goes through IMPORT SEED, a 2FA secret through SET 2FA KEY.
   */
  private importEncryptedSecret(cmd: CommandBuffer): Uint8Array {
    this.requirePin();
    const trusted = this.trustedPubkey;
    if (!trusted) fail(SW.SECURE_IMPORT_NO_TRUSTED_PUBKEY);
    let left = cmd.lc;
    if (left < 12) fail(SW.INVALID_PARAMETER);
    const type = cmd.byte(5);
    if (type === 0x10) {
      if (this.master) fail(SW.BIP32_INITIALIZED_SEED);
    } else if (type === 0xb0) {
      if (this.twoFactor) fail(SW.TWOFA_INITIALIZED_KEY);
    } else fail(SW.INVALID_PARAMETER);
    const header = cmd.read(5, 12);
    let offset = 17;
    left -= 12;
    if (left < 16) fail(SW.INVALID_PARAMETER);
    const keys = transferKeys(ecdhX(this.authentikeyPrivate, trusted));
    const iv = cmd.read(offset, 16);
    offset += 16;
    left -= 16;
    const size = cmd.short(offset);
    offset += 2;
    left -= 2;
    if (left < size) fail(SW.INVALID_PARAMETER);
    const ct = cmd.read(offset, Math.max(0, size));
    left -= size;
    if (left < 1) fail(SW.INVALID_PARAMETER);
    const macSize = signedByte(cmd.byte(offset + size));
    left -= 1;
    if (macSize !== 20 || left < macSize) fail(SW.INVALID_PARAMETER);
    const mac = hmacSha1(keys.macKey, sha256(concat(header, ct)));
    if (!equal(cmd.read(offset + size + 1, 20), mac)) fail(SW.SECURE_IMPORT_WRONG_MAC);
    const plain = aesCbcDecrypt(keys.encKey, iv, ct);
    const pad = signedByte(plain[plain.length - 1] ?? 0);
    const secret = plain.subarray(0, plain.length - pad);
    if (!equal(sha256(secret).subarray(0, 4), header.subarray(6, 10))) fail(SW.SECURE_IMPORT_WRONG_FINGERPRINT);
    const secretSize = plain[0] ?? 0;
    if (type === 0x10) return this.importSeed(secretSize, cmd.p2, secretSize, plain.slice(1, 1 + (secretSize & 0x7f)));
    const data = new Uint8Array(28);
    data.set(plain.subarray(1, 1 + Math.min(secretSize, 28)));
    return this.set2faKey(cmd.lc, data);
  }

  /** Section 13: seed, imported keys, 2FA, label gone, setup undone, PIN back to Muscle00. */
  private resetToFactory(): void {
    this.twoFactor = null;
    this.twoFactorCipher = null;
    this.resetSeed();
    this.keys.fill(null);
    this.clearLabel();
    this.pin0.update(DEFAULT_PIN);
    this.setupDone = false;
  }
}

function twoFactorFrom(hmacKey: Uint8Array, limit: Uint8Array): TwoFactor {
  return {
    hmacKey,
    limit,
    id: hmacSha1(hmacKey, ascii('id_2FA')),
    aesKey: hmacSha1(hmacKey, ascii('key_2FA')).slice(0, 16),
  };
}

/** Bitcoin CompactSize of a 4-byte big-endian length (Biginteger.encodeVarInt). */
function varint(lengthBe: Uint8Array): Uint8Array {
  const n = (((lengthBe[0] ?? 0) << 24) | ((lengthBe[1] ?? 0) << 16) | ((lengthBe[2] ?? 0) << 8) | (lengthBe[3] ?? 0)) >>> 0;
  if (n < 0xfd) return Uint8Array.of(n);
  if (n <= 0xffff) return Uint8Array.of(0xfd, n & 0xff, n >> 8);
  return Uint8Array.of(0xfe, n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, n >>> 24);
}
