/** Byte helpers for the card emulators (no crypto here). Numbers are big-endian, as on the card. */

export const EMPTY = new Uint8Array(0);

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

export function fromHex(text: string): Uint8Array {
  if (text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) throw new Error(`bad hex: ${text.slice(0, 16)}`);
  return Uint8Array.from(Buffer.from(text, 'hex'));
}

export function concat(...parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

export function u16(value: number): Uint8Array {
  return Uint8Array.of((value >> 8) & 0xff, value & 0xff);
}

export function u32(value: number): Uint8Array {
  return Uint8Array.of((value >>> 24) & 0xff, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff);
}

/** Java `Util.getShort`: a signed 16-bit value. */
export function getShort(bytes: Uint8Array, offset: number): number {
  const v = ((bytes[offset] ?? 0) << 8) | (bytes[offset + 1] ?? 0);
  return v >= 0x8000 ? v - 0x10000 : v;
}

/** Java `byte`: a signed 8-bit value. */
export function signedByte(value: number): number {
  const v = value & 0xff;
  return v >= 0x80 ? v - 0x100 : v;
}

/** A length-prefixed field `len(2) | bytes`, the applets' usual framing. */
export function lv16(bytes: Uint8Array): Uint8Array {
  return concat(u16(bytes.length), bytes);
}

export const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);
