/**
 * The three small applets of the Keycard package (../shared/protocols/keycard.md sections 1, 11, 13):
 *
 * - Ident (`A00000080400010401`): SELECT answers the 98-byte certificate (nothing before
 *   provisioning); STORE DATA `80 E2 xx xx 82 <certificate (98) || private key (32)>` provisions it
 *   once (Lc not 130: `6A80`; again: `6985`). It does not implement IDENT itself (`6D00`).
 * - Cash (`A00000080400010301`): its own key made at install, no PIN, no channel. SELECT answers
 *   `A4 { 80 public key, 02 0301, 82 Cash data }`; SIGN `80 C0 xx xx 20 <digest>` answers
 *   `A0 { 80 public key, 30 signature }` (low-S, as Keycard SIGN); IDENT works as on Keycard.
 * - NDEF (`D2760000850101`): NFC Forum Type 4 tag. SELECT FILE `00 A4 00 0C 02 E103|E104`, READ
 *   BINARY `00 B0 <offset> <Le>`; the capability container is the recorded one, the NDEF file is
 *   what Keycard STORE DATA P1=01 wrote.
 */
import type { Command } from './apdu.ts';
import { ok, statusOnly } from './apdu.ts';
import { EMPTY, concat, fromHex } from './bytes.ts';
import { isValidPrivateKey, publicKeyOf, randomPrivateKey, signForSign } from './crypto.ts';
import { APPLET_VERSION } from './keycard-applet.ts';
import type { RandomFn } from './random.ts';
import { CERTIFICATE_LENGTH, identResponse, type Applet, type SharedMemory } from './shared.ts';
import { CardError, SW, fail } from './status-words.ts';
import { encodeTlv } from '../tlv.ts';

export const IDENT_AID = fromHex('a00000080400010401');
export const CASH_AID = fromHex('a00000080400010301');
export const NDEF_AID = fromHex('d2760000850101');

/** Runs a handler, turning card errors into status words. */
function answer(handler: () => Uint8Array, onInternalError: (error: unknown) => void): Uint8Array {
  try {
    return ok(handler());
  } catch (error) {
    if (error instanceof CardError) return statusOnly(error.sw);
    onInternalError(error);
    return statusOnly(SW.UNKNOWN);
  }
}

export class IdentApplet implements Applet {
  readonly aid = IDENT_AID;

  constructor(
    private readonly shared: SharedMemory,
    private readonly onInternalError: (error: unknown) => void = () => {},
  ) {}

  select(): Uint8Array {
    return ok(this.shared.identCertificate ?? EMPTY);
  }

  deselect(): void {}

  process(command: Command): Uint8Array {
    return answer(() => {
      if (command.ins !== 0xe2) fail(SW.INS_NOT_SUPPORTED);
      if (this.shared.identCertificate) fail(SW.CONDITIONS_NOT_SATISFIED);
      if (command.data.length !== CERTIFICATE_LENGTH + 32) fail(SW.WRONG_DATA);
      const privateKey = command.data.slice(CERTIFICATE_LENGTH);
      if (!isValidPrivateKey(privateKey)) fail(SW.WRONG_DATA);
      this.shared.identCertificate = command.data.slice(0, CERTIFICATE_LENGTH);
      this.shared.identPrivateKey = privateKey;
      return EMPTY;
    }, this.onInternalError);
  }
}

export class CashApplet implements Applet {
  readonly aid = CASH_AID;
  private readonly privateKey: Uint8Array;

  constructor(
    private readonly shared: SharedMemory,
    private readonly random: RandomFn,
    private readonly onInternalError: (error: unknown) => void = () => {},
  ) {
    this.privateKey = randomPrivateKey(random);
  }

  select(): Uint8Array {
    return ok(encodeTlv(0xa4, concat(encodeTlv(0x80, publicKeyOf(this.privateKey)), encodeTlv(0x02, APPLET_VERSION), encodeTlv(0x82, this.shared.cashData))));
  }

  deselect(): void {}

  process(command: Command): Uint8Array {
    return answer(() => {
      switch (command.ins) {
        case 0xc0: {
          if (command.data.length < 32) fail(SW.WRONG_DATA);
          const signature = signForSign(this.privateKey, command.data.slice(0, 32), this.random);
          return encodeTlv(0xa0, concat(encodeTlv(0x80, publicKeyOf(this.privateKey)), signature));
        }
        case 0x14:
          return identResponse(this.shared, command.data, this.random);
        default:
          fail(SW.INS_NOT_SUPPORTED);
      }
    }, this.onInternalError);
  }
}

/** Capability container as the real NDEF applet answers it (session-edge.json step 27). */
export const NDEF_CAPABILITY_CONTAINER = fromHex('000f2000ff00010406e104040000ff');

export class NdefApplet implements Applet {
  readonly aid = NDEF_AID;
  private file: 'cc' | 'ndef' | null = null;

  constructor(
    private readonly shared: SharedMemory,
    private readonly onInternalError: (error: unknown) => void = () => {},
  ) {}

  select(): Uint8Array {
    this.file = null;
    return ok();
  }

  deselect(): void {
    this.file = null;
  }

  process(command: Command): Uint8Array {
    return answer(() => {
      switch (command.ins) {
        case 0xa4: {
          if (command.p1 !== 0x00 || command.data.length !== 2) fail(SW.INCORRECT_P1P2);
          const id = (command.data[0]! << 8) | command.data[1]!;
          if (id === 0xe103) this.file = 'cc';
          else if (id === 0xe104) this.file = 'ndef';
          else fail(SW.FILE_NOT_FOUND);
          return EMPTY;
        }
        case 0xb0: {
          if (!this.file) fail(SW.CONDITIONS_NOT_SATISFIED);
          const content = this.file === 'cc' ? NDEF_CAPABILITY_CONTAINER : this.shared.ndefData;
          const offset = (command.p1 << 8) | command.p2;
          if (offset > content.length) fail(SW.WRONG_P1P2);
          return content.slice(offset, offset + (command.le ?? 256));
        }
        default:
          fail(SW.INS_NOT_SUPPORTED);
      }
    }, this.onInternalError);
  }
}
