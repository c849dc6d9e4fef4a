/**
 * Ready-made emulated cards for the app's demo mode and for tests: factory-fresh (SETUP not done,
 * Satochip PIN `Muscle00`), personalised with the emulator TEST CA (test-pki.ts) so the attestation
 * flow has a certificate to check, and deterministic for a given label (keys, IVs, challenges).
 */
import { seededRandom } from './random.ts';
import { SatochipEmulator } from './satochip.ts';
import { SeedkeeperEmulator } from './seedkeeper.ts';
import { createTestCa, issueDeviceCertificate, type TestCertificateAuthority } from './test-pki.ts';

let defaultCa: TestCertificateAuthority | null = null;

/** The TEST CA the demo cards are personalised with (add root + sub-CAs as extra trust to attest them). */
export function demoCertificateAuthority(): TestCertificateAuthority {
  defaultCa ??= createTestCa();
  return defaultCa;
}

export function demoSatochip(label = 'Tapdesk demo Satochip', ca: TestCertificateAuthority = demoCertificateAuthority()): SatochipEmulator {
  return new SatochipEmulator({ rng: seededRandom(label), certificate: (authentikey) => issueDeviceCertificate(ca, 'Satochip', authentikey) });
}

export function demoSeedkeeper(label = 'Tapdesk demo Seedkeeper', ca: TestCertificateAuthority = demoCertificateAuthority()): SeedkeeperEmulator {
  return new SeedkeeperEmulator({ rng: seededRandom(label), certificate: (authentikey) => issueDeviceCertificate(ca, 'SeedKeeper', authentikey) });
}
