/**
 * "Is the card on this reader genuine?" for the app and the CLI, in one card session:
 * - Satochip/Seedkeeper: read the card-manager identifier (before SELECT), open the secure
 *   channel, verify the PIN once (never retried), and run the certificate checks;
 * - Keycard: SELECT + IDENT with a fresh challenge (no PIN, no pairing, no secure channel).
 */
import { randomBytes } from 'node:crypto';
import { SatochipClient } from '../../drivers/satochip/client.ts';
import { SatochipError } from '../../drivers/satochip/errors.ts';
import { attestCard } from '../../drivers/satochip/attestation/attest.ts';
import { readCardIdentifier } from '../../drivers/satochip/attestation/card-identifier.ts';
import type { AttestationReport } from '../../drivers/attestation-report.ts';
import { attestKeycard } from '../../drivers/keycard/attestation/attest.ts';
import { parseCaPublicKeys } from '../../drivers/keycard/attestation/trust.ts';
import { DriverError } from '../../drivers/errors.ts';
import { toHex } from '../../drivers/pcsc/apdu.ts';
import type { ReaderService } from './readers.ts';

export interface AttestRequest {
  readonly reader: string;
  /** The card PIN: needed for a Satochip/Seedkeeper, never asked for (nor sent to) a Keycard. */
  readonly pin?: string;
  /** Satochip/Seedkeeper: DER certificates of a configured extra (test) trust root file. */
  readonly extraTrust?: readonly Uint8Array[];
  /** Keycard: extra trusted CA public keys (test CAs, compressed), e.g. from caKeysFromText. */
  readonly extraKeycardCaKeys?: readonly Uint8Array[];
  /** Challenge randomness (crypto.randomBytes unless a test injects its own). */
  readonly random?: (length: number) => Uint8Array;
}

export interface AttestResult {
  readonly reader: string;
  readonly product: 'Satochip' | 'SeedKeeper' | 'Keycard';
  readonly report: AttestationReport;
  /** Keycard: the certified ident key (hex, compressed), null when the card gave none. */
  readonly identPublicKey?: string | null;
  /** Keycard: the instance UID (hex) of an initialised card. */
  readonly instanceUid?: string;
}

/** The families attestOnReader can check. */
export const ATTESTABLE_FAMILIES = ['satochip', 'seedkeeper', 'keycard'] as const;

/** Does attesting this family need the card PIN? (Keycard IDENT does not.) */
export function attestationNeedsPin(family: string | undefined): boolean {
  return family !== 'keycard';
}

/** Every certificate in a PEM file, as DER. */
export function certificatesFromPem(pem: string): Uint8Array[] {
  const blocks = [...pem.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)];
  return blocks.map((m) => Uint8Array.from(Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64')));
}

/**
 * Extra trusted Keycard CA keys from a text file: one hex public key per line (compressed or
 * uncompressed), `#` comments and blank lines ignored; throws an INVALID_ARGUMENT KeycardError
 * naming the first bad line.
 */
export function caKeysFromText(text: string): Uint8Array[] {
  return parseCaPublicKeys(text);
}

/** `readers`: the ReaderService, or anything with its snapshot and sessions (the CLI's test readers). */
export async function attestOnReader(readers: Pick<ReaderService, 'snapshot' | 'withSession'>, request: AttestRequest): Promise<AttestResult> {
  const view = readers.snapshot().readers.find((r) => r.name === request.reader);
  if (!view) throw new DriverError('NO_READER', 'no such reader', { reader: request.reader });
  const family = view.card?.family;
  if (family !== 'satochip' && family !== 'seedkeeper' && family !== 'keycard') {
    throw new DriverError('BAD_RESPONSE', 'attestation needs a Satochip, Seedkeeper or Keycard on this reader', { reader: request.reader, card: view.card?.product ?? 'none' });
  }
  const random = request.random ?? ((n: number) => Uint8Array.from(randomBytes(n)));
  if (family === 'keycard') {
    return readers.withSession(request.reader, async (session) => {
      const result = await attestKeycard({
        send: (command) => session.send(command),
        random,
        ...(request.extraKeycardCaKeys ? { extraTrustedCaKeys: request.extraKeycardCaKeys } : {}),
      });
      return {
        reader: request.reader,
        product: 'Keycard' as const,
        report: result.report,
        identPublicKey: result.identPublicKey ? toHex(result.identPublicKey) : null,
        ...(result.instanceUid ? { instanceUid: toHex(result.instanceUid) } : {}),
      };
    });
  }
  const pin = request.pin;
  if (pin === undefined) throw new SatochipError('INVALID_ARGUMENT', 'attesting a Satochip or Seedkeeper needs the card PIN', { field: 'pin', reason: 'missing' });
  return readers.withSession(request.reader, async (session) => {
    const send = (command: Parameters<typeof session.send>[0]) => session.send(command);
    const identifier = await readCardIdentifier(send);
    const client = new SatochipClient({ send });
    await client.select(family);
    if (family === 'satochip') await client.getStatus();
    await client.initSecureChannel();
    await client.verifyPin(pin);
    const product = family === 'satochip' ? 'Satochip' : 'SeedKeeper';
    const report = await attestCard({
      client,
      product,
      identifier,
      random,
      ...(request.extraTrust ? { extraTrust: request.extraTrust } : {}),
    });
    return { reader: request.reader, product, report };
  });
}
