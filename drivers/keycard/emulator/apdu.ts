/**
 * Command APDU parsing for the emulated applets: short APDUs only (section 1), CLA never checked.
 * Case 1 (4 bytes) and case 2 (5 bytes, P3 = Le) have no data; case 3/4 carry Lc data bytes (a
 * trailing Le is ignored). Anything shorter than 4 bytes or with fewer data bytes than Lc is `6700`.
 */
import { sw } from '../../virtual/emulator.ts';
import { EMPTY } from './bytes.ts';
import { SW } from './status-words.ts';

export interface Command {
  readonly cla: number;
  readonly ins: number;
  readonly p1: number;
  readonly p2: number;
  /** The Lc byte as sent (0 for case 1/2). */
  readonly lc: number;
  readonly data: Uint8Array;
  /** Le (0 read as 256) for case 2/4, null for case 1/3. */
  readonly le: number | null;
}

export function parseCommand(apdu: Uint8Array): Command | null {
  if (apdu.length < 4) return null;
  const [cla, ins, p1, p2] = [apdu[0]!, apdu[1]!, apdu[2]!, apdu[3]!];
  if (apdu.length === 4) return { cla, ins, p1, p2, lc: 0, data: EMPTY, le: null };
  if (apdu.length === 5) return { cla, ins, p1, p2, lc: 0, data: EMPTY, le: apdu[4]! || 256 };
  const lc = apdu[4]!;
  if (lc === 0 || apdu.length < 5 + lc || apdu.length > 6 + lc) return null;
  const le = apdu.length === 6 + lc ? apdu[5 + lc]! || 256 : null;
  return { cla, ins, p1, p2, lc, data: apdu.slice(5, 5 + lc), le };
}

export { sw };
export const statusOnly = (value: number): Uint8Array => sw(value);
export const ok = (data: Uint8Array = EMPTY): Uint8Array => sw(SW.OK, data);
