/**
 * A trivial test card for the transport and reader tests (and a visible "Tapdesk test card" in the
 * app). Proprietary AID F0 'TAPDESKTEST'. Commands (CLA 80, after SELECT):
 *   80 10 00 00 Lc data     ECHO: answers the data.
 *   80 12 HI LO             BIG: answers HI<<8|LO pattern bytes, only through 61xx + GET RESPONSE
 *                           chunks of at most `chunk` bytes (T=0 style).
 *   80 14 00 00 Le          EXACT: answers 32 bytes only when Le = 32 (0x20); otherwise 6C20.
 *   80 16 HI LO             SLOW: waits HI<<8|LO milliseconds, then 9000.
 * Other INS: 6D00; other CLA: 6E00; before SELECT: 6985.
 */
import { type CardEmulator, contactlessAtr, sw } from './emulator.ts';

export const TEST_CARD_AID = Uint8Array.from([0xf0, ...new TextEncoder().encode('TAPDESKTEST')]);
export const TEST_CARD_SELECT_ANSWER = new TextEncoder().encode('Tapdesk test card v1');

export interface TestCardOptions {
  /** Bytes per GET RESPONSE chunk for BIG (1..256). */
  readonly chunk?: number;
  /** A label to tell two test cards apart; appended to the SELECT answer. */
  readonly serial?: string;
}

export function patternBytes(length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i += 1) out[i] = (i * 7 + 3) & 0xff;
  return out;
}

export class TestCard implements CardEmulator {
  readonly atr = contactlessAtr(new TextEncoder().encode('TAPDESK'));
  private selected = false;
  private pending: Uint8Array | null = null;
  private readonly chunk: number;
  /** Every APDU this card received, hex (for tests). */
  readonly received: string[] = [];

  constructor(private readonly options: TestCardOptions = {}) {
    this.chunk = options.chunk ?? 0xf0;
  }

  reset(): void {
    this.selected = false;
    this.pending = null;
  }

  async process(apdu: Uint8Array): Promise<Uint8Array> {
    this.received.push(Buffer.from(apdu).toString('hex'));
    if (apdu.length < 4) return sw(0x6700);
    const [cla, ins, p1, p2] = apdu as unknown as [number, number, number, number];
    const body = apdu.length > 5 ? apdu.slice(5, 5 + apdu[4]!) : new Uint8Array(0);
    const le = apdu.length === 5 ? apdu[4]! || 256 : apdu.length > 5 + body.length ? apdu[5 + body.length]! || 256 : undefined;

    if (cla === 0x00 && ins === 0xa4) {
      if (p1 === 0x04 && Buffer.from(body).equals(Buffer.from(TEST_CARD_AID))) {
        this.selected = true;
        this.pending = null;
        const serial = this.options.serial ? new TextEncoder().encode(` ${this.options.serial}`) : new Uint8Array(0);
        return sw(0x9000, Uint8Array.from([...TEST_CARD_SELECT_ANSWER, ...serial]));
      }
      this.selected = false;
      return sw(0x6a82);
    }
    if (cla === 0x00 && ins === 0xc0) return this.getResponse(le ?? 256);
    if (cla !== 0x80) return sw(0x6e00);
    if (!this.selected) return sw(0x6985);
    switch (ins) {
      case 0x10:
        return sw(0x9000, body);
      case 0x12: {
        this.pending = patternBytes((p1 << 8) | p2);
        // Nothing to fetch: a plain 9000 (61 00 would announce 256 bytes).
        if (this.pending.length === 0) {
          this.pending = null;
          return sw(0x9000);
        }
        return sw(0x6100 | Math.min(this.pending.length, this.chunk, 256) % 256);
      }
      case 0x14:
        return le === 32 ? sw(0x9000, patternBytes(32)) : sw(0x6c20);
      case 0x16:
        await new Promise((resolve) => setTimeout(resolve, (p1 << 8) | p2));
        return sw(0x9000);
      default:
        return sw(0x6d00);
    }
  }

  private getResponse(le: number): Uint8Array {
    const pending = this.pending;
    if (!pending || pending.length === 0) return sw(0x6985);
    const available = Math.min(pending.length, this.chunk, 256);
    if (le !== available) return sw(0x6c00 | (available % 256));
    const part = pending.slice(0, available);
    this.pending = pending.slice(available);
    const left = this.pending.length;
    if (left === 0) {
      this.pending = null;
      return sw(0x9000, part);
    }
    return sw(0x6100 | Math.min(left, this.chunk, 256) % 256, part);
  }
}
