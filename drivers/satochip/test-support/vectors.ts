/**
 * Test support: the recorded Satochip/Seedkeeper vector files (../shared/vectors/satochip) and the
 * shape of one recorded exchange. Shared by the host-side replays (client) and the card-side
 * replays (emulator); each side replays with its own code.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const VECTORS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../shared/vectors/satochip');

// Vector files are plain JSON; tests index into them freely.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Vector = any;

export function loadVector(name: string): Vector {
  return JSON.parse(readFileSync(path.join(VECTORS_DIR, name), 'utf8'));
}

/** One recorded step: an exchange (command/response) or an event (card swap, power loss). */
export interface RecordedStep {
  readonly step: number;
  readonly reader?: string;
  readonly name?: string;
  readonly event?: string;
  readonly command?: string;
  readonly response?: string;
  readonly sw?: string;
  readonly plain_command?: string;
  readonly plain_response?: string;
  /** Randomness the card drew for this exchange, in order. */
  readonly card_rng?: readonly string[];
  /** Indexes into `host_random` this exchange consumed. */
  readonly host_random_used?: readonly number[];
}
