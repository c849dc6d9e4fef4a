/**
 * The DER/X.509 writer against the recorded TEST chain (satochip-transcript-pki.json `test_ca`,
 * `results.device_certificate_der`): given the same fields and keys it must produce the same
 * to-be-signed bytes (the recorded signatures used random nonces, so only they differ), read back
 * with the app's own X.509 reader. Then the emulator's TEST CA end to end: personalise a card by
 * APDUs (98, 94, 92, 99), set it up, export the certificate (93), answer a challenge (9A), and
 * check it with the app's attestation verifier: a test card, never genuine.
 */
import { p384 } from '@noble/curves/nist.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { describe, expect, it } from 'vitest';
import { parseCertificate } from '../attestation/x509.ts';
import { signedBy, verifyAttestation } from '../attestation/verify.ts';
import { SATOCHIP_AID, SEEDKEEPER_AID } from '../identify.ts';
import { ascii, concat, fromHex, hex, u16 } from './bytes.ts';
import { sha256 } from './crypto.ts';
import { integer, length, oid, time } from './der.ts';
import { seededRandom } from './random.ts';
import { loadVector } from './replay.ts';
import { SatochipEmulator } from './satochip.ts';
import { SeedkeeperEmulator } from './seedkeeper.ts';
import { TestHost, setupData } from './test-host.ts';
import { createTestCa, issueDeviceCertificate } from './test-pki.ts';
import { signCertificate, tbsCertificate, type NameAttribute } from './x509.ts';

const pki = loadVector('satochip-transcript-pki.json');
const NB = new Date('2024-01-01T12:00:00Z');
const NA = new Date('2044-01-01T12:00:00Z');
const ROOT: NameAttribute[] = [
  { type: 'C', value: 'BE' },
  { type: 'O', value: 'Tapdesk TEST' },
  { type: 'CN', value: 'TEST Personalization Root CA (vectors only)' },
];
const SUB: NameAttribute[] = [
  { type: 'C', value: 'BE' },
  { type: 'O', value: 'Tapdesk TEST' },
  { type: 'OU', value: 'Satochip' },
  { type: 'CN', value: 'TEST Satochip Personalization SubCA (vectors only)' },
];
const rootKey = fromHex(pki.test_ca.root_private_key_p384);
const subKey = fromHex(pki.test_ca.subca_private_key_secp256k1);

describe('DER primitives', () => {
  it('encodes lengths, integers, OIDs and times as X.690 requires', () => {
    expect(hex(length(0x7f))).toBe('7f');
    expect(hex(length(0x80))).toBe('8180');
    expect(hex(length(0x1cf))).toBe('8201cf');
    expect(hex(integer(0))).toBe('020100');
    expect(hex(integer(2))).toBe('020102');
    expect(hex(integer(fromHex('0000ff')))).toBe('020200ff');
    expect(hex(oid('1.2.840.10045.4.3.2'))).toBe('06082a8648ce3d040302');
    expect(hex(oid('1.3.132.0.10'))).toBe('06052b8104000a');
    expect(hex(time(NB))).toBe('170d3234303130313132303030305a');
    expect(hex(time(new Date('2050-01-01T00:00:00Z')))).toBe('180f32303530303130313030303030305a');
  });
});

describe('X.509 writer reproduces the recorded TEST chain', () => {
  it('root: same TBS bytes, and a signature the reader verifies', () => {
    const recorded = parseCertificate(fromHex(pki.test_ca.root_certificate_der));
    const fields = {
      ...{ serial: Uint8Array.of(1), signatureHash: 'SHA-512' as const, issuer: ROOT, subject: ROOT, notBefore: NB, notAfter: NA },
      ...{ curve: 'P-384' as const, publicKey: p384.getPublicKey(rootKey, false), ca: { pathLength: 1 } },
    };
    expect(hex(tbsCertificate(fields))).toBe(hex(recorded.tbs));
    const mine = parseCertificate(signCertificate(fields, { curve: 'P-384', privateKey: rootKey }));
    expect(signedBy(mine, recorded)).toBe(true);
  });

  it('sub-CA and device certificate: same TBS bytes', () => {
    const sub = parseCertificate(fromHex(pki.test_ca.subca_certificate_der));
    const subFields = {
      ...{ serial: Uint8Array.of(3), signatureHash: 'SHA-512' as const, issuer: ROOT, subject: SUB, notBefore: NB, notAfter: NA },
      ...{ curve: 'secp256k1' as const, publicKey: secp256k1.getPublicKey(subKey, false), ca: { pathLength: 0 } },
    };
    expect(hex(tbsCertificate(subFields))).toBe(hex(sub.tbs));
    const device = parseCertificate(fromHex(pki.results.device_certificate_der));
    const deviceFields = {
      serial: fromHex('91a62d075c233ee7'),
      signatureHash: 'SHA-256' as const,
      issuer: SUB,
      subject: [ROOT[0]!, ROOT[1]!, { type: 'CN' as const, value: 'da39a3ee5e6b4b0d3255bfef95601890afd80709' }],
      notBefore: NB,
      notAfter: NA,
      curve: 'secp256k1' as const,
      publicKey: fromHex(pki.card.authentikey_public_key),
      ca: null,
    };
    expect(hex(tbsCertificate(deviceFields))).toBe(hex(device.tbs));
    expect(signedBy(parseCertificate(signCertificate(deviceFields, { curve: 'secp256k1', privateKey: subKey })), sub)).toBe(true);
  });
});

describe('emulator TEST CA', () => {
  const ca = createTestCa();

  it('is deterministic and well-formed: root P-384 self-signed, sub-CAs per product, pathlen 0', () => {
    expect(hex(createTestCa().root.certificate.slice(0, 300))).toBe(hex(ca.root.certificate.slice(0, 300)));
    const root = parseCertificate(ca.root.certificate);
    expect(root.curve).toBe('P-384');
    expect(signedBy(root, root)).toBe(true);
    for (const product of ['Satochip', 'SeedKeeper'] as const) {
      const sub = parseCertificate(ca.subCas[product].certificate);
      expect(sub.pathLength).toBe(0);
      expect(sub.subject.attributes.find((a) => a.type === 'OU')?.value).toBe(product);
      expect(signedBy(sub, root)).toBe(true);
    }
  });

  it('personalise a Satochip by APDUs, then attest it: a test card, every other check passing', () => {
    const card = new SatochipEmulator({ rng: seededRandom('pki by apdu') });
    const host = new TestHost(card);
    host.select(SATOCHIP_AID);
    host.openChannel();
    expect(host.send(0xb0, 0x98, 0, 0).sw).toBe(0x9c06);
    expect(host.send(0xb0, 0x42, 0, 0, ascii('Muscle00')).sw).toBe(0x9000);
    const authentikey = host.send(0xb0, 0x98, 0, 0).data;
    const csrHash = sha256(ascii('CertificationRequestInfo'));
    const csrSig = host.send(0xb0, 0x94, 0, 0, csrHash).data;
    expect(secp256k1.verify(csrSig, csrHash, authentikey, { prehash: false, lowS: false, format: 'der' })).toBe(true);
    const der = issueDeviceCertificate(ca, 'Satochip', authentikey);
    expect(host.send(0xb0, 0x92, 0, 1, u16(der.length)).sw).toBe(0x9000);
    for (let offset = 0; offset < der.length; offset += 128) {
      const chunk = der.slice(offset, offset + 128);
      expect(host.send(0xb0, 0x92, 0, 2, concat(u16(offset), u16(chunk.length), chunk)).sw).toBe(0x9000);
    }
    expect(host.send(0xb0, 0x92, 0, 2, concat(u16(der.length - 1), u16(2), fromHex('0000'))).sw).toBe(0x6700);
    expect(host.send(0xb0, 0x99, 0, 0).sw).toBe(0x9000);
    // Locked and not set up: only SETUP is accepted now.
    expect(host.send(0xb0, 0x92, 0, 1, u16(10)).sw).toBe(0x9c04);
    expect(host.send(0xb0, 0x93, 0, 1).sw).toBe(0x9c04);
    expect(host.send(0xb0, 0x2a, 0, 0, setupData('123456', '11223344')).sw).toBe(0x9000);
    host.send(0xb0, 0x42, 0, 0, ascii('123456'));
    expect(host.send(0xb0, 0x92, 0, 1, u16(10)).sw).toBe(0x9c40);
    const size = host.send(0xb0, 0x93, 0, 1).data;
    const total = (size[0]! << 8) | size[1]!;
    const parts: Uint8Array[] = [];
    for (let offset = 0; offset < total; offset += 128) parts.push(host.send(0xb0, 0x93, 0, 2, concat(u16(offset), u16(Math.min(128, total - offset)))).data);
    const exported = concat(...parts);
    expect(hex(exported)).toBe(hex(der));
    const hostChallenge = sha256(ascii('fresh'));
    const answer = host.send(0xb0, 0x9a, 0, 0, hostChallenge).data;
    const report = verifyAttestation({
      product: 'Satochip',
      deviceCertificate: exported,
      deviceIdentifier: new Uint8Array(0),
      authentikey,
      challenge: { host: hostChallenge, card: answer.slice(0, 32), signature: answer.slice(34) },
      extraTrust: [ca.root.certificate, ca.subCas.Satochip.certificate],
      now: new Date('2026-01-01T00:00:00Z'),
    });
    expect(report.verdict).toBe('test');
    expect(report.checks.filter((c) => c.result !== 'pass').map((c) => c.id)).toEqual(['chain']);
  });

  it('a Seedkeeper personalised at construction answers 93 and 9A (Seedkeeper product sub-CA)', () => {
    const card = new SeedkeeperEmulator({ rng: seededRandom('sk pki'), certificate: (ak) => issueDeviceCertificate(ca, 'SeedKeeper', ak) });
    const host = new TestHost(card);
    host.select(SEEDKEEPER_AID);
    host.openChannel();
    expect(host.send(0xb0, 0x94, 0, 0, new Uint8Array(32)).sw).toBe(0x9c04);
    host.send(0xb0, 0x2a, 0, 0, setupData('123456', '11223344'));
    host.send(0xb0, 0x42, 0, 0, ascii('123456'));
    const size = host.send(0xb0, 0x93, 0, 1).data;
    const total = (size[0]! << 8) | size[1]!;
    const parts: Uint8Array[] = [];
    for (let offset = 0; offset < total; offset += 128) parts.push(host.send(0xb0, 0x93, 0, 2, concat(u16(offset), u16(Math.min(128, total - offset)))).data);
    const hostChallenge = new Uint8Array(32).fill(9);
    const answer = host.send(0xb0, 0x9a, 0, 0, hostChallenge).data;
    const report = verifyAttestation({
      product: 'SeedKeeper',
      deviceCertificate: concat(...parts),
      deviceIdentifier: new Uint8Array(0),
      authentikey: card.authentikeyPublic,
      challenge: { host: hostChallenge, card: answer.slice(0, 32), signature: answer.slice(34) },
      extraTrust: [ca.root.certificate, ca.subCas.SeedKeeper.certificate],
      now: new Date('2026-01-01T00:00:00Z'),
    });
    expect(report.verdict).toBe('test');
  });
});
