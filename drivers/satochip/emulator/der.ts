/**
 * A small DER encoder (ITU-T X.690), just what the test CA needs to write X.509 certificates:
 * definite lengths, minimal INTEGERs, OBJECT IDENTIFIERs, strings, times, bit and octet strings.
 */
import { ascii, concat } from './bytes.ts';

export function length(n: number): Uint8Array {
  if (n < 0x80) return Uint8Array.of(n);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

export function tlv(tag: number, content: Uint8Array): Uint8Array {
  return concat(Uint8Array.of(tag), length(content.length), content);
}

export const sequence = (...items: readonly Uint8Array[]): Uint8Array => tlv(0x30, concat(...items));
export const set = (...items: readonly Uint8Array[]): Uint8Array => tlv(0x31, concat(...items));
/** `[n] EXPLICIT` (constructed, context-specific). */
export const explicit = (n: number, content: Uint8Array): Uint8Array => tlv(0xa0 | n, content);

/** INTEGER from an unsigned big-endian magnitude (or a small number): minimal two's complement. */
export function integer(value: Uint8Array | number): Uint8Array {
  let bytes: Uint8Array;
  if (typeof value === 'number') {
    const out: number[] = [];
    for (let v = value; v > 0; v = Math.floor(v / 256)) out.unshift(v & 0xff);
    bytes = Uint8Array.from(out.length ? out : [0]);
  } else bytes = value;
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start += 1;
  const magnitude = bytes.slice(start);
  return tlv(0x02, (magnitude[0] ?? 0) & 0x80 ? concat(Uint8Array.of(0), magnitude) : magnitude.length ? magnitude : Uint8Array.of(0));
}

export function oid(dotted: string): Uint8Array {
  const parts = dotted.split('.').map(Number);
  const [a = 0, b = 0, ...rest] = parts;
  const out: number[] = [a * 40 + b];
  for (const part of rest) {
    const chunk: number[] = [];
    let v = part;
    do {
      chunk.unshift(v & 0x7f);
      v = Math.floor(v / 128);
    } while (v > 0);
    for (let i = 0; i < chunk.length - 1; i += 1) chunk[i]! |= 0x80;
    out.push(...chunk);
  }
  return tlv(0x06, Uint8Array.from(out));
}

export const boolean = (value: boolean): Uint8Array => tlv(0x01, Uint8Array.of(value ? 0xff : 0x00));
export const utf8String = (text: string): Uint8Array => tlv(0x0c, ascii(text));
export const printableString = (text: string): Uint8Array => tlv(0x13, ascii(text));
export const octetString = (bytes: Uint8Array): Uint8Array => tlv(0x04, bytes);
export const bitString = (bytes: Uint8Array, unusedBits = 0): Uint8Array => tlv(0x03, concat(Uint8Array.of(unusedBits), bytes));

const two = (n: number) => String(n).padStart(2, '0');

/** RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050. */
export function time(date: Date): Uint8Array {
  const y = date.getUTCFullYear();
  const rest = `${two(date.getUTCMonth() + 1)}${two(date.getUTCDate())}${two(date.getUTCHours())}${two(date.getUTCMinutes())}${two(date.getUTCSeconds())}Z`;
  return y < 2050 ? tlv(0x17, ascii(`${two(y % 100)}${rest}`)) : tlv(0x18, ascii(`${y}${rest}`));
}
