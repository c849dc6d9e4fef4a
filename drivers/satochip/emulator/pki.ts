/**
 * Card-side PKI personalisation and authenticity proof (section 6; SATO/SK `export_PKI_pubkey`,
 * `sign_PKI_CSR`, `import_PKI_certificate`, `export_PKI_certificate`, `lock_PKI`,
 * `challenge_response_pki`). Same code in both applets; they differ only in the PIN rule, passed in.
 *
 * The certificate is opaque DER bytes to the card. `locked` is the applets' `personalizationDone`:
 * set by LOCK PKI *and* by SETUP, kept by factory reset; once set, 92 and 94 answer 9C40.
 */
import { ascii, concat, lv16, u16 } from './bytes.ts';
import { publicKeyOf, signMessage, type EcdsaSigner } from './crypto.ts';
import type { CommandBuffer } from './apdu.ts';
import type { RandomSource } from './random.ts';
import { SW, fail } from './status-words.ts';

const CHALLENGE_PREFIX = ascii('Challenge:');

export interface PkiContext {
  readonly authentikey: Uint8Array;
  readonly rng: RandomSource;
  readonly signer: EcdsaSigner;
  /** Throws 9C06 when the applet's PIN rule for PKI commands is not met. */
  requirePin(): void;
}

export class CardPki {
  locked = false;
  private certificate: Uint8Array | null = null;
  private certificateSize = 0;

  /** Factory personalisation done outside the APDU flow (demo cards): store a certificate and lock. */
  install(certificate: Uint8Array): void {
    this.certificate = certificate.slice();
    this.certificateSize = certificate.length;
    this.locked = true;
  }

  /** INS 98: the 65-byte authentikey. */
  exportPubkey(ctx: PkiContext): Uint8Array {
    return publicKeyOf(ctx.authentikey);
  }

  /** INS 94: DER signature over the 32-byte hash as given (signPreComputedHash). */
  signCsr(cmd: CommandBuffer, ctx: PkiContext): Uint8Array {
    if (this.locked) fail(SW.PKI_ALREADY_LOCKED);
    ctx.requirePin();
    if (cmd.lc < 32) fail(SW.WRONG_LENGTH);
    return ctx.signer(ctx.authentikey, cmd.read(5, 32));
  }

  /** INS 92: P2 01 `size(2)` (the first init fixes the buffer size), P2 02 `offset(2) | clen(2) | chunk`. */
  importCertificate(cmd: CommandBuffer, ctx: PkiContext): Uint8Array {
    if (this.locked) fail(SW.PKI_ALREADY_LOCKED);
    ctx.requirePin();
    const left = cmd.lc;
    switch (cmd.p2) {
      case 0x01: {
        if (left < 2) fail(SW.WRONG_LENGTH);
        const size = cmd.short(5);
        if (size < 0) fail(SW.WRONG_LENGTH);
        if (!this.certificate) this.certificate = new Uint8Array(size);
        else if (size > this.certificate.length) fail(SW.WRONG_LENGTH);
        this.certificateSize = size;
        return new Uint8Array(0);
      }
      case 0x02: {
        if (left < 4) fail(SW.WRONG_LENGTH);
        const offset = cmd.short(5);
        const size = cmd.short(7);
        if (left - 4 < size) fail(SW.WRONG_LENGTH);
        if (offset < 0 || offset >= this.certificateSize) fail(SW.WRONG_LENGTH);
        if (offset + size > this.certificateSize) fail(SW.WRONG_LENGTH);
        if (!this.certificate || size < 0) fail(SW.WRONG_LENGTH);
        this.certificate.set(cmd.read(9, size), offset);
        return new Uint8Array(0);
      }
      default:
        fail(SW.INCORRECT_P2);
    }
  }

  /** INS 93: P2 01 → `size(2)` (0 = not personalised), P2 02 `offset(2) | clen(2)` → chunk. */
  exportCertificate(cmd: CommandBuffer, ctx: PkiContext): Uint8Array {
    ctx.requirePin();
    switch (cmd.p2) {
      case 0x01:
        return u16(this.certificateSize);
      case 0x02: {
        if (cmd.lc < 4) fail(SW.WRONG_LENGTH);
        const offset = cmd.short(5);
        const size = cmd.short(7);
        if (offset < 0 || offset >= this.certificateSize) fail(SW.WRONG_LENGTH);
        if (offset + size > this.certificateSize) fail(SW.WRONG_LENGTH);
        if (!this.certificate || size < 0) fail(SW.WRONG_LENGTH);
        return this.certificate.slice(offset, offset + size);
      }
      default:
        fail(SW.INCORRECT_P2);
    }
  }

  /** INS 99. */
  lock(ctx: PkiContext): Uint8Array {
    ctx.requirePin();
    this.locked = true;
    return new Uint8Array(0);
  }

  /** INS 9A: `card_chal(32) | len | sig` over "Challenge:" | card_chal | host_chal (section 6.1). */
  challenge(cmd: CommandBuffer, ctx: PkiContext): Uint8Array {
    ctx.requirePin();
    if (cmd.lc < 32) fail(SW.WRONG_LENGTH);
    const cardChallenge = ctx.rng.bytes(32);
    const signature = signMessage(ctx.signer, ctx.authentikey, concat(CHALLENGE_PREFIX, cardChallenge, cmd.read(5, 32)));
    return concat(cardChallenge, lv16(signature));
  }
}
