/**
 * GET STATUS (`B0 3C 00 00`, plaintext, no PIN) as numbers the client can act on
 * (../shared/protocols/satochip-seedkeeper.md section 2). Builds on identify.ts `parseStatus`
 * (the shared fields, for display) and adds the versions as numbers and the per-applet bytes.
 */
import { type SatochipStatus, parseStatus } from './identify.ts';
import { SatochipError, badResponse } from './errors.ts';

export type SatochipApplet = 'satochip' | 'seedkeeper';

export interface SatochipCardStatus extends SatochipStatus {
  /** (major << 8) | minor, as the reference client compares it: 0x000C = Satochip protocol 0.12. */
  readonly protocolVersion: number;
  readonly appletVersion: number;
  /** Legacy second PIN/PUK tries (Satochip), 0 on Seedkeeper. */
  readonly pin1TriesLeft: number;
  readonly puk1TriesLeft: number;
  /** Byte 11: always 1 on the covered versions. */
  readonly needsSecureChannel: boolean;
  /** Seedkeeper byte 12: 0 NFC enabled, 1 disabled, 2 blocked; null on Satochip. */
  readonly nfcPolicy: number | null;
  /** Bytes after the known ones (Satochip 0.14+ feature-policy bytes), kept raw. */
  readonly extra: Uint8Array;
}

export function decodeStatus(data: Uint8Array, applet: SatochipApplet | null): SatochipCardStatus {
  const base = parseStatus(data);
  if (!base) throw badResponse(`GET STATUS answer of ${data.length} bytes, expected at least 12`, 'GET STATUS');
  const known = applet === 'seedkeeper' ? 13 : 12;
  if (data.length < known) throw badResponse(`Seedkeeper status of ${data.length} bytes, expected 13`, 'GET STATUS');
  return {
    ...base,
    protocolVersion: (data[0]! << 8) | data[1]!,
    appletVersion: (data[2]! << 8) | data[3]!,
    pin1TriesLeft: data[6]!,
    puk1TriesLeft: data[7]!,
    needsSecureChannel: data[11] === 1,
    nfcPolicy: applet === 'seedkeeper' ? data[12]! : null,
    extra: data.slice(known),
  };
}

/**
 * Section 1/3 and the applet's version history: the secure channel is mandatory from Satochip
 * protocol 0.11, and this client follows 0.12 (labels, factory reset). Older cards: UNSUPPORTED_VERSION.
 */
export const MIN_SATOCHIP_PROTOCOL = 0x000c;
export const MIN_SEEDKEEPER_PROTOCOL = 0x0001;

export function assertSupportedVersion(status: SatochipCardStatus, applet: SatochipApplet): void {
  const minimum = applet === 'satochip' ? MIN_SATOCHIP_PROTOCOL : MIN_SEEDKEEPER_PROTOCOL;
  if (status.protocolVersion < minimum) {
    throw new SatochipError('UNSUPPORTED_VERSION', 'this card speaks a protocol version this client does not', {
      reason: `${applet} protocol ${status.protocol}; need at least ${minimum >> 8}.${minimum & 0xff}`,
    });
  }
}
