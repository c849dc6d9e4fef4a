/**
 * Byte helpers for the Satochip codecs: big-endian fields (section 0 "Notation": numbers are
 * big-endian) and a reader that turns every overrun into a BAD_RESPONSE instead of a RangeError.
 */
import { badResponse } from './errors.ts';

export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export function u16(value: number): Uint8Array {
  return Uint8Array.of((value >> 8) & 0xff, value & 0xff);
}

export function u32(value: number): Uint8Array {
  return Uint8Array.of((value >>> 24) & 0xff, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff);
}

export function readU32(bytes: Uint8Array, offset: number): number {
  return ((bytes[offset]! << 24) | (bytes[offset + 1]! << 16) | (bytes[offset + 2]! << 8) | bytes[offset + 3]!) >>> 0;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** Reads a card answer front to back; any read past the end is a BAD_RESPONSE naming `what`. */
export class ByteReader {
  private offset = 0;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly what: string,
  ) {}

  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  /** Everything read so far (the signed prefix of an answer). */
  consumed(): Uint8Array {
    return this.bytes.slice(0, this.offset);
  }

  take(length: number, field: string): Uint8Array {
    if (length < 0 || this.offset + length > this.bytes.length) {
      throw badResponse(`${field}: needs ${length} bytes, ${this.remaining} left`, this.what);
    }
    const out = this.bytes.slice(this.offset, this.offset + length);
    this.offset += length;
    return out;
  }

  u8(field: string): number {
    return this.take(1, field)[0]!;
  }

  u16(field: string): number {
    const b = this.take(2, field);
    return (b[0]! << 8) | b[1]!;
  }

  /** A 2-byte length followed by that many bytes (`0020 | x`, `len | sig`). */
  lengthPrefixed(field: string, expectedLength?: number): Uint8Array {
    const length = this.u16(`${field} length`);
    if (expectedLength !== undefined && length !== expectedLength) {
      throw badResponse(`${field}: length ${length}, expected ${expectedLength}`, this.what);
    }
    return this.take(length, field);
  }

  end(): void {
    if (this.remaining !== 0) throw badResponse(`${this.remaining} unexpected trailing bytes`, this.what);
  }
}
