import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadVector } from '../test-support/vectors.ts';
import { parseCertificate } from './x509.ts';
import { BUILTIN_ANCHORS } from './trust-anchors.ts';
import { type AttestationEvidence, signedBy, verifyAttestation } from './verify.ts';

const pki = loadVector('satochip-transcript-pki.json');
const anchors = loadVector('trust-anchors.json') as {
  certificates: { role: string; der: string; sha256_fingerprint: string; subject: string }[];
};
const bytes = (h: string) => Uint8Array.from(Buffer.from(h, 'hex'));

const TEST_TRUST = [bytes(pki.test_ca.root_certificate_der), bytes(pki.test_ca.subca_certificate_der)];
const evidence: AttestationEvidence = {
  product: 'Satochip',
  deviceCertificate: bytes(pki.results.device_certificate_der),
  deviceIdentifier: bytes(pki.results.device_identifier_bytes),
  authentikey: bytes(pki.card.authentikey_public_key),
  challenge: {
    host: bytes(pki.results.challenge_host),
    card: bytes(pki.results.challenge_card),
    signature: bytes(pki.results.challenge_signature_der),
  },
  now: new Date('2026-11-23T00:00:00Z'),
};
const result = (report: ReturnType<typeof verifyAttestation>, id: string) => report.checks.find((c) => c.id === id)?.result;

describe('built-in trust anchors', () => {
  it('are the published production certificates, pinned by fingerprint', () => {
    const production = anchors.certificates.filter((c) => !c.role.includes('TEST'));
    expect(BUILTIN_ANCHORS.map((a) => a.derHex)).toEqual(production.map((c) => c.der));
    expect(BUILTIN_ANCHORS.map((a) => a.sha256Fingerprint)).toEqual(production.map((c) => c.sha256_fingerprint));
    expect(BUILTIN_ANCHORS.some((a) => a.subject.includes('TEST'))).toBe(false);
  });

  it('parse, and every production sub-CA is signed by the production root; no TEST sub-CA is', () => {
    const certs = anchors.certificates.map((c) => ({ role: c.role, cert: parseCertificate(bytes(c.der)) }));
    const root = certs.find((c) => c.role === 'production root')!.cert;
    const testRoot = certs.find((c) => c.role.startsWith('TEST root'))!.cert;
    expect(root.curve).toBe('P-384');
    expect(root.isCa).toBe(true);
    expect(signedBy(root, root)).toBe(true);
    for (const { role, cert } of certs.filter((c) => c.role.includes('sub-CA'))) {
      expect(cert.curve).toBe('secp256k1');
      expect(cert.pathLength).toBe(0);
      expect(signedBy(cert, root)).toBe(!role.includes('TEST'));
      expect(signedBy(cert, testRoot)).toBe(role.includes('TEST'));
    }
  });
});

describe('verifyAttestation on the recorded test-personalised card', () => {
  it('reports a test-CA card as test, never genuine, with every other check passing', () => {
    const report = verifyAttestation({ ...evidence, extraTrust: TEST_TRUST });
    expect(report.verdict).toBe('test');
    expect(result(report, 'chain')).toBe('fail');
    expect(report.checks.find((c) => c.id === 'chain')?.detail).toMatch(/test CA/);
    for (const id of ['certificate', 'constraints', 'validity', 'product', 'subject-binding', 'key-binding', 'challenge']) {
      expect(result(report, id), id).toBe('pass');
    }
    expect(report.chain.map((l) => [l.role, l.source])).toEqual([
      ['device', 'card'],
      ['sub-CA', 'extra'],
      ['root', 'extra'],
    ]);
  });

  it('is not genuine without the test root (no chain at all)', () => {
    const report = verifyAttestation(evidence);
    expect(report.verdict).toBe('not-genuine');
    expect(report.checks.find((c) => c.id === 'chain')?.detail).toMatch(/no known sub-CA/);
  });

  it('fails the key binding for another card key', () => {
    const other = bytes(anchors.certificates.find((c) => c.role.includes('production sub-CA for Satochip'))!.der);
    const key = parseCertificate(other).publicKey;
    const report = verifyAttestation({ ...evidence, authentikey: key, extraTrust: TEST_TRUST });
    expect(result(report, 'key-binding')).toBe('fail');
    expect(report.verdict).toBe('not-genuine');
  });

  it('fails the subject binding for another card identifier', () => {
    const report = verifyAttestation({ ...evidence, deviceIdentifier: bytes('9f7f2a00'), extraTrust: TEST_TRUST });
    expect(result(report, 'subject-binding')).toBe('fail');
    expect(report.verdict).toBe('not-genuine');
  });

  it('fails the product check when a Satochip certificate is shown by a Seedkeeper', () => {
    const report = verifyAttestation({ ...evidence, product: 'SeedKeeper', extraTrust: TEST_TRUST });
    expect(result(report, 'product')).toBe('fail');
  });

  it('fails the challenge for a replayed answer to another host challenge', () => {
    const host = Uint8Array.from(evidence.challenge!.host);
    host[0]! ^= 1;
    const report = verifyAttestation({ ...evidence, challenge: { ...evidence.challenge!, host }, extraTrust: TEST_TRUST });
    expect(result(report, 'challenge')).toBe('fail');
  });

  it('reports an expired chain', () => {
    const report = verifyAttestation({ ...evidence, extraTrust: TEST_TRUST, now: new Date('2099-01-01T00:00:00Z') });
    expect(result(report, 'validity')).toBe('fail');
  });

  it('reports garbage as a failed certificate check and skips the rest', () => {
    const report = verifyAttestation({ ...evidence, deviceCertificate: bytes('3003020101') });
    expect(report.verdict).toBe('not-genuine');
    expect(result(report, 'certificate')).toBe('fail');
    expect(report.checks.filter((c) => c.result === 'skip')).toHaveLength(7);
  });

  it('never calls a forged certificate genuine or test, and never throws (property)', { timeout: 60_000 }, () => {
    const der = evidence.deviceCertificate;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: der.length - 1 }), fc.integer({ min: 1, max: 255 }), (index, flip) => {
        const forged = Uint8Array.from(der);
        forged[index]! ^= flip;
        const report = verifyAttestation({ ...evidence, deviceCertificate: forged, extraTrust: TEST_TRUST });
        expect(report.verdict).not.toBe('genuine');
        // A byte changed outside the signed part and the signature may still verify only if the
        // change is in the outer signature algorithm copy, which must then disagree and fail parsing.
        if (report.verdict === 'test') expect(Buffer.from(forged).equals(Buffer.from(der))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
