/**
 * The emulated card: the four applets of the Keycard 3.1 package behind one `CardEmulator`
 * (drivers/virtual/emulator.ts), usable in-process or through pcscd + vpcd.
 *
 * SELECT by AID (`xx A4 04 xx`) is routed here: the selected applet is deselected (the Keycard
 * channel closes, its PIN is no longer verified) and the new one answers. An unknown AID is `6A82`
 * and leaves the current selection alone. Every other APDU goes to the selected applet; with none
 * selected (after power-up or reset) the answer is `6D00`. `process` never throws: any internal
 * fault is answered `6F00` and kept in `lastInternalError`.
 */
import { type CardEmulator, contactlessAtr } from '../../virtual/emulator.ts';
import { parseCommand, statusOnly } from './apdu.ts';
import { ascii, equal, fromHex } from './bytes.ts';
import { KeycardApplet } from './keycard-applet.ts';
import { CashApplet, IdentApplet, NdefApplet } from './other-applets.ts';
import { type RandomFn, systemRandom } from './random.ts';
import { CERTIFICATE_LENGTH, type Applet, type SharedMemory } from './shared.ts';
import { SW } from './status-words.ts';

/** ATR reported by default (an ISO 14443-4 card with historical bytes "Keycard"; match cards by SELECT, not ATR). */
export const KEYCARD_EMULATOR_ATR = contactlessAtr(ascii('Keycard'));

/** NDEF file content of a fresh card: NLEN = 0 (empty NDEF message). */
const EMPTY_NDEF_FILE = fromHex('0000');

export interface IdentKeyMaterial {
  /** 98 bytes: compressed ident public key || r || s || recovery id (section 13; see test-ca.ts). */
  readonly certificate: Uint8Array;
  /** 32-byte ident private key. */
  readonly privateKey: Uint8Array;
}

export interface KeycardEmulatorOptions {
  /** Card randomness; default the operating system's. Use `seededRandom(label)` for reproducible cards. */
  readonly random?: (length: number) => Uint8Array;
  /** Ident applet already provisioned with this certificate and key (factory state otherwise). */
  readonly ident?: IdentKeyMaterial;
  readonly atr?: Uint8Array;
}

export class KeycardEmulator implements CardEmulator {
  readonly atr: Uint8Array;
  readonly keycard: KeycardApplet;
  readonly ident: IdentApplet;
  readonly cash: CashApplet;
  readonly ndef: NdefApplet;
  /** The last non-card error raised while processing (an emulator bug; the card answered 6F00). */
  lastInternalError: unknown = null;
  private readonly shared: SharedMemory;
  private readonly applets: readonly Applet[];
  private selected: Applet | null = null;

  constructor(options: KeycardEmulatorOptions = {}) {
    const random: RandomFn = options.random ?? systemRandom;
    this.atr = options.atr ?? KEYCARD_EMULATOR_ATR;
    this.shared = { identCertificate: null, identPrivateKey: null, ndefData: EMPTY_NDEF_FILE, cashData: new Uint8Array(0) };
    if (options.ident) this.provisionIdent(options.ident);
    const onInternalError = (error: unknown) => {
      this.lastInternalError = error;
    };
    this.keycard = new KeycardApplet({ random, shared: this.shared, onInternalError });
    this.ident = new IdentApplet(this.shared, onInternalError);
    this.cash = new CashApplet(this.shared, random, onInternalError);
    this.ndef = new NdefApplet(this.shared, onInternalError);
    this.applets = [this.keycard, this.ident, this.cash, this.ndef];
  }

  /** Factory provisioning of the Ident applet without APDUs (what STORE DATA to Ident does, once). */
  provisionIdent(material: IdentKeyMaterial): void {
    if (this.shared.identCertificate) throw new Error('Ident applet already provisioned');
    if (material.certificate.length !== CERTIFICATE_LENGTH || material.privateKey.length !== 32) throw new Error('certificate must be 98 bytes, key 32');
    this.shared.identCertificate = material.certificate.slice();
    this.shared.identPrivateKey = material.privateKey.slice();
  }

  get identCertificate(): Uint8Array | null {
    return this.shared.identCertificate?.slice() ?? null;
  }

  process(apdu: Uint8Array): Uint8Array {
    try {
      const command = parseCommand(apdu);
      if (!command) return statusOnly(SW.WRONG_LENGTH);
      if (command.ins === 0xa4 && command.p1 === 0x04) {
        const applet = this.applets.find((a) => equal(a.aid, command.data));
        if (!applet) return statusOnly(SW.FILE_NOT_FOUND);
        this.selected?.deselect();
        this.selected = applet;
        return applet.select();
      }
      if (!this.selected) return statusOnly(SW.INS_NOT_SUPPORTED);
      return this.selected.process(command);
    } catch (error) {
      this.lastInternalError = error;
      return statusOnly(SW.UNKNOWN);
    }
  }

  /** Power loss / card reset: no applet selected, channel closed, PIN not verified; persistent state stays. */
  reset(): void {
    for (const applet of this.applets) applet.deselect();
    this.selected = null;
  }
}
