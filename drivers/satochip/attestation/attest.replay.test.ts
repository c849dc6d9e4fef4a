/**
 * Host-side replay of the recorded PKI session (satochip-transcript-pki.json, real applet): the
 * factory personalisation with a TEST CA, setup, then our attestation steps. Every command byte we
 * send must equal the recording; the evidence we gather must verify as a TEST card (never genuine).
 */
import { describe, expect, it } from 'vitest';
import type { CommandApdu } from '../../pcsc/apdu.ts';
import { SatochipClient } from '../client.ts';
import { isSatochipError } from '../errors.ts';
import { HostReplay, bytes, hex, loadVector } from '../test-support/host-replay.ts';
import { challengeCard, readDeviceCertificate } from './attest.ts';
import { readCardIdentifier } from './card-identifier.ts';
import { verifyAttestation } from './verify.ts';

const pki = loadVector('satochip-transcript-pki.json');

/** A recorded inner (plain) command as a CommandApdu: CLA INS P1 P2 [Lc data]. */
function plain(step: number): CommandApdu {
  const raw = bytes(pki.transcript.find((s: { step: number }) => s.step === step).plain_command);
  return raw.length > 4 ? { cla: raw[0]!, ins: raw[1]!, p1: raw[2]!, p2: raw[3]!, data: raw.slice(5, 5 + raw[4]!) } : { cla: raw[0]!, ins: raw[1]!, p1: raw[2]!, p2: raw[3]! };
}

async function code(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(() => null, (e: unknown) => e);
  return isSatochipError(error) ? `${error.code}:${(error.info as { sw?: string }).sw ?? ''}` : String(error);
}

describe('PKI transcript replay (host side)', () => {
  it('sends exactly the recorded bytes and the evidence verifies as a test card', async () => {
    const replay = new HostReplay(pki.transcript, pki.host_random);
    const client = new SatochipClient({ send: replay.send, random: replay.random });

    const identifier = await readCardIdentifier(replay.send); // steps 1-3, before SELECT
    await client.select('satochip'); // 4
    await client.getStatus(); // 5
    await client.initSecureChannel(); // 6
    await client.verifyPin('Muscle00'); // 7: factory default PIN
    for (let step = 8; step <= 15; step += 1) await client.sendSecure(plain(step)); // factory personalisation
    expect(await code(readDeviceCertificate(client))).toMatch(/9c04/i); // 16: refused before setup
    await client.setup({ pin: '123456', puk: '11223344' }); // 17
    await client.verifyPin('123456'); // 18

    const certificate = await readDeviceCertificate(client); // 19-23
    expect(hex(certificate)).toBe(pki.results.device_certificate_der);
    const challenge = await challengeCard(client, replay.random); // 24
    expect(hex(challenge.host)).toBe(pki.results.challenge_host);
    expect(hex(challenge.card)).toBe(pki.results.challenge_card);

    expect(await code(client.sendSecure(plain(25)))).toMatch(/9c40/i); // 25: locked after setup
    const pkiKey = await client.sendSecure(plain(26)); // 26
    const authentikey = await client.exportAuthentikey(); // 27
    replay.assertComplete();
    expect(hex(authentikey)).toBe(pki.card.authentikey_public_key);
    expect(hex(pkiKey)).toBe(hex(authentikey));

    const evidence = { product: 'Satochip' as const, deviceCertificate: certificate, deviceIdentifier: identifier, authentikey, challenge, now: new Date('2026-11-23T00:00:00Z') };
    const asTest = verifyAttestation({ ...evidence, extraTrust: [bytes(pki.test_ca.root_certificate_der), bytes(pki.test_ca.subca_certificate_der)] });
    expect(asTest.verdict).toBe('test');
    expect(asTest.checks.filter((c) => c.result !== 'pass').map((c) => c.id)).toEqual(['chain']);
    expect(verifyAttestation(evidence).verdict).toBe('not-genuine');
  });
});
