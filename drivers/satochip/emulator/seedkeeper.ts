/**
 * Card side of the Seedkeeper applet, protocol 0.2 / applet 0.1 (../shared/protocols/satochip-seedkeeper.md;
 * Toporin/Seedkeeper-Applet `SeedKeeper.java`), for tests and the app's demo mode. Checked byte for
 * byte against the recorded transcripts (*.test.ts here).
 *
 * Install time draws, in order, the AES-128 key that encrypts stored secrets (16 bytes) and the
 * authentikey private key (32 bytes) (vectors: `cards.*.construction_rng`). SELECT answers the
 * 13-byte status. No PIN exists before SETUP (VERIFY answers 9000); once the PIN is blocked, the
 * wrong UNBLOCK that uses the last PUK try wipes the card and answers FF00 (section 13).
 */
import { SEEDKEEPER_AID } from '../identify.ts';
import type { CommandBuffer } from './apdu.ts';
import { AppletEmulator, INS, type AppletOptions } from './applet.ts';
import { ascii, concat, lv16, signedByte } from './bytes.ts';
import { signMessage } from './crypto.ts';
import { OwnerPin, pinPolicyOk } from './owner-pin.ts';
import type { PkiContext } from './pki.ts';
import { SK_INS, SecretVault, type VaultContext } from './seedkeeper-secrets.ts';
import { SW, fail, runtimeFault } from './status-words.ts';

const DEFAULT_PIN = ascii('Muscle00');

const SK = {
  SETUP: 0x2a,
  VERIFY_PIN: 0x42,
  CHANGE_PIN: 0x44,
  UNBLOCK_PIN: 0x46,
  LOGOUT_ALL: 0x60,
  CARD_LABEL: 0x3d,
  SET_NFC_POLICY: 0x3e,
  SET_NDEF: 0x3f,
  GET_AUTHENTIKEY: 0x73,
  EXPORT_AUTHENTIKEY: 0xad,
  IMPORT_PKI_CERTIFICATE: 0x92,
  EXPORT_PKI_CERTIFICATE: 0x93,
  SIGN_PKI_CSR: 0x94,
  EXPORT_PKI_PUBKEY: 0x98,
  LOCK_PKI: 0x99,
  CHALLENGE_RESPONSE_PKI: 0x9a,
} as const;

const FACTORY_COMMANDS: readonly number[] = [SK.VERIFY_PIN, SK.EXPORT_PKI_PUBKEY, SK.IMPORT_PKI_CERTIFICATE, SK.SIGN_PKI_CSR, SK.LOCK_PKI];

export type NfcPolicy = 0 | 1 | 2;

export interface SeedkeeperOptions extends AppletOptions {
  /** Secret memory in bytes (install parameter; default 0x0FFF). */
  readonly memorySize?: number;
  /** Interface the card is used through; NFC policy 1/2 refuses contactless (default: contact). */
  readonly interface?: 'contact' | 'contactless';
}

export class SeedkeeperEmulator extends AppletEmulator {
  protected readonly aid = SEEDKEEPER_AID;
  protected readonly initAppendsAuthentikeyX = true;
  protected readonly authentikeyPrivate: Uint8Array;
  private readonly vault: SecretVault;
  private readonly contactless: boolean;
  private pin: OwnerPin | null = null;
  private puk: OwnerPin | null = null;
  private setupDone = false;
  private nfcPolicy: NfcPolicy = 0;
  /** NDEF file content set by 3F (served by the NDEF applet on real cards). */
  ndef: Uint8Array = new Uint8Array(0);

  constructor(options: SeedkeeperOptions = {}) {
    super(options);
    const storageKey = this.rng.bytes(16);
    this.vault = new SecretVault(storageKey, options.memorySize ?? 0x0fff);
    this.authentikeyPrivate = this.rng.bytes(32);
    this.contactless = options.interface === 'contactless';
    this.installCertificate(options.certificate);
  }

  protected onSelect(): Uint8Array {
    this.pin?.reset();
    this.vault.onDeselect();
    if (this.nfcPolicy !== 0 && this.contactless) fail(SW.NFC_DISABLED);
    return this.status();
  }

  protected onPowerUp(): void {
    this.pin?.reset();
    this.vault.onDeselect();
  }

  protected getStatus(): Uint8Array {
    return this.status();
  }

  /** Section 2: 13 bytes, the last one the NFC policy. */
  private status(): Uint8Array {
    const tries = this.setupDone ? [this.pin!.triesRemaining, this.puk!.triesRemaining, 0, 0] : [0, 0, 0, 0];
    return Uint8Array.of(0x00, 0x02, 0x00, 0x01, ...tries, 0x00, 0x01, this.setupDone ? 1 : 0, 0x01, this.nfcPolicy);
  }

  protected requirePin(): void {
    // Before SETUP there is no PIN object: a NullPointerException on the card.
    if (!this.pin) runtimeFault();
    if (!this.pin.validated) fail(SW.UNAUTHORIZED);
  }

  private context(): VaultContext & PkiContext {
    return { rng: this.rng, signer: this.signer, authentikey: this.authentikeyPrivate, requirePin: () => this.requirePin() };
  }

  /** PKI personalisation commands: the PIN only once it exists. */
  private factoryContext(): PkiContext {
    return { ...this.context(), requirePin: () => (this.pin && !this.pin.validated ? fail(SW.UNAUTHORIZED) : undefined) };
  }

  protected executeInner(cmd: CommandBuffer): Uint8Array {
    const ins = cmd.ins;
    if (!this.setupDone && ins !== SK.SETUP && (this.pki.locked || !FACTORY_COMMANDS.includes(ins))) fail(SW.SETUP_NOT_DONE);
    if (this.setupDone && ins === SK.SETUP) fail(SW.SETUP_ALREADY_DONE);
    this.vault.checkLock(ins);
    const ctx = this.context();
    switch (ins) {
      case SK.SETUP:
        return this.setup(cmd);
      case SK.VERIFY_PIN:
        return this.verifyPin(cmd);
      case SK.CHANGE_PIN:
        return this.changePin(cmd);
      case SK.UNBLOCK_PIN:
        return this.unblockPin(cmd);
      case SK.LOGOUT_ALL:
        this.pin?.reset();
        return new Uint8Array(0);
      case INS.GET_STATUS:
        return this.status();
      case SK_INS.GET_SEEDKEEPER_STATUS:
        return this.vault.status(ctx);
      case SK.CARD_LABEL:
        return this.cardLabel(cmd);
      case SK.SET_NDEF:
        return this.setNdef(cmd);
      case SK.SET_NFC_POLICY:
        return this.setNfcPolicy(cmd);
      case SK.GET_AUTHENTIKEY:
      case SK.EXPORT_AUTHENTIKEY:
        return this.authentikeyAnswer();
      case SK_INS.GENERATE_MASTERSEED:
        return this.vault.generateMasterseed(cmd, ctx);
      case SK_INS.GENERATE_2FA_SECRET:
        return this.vault.generate2fa(cmd, ctx);
      case SK_INS.GENERATE_RANDOM_SECRET:
        return this.vault.generateRandomSecret(cmd, ctx);
      case SK_INS.DERIVE_MASTER_PASSWORD:
        return this.vault.deriveMasterPassword(cmd, ctx);
      case SK_INS.GET_EXTENDED_KEY:
        return this.vault.getExtendedKey(cmd, ctx);
      case SK_INS.IMPORT_SECRET:
        return this.vault.importSecret(cmd, ctx);
      case SK_INS.EXPORT_SECRET:
        return this.vault.exportSecret(cmd, ctx);
      case SK_INS.EXPORT_SECRET_TO_SATOCHIP:
        return this.vault.exportToSatochip(cmd, ctx);
      case SK_INS.RESET_SECRET:
        return this.vault.resetSecret(cmd, ctx);
      case SK_INS.LIST_SECRET_HEADERS:
        return this.vault.listHeaders(cmd, ctx);
      case SK_INS.PRINT_LOGS:
        return this.vault.printLogs(cmd, ctx);
      case SK.EXPORT_PKI_PUBKEY:
        return this.pki.exportPubkey(ctx);
      case SK.IMPORT_PKI_CERTIFICATE:
        return this.pki.importCertificate(cmd, this.factoryContext());
      case SK.EXPORT_PKI_CERTIFICATE:
        return this.pki.exportCertificate(cmd, this.factoryContext());
      case SK.SIGN_PKI_CSR:
        return this.pki.signCsr(cmd, this.factoryContext());
      case SK.LOCK_PKI:
        return this.pki.lock(this.factoryContext());
      case SK.CHALLENGE_RESPONSE_PKI:
        return this.pki.challenge(cmd, ctx);
      default:
        fail(SW.INS_NOT_SUPPORTED);
    }
  }

  /** `[0020 | authentikey_x | len | sig]`; no PIN needed (section 5.2). */
  private authentikeyAnswer(): Uint8Array {
    const first = lv16(this.authentikeyX());
    return concat(first, lv16(signMessage(this.signer, this.authentikeyPrivate, first)));
  }

  /**
   * SETUP (section 4.1): the default-PIN field is ignored, so are PIN1/PUK1 and the memory fields.
   * Locks the PKI first. After a factory reset the PIN/PUK objects, and so their try limits, stay.
   */
  private setup(cmd: CommandBuffer): Uint8Array {
    this.pki.locked = true;
    let base = 5;
    base += 1 + signedByte(cmd.byte(base));
    const pinTries = cmd.byte(base++);
    const pukTries = cmd.byte(base++);
    let size = signedByte(cmd.byte(base++));
    if (!pinPolicyOk(size)) fail(SW.INVALID_PARAMETER);
    this.pin ??= new OwnerPin(pinTries);
    this.pin.update(cmd.read(base, size));
    base += size;
    size = signedByte(cmd.byte(base++));
    if (!pinPolicyOk(size)) fail(SW.INVALID_PARAMETER);
    this.puk ??= new OwnerPin(pukTries);
    this.puk.update(cmd.read(base, size));
    this.vault.nextId = 0;
    this.setupDone = true;
    return new Uint8Array(0);
  }

  private checkPin(pin: OwnerPin, value: Uint8Array, ins: number): void {
    const tries = pin.triesRemaining;
    if (tries === 0) fail(SW.IDENTITY_BLOCKED);
    if (!pin.check(value)) {
      this.vault.logger.create(ins, -1, -1, SW.PIN_FAILED + tries - 1);
      if (ins === SK.UNBLOCK_PIN && pin.triesRemaining === 0) {
        this.resetToFactory();
        fail(SW.RESET_TO_FACTORY);
      }
      fail(SW.PIN_FAILED + tries - 1);
    }
  }

  /** VERIFY PIN: P1 must be 0; before SETUP there is no PIN and it answers 9000 (section 4.2). */
  private verifyPin(cmd: CommandBuffer): Uint8Array {
    if (cmd.p1 !== 0) fail(SW.INCORRECT_P1);
    if (cmd.p2 !== 0) fail(SW.INCORRECT_P2);
    if (!this.pin) return new Uint8Array(0);
    const size = signedByte(cmd.lc);
    if (!pinPolicyOk(size)) fail(SW.INVALID_PARAMETER);
    this.checkPin(this.pin, cmd.read(5, size), SK.VERIFY_PIN);
    return new Uint8Array(0);
  }

  private changePin(cmd: CommandBuffer): Uint8Array {
    if (cmd.p1 !== 0) fail(SW.INCORRECT_P1);
    if (cmd.p2 !== 0) fail(SW.INCORRECT_P2);
    const pin = this.pin;
    if (!pin) fail(SW.INCORRECT_P1);
    const left = cmd.lc;
    if (left < 4) fail(SW.INVALID_PARAMETER);
    const oldSize = signedByte(cmd.byte(5));
    if (left < 1 + oldSize + 1) fail(SW.INVALID_PARAMETER);
    if (!pinPolicyOk(oldSize)) fail(SW.INVALID_PARAMETER);
    const newSize = signedByte(cmd.byte(6 + oldSize));
    if (left < 1 + oldSize + 1 + newSize) fail(SW.INVALID_PARAMETER);
    if (!pinPolicyOk(newSize)) fail(SW.INVALID_PARAMETER);
    this.checkPin(pin, cmd.read(6, oldSize), SK.CHANGE_PIN);
    pin.update(cmd.read(7 + oldSize, newSize));
    return new Uint8Array(0);
  }

  /** UNBLOCK PIN: the wrong PUK that uses the last try factory-resets the card (FF00). */
  private unblockPin(cmd: CommandBuffer): Uint8Array {
    if (cmd.p1 !== 0) fail(SW.INCORRECT_P1);
    if (cmd.p2 !== 0) fail(SW.INCORRECT_P2);
    const pin = this.pin;
    if (!pin) fail(SW.INCORRECT_P1);
    const puk = this.puk;
    if (!puk) fail(SW.INTERNAL_ERROR);
    if (pin.triesRemaining !== 0) fail(SW.OPERATION_NOT_ALLOWED);
    const size = signedByte(cmd.lc);
    if (!pinPolicyOk(size)) fail(SW.INVALID_PARAMETER);
    this.checkPin(puk, cmd.read(5, size), SK.UNBLOCK_PIN);
    pin.resetAndUnblock();
    return new Uint8Array(0);
  }

  private setNdef(cmd: CommandBuffer): Uint8Array {
    this.requirePin();
    const length = cmd.lc;
    if (cmd.byte(5) !== length - 1) fail(SW.INVALID_PARAMETER);
    this.ndef = cmd.read(5, length);
    return new Uint8Array(0);
  }

  /** NFC policy: contact interface only; 2 (blocked) is final until factory reset. */
  private setNfcPolicy(cmd: CommandBuffer): Uint8Array {
    this.requirePin();
    if (this.contactless) fail(SW.NFC_DISABLED);
    if (this.nfcPolicy === 2) fail(SW.NFC_BLOCKED);
    const policy = signedByte(cmd.p1);
    if (policy < 0 || policy > 2) fail(SW.INCORRECT_P1);
    this.nfcPolicy = policy as NfcPolicy;
    return new Uint8Array(0);
  }

  /** Section 13 (Seedkeeper 0.2): secrets, label, NFC policy wiped; logs, keys and PKI kept. */
  private resetToFactory(): void {
    this.vault.resetAll();
    this.nfcPolicy = 0;
    this.clearLabel();
    this.pin!.update(DEFAULT_PIN);
    this.setupDone = false;
  }
}
