/**
 * Byte helpers for the Keycard driver: concatenation, comparison, ASCII digit strings.
 * One job: small byte plumbing shared by the protocol modules (no crypto, no I/O).
 */
import { bytesEqual, concatBytes } from '../satochip/bytes.ts';

/** Concatenation and constant-time comparison are the Satochip driver's (one copy for the drivers). */
export const concat = concatBytes;
export { bytesEqual };

export function isBytes(value: unknown, length?: number): value is Uint8Array {
  return value instanceof Uint8Array && (length === undefined || value.length === length);
}

/** True when `value` is a string of exactly `length` ASCII digits 0-9. */
export function isDigits(value: unknown, length: number): value is string {
  return typeof value === 'string' && value.length === length && /^[0-9]+$/.test(value);
}

export const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);
