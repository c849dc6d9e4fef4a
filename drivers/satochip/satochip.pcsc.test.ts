/**
 * Tier 2 for Satochip: our client through the real pcscd, with the emulated Satochip plugged into
 * a vpcd reader. Setup, PIN handling (tries left, blocked), seed import, BTC and ETH signing checked
 * with @noble/secp256k1 against an independent @scure/bip32 derivation, and attestation against a
 * test CA (test, never genuine) and with a certificate for another key (not genuine).
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { HDKey } from '@scure/bip32';
import { mnemonicToSeedSync } from '@scure/bip39';
import { describe, expect, it } from 'vitest';
import { attestOnReader } from '../../main/core/attestation.ts';
import { useVpcdReaders } from '../../main/core/test-support/vpcd-readers.ts';
import { VPCD_READER_NAMES } from '../virtual/vpcd.ts';
import { SatochipClient } from './client.ts';
import { isSatochipError } from './errors.ts';
import { createTestCa, demoSatochip, issueDeviceCertificate, SatochipEmulator, seededRandom } from './emulator/index.ts';

const READER = VPCD_READER_NAMES[0];
const MNEMONIC = 'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about';
const PIN = '123456';
const PUK = '11223344';

describe('Satochip through pcscd + vpcd', () => {
  const vpcd = useVpcdReaders();

  const insert = (card: SatochipEmulator) => vpcd.insert(READER, card);
  const session = <T>(work: (client: SatochipClient) => Promise<T>) =>
    vpcd.readers.withSession(READER, (s) => work(new SatochipClient({ send: (command) => s.send(command) })));
  const codeOf = async (promise: Promise<unknown>) => {
    const error = await promise.then(() => null, (e: unknown) => e);
    return isSatochipError(error) ? { code: error.code, tries: (error.info as { triesLeft?: number }).triesLeft } : { code: String(error) };
  };
  const setUp = (client: SatochipClient) =>
    (async () => {
      await client.select('satochip');
      await client.getStatus();
      await client.initSecureChannel();
      await client.setup({ pin: PIN, puk: PUK });
    })();

  it('is identified as a Satochip by the reader service', async () => {
    await insert(demoSatochip('pcsc identify'));
    const card = vpcd.readers.snapshot().readers.find((r) => r.name === READER)!.card!;
    expect(card.product).toBe('Satochip');
    expect(card.details?.['setup done']).toBe('no');
  });

  it('sets up, reports tries left on a wrong PIN (no retry), signs BTC and ETH hashes that verify', async () => {
    await insert(demoSatochip('pcsc sign'));
    const root = HDKey.fromMasterSeed(mnemonicToSeedSync(MNEMONIC, ''));
    await session(async (client) => {
      await setUp(client);
      const wrong = await codeOf(client.verifyPin('000000'));
      expect(wrong).toEqual({ code: 'PIN_INVALID', tries: expect.any(Number) });
      await client.verifyPin(PIN);
      await client.importSeed(MNEMONIC);
      for (const path of ["m/84'/0'/0'/0/0", "m/44'/60'/0'/0/0"]) {
        const digest = sha256(new TextEncoder().encode(`tapdesk ${path}`));
        const key = await client.getExtendedKey(path);
        const expected = root.derive(path).publicKey!;
        const signature = await client.signHash({ path }, digest);
        const publicKey = secp256k1.getPublicKey(root.derive(path).privateKey!, true);
        expect(Buffer.from(publicKey).equals(Buffer.from(expected))).toBe(true);
        expect(key.publicKey.length === 33 || key.publicKey.length === 65).toBe(true);
        const compact = signature.compact;
        expect(secp256k1.verify(compact, digest, expected, { prehash: false })).toBe(true);
        expect(Buffer.from(signature.publicKey).equals(Buffer.from(expected))).toBe(true);
      }
    });
  });

  it('reports a blocked PIN as blocked', async () => {
    await insert(demoSatochip('pcsc block'));
    await session(async (client) => {
      await setUp(client);
      let last = await codeOf(client.verifyPin('000000'));
      for (let i = 0; i < 10 && last.code === 'PIN_INVALID'; i += 1) last = await codeOf(client.verifyPin('000000'));
      expect(last.code).toBe('PIN_BLOCKED');
      expect((await codeOf(client.verifyPin(PIN))).code).toBe('PIN_BLOCKED');
    });
  });

  it('attests a test-CA card as test (with the test root), not genuine without it', async () => {
    const ca = createTestCa('pcsc attestation CA');
    await insert(new SatochipEmulator({ rng: seededRandom('pcsc attest'), certificate: (key) => issueDeviceCertificate(ca, 'Satochip', key) }));
    await session(async (client) => setUp(client));
    const extraTrust = [ca.root.certificate, ca.subCas.Satochip.certificate];
    const asTest = await attestOnReader(vpcd.readers, { reader: READER, pin: PIN, extraTrust });
    expect(asTest.report.verdict).toBe('test');
    expect(asTest.report.checks.filter((c) => c.result !== 'pass').map((c) => c.id)).toEqual(['chain']);
    const plain = await attestOnReader(vpcd.readers, { reader: READER, pin: PIN });
    expect(plain.report.verdict).toBe('not-genuine');
  });

  it('reports a card whose certificate names another key as NOT genuine', async () => {
    const ca = createTestCa('pcsc forged CA');
    const otherKey = secp256k1.getPublicKey(sha256(new TextEncoder().encode('someone else')), false);
    await insert(new SatochipEmulator({ rng: seededRandom('pcsc forged'), certificate: () => issueDeviceCertificate(ca, 'Satochip', otherKey) }));
    await session(async (client) => setUp(client));
    const result = await attestOnReader(vpcd.readers, { reader: READER, pin: PIN, extraTrust: [ca.root.certificate, ca.subCas.Satochip.certificate] });
    expect(result.report.verdict).toBe('not-genuine');
    expect(result.report.checks.find((c) => c.id === 'key-binding')?.result).toBe('fail');
  });
});
