import { beforeAll, describe, expect, it } from 'vitest';
import { Bip84Account } from './account.ts';
import { isBtcError } from './errors.ts';
import { btcNetwork } from './networks.ts';
import { requireSchnorr, taprootAccount } from './taproot.ts';
import { TEST_FINGERPRINT, testAccount, testCard, testRoot, type TestCard } from './test-fixtures.ts';

/** BIP84's published test vectors for "abandon ... about" (bips/bip-0084.mediawiki). */
const BIP84 = {
  accountXpub: 'xpub6CatWdiZiodmUeTDp8LT5or8nmbKNcuyvz7WyksVFkKB4RHwCD3XyuvPEbvqAQY3rAPshWcMLoP2fMFMKHPJ4ZeZXYVUhLv1VMrjPC7PW6V',
  receive0: 'bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu',
  receive1: 'bc1qnjg0jd8228aq7egyzacy8cys3knf9xvrerkf9g',
  change0: 'bc1q8c6fshw2dlwun7ekn9qwf37cu2rn755upcp6el',
  receive0PublicKey: '0330d54fd0dd420a6e5f8d3624f5f3482cae350f79d5f0753bf5beef9c2d91af3c',
};

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return isBtcError(error) ? error.code : `not a BtcError: ${String(error)}`;
  }
  return 'no error';
};

describe('Bip84Account', () => {
  let card: TestCard;
  let mainnet: Bip84Account;
  beforeAll(async () => {
    card = await testCard();
    mainnet = await Bip84Account.fromCard(card.signer, { network: 'mainnet' });
  });

  it('reads the account xpub and master fingerprint from the card and derives the BIP84 vectors on the host', async () => {
    expect(mainnet.xpub).toBe(BIP84.accountXpub);
    expect(mainnet.path).toBe("m/84'/0'/0'");
    expect(mainnet.fingerprintHex).toBe(TEST_FINGERPRINT);
    expect(mainnet.address(0, 0)).toBe(BIP84.receive0);
    expect(mainnet.address(0, 1)).toBe(BIP84.receive1);
    expect(mainnet.address(1, 0)).toBe(BIP84.change0);
    expect(Buffer.from(mainnet.publicKey(0, 0)).toString('hex')).toBe(BIP84.receive0PublicKey);
    expect(mainnet.keyPath(1, 0)).toBe("m/84'/0'/0'/1/0");
    expect(mainnet.describe(0, 0)).toEqual({ chain: 0, index: 0, path: "m/84'/0'/0'/0/0", address: BIP84.receive0 });
  });

  it('costs the card one xpub (2 APDUs on a Satochip) and, without a known fingerprint, one master node', async () => {
    const before = card.apdus();
    const test = await Bip84Account.fromCard(card.signer, { network: 'testnet', masterFingerprint: mainnet.masterFingerprint });
    expect(card.apdus() - before).toBe(2);
    expect(test.path).toBe("m/84'/1'/0'");
    expect(test.xpub.startsWith('tpub')).toBe(true);
    // The well-known first testnet address of "abandon ... about".
    expect(test.address(0, 0)).toBe('tb1q6rz28mcfaxtmd6v789l9rrlrusdprr9pqcpvkl');
    const again = card.apdus();
    await Bip84Account.fromCard(card.signer, { network: 'regtest' });
    expect(card.apdus() - again).toBe(3);
  });

  it('gives every network its encoding: bcrt1 on regtest, rltc1 on the Litecoin regtest demo node', () => {
    const regtest = testAccount('regtest');
    expect(regtest.address(0, 0)).toMatch(/^bcrt1q/);
    const litecoin = regtest.withNetwork('litecoin-regtest');
    expect(litecoin.address(0, 0)).toMatch(/^rltc1q/);
    expect(litecoin.script(0, 0)).toEqual(regtest.script(0, 0));
    expect(regtest.withNetwork('signet').address(0, 0)).toBe('tb1q6rz28mcfaxtmd6v789l9rrlrusdprr9pqcpvkl');
    expect(code(() => regtest.withNetwork('mainnet'))).toBe('INVALID_ARGUMENT');
    expect(btcNetwork('litecoin-regtest').params).toMatchObject({ bech32: 'rltc', pubKeyHash: 0x6f, scriptHash: 0x3a, wif: 0xef });
    expect(code(() => btcNetwork('dogecoin'))).toBe('UNKNOWN_NETWORK');
  });

  it('verifies an address on the card: the card derives the key at the full path and we compare', async () => {
    const before = card.apdus();
    await expect(mainnet.verifyAddressOnCard(card.signer, 0, 0)).resolves.toEqual({
      chain: 0,
      index: 0,
      path: "m/84'/0'/0'/0/0",
      address: BIP84.receive0,
      verified: true,
    });
    await expect(mainnet.verifyAddressOnCard(card.signer, 0, 1)).resolves.toMatchObject({ address: BIP84.change0, verified: true });
    expect(card.apdus() - before).toBe(2);
  });

  it('says ADDRESS_MISMATCH when another card is on the reader', async () => {
    const other = await testCard('legal winner thank year wave sausage worth useful legal winner thank yellow');
    const error = await mainnet.verifyAddressOnCard(other.signer, 3, 0).catch((e: unknown) => e);
    expect(isBtcError(error, 'ADDRESS_MISMATCH')).toBe(true);
    expect((error as Error).message).toContain(`address="${mainnet.address(0, 3)}"`);
  });

  it('refuses bad xpubs, indexes and fingerprints with typed errors', () => {
    const fp = TEST_FINGERPRINT;
    expect(code(() => Bip84Account.fromXpub('xpub-nonsense', { network: 'mainnet', masterFingerprint: fp }))).toBe('INVALID_XPUB');
    // A mainnet xpub on testnet: wrong version bytes.
    expect(code(() => Bip84Account.fromXpub(BIP84.accountXpub, { network: 'testnet', masterFingerprint: fp }))).toBe('INVALID_XPUB');
    // The right encoding but not the account node (depth 4).
    expect(code(() => Bip84Account.fromXpub(testRoot.derive("m/84'/0'/0'/0").publicExtendedKey, { network: 'mainnet', masterFingerprint: fp }))).toBe('INVALID_XPUB');
    // Account 1's node given as account 0.
    expect(code(() => Bip84Account.fromXpub(testRoot.derive("m/84'/0'/1'").publicExtendedKey, { network: 'mainnet', masterFingerprint: fp }))).toBe('INVALID_XPUB');
    // A private key is never accepted.
    expect(code(() => Bip84Account.fromXpub(testRoot.derive("m/84'/0'/0'").privateExtendedKey, { network: 'mainnet', masterFingerprint: fp }))).toBe('INVALID_XPUB');
    expect(code(() => Bip84Account.fromXpub(BIP84.accountXpub, { network: 'mainnet', masterFingerprint: 'xyz' }))).toBe('INVALID_ARGUMENT');
    expect(code(() => mainnet.address(0, -1))).toBe('INVALID_ARGUMENT');
    expect(code(() => mainnet.address(0, 2 ** 31))).toBe('INVALID_ARGUMENT');
    expect(code(() => mainnet.address(2 as 0, 0))).toBe('INVALID_ARGUMENT');
  });

  it('refuses bad account numbers before touching the card', async () => {
    const before = card.apdus();
    const error = await Bip84Account.fromCard(card.signer, { network: 'mainnet', account: -1 }).catch((e: unknown) => e);
    expect(isBtcError(error, 'INVALID_ARGUMENT')).toBe(true);
    const unknown = await Bip84Account.fromCard(card.signer, { network: 'bitcoin' as 'mainnet' }).catch((e: unknown) => e);
    expect(isBtcError(unknown, 'UNKNOWN_NETWORK')).toBe(true);
    expect(card.apdus()).toBe(before);
  });

  it('locates its own scripts and paths, and nothing else', () => {
    expect(mainnet.locateScript(mainnet.script(1, 42))).toEqual({ chain: 1, index: 42 });
    const far = testAccount('mainnet').script(0, 150);
    const fresh = testAccount('mainnet');
    expect(fresh.locateScript(far)).toBeNull();
    expect(fresh.locateScript(far, { receive: 200 })).toEqual({ chain: 0, index: 150 });
    // Once derived (e.g. shown as a receive address), a key is known whatever the depth.
    expect(fresh.locateScript(far, { receive: 1 })).toEqual({ chain: 0, index: 150 });
    expect(mainnet.locatePath("m/84'/0'/0'/1/7")).toEqual({ chain: 1, index: 7 });
    expect(mainnet.locatePath("m/84h/0h/0h/0/3")).toEqual({ chain: 0, index: 3 });
    expect(mainnet.locatePath("m/84'/1'/0'/0/3")).toBeNull();
    expect(mainnet.locatePath("m/84'/0'/1'/0/3")).toBeNull();
    expect(mainnet.locatePath("m/84'/0'/0'/2/3")).toBeNull();
    expect(mainnet.locatePath("m/84'/0'/0'/0/3'")).toBeNull();
    expect(mainnet.locatePath('nonsense')).toBeNull();
  });

  it('says plainly that a Satochip cannot do taproot (no Schnorr)', () => {
    expect(card.signer.schnorr).toBe(false);
    expect(code(() => requireSchnorr(card.signer))).toBe('SCHNORR_UNSUPPORTED');
    expect(code(() => taprootAccount(card.signer))).toBe('SCHNORR_UNSUPPORTED');
    expect(code(() => taprootAccount({ family: card.signer.family, schnorr: true }))).toBe('UNSUPPORTED_SCRIPT_TYPE');
  });
});
