/**
 * Coinkite cktap identification (../shared/protocols/cktap.md, section 2): SELECT answers the
 * status CBOR map. The product follows from two boolean keys: `tapsigner: true` (TAPSIGNER, or
 * SATSCHIP when `satschip: true` too), otherwise a SATSCARD. We look for the exact CBOR encodings
 * of those key/value pairs (text string header 0x60+len, then 0xf5 = true); full CBOR decoding
 * belongs to the cktap driver.
 */
import type { CardDriver, CardIdentity } from '../card.ts';
import { toHex } from '../pcsc/apdu.ts';

export const CKTAP_AID = Uint8Array.from([0xf0, ...new TextEncoder().encode('CoinkiteCARDv1')]);
const COINKITE_HISTORICAL = new TextEncoder().encode('Coinkite');

function cborTrueKey(key: string): Uint8Array {
  const text = new TextEncoder().encode(key);
  return Uint8Array.from([0x60 + text.length, ...text, 0xf5]);
}

function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  return Buffer.from(haystack).indexOf(Buffer.from(needle)) >= 0;
}

export function cktapProduct(status: Uint8Array): 'TAPSIGNER' | 'SATSCHIP' | 'SATSCARD' | null {
  // A CBOR map with 1..23 entries starts 0xa1..0xb7.
  if (status.length === 0 || status[0]! < 0xa1 || status[0]! > 0xb7) return null;
  if (contains(status, cborTrueKey('tapsigner'))) {
    return contains(status, cborTrueKey('satschip')) ? 'SATSCHIP' : 'TAPSIGNER';
  }
  return 'SATSCARD';
}

export const cktapDriver: CardDriver = {
  family: 'cktap',
  aid: CKTAP_AID,
  atrHint: (atr) => contains(atr, COINKITE_HISTORICAL),
  async describe(select): Promise<CardIdentity | null> {
    const product = cktapProduct(select.data);
    if (!product) return null;
    return {
      family: 'cktap',
      product,
      aid: toHex(CKTAP_AID),
      details: {},
      capabilities:
        product === 'SATSCARD'
          ? { sign: ['btc'], backup: 'none', attestation: 'cktap-certificate' }
          : { sign: ['btc'], backup: 'cktap-backup', attestation: 'cktap-certificate' },
    };
  },
};
