/**
 * Satochip and Seedkeeper identification (../shared/protocols/satochip-seedkeeper.md, sections 1-2).
 * Satochip answers SELECT with a bare 9000, Seedkeeper with its 13-byte status; Satochip's status
 * comes from GET STATUS (B0 3C 00 00), which is allowed in plaintext and needs no PIN.
 */
import type { CardDriver, CardIdentity } from '../card.ts';
import { SW_OK, toHex } from '../pcsc/apdu.ts';

export const SATOCHIP_AID = new TextEncoder().encode('SatoChip');
export const SEEDKEEPER_AID = new TextEncoder().encode('SeedKeeper');

export interface SatochipStatus {
  readonly protocol: string;
  readonly applet: string;
  readonly pinTriesLeft: number;
  readonly pukTriesLeft: number;
  readonly needs2fa: boolean;
  readonly seeded: boolean;
  readonly setupDone: boolean;
}

/** Parses the GET STATUS answer (12 bytes Satochip, 13 Seedkeeper; newer firmware appends more). */
export function parseStatus(data: Uint8Array): SatochipStatus | null {
  if (data.length < 12) return null;
  return {
    protocol: `${data[0]}.${data[1]}`,
    applet: `${data[2]}.${data[3]}`,
    pinTriesLeft: data[4]!,
    pukTriesLeft: data[5]!,
    needs2fa: data[8] === 1,
    seeded: data[9] === 1,
    setupDone: data[10] === 1,
  };
}

function statusDetails(status: SatochipStatus, seedkeeper: boolean): Record<string, string> {
  const details: Record<string, string> = {
    protocol: status.protocol,
    applet: status.applet,
    'setup done': status.setupDone ? 'yes' : 'no',
  };
  // PIN tries read 0 both before setup and when blocked; only meaningful after setup.
  if (status.setupDone) details['PIN tries left'] = String(status.pinTriesLeft);
  if (!seedkeeper) {
    details['seeded'] = status.seeded ? 'yes' : 'no';
    if (status.needs2fa) details['2FA'] = 'required';
  }
  return details;
}

export const satochipDriver: CardDriver = {
  family: 'satochip',
  aid: SATOCHIP_AID,
  async describe(_select, transport, options): Promise<CardIdentity | null> {
    const response = await transport.send({ cla: 0xb0, ins: 0x3c, p1: 0, p2: 0, name: 'GET STATUS' }, options);
    const status = response.sw === SW_OK ? parseStatus(response.data) : null;
    return {
      family: 'satochip',
      product: 'Satochip',
      aid: toHex(SATOCHIP_AID),
      details: status ? statusDetails(status, false) : {},
      capabilities: { sign: ['btc', 'eth'], backup: 'none', attestation: 'satochip-pki' },
    };
  },
};

export const seedkeeperDriver: CardDriver = {
  family: 'seedkeeper',
  aid: SEEDKEEPER_AID,
  async describe(select): Promise<CardIdentity | null> {
    const status = parseStatus(select.data);
    return {
      family: 'seedkeeper',
      product: 'Seedkeeper',
      aid: toHex(SEEDKEEPER_AID),
      details: status ? statusDetails(status, true) : {},
      capabilities: { sign: [], backup: 'seedkeeper-export', attestation: 'satochip-pki' },
    };
  },
};
