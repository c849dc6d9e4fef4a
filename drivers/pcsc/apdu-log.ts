/**
 * A redacting APDU log. PIN, PUK, seed and key bytes never reach a log line: a command marked
 * `sensitive` (or an ISO VERIFY / CHANGE REFERENCE DATA / RESET RETRY COUNTER, whatever the card
 * family says) is logged as its header and the body length only.
 */
import { type CommandApdu, toHex, swHex } from './apdu.ts';

export interface ApduLogEntry {
  readonly reader: string;
  readonly direction: 'command' | 'response';
  readonly name?: string;
  /** Hex with secrets replaced by `<redacted N bytes>`. */
  readonly text: string;
  readonly sw?: string;
  readonly elapsedMs?: number;
}

export type ApduLogSink = (entry: ApduLogEntry) => void;

/** ISO 7816-4 instructions whose body is always a secret when sent with an interindustry CLA. */
const ISO_SECRET_INS = new Set([0x20 /* VERIFY */, 0x24 /* CHANGE REFERENCE DATA */, 0x2c /* RESET RETRY COUNTER */]);

export function commandIsSecret(command: CommandApdu): boolean {
  if (command.sensitive) return true;
  const interindustry = (command.cla & 0x80) === 0;
  return interindustry && ISO_SECRET_INS.has(command.ins);
}

export function redactCommand(command: CommandApdu, encoded: Uint8Array): string {
  if (!commandIsSecret(command)) return toHex(encoded);
  return `${toHex(encoded.slice(0, 4))} <redacted ${encoded.length - 4} bytes>`;
}

export function redactResponse(command: CommandApdu, data: Uint8Array, sw: number): string {
  const body = command.sensitiveResponse ? `<redacted ${data.length} bytes>` : toHex(data);
  return `${body}${body ? ' ' : ''}${swHex(sw)}`;
}

/** A sink that keeps the last `capacity` entries in memory (shown in the app's diagnostics). */
export class ApduRingLog {
  private readonly entries: ApduLogEntry[] = [];
  constructor(private readonly capacity = 500) {}
  readonly sink: ApduLogSink = (entry) => {
    this.entries.push(entry);
    if (this.entries.length > this.capacity) this.entries.shift();
  };
  list(): readonly ApduLogEntry[] {
    return [...this.entries];
  }
}
