/**
 * Checks on the shape of a backend's answer. Each reader takes the value and its path in the answer
 * ("vin[0].prevout.value") and throws ShapeMismatch; `parseShape` turns that into BAD_BACKEND_RESPONSE
 * naming the call, the path and what was expected.
 */
import { ChainError } from './errors.ts';

export class ShapeMismatch extends Error {
  constructor(
    readonly path: string,
    readonly expected: string,
  ) {
    super(`${path}: expected ${expected}`);
  }
}

export function parseShape<T>(context: { readonly backend: string; readonly call: string }, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof ShapeMismatch) {
      throw new ChainError('BAD_BACKEND_RESPONSE', 'the backend answered in an unexpected shape', {
        ...context,
        at: error.path,
        expected: error.expected,
      });
    }
    throw error;
  }
}

export function parseJson(body: string, path = 'answer'): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    throw new ShapeMismatch(path, 'JSON');
  }
}

export type Obj = Readonly<Record<string, unknown>>;

export function obj(value: unknown, path: string): Obj {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ShapeMismatch(path, 'an object');
  return value as Obj;
}

export function arr(value: unknown, path: string): readonly unknown[] {
  if (!Array.isArray(value)) throw new ShapeMismatch(path, 'an array');
  return value;
}

export function bool(value: unknown, path: string): boolean {
  if (typeof value !== 'boolean') throw new ShapeMismatch(path, 'true or false');
  return value;
}

/** A safe integer at least `min` (default 0). */
export function int(value: unknown, path: string, min = 0): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) throw new ShapeMismatch(path, `an integer >= ${min}`);
  return value;
}

export function finite(value: unknown, path: string, min = 0): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) throw new ShapeMismatch(path, `a number >= ${min}`);
  return value;
}

export function str(value: unknown, path: string, pattern?: RegExp, expected = 'a string'): string {
  if (typeof value !== 'string' || (pattern && !pattern.test(value))) throw new ShapeMismatch(path, expected);
  return value;
}

export const HEX = /^(?:[0-9a-fA-F]{2})*$/;
export const HASH32 = /^[0-9a-fA-F]{64}$/;

export function hex(value: unknown, path: string): string {
  return str(value, path, HEX, 'hex').toLowerCase();
}

export function hash32(value: unknown, path: string): string {
  return str(value, path, HASH32, 'a 32-byte hex hash').toLowerCase();
}

export function optional<T>(value: unknown, read: (v: unknown) => T): T | undefined {
  return value === undefined || value === null ? undefined : read(value);
}
