/**
 * Attestation of a Satochip or Seedkeeper over an open session
 * (../shared/protocols/satochip-seedkeeper.md section 6): read the device certificate (93), make a
 * fresh challenge (9A), take the authentikey the secure channel is bound to, and check it all with
 * verifyAttestation. The card-manager identifier must be read BEFORE the applet is selected
 * (readCardIdentifier), so the caller does that first and passes it in.
 *
 * APDUs after the channel is open and the PIN verified: 1 (93 size) + ceil(size / 128) chunks
 * + 1 (9A) + 1 (AD, only when the channel has not yet shown which candidate key is the card's).
 */
import type { SatochipClient } from '../client.ts';
import { SatochipError, isSatochipError } from '../errors.ts';
import { type AttestationReport, challengeMessage, verifyAttestation } from './verify.ts';

export const CERTIFICATE_CHUNK = 128;
const MAX_CERTIFICATE = 4096;

/** EXPORT PKI CERTIFICATE: P2 01 gives the size, P2 02 with offset(2)|clen(2) gives a chunk. */
export async function readDeviceCertificate(client: SatochipClient): Promise<Uint8Array> {
  const sizeAnswer = await client.sendSecure({ cla: 0xb0, ins: 0x93, p1: 0x00, p2: 0x01, name: 'EXPORT PKI CERTIFICATE (size)' });
  if (sizeAnswer.length < 2) throw new SatochipError('BAD_RESPONSE', 'certificate size answer too short', { command: 'EXPORT PKI CERTIFICATE', field: 'size' });
  const size = (sizeAnswer[0]! << 8) | sizeAnswer[1]!;
  if (size > MAX_CERTIFICATE) throw new SatochipError('BAD_RESPONSE', 'certificate size out of range', { command: 'EXPORT PKI CERTIFICATE', field: 'size' });
  const certificate = new Uint8Array(size);
  for (let offset = 0; offset < size; offset += CERTIFICATE_CHUNK) {
    const length = Math.min(CERTIFICATE_CHUNK, size - offset);
    const chunk = await client.sendSecure({
      cla: 0xb0,
      ins: 0x93,
      p1: 0x00,
      p2: 0x02,
      data: Uint8Array.of(offset >> 8, offset & 0xff, length >> 8, length & 0xff),
      name: 'EXPORT PKI CERTIFICATE (chunk)',
    });
    if (chunk.length !== length) throw new SatochipError('BAD_RESPONSE', 'certificate chunk of the wrong size', { command: 'EXPORT PKI CERTIFICATE', field: 'chunk' });
    certificate.set(chunk, offset);
  }
  return certificate;
}

export interface ChallengeAnswer {
  readonly host: Uint8Array;
  readonly card: Uint8Array;
  readonly signature: Uint8Array;
}

/** CHALLENGE-RESPONSE (9A) with a fresh 32-byte host challenge: card_chal(32) | slen(2) | sig. */
export async function challengeCard(client: SatochipClient, random: (length: number) => Uint8Array): Promise<ChallengeAnswer> {
  const host = random(32);
  const answer = await client.sendSecure({ cla: 0xb0, ins: 0x9a, p1: 0x00, p2: 0x00, data: host, name: 'CHALLENGE-RESPONSE' });
  if (answer.length < 34) throw new SatochipError('BAD_RESPONSE', 'challenge answer too short', { command: 'CHALLENGE-RESPONSE', field: 'answer' });
  const length = (answer[32]! << 8) | answer[33]!;
  if (answer.length !== 34 + length) throw new SatochipError('BAD_RESPONSE', 'challenge signature length does not match', { command: 'CHALLENGE-RESPONSE', field: 'slen' });
  return { host, card: answer.slice(0, 32), signature: answer.slice(34) };
}

export interface AttestOptions {
  readonly client: SatochipClient;
  readonly product: 'Satochip' | 'SeedKeeper';
  /** From readCardIdentifier, read before SELECT. */
  readonly identifier: Uint8Array;
  readonly random: (length: number) => Uint8Array;
  readonly extraTrust?: readonly Uint8Array[];
  readonly now?: Date;
}

/** The whole check on a card whose channel is open and PIN verified. */
export async function attestCard(options: AttestOptions): Promise<AttestationReport> {
  const { client } = options;
  const deviceCertificate = await readDeviceCertificate(client);
  const challenge = await challengeCard(client, options.random);
  // The channel's authentikey is one of the keys that signed INIT SC; the challenge signature tells
  // which (no extra APDU). EXPORT AUTHENTIKEY only when it does not settle it, so the report can
  // show the mismatch against the certificate.
  if (!client.authentikey) {
    try {
      client.verifyAuthentikeySignature(challengeMessage(challenge.card, challenge.host), challenge.signature, 'CHALLENGE-RESPONSE');
    } catch (error) {
      if (!isSatochipError(error, 'AUTHENTIKEY_MISMATCH')) throw error;
    }
  }
  const authentikey = client.authentikey ?? (await client.exportAuthentikey());
  return verifyAttestation({
    product: options.product,
    deviceCertificate,
    deviceIdentifier: options.identifier,
    authentikey,
    challenge,
    ...(options.extraTrust ? { extraTrust: options.extraTrust } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
}
