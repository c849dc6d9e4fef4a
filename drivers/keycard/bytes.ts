/**
 * Byte helpers for the Keycard driver: concatenation, comparison, ASCII digit strings.
 * One job: small byte plumbing shared by the protocol modules (no crypto, no I/O).
 */
export function concat(...parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Equal length and content, without an early exit on the first differing byte. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

export function isBytes(value: unknown, length?: number): value is Uint8Array {
  return value instanceof Uint8Array && (length === undefined || value.length === length);
}

/** True when `value` is a string of exactly `length` ASCII digits 0-9. */
export function isDigits(value: unknown, length: number): value is string {
  return typeof value === 'string' && value.length === length && /^[0-9]+$/.test(value);
}

export const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);
