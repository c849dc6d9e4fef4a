/**
 * Tier 2 for Keycard: our client through the real pcscd, with the emulated Keycard plugged into a
 * vpcd reader. INIT (the safe 58-byte form), PAIR, secure channel, PIN tries left and blocked,
 * signatures on m/44'/60'/0'/0/0 and m/84'/0'/0'/0/0 verified with @noble/secp256k1 against an
 * independent @scure/bip32 derivation, the EXPORT KEY rules, and IDENT attestation with a test CA
 * (test, never genuine) and with a CA nobody trusts (NOT genuine).
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { HDKey } from '@scure/bip32';
import { mnemonicToSeedSync } from '@scure/bip39';
import { describe, expect, it } from 'vitest';
import { attestOnReader } from '../../main/core/attestation.ts';
import { useVpcdReaders } from '../../main/core/test-support/vpcd-readers.ts';
import { VPCD_READER_NAMES } from '../virtual/vpcd.ts';
import { DEFAULT_PAIRING_PASSWORD, KeycardClient, pairingSecretFromPassword } from './client.ts';
import { isKeycardError } from './errors.ts';
import { KeycardEmulator, TEST_CA_PRIVATE_KEY, caPublicKey, makeIdentCertificate, seededRandom } from './emulator/index.ts';

const READER = VPCD_READER_NAMES[0];
const MNEMONIC = 'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about';
const PIN = '246810';
const PUK = '135791357913';
const SECRET = pairingSecretFromPassword(DEFAULT_PAIRING_PASSWORD);

function factoryCard(label: string, caPrivateKey: Uint8Array = TEST_CA_PRIVATE_KEY): KeycardEmulator {
  const identKey = sha256(new TextEncoder().encode(`${label}/ident`));
  return new KeycardEmulator({ random: seededRandom(label), ident: makeIdentCertificate(caPrivateKey, identKey) });
}

describe('Keycard through pcscd + vpcd', () => {
  const vpcd = useVpcdReaders();

  const insert = (card: KeycardEmulator) => vpcd.insert(READER, card);
  const session = <T>(work: (client: KeycardClient) => Promise<T>) =>
    vpcd.readers.withSession(READER, (s) => work(new KeycardClient({ send: (command) => s.send(command) })));
  const errorOf = async (promise: Promise<unknown>) => {
    const error = await promise.then(() => null, (e: unknown) => e);
    return isKeycardError(error) ? { code: error.code, tries: error.info.triesLeft } : { code: String(error) };
  };
  /** INIT a factory card, SELECT again, PAIR, open the channel. */
  const initAndOpen = async (client: KeycardClient) => {
    const before = await client.select();
    expect(before.initialized).toBe(false);
    await client.init({ pin: PIN, puk: PUK, pairingSecret: SECRET });
    const after = await client.select();
    expect(after.initialized).toBe(true);
    const pairing = await client.pair(SECRET);
    await client.openSecureChannel(pairing);
    return pairing;
  };

  it('is identified as a Keycard in factory state, then initialised with its instance UID', async () => {
    await insert(factoryCard('pcsc identify'));
    expect(vpcd.readers.snapshot().readers.find((r) => r.name === READER)!.card).toMatchObject({ family: 'keycard', product: 'Keycard', details: { initialized: 'no (factory state)' } });
    await session(async (client) => {
      await initAndOpen(client);
      expect((await client.getStatus()).pinTriesLeft).toBe(3);
    });
  });

  it('INIT, PAIR, channel, wrong PIN with tries left (never retried), seed, signatures on ETH and BTC paths that verify', async () => {
    await insert(factoryCard('pcsc sign'));
    const root = HDKey.fromMasterSeed(mnemonicToSeedSync(MNEMONIC));
    await session(async (client) => {
      await initAndOpen(client);
      expect(await errorOf(client.verifyPin('000000'))).toEqual({ code: 'PIN_INVALID', tries: 2 });
      await client.verifyPin(PIN);
      expect((await client.getStatus()).pinTriesLeft).toBe(3);
      await client.loadSeed(mnemonicToSeedSync(MNEMONIC));
      for (const path of ["m/44'/60'/0'/0/0", "m/84'/0'/0'/0/0"]) {
        const digest = sha256(new TextEncoder().encode(`tapdesk keycard ${path}`));
        const expected = root.derive(path).publicKey!;
        const signed = await client.sign({ path }, digest);
        expect(secp256k1.verify(signed.compact, digest, expected, { prehash: false, lowS: true })).toBe(true);
        expect(Buffer.from(secp256k1.Point.fromBytes(signed.publicKey).toBytes(true)).equals(Buffer.from(expected))).toBe(true);
        const recovered = secp256k1.Signature.fromBytes(signed.compact, 'compact').addRecoveryBit(signed.recoveryId).recoverPublicKey(digest).toBytes(true);
        expect(Buffer.from(recovered).equals(Buffer.from(expected))).toBe(true);
      }
      // The BIP84 account as zpub: the same node as an independent derivation.
      const zpub = await client.getXpub("m/84'/0'/0'", 0x04b24746);
      const account = HDKey.fromExtendedKey(zpub, { public: 0x04b24746, private: 0x04b2430c });
      expect(Buffer.from(account.publicKey!).equals(Buffer.from(root.derive("m/84'/0'/0'").publicKey!))).toBe(true);
      expect(Buffer.from(account.chainCode!).equals(Buffer.from(root.derive("m/84'/0'/0'").chainCode!))).toBe(true);
      expect(account.parentFingerprint).toBe(root.derive("m/84'/0'").fingerprint);
    });
  });

  it('EXPORT KEY rules: public keys anywhere, no xpub inside EIP-1581, private keys only deep inside EIP-1581', async () => {
    await insert(factoryCard('pcsc export'));
    const root = HDKey.fromMasterSeed(mnemonicToSeedSync(MNEMONIC));
    await session(async (client) => {
      await initAndOpen(client);
      await client.verifyPin(PIN);
      await client.loadSeed(mnemonicToSeedSync(MNEMONIC));
      const xpub = await client.exportExtendedPublicKey("m/44'/60'/0'/0");
      expect(Buffer.from(xpub.chainCode).equals(Buffer.from(root.derive("m/44'/60'/0'/0").chainCode!))).toBe(true);
      expect((await errorOf(client.exportExtendedPublicKey("m/43'/60'/1581'/0'/0"))).code).toBe('EXPORT_NOT_ALLOWED');
      expect((await errorOf(client.exportPrivateKey("m/44'/60'/0'/0/0"))).code).toBe('EXPORT_NOT_ALLOWED');
      const whisper = await client.exportPrivateKey("m/43'/60'/1581'/0'/0");
      expect(Buffer.from(whisper).equals(Buffer.from(root.derive("m/43'/60'/1581'/0'/0").privateKey!))).toBe(true);
    });
  });

  it('reports a blocked PIN as blocked', async () => {
    await insert(factoryCard('pcsc block'));
    await session(async (client) => {
      await initAndOpen(client);
      const seen = [];
      for (let i = 0; i < 3; i += 1) seen.push(await errorOf(client.verifyPin('000000')));
      expect(seen).toEqual([
        { code: 'PIN_INVALID', tries: 2 },
        { code: 'PIN_INVALID', tries: 1 },
        { code: 'PIN_BLOCKED', tries: 0 },
      ]);
      expect((await errorOf(client.verifyPin(PIN))).code).toBe('PIN_BLOCKED');
    });
  });

  it('IDENT: a test-CA card is test with the test key trusted, NOT genuine without it, and a foreign CA is NOT genuine', async () => {
    await insert(factoryCard('pcsc ident'));
    const testCa = caPublicKey(TEST_CA_PRIVATE_KEY);
    const asTest = await attestOnReader(vpcd.readers, { reader: READER, extraKeycardCaKeys: [testCa] });
    expect(asTest.product).toBe('Keycard');
    expect(asTest.report.verdict).toBe('test');
    const plain = await attestOnReader(vpcd.readers, { reader: READER });
    expect(plain.report.verdict).toBe('not-genuine');
    await vpcd.remove(READER);
    await insert(factoryCard('pcsc ident foreign', sha256(new TextEncoder().encode('someone else CA'))));
    const foreign = await attestOnReader(vpcd.readers, { reader: READER, extraKeycardCaKeys: [testCa] });
    expect(foreign.report.verdict).toBe('not-genuine');
    expect(foreign.report.checks.filter((c) => c.result === 'fail').length).toBeGreaterThan(0);
  });
});
