/**
 * Test support: the recorded Keycard vectors (../shared/vectors/keycard) the attestation tests use,
 * and a replay of recorded plain exchanges against the host side.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CommandApdu, type ResponseApdu, decodeResponse, encodeCommand, fromHex, toHex } from '../../pcsc/apdu.ts';

export const KEYCARD_VECTORS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../shared/vectors/keycard');

// Vector files are plain JSON; tests index into them freely.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type KeycardVector = any;

export function loadKeycardVector(name: string): KeycardVector {
  return JSON.parse(readFileSync(path.join(KEYCARD_VECTORS_DIR, name), 'utf8'));
}

export const bytes = (hex: string): Uint8Array => fromHex(hex);
export const hex = (value: Uint8Array): string => toHex(value);

export interface RecordedKeycardStep {
  readonly n: number;
  readonly name: string;
  readonly secure: boolean;
  readonly command: string;
  readonly response: string;
  readonly plain_command?: { readonly data: string };
  readonly plain_response?: string;
  readonly decoded?: Record<string, unknown>;
}

/**
 * Serves recorded answers in order; any command that differs from the recording by one byte is a
 * failure (thrown and remembered in `mismatches`).
 */
export class PlainReplay {
  private position = 0;
  readonly mismatches: string[] = [];
  readonly sent: CommandApdu[] = [];

  constructor(private readonly steps: readonly RecordedKeycardStep[]) {}

  readonly send = async (command: CommandApdu): Promise<ResponseApdu> => {
    this.sent.push(command);
    const step = this.steps[this.position++];
    const got = toHex(encodeCommand(command));
    if (!step) {
      this.mismatches.push(`unexpected command ${got}`);
      throw new Error(`replay: no recorded step left for ${got}`);
    }
    if (got !== step.command) {
      this.mismatches.push(`step ${step.n}: sent ${got}, recorded ${step.command}`);
      throw new Error(`replay: step ${step.n} (${step.name}) sent ${got}, recorded ${step.command}`);
    }
    return decodeResponse(fromHex(step.response));
  };

  get remaining(): number {
    return this.steps.length - this.position;
  }
}
