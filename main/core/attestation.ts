/**
 * "Is the card on this reader genuine?" for the app and the CLI: one card session that reads the
 * card-manager identifier (before SELECT), opens the Satochip/Seedkeeper secure channel, verifies
 * the PIN once (never retried), and runs the attestation checks.
 */
import { randomBytes } from 'node:crypto';
import { SatochipClient } from '../../drivers/satochip/client.ts';
import { attestCard } from '../../drivers/satochip/attestation/attest.ts';
import { readCardIdentifier } from '../../drivers/satochip/attestation/card-identifier.ts';
import type { AttestationReport } from '../../drivers/satochip/attestation/verify.ts';
import { DriverError } from '../../drivers/errors.ts';
import type { ReaderService } from './readers.ts';

export interface AttestRequest {
  readonly reader: string;
  readonly pin: string;
  /** DER certificates of a configured extra (test) trust root file. */
  readonly extraTrust?: readonly Uint8Array[];
}

export interface AttestResult {
  readonly reader: string;
  readonly product: 'Satochip' | 'SeedKeeper';
  readonly report: AttestationReport;
}

/** Every certificate in a PEM file, as DER. */
export function certificatesFromPem(pem: string): Uint8Array[] {
  const blocks = [...pem.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)];
  return blocks.map((m) => Uint8Array.from(Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64')));
}

/** `readers`: the ReaderService, or anything with its snapshot and sessions (the CLI's test readers). */
export async function attestOnReader(readers: Pick<ReaderService, 'snapshot' | 'withSession'>, request: AttestRequest): Promise<AttestResult> {
  const view = readers.snapshot().readers.find((r) => r.name === request.reader);
  if (!view) throw new DriverError('NO_READER', 'no such reader', { reader: request.reader });
  const family = view.card?.family;
  if (family !== 'satochip' && family !== 'seedkeeper') {
    throw new DriverError('BAD_RESPONSE', 'attestation needs a Satochip or Seedkeeper on this reader', { reader: request.reader, card: view.card?.product ?? 'none' });
  }
  return readers.withSession(request.reader, async (session) => {
    const send = (command: Parameters<typeof session.send>[0]) => session.send(command);
    const identifier = await readCardIdentifier(send);
    const client = new SatochipClient({ send });
    await client.select(family);
    if (family === 'satochip') await client.getStatus();
    await client.initSecureChannel();
    await client.verifyPin(request.pin);
    const product = family === 'satochip' ? 'Satochip' : 'SeedKeeper';
    const report = await attestCard({
      client,
      product,
      identifier,
      random: (n) => Uint8Array.from(randomBytes(n)),
      ...(request.extraTrust ? { extraTrust: request.extraTrust } : {}),
    });
    return { reader: request.reader, product, report };
  });
}
