/**
 * What the Satochip and Seedkeeper applets share around their command handlers (section 1;
 * SATO/SK `select`, `process`): selection by AID, the CLA check, the plaintext commands (GET STATUS,
 * INIT SC, PROCESS SC), the secure-channel requirement, and the encryption of wrapped answers.
 * A subclass supplies the AID, the SELECT answer, GET STATUS and the inner command dispatch.
 */
import { sw, type CardEmulator } from '../../virtual/emulator.ts';
import { CommandBuffer, receivesAsAnnounced } from './apdu.ts';
import { concat, equal, fromHex } from './bytes.ts';
import { defaultSigner, publicKeyOf, type EcdsaSigner } from './crypto.ts';
import { CardPki } from './pki.ts';
import { systemRandom, type RandomSource } from './random.ts';
import { CardSecureChannel } from './secure-channel.ts';
import { CardError, SW, fail } from './status-words.ts';

/** Longest card label (SATO/SK `MAX_LABEL_SIZE`). */
const MAX_LABEL = 64;

/** The Java Card simulator the vectors were recorded on (section 1, "Emulator note"). */
export const SIMULATOR_ATR = fromHex('3bfa1800008131fe454a434f5033315632333298');

export const INS = {
  SELECT: 0xa4,
  GET_STATUS: 0x3c,
  INIT_SECURE_CHANNEL: 0x81,
  PROCESS_SECURE_CHANNEL: 0x82,
} as const;

export interface AppletOptions {
  /** Card randomness: install-time keys, IVs, challenges, generated secrets (default: OS randomness). */
  readonly rng?: RandomSource;
  /** ECDSA signer (default: RFC 6979 nonces, no low-S normalisation). */
  readonly signer?: EcdsaSigner;
  /** ATR to report (default: the simulator's). */
  readonly atr?: Uint8Array;
  /**
   * Factory personalisation done before delivery: the DER device certificate, or a function that
   * issues one for the authentikey (see test-pki.ts). The PKI is then locked.
   */
  readonly certificate?: Uint8Array | ((authentikey: Uint8Array) => Uint8Array);
}

export abstract class AppletEmulator implements CardEmulator {
  readonly atr: Uint8Array;
  protected readonly rng: RandomSource;
  protected readonly signer: EcdsaSigner;
  protected readonly channel = new CardSecureChannel();
  protected readonly pki = new CardPki();
  private readonly label = new Uint8Array(MAX_LABEL);
  private labelSize = 0;
  private selected = false;
  /** The last error that was not a card status word (a bug, or a scripted-RNG misuse); tests check it. */
  lastInternalError: unknown = null;

  protected abstract readonly aid: Uint8Array;

  constructor(options: AppletOptions) {
    this.atr = options.atr ?? SIMULATOR_ATR;
    this.rng = options.rng ?? systemRandom;
    this.signer = options.signer ?? defaultSigner;
  }

  /** Answers every APDU with a status word; never throws (an internal error is `6F00`). */
  process(apdu: Uint8Array): Uint8Array {
    try {
      return this.dispatch(apdu);
    } catch (error) {
      if (error instanceof CardError) return sw(error.sw);
      this.lastInternalError = error;
      return sw(SW.UNKNOWN);
    }
  }

  /** Power loss: nothing selected, channel and PIN state gone (transient memory). */
  reset(): void {
    this.selected = false;
    this.channel.close();
    this.onPowerUp();
  }

  get isSelected(): boolean {
    return this.selected;
  }

  private dispatch(apdu: Uint8Array): Uint8Array {
    if (apdu.length < 4) fail(SW.WRONG_LENGTH);
    const cmd = new CommandBuffer(apdu);
    if (cmd.cla === 0x00 && cmd.ins === INS.SELECT && cmd.p1 === 0x04 && cmd.p2 === 0x00 && receivesAsAnnounced(apdu)) {
      if (equal(cmd.data, this.aid)) {
        // (Re)selection: the applet is deselected and selected again.
        this.selected = false;
        this.channel.close();
        const answer = this.onSelect();
        this.selected = true;
        return sw(SW.OK, answer);
      }
    }
    if (!this.selected) {
      // No applet and no card manager (the simulator answers GlobalPlatform GET DATA with 6986).
      if (cmd.cla === 0x00 && cmd.ins === INS.SELECT) fail(SW.FILE_NOT_FOUND);
      fail(SW.CONDITIONS_NOT_SATISFIED);
    }
    return this.processSelected(cmd, apdu);
  }

  /** SATO/SK `process` up to the inner switch. */
  private processSelected(cmd: CommandBuffer, wire: Uint8Array): Uint8Array {
    // A SELECT that reaches the applet without selecting it (section 1).
    if (cmd.cla === 0x00 && cmd.ins === INS.SELECT) fail(SW.FILE_NOT_FOUND);
    if (cmd.cla !== 0xb0) fail(SW.CLA_NOT_SUPPORTED);
    const early = this.beforeCommand(cmd);
    if (early) return early;
    if (cmd.ins !== INS.GET_STATUS && !receivesAsAnnounced(wire)) fail(SW.WRONG_LENGTH);
    switch (cmd.ins) {
      case INS.GET_STATUS:
        return sw(SW.OK, this.getStatus(cmd));
      case INS.INIT_SECURE_CHANNEL:
        return sw(SW.OK, this.channel.initiate(cmd.data, this.rng, this.signer, this.authentikeyPrivate, this.initAppendsAuthentikeyX ? this.authentikeyX() : undefined));
      case INS.PROCESS_SECURE_CHANNEL:
        break;
      default:
        fail(SW.SECURE_CHANNEL_REQUIRED);
    }
    const inner = CommandBuffer.unwrapped(this.channel.unwrap(cmd.data, cmd.lc, this.rng), wire);
    const out = this.executeInner(inner);
    if (out.length === 0) return sw(SW.OK);
    // GET STATUS (and INIT SC, never reached inside) answer in plaintext even inside the channel.
    if (inner.ins === INS.GET_STATUS || inner.ins === INS.INIT_SECURE_CHANNEL) return sw(SW.OK, out);
    return sw(SW.OK, this.channel.wrap(out));
  }

  /**
   * The card's authentikey private key (signs channel inits). Each applet draws it in its own
   * constructor, in its own RNG order (the byte-exact replays depend on that order).
   */
  protected abstract readonly authentikeyPrivate: Uint8Array;

  /** The 65-byte authentikey (what `98` answers). */
  get authentikeyPublic(): Uint8Array {
    return publicKeyOf(this.authentikeyPrivate);
  }

  protected authentikeyX(): Uint8Array {
    return this.authentikeyPublic.slice(1, 33);
  }

  /** Fails with the applet's status word unless the PIN was verified in this session. */
  protected abstract requirePin(): void;

  /** CARD LABEL (`3D`, section 5.6), the same on both applets: P2 00 sets (`len | label`), P2 01 reads. */
  protected cardLabel(cmd: CommandBuffer): Uint8Array {
    this.requirePin();
    switch (cmd.p2) {
      case 0x00: {
        const left = cmd.lc;
        if (left > 0) {
          const size = cmd.byte(5);
          if (size > left) fail(SW.INVALID_PARAMETER);
          if (size > MAX_LABEL) fail(SW.INVALID_PARAMETER);
          this.labelSize = size;
          this.label.set(cmd.read(6, size));
        } else {
          this.labelSize = 0;
        }
        return new Uint8Array(0);
      }
      case 0x01:
        return concat(Uint8Array.of(this.labelSize), this.label.slice(0, this.labelSize));
      default:
        fail(SW.INCORRECT_P2);
    }
  }

  protected clearLabel(): void {
    this.labelSize = 0;
    this.label.fill(0);
  }

  /** Factory personalisation from the options, once the authentikey exists (locks the PKI). */
  protected installCertificate(certificate: AppletOptions['certificate']): void {
    if (!certificate) return;
    this.pki.install(typeof certificate === 'function' ? certificate(this.authentikeyPublic) : certificate);
  }
  /** Seedkeeper appends `0020 | authentikey_x` to the INIT SC answer (section 14.6). */
  protected abstract readonly initAppendsAuthentikeyX: boolean;
  /** SELECT of this applet: session cleanup, then the SELECT answer data. */
  protected abstract onSelect(): Uint8Array;
  /** Power-up: clear the transient state the subclass keeps. */
  protected abstract onPowerUp(): void;
  /** GET STATUS data. */
  protected abstract getStatus(cmd: CommandBuffer): Uint8Array;
  /** Hook before the length check (Satochip's factory-reset signal); null to continue. */
  protected beforeCommand(_cmd: CommandBuffer): Uint8Array | null {
    return null;
  }
  /** An unwrapped command: setup filter and the handler switch; answers the plain response data. */
  protected abstract executeInner(cmd: CommandBuffer): Uint8Array;
}
