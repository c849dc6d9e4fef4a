/**
 * The Java Card APDU buffer as the applets see it. Handlers read `CLA INS P1 P2 Lc` at offsets 0..4
 * and the data from offset 5, trusting Lc (the applets compare lengths themselves). For a command
 * unwrapped from the secure channel (section 3.2) the applet decrypts *in place*, without removing
 * the PKCS#7 padding, over the start of the wire APDU: so a 4-byte inner command sees its first
 * padding byte as Lc (`0C`), and bytes past the plaintext are the rest of the wire APDU.
 * `CommandBuffer` reproduces that; a read past the buffer is a runtime fault (`6F00`).
 */
import { runtimeFault } from './status-words.ts';

/** Short APDUs only: header 5 + 255 data bytes + 1 (the usual Java Card APDU buffer). */
export const APDU_BUFFER_SIZE = 261;

export class CommandBuffer {
  readonly bytes: Uint8Array;

  constructor(content: Uint8Array) {
    this.bytes = new Uint8Array(Math.max(APDU_BUFFER_SIZE, content.length));
    this.bytes.set(content);
  }

  /** The buffer after an in-place decryption of `plain` over `wire` (ProcessSecureChannel). */
  static unwrapped(plain: Uint8Array, wire: Uint8Array): CommandBuffer {
    const buffer = new CommandBuffer(wire);
    buffer.bytes.set(plain.subarray(0, buffer.bytes.length));
    return buffer;
  }

  get cla(): number {
    return this.byte(0);
  }
  get ins(): number {
    return this.byte(1);
  }
  get p1(): number {
    return this.byte(2);
  }
  get p2(): number {
    return this.byte(3);
  }
  /** P3 as an unsigned number (`Util.makeShort(0, buffer[OFFSET_LC])`). */
  get lc(): number {
    return this.byte(4);
  }

  byte(offset: number): number {
    if (offset < 0 || offset >= this.bytes.length) runtimeFault();
    return this.bytes[offset]!;
  }

  /** `length` bytes from `offset`; beyond the buffer is an ArrayIndexOutOfBounds fault. */
  read(offset: number, length: number): Uint8Array {
    if (offset < 0 || length < 0 || offset + length > this.bytes.length) runtimeFault();
    return this.bytes.slice(offset, offset + length);
  }

  /** Signed 16-bit value at `offset` (`Util.getShort`). */
  short(offset: number): number {
    const v = (this.byte(offset) << 8) | this.byte(offset + 1);
    return v >= 0x8000 ? v - 0x10000 : v;
  }

  /** The data field as Lc announces it, from offset 5. */
  get data(): Uint8Array {
    return this.read(5, this.lc);
  }
}

/**
 * `apdu.setIncomingAndReceive()` compared with P3 (what every applet command except GET STATUS
 * checks): true when the wire APDU carries exactly the data P3 announces. A case 1 APDU (4 bytes)
 * has P3 = 0; a case 2 APDU (`Le` only) has P3 = Le and receives nothing, so only Le = 00 passes;
 * a trailing Le after the data is accepted; extended lengths are not supported (short APDUs only).
 */
export function receivesAsAnnounced(wire: Uint8Array): boolean {
  if (wire.length === 4) return true;
  if (wire.length === 5) return wire[4] === 0;
  const lc = wire[4]!;
  if (lc === 0) return false;
  return wire.length === 5 + lc || wire.length === 6 + lc;
}
