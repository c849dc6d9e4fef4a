/** The demo cards: fresh, deterministic, and attestable against the emulator TEST CA (never genuine). */
import { describe, expect, it } from 'vitest';
import { verifyAttestation } from '../attestation/verify.ts';
import { SATOCHIP_AID } from '../identify.ts';
import { ascii, concat, hex, u16 } from './bytes.ts';
import { demoCertificateAuthority, demoSatochip, demoSeedkeeper } from './index.ts';
import { TestHost, setupData } from './test-host.ts';

describe('demo cards', () => {
  it('are deterministic per label and distinct between labels', () => {
    expect(hex(demoSatochip().authentikeyPublic)).toBe(hex(demoSatochip().authentikeyPublic));
    expect(hex(demoSatochip('a').authentikeyPublic)).not.toBe(hex(demoSatochip('b').authentikeyPublic));
    expect(hex(demoSeedkeeper().authentikeyPublic)).not.toBe(hex(demoSatochip().authentikeyPublic));
  });

  it('a demo Satochip is fresh and carries a TEST certificate for its authentikey', () => {
    const card = demoSatochip();
    const host = new TestHost(card);
    host.select(SATOCHIP_AID);
    expect(hex(host.raw('b03c0000').data)).toBe('000c00060000000000000001');
    host.openChannel();
    host.send(0xb0, 0x2a, 0, 0, setupData('1234', '5678'));
    host.send(0xb0, 0x42, 0, 0, ascii('1234'));
    const size = host.send(0xb0, 0x93, 0, 1).data;
    const total = (size[0]! << 8) | size[1]!;
    const parts: Uint8Array[] = [];
    for (let offset = 0; offset < total; offset += 128) parts.push(host.send(0xb0, 0x93, 0, 2, concat(u16(offset), u16(Math.min(128, total - offset)))).data);
    const ca = demoCertificateAuthority();
    const report = verifyAttestation({
      product: 'Satochip',
      deviceCertificate: concat(...parts),
      deviceIdentifier: new Uint8Array(0),
      authentikey: card.authentikeyPublic,
      extraTrust: [ca.root.certificate, ca.subCas.Satochip.certificate],
      now: new Date('2026-06-01T00:00:00Z'),
    });
    expect(report.checks.find((c) => c.id === 'key-binding')?.result).toBe('pass');
    expect(report.checks.find((c) => c.id === 'subject-binding')?.result).toBe('pass');
    expect(report.verdict).not.toBe('genuine');
  });
});
