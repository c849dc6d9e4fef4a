/**
 * Attestation of a Keycard on a reader (../shared/protocols/keycard.md sections 2, 13): SELECT the
 * Keycard instance, then IDENT with a fresh 32-byte challenge, plain. IDENT needs no PIN, no
 * pairing and no secure channel, on a pre-initialised card and on an initialised one alike, so
 * this is exactly 2 APDUs and leaves the card as it was (SELECT closes any secure channel).
 *
 * Outcomes:
 * - the card answers the IDENT template: the report of verifyIdent (a broken or forged answer is a
 *   `not-genuine` report, never an exception);
 * - IDENT `6985` (no certificate provisioned): a `not-genuine` report whose `ident-answer` check
 *   says so. Retail cards are provisioned at the factory, and an unprovisioned card can be
 *   provisioned by anyone with their own CA, so "no certificate" is a verdict, not an error;
 * - SELECT refused, or any other IDENT status word (6D00: an applet without IDENT, 6A80, ...):
 *   a KeycardError (the card could not be asked, there is nothing to judge).
 */
import type { AttestationCheck, AttestationReport } from '../../attestation-report.ts';
import { type CommandApdu, type ResponseApdu, SW_OK } from '../../pcsc/apdu.ts';
import { keycardBadResponse, keycardErrorForStatusWord, keycardInvalidArgument } from '../errors.ts';
import { KEYCARD_INSTANCE_AID } from '../identify.ts';
import { findTlv, parseTlvs } from '../tlv.ts';
import { IDENT_CHALLENGE_LENGTH, KEYCARD_CHECK_LABELS, KEYCARD_CHECK_ORDER, parseIdentAnswer, verifyIdent } from './ident.ts';

export type KeycardSendApdu = (command: CommandApdu) => Promise<ResponseApdu>;

export const INS_IDENT = 0x14;
const SW_CONDITIONS_NOT_SATISFIED = 0x6985;

export interface AttestKeycardOptions {
  readonly send: KeycardSendApdu;
  /** Source of the 32-byte challenge (crypto randomness in the app; recorded values in replays). */
  readonly random: (length: number) => Uint8Array;
  /** Extra trusted CA public keys (test CAs): a card certified by one is `test`, never `genuine`. */
  readonly extraTrustedCaKeys?: readonly Uint8Array[];
}

export interface KeycardAttestation {
  readonly report: AttestationReport;
  /** The certified ident key (compressed), or null when the card has no certificate or the answer is malformed. */
  readonly identPublicKey: Uint8Array | null;
  /** The instance UID from SELECT (initialised cards only; pre-initialised ones have none). */
  readonly instanceUid?: Uint8Array;
  /** Whether SELECT showed an initialised card. */
  readonly initialized: boolean;
}

/** The report for a card whose IDENT answered 6985: no certificate, so not genuine. */
export function noCertificateReport(): AttestationReport {
  const checks: AttestationCheck[] = KEYCARD_CHECK_ORDER.map((id) =>
    id === 'ident-answer'
      ? {
          id,
          label: KEYCARD_CHECK_LABELS[id],
          result: 'fail',
          detail: 'no certificate provisioned: the card answered IDENT with 6985 (retail Keycards are certified at the factory)',
        }
      : { id, label: KEYCARD_CHECK_LABELS[id], result: 'skip', detail: 'not checked: the card holds no certificate' },
  );
  return { verdict: 'not-genuine', checks, chain: [] };
}

/** SELECT + IDENT, and the verdict. */
export async function attestKeycard(options: AttestKeycardOptions): Promise<KeycardAttestation> {
  const select = await options.send({ cla: 0x00, ins: 0xa4, p1: 0x04, p2: 0x00, data: KEYCARD_INSTANCE_AID, name: 'SELECT' });
  if (select.sw !== SW_OK) throw keycardErrorForStatusWord(select.sw, { ins: 0xa4, command: 'SELECT' });
  const top = parseTlvs(select.data);
  const first = top?.[0];
  let initialized: boolean;
  let instanceUid: Uint8Array | undefined;
  if (first?.tag === 0x80) initialized = false;
  else if (first?.tag === 0xa4) {
    initialized = true;
    const uid = findTlv(parseTlvs(first.value) ?? [], 0x8f);
    if (uid?.length === 16) instanceUid = uid;
  } else throw keycardBadResponse('SELECT answered neither 80 (pre-initialised) nor A4 (application info)', 'SELECT');

  const challenge = options.random(IDENT_CHALLENGE_LENGTH);
  if (challenge.length !== IDENT_CHALLENGE_LENGTH) throw keycardInvalidArgument('random', `gave ${challenge.length} bytes, need ${IDENT_CHALLENGE_LENGTH}`);
  const ident = await options.send({ cla: 0x80, ins: INS_IDENT, p1: 0x00, p2: 0x00, data: challenge, name: 'IDENT' });
  const base = { initialized, ...(instanceUid ? { instanceUid } : {}) };
  if (ident.sw === SW_CONDITIONS_NOT_SATISFIED) return { report: noCertificateReport(), identPublicKey: null, ...base };
  if (ident.sw !== SW_OK) throw keycardErrorForStatusWord(ident.sw, { ins: INS_IDENT, command: 'IDENT' });

  const report = verifyIdent({ challenge, answer: ident.data, ...(options.extraTrustedCaKeys ? { extraTrustedCaKeys: options.extraTrustedCaKeys } : {}) });
  let identPublicKey: Uint8Array | null = null;
  try {
    identPublicKey = parseIdentAnswer(ident.data).identPublicKey;
  } catch {
    identPublicKey = null;
  }
  return { report, identPublicKey, ...base };
}
