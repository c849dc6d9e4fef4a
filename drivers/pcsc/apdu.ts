/**
 * ISO/IEC 7816-4 command and response APDUs (section 5.1 "Command-response pairs").
 *
 * Short form: Lc 1 byte (1..255), Le 1 byte (1..256, 256 sent as 00).
 * Extended form: a 00 marker, Lc 2 bytes (1..65535), Le 2 bytes (1..65536, 65536 sent as 0000);
 * when there is no body, Le is 3 bytes (00 Le1 Le2).
 */
import { DriverError } from '../errors.ts';

export interface CommandApdu {
  readonly cla: number;
  readonly ins: number;
  readonly p1: number;
  readonly p2: number;
  readonly data?: Uint8Array;
  /** Expected response length Ne (1..65536); undefined sends no Le. */
  readonly le?: number;
  /** Force the extended encoding even when the short one fits. */
  readonly extended?: boolean;
  /** The command body holds a secret (PIN, seed, key): the log shows only its length. */
  readonly sensitive?: boolean;
  /** The response body holds a secret: the log shows only its length. */
  readonly sensitiveResponse?: boolean;
  /** A short name for logs ("SELECT", "VERIFY PIN"). */
  readonly name?: string;
}

export interface ResponseApdu {
  readonly data: Uint8Array;
  /** Status word, SW1 << 8 | SW2. */
  readonly sw: number;
}

export const SW_OK = 0x9000;
/** Response buffer for a short APDU: 256 data bytes + SW1 SW2. */
export const SHORT_RESPONSE_BUFFER = 258;
/** Response buffer for an extended APDU: 65536 data bytes + SW1 SW2 (Ne = 0000 means 65536). */
export const EXTENDED_RESPONSE_BUFFER = 65538;

function checkByte(field: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xff) {
    throw new DriverError('BAD_APDU', 'APDU header byte out of range', { field, value });
  }
}

/** True when the command needs (or asks for) the extended length encoding. */
export function isExtended(command: CommandApdu): boolean {
  const lc = command.data?.length ?? 0;
  return command.extended === true || lc > 255 || (command.le ?? 0) > 256;
}

export function encodeCommand(command: CommandApdu): Uint8Array {
  checkByte('cla', command.cla);
  checkByte('ins', command.ins);
  checkByte('p1', command.p1);
  checkByte('p2', command.p2);
  const data = command.data ?? new Uint8Array(0);
  const lc = data.length;
  const le = command.le;
  if (lc > 65535) throw new DriverError('BAD_APDU', 'command body too long', { lc });
  if (le !== undefined && (!Number.isInteger(le) || le < 1 || le > 65536)) {
    throw new DriverError('BAD_APDU', 'Le out of range', { le });
  }
  const extended = isExtended(command);
  const out: number[] = [command.cla, command.ins, command.p1, command.p2];
  if (!extended) {
    if (lc > 0) out.push(lc, ...data);
    if (le !== undefined) out.push(le === 256 ? 0 : le);
    return Uint8Array.from(out);
  }
  if (lc > 0) {
    out.push(0, lc >> 8, lc & 0xff, ...data);
    if (le !== undefined) out.push((le >> 8) & 0xff, le & 0xff);
  } else if (le !== undefined) {
    out.push(0, (le >> 8) & 0xff, le & 0xff);
  }
  return Uint8Array.from(out);
}

export function decodeResponse(bytes: Uint8Array): ResponseApdu {
  if (bytes.length < 2) {
    throw new DriverError('BAD_RESPONSE', 'response shorter than a status word', { length: bytes.length });
  }
  const n = bytes.length;
  return { data: bytes.slice(0, n - 2), sw: (bytes[n - 2]! << 8) | bytes[n - 1]! };
}

export function responseBufferSize(command: CommandApdu): number {
  return isExtended(command) ? EXTENDED_RESPONSE_BUFFER : SHORT_RESPONSE_BUFFER;
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

export function fromHex(hex: string): Uint8Array {
  const clean = hex.replace(/\s+/g, '');
  if (clean.length % 2 !== 0 || /[^0-9a-fA-F]/.test(clean)) {
    throw new DriverError('BAD_APDU', 'not a hex string', { hex: clean.slice(0, 32) });
  }
  return Uint8Array.from(Buffer.from(clean, 'hex'));
}

export function swHex(sw: number): string {
  return sw.toString(16).padStart(4, '0');
}
