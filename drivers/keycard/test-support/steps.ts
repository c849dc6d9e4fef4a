/**
 * Test support: turning recorded steps back into CommandApdu objects (so a test can send a recorded
 * command through the client's escape hatches and get the identical bytes), and a helper that
 * awaits an expected KeycardError.
 */
import { expect } from 'vitest';
import { type CommandApdu, fromHex } from '../../pcsc/apdu.ts';
import { type KeycardErrorCode, type KeycardError, isKeycardError } from '../errors.ts';
import type { RecordedStep } from './vectors.ts';

/** The CommandApdu whose short encoding is exactly `hex` (header, optional Lc + data, optional Le). */
export function commandFromHex(hex: string, name = 'RAW'): CommandApdu {
  const b = fromHex(hex);
  const header = { cla: b[0]!, ins: b[1]!, p1: b[2]!, p2: b[3]!, name };
  if (b.length === 4) return header;
  if (b.length === 5) return { ...header, le: b[4] === 0 ? 256 : b[4]! };
  const lc = b[4]!;
  const data = b.slice(5, 5 + lc);
  if (b.length === 5 + lc) return { ...header, data };
  if (b.length === 6 + lc) return { ...header, data, le: b[5 + lc] === 0 ? 256 : b[5 + lc]! };
  throw new Error(`not a short APDU: ${hex}`);
}

/** The plain (pre-wrapping) command of a recorded secure step. */
export function plainCommandOf(step: RecordedStep): CommandApdu {
  const p = step.plain_command;
  if (!p) throw new Error(`step ${step.n} has no plain_command`);
  return { cla: parseInt(p.cla, 16), ins: parseInt(p.ins, 16), p1: parseInt(p.p1, 16), p2: parseInt(p.p2, 16), data: fromHex(p.data), name: step.name };
}

/** Resolves to the KeycardError the promise rejected with; fails if it resolved or threw something else. */
export async function rejection(promise: Promise<unknown>, code: KeycardErrorCode): Promise<KeycardError> {
  try {
    await promise;
  } catch (error) {
    if (isKeycardError(error)) {
      expect(error.code, error.message).toBe(code);
      return error;
    }
    throw error;
  }
  throw new Error(`expected ${code}, the call succeeded`);
}
