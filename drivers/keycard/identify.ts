/**
 * Keycard identification (../shared/protocols/keycard.md, sections 1-2). SELECT the instance AID;
 * a pre-initialised card answers `80 41 <public key>`, an initialised one the Application Info
 * template `A4` (8F instance UID, 80 public key, 02 version, 02 free pairing slots, ...).
 */
import type { CardDriver, CardIdentity } from '../card.ts';
import { toHex } from '../pcsc/apdu.ts';
import { parseTlvs } from './tlv.ts';

export const KEYCARD_INSTANCE_AID = Uint8Array.from([0xa0, 0x00, 0x00, 0x08, 0x04, 0x00, 0x01, 0x01, 0x01]);

export function describeKeycardSelect(data: Uint8Array): Record<string, string> | null {
  const top = parseTlvs(data);
  if (!top || top.length === 0) return null;
  const first = top[0]!;
  if (first.tag === 0x80) return { initialized: 'no (factory state)' };
  if (first.tag !== 0xa4) return null;
  const fields = parseTlvs(first.value);
  if (!fields) return null;
  const details: Record<string, string> = { initialized: 'yes' };
  const ints = fields.filter((f) => f.tag === 0x02);
  const uid = fields.find((f) => f.tag === 0x8f);
  if (uid) details['instance UID'] = toHex(uid.value);
  const version = ints[0];
  if (version && version.value.length === 2) details['applet version'] = `${version.value[0]}.${version.value[1]}`;
  const slots = ints[1];
  if (slots && slots.value.length === 1) details['free pairing slots'] = String(slots.value[0]);
  return details;
}

export const keycardDriver: CardDriver = {
  family: 'keycard',
  aid: KEYCARD_INSTANCE_AID,
  async describe(select): Promise<CardIdentity | null> {
    const details = describeKeycardSelect(select.data);
    if (!details) return null;
    return {
      family: 'keycard',
      product: 'Keycard',
      aid: toHex(KEYCARD_INSTANCE_AID),
      details,
      capabilities: { sign: ['btc', 'eth'], backup: 'keycard-duplicate', attestation: 'keycard-ident' },
    };
  },
};
