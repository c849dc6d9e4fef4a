/**
 * What the four applets of one card share (`SharedMemory.java` on the card; section 11 and 13 of
 * ../shared/protocols/keycard.md): the Ident certificate and key, the NDEF file and the Cash data.
 * Keycard FACTORY RESET leaves all of it alone.
 */
import { encodeTlv } from '../tlv.ts';
import { concat } from './bytes.ts';
import type { Command } from './apdu.ts';
import { signForIdent } from './crypto.ts';
import type { RandomFn } from './random.ts';
import { SW, fail } from './status-words.ts';

export interface SharedMemory {
  /** 98 bytes: compressed ident public key || r || s || recovery id (section 13); null until provisioned. */
  identCertificate: Uint8Array | null;
  identPrivateKey: Uint8Array | null;
  /** NDEF file content (NLEN || message), written by Keycard STORE DATA P1=01, read through the NDEF applet. */
  ndefData: Uint8Array;
  /** Cash data, written by Keycard STORE DATA P1=02, shown by the Cash applet's SELECT. */
  cashData: Uint8Array;
}

/** One applet instance of the card. `select` and `process` answer full R-APDUs (data || SW). */
export interface Applet {
  readonly aid: Uint8Array;
  select(): Uint8Array;
  /** Another applet was selected, or the card was reset: volatile session state goes. */
  deselect(): void;
  process(command: Command): Uint8Array;
}

export const CERTIFICATE_LENGTH = 98;

/**
 * IDENT (section 13), as the Keycard and Cash applets answer it:
 * `A0 81 len { 8A 62 certificate, 30 DER signature of the challenge used as the digest }`.
 * Challenge not 32 bytes: `6A80`; no certificate: `6985`.
 */
export function identResponse(shared: SharedMemory, challenge: Uint8Array, random: RandomFn): Uint8Array {
  if (challenge.length !== 32) fail(SW.WRONG_DATA);
  if (!shared.identCertificate || !shared.identPrivateKey) fail(SW.CONDITIONS_NOT_SATISFIED);
  const signature = signForIdent(shared.identPrivateKey, challenge, random);
  return encodeTlv(0xa0, concat(encodeTlv(0x8a, shared.identCertificate), signature));
}
