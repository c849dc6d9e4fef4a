/**
 * Test support: the recorded Keycard 3.1 vector files (../shared/vectors/keycard, see index.json)
 * and the shape of one recorded step.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const KEYCARD_VECTORS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../shared/vectors/keycard');

// Vector files are plain JSON; tests index into them freely.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Vector = any;

export function loadKeycardVector(name: string): Vector {
  return JSON.parse(readFileSync(path.join(KEYCARD_VECTORS_DIR, name), 'utf8'));
}

export interface PlainCommand {
  readonly cla: string;
  readonly ins: string;
  readonly p1: string;
  readonly p2: string;
  readonly data: string;
}

/** One recorded exchange (index.json `step_fields`). */
export interface RecordedStep {
  readonly n: number;
  readonly card: string;
  readonly name: string;
  readonly secure: boolean;
  readonly command: string;
  readonly response: string;
  readonly sw: string;
  readonly plain_command?: PlainCommand;
  readonly plain_response?: string;
  readonly iv?: string;
  readonly command_mac?: string;
  readonly response_mac?: string;
  readonly response_iv?: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly host?: any;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly decoded?: any;
}

export interface HostRandomEntry {
  readonly card: string;
  readonly label: string;
  readonly hex: string;
}
