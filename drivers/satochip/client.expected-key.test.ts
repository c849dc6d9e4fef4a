/**
 * signHashForVerifier: signing for a caller that knows the key (the PSBT signer). The card's
 * derived key is compared with the expected one instead of being proved again with curve work,
 * another key is refused before anything is signed, and the signature comes back low-S and
 * unverified (the caller verifies it): here we verify it ourselves with noble.
 */
import { HDKey } from '@scure/bip32';
import { mnemonicToSeedSync } from '@scure/bip39';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { emulatedSatochipSigner } from '../../main/core/wallets/test-support/emulated-signer.ts';
import type { SatochipClient } from './client.ts';
import { isSatochipError } from './errors.ts';

const MNEMONIC = 'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about';
const root = HDKey.fromMasterSeed(mnemonicToSeedSync(MNEMONIC));
const keyAt = (path: string) => root.derive(path).publicKey!;

describe('Satochip client: signing for a verifier that knows the key', () => {
  let client: SatochipClient;
  let sent: string[];

  beforeAll(async () => {
    ({ client, sent } = await emulatedSatochipSigner(MNEMONIC));
  });

  it('signs with the expected key: one derivation per new key, low S, valid under that key', async () => {
    for (let i = 0; i < 6; i += 1) {
      const path = `m/84'/1'/0'/0/${i}`;
      const digest = new Uint8Array(32).fill(i + 1);
      sent.length = 0;
      const signed = await client.signHashForVerifier(path, digest, keyAt(path));
      expect(sent).toEqual(['SC GET EXTENDED KEY', 'SC SIGN HASH']);
      expect(secp256k1.verify(signed.compact, digest, keyAt(path), { prehash: false, lowS: true })).toBe(true);
      expect(secp256k1.Signature.fromBytes(signed.der, 'der').toBytes('compact')).toEqual(signed.compact);
      // The same key again: no second derivation.
      sent.length = 0;
      await client.signHashForVerifier(path, digest, keyAt(path));
      expect(sent).toEqual(['SC SIGN HASH']);
    }
  });

  it('takes the expected key uncompressed too: same APDUs, the same key remembered in either encoding', async () => {
    const path = "m/84'/1'/0'/1/3";
    const uncompressed = secp256k1.Point.fromBytes(keyAt(path)).toBytes(false);
    const digest = new Uint8Array(32).fill(0x33);
    sent.length = 0;
    const signed = await client.signHashForVerifier(path, digest, uncompressed);
    expect(sent).toEqual(['SC GET EXTENDED KEY', 'SC SIGN HASH']);
    expect(secp256k1.verify(signed.compact, digest, uncompressed, { prehash: false, lowS: true })).toBe(true);
    sent.length = 0;
    await client.signHashForVerifier(path, digest, keyAt(path));
    await client.signHashForVerifier(path, digest, uncompressed);
    expect(sent).toEqual(['SC SIGN HASH', 'SC SIGN HASH']);
    // The key the client now holds as current carries both encodings of the same point.
    const key = await client.getExtendedKey(path, { expectedPublicKey: uncompressed });
    expect(key.publicKey).toEqual(keyAt(path));
    expect(key.publicKeyUncompressed).toEqual(uncompressed);
    const other = secp256k1.Point.fromBytes(keyAt("m/84'/1'/0'/1/4")).toBytes(false);
    expect(isSatochipError(await client.signHashForVerifier(path, digest, other).catch((e: unknown) => e), 'KEY_MISMATCH')).toBe(true);
  });

  it('refuses another key (KEY_MISMATCH) before anything is signed', async () => {
    const path = "m/84'/1'/0'/0/7";
    sent.length = 0;
    const error = await client.signHashForVerifier(path, new Uint8Array(32).fill(9), keyAt("m/84'/1'/0'/0/8")).catch((e: unknown) => e);
    expect(isSatochipError(error, 'KEY_MISMATCH')).toBe(true);
    expect(sent).toEqual(['SC GET EXTENDED KEY']);
    // The current key is the real one for the path now, but a different expectation still derives and compares again.
    sent.length = 0;
    const again = await client.signHashForVerifier(path, new Uint8Array(32).fill(9), keyAt("m/84'/1'/0'/0/8")).catch((e: unknown) => e);
    expect(isSatochipError(again, 'KEY_MISMATCH')).toBe(true);
    expect(sent).toEqual(['SC GET EXTENDED KEY']);
  });

  it('refuses an expected key that is not a point before sending anything', async () => {
    const notKeys = [
      Uint8Array.of(0x05, ...new Uint8Array(32).fill(1)),
      Uint8Array.of(0x04, ...new Uint8Array(64).fill(1)),
      keyAt("m/84'/1'/0'/0/0").subarray(1),
    ];
    for (const key of notKeys) {
      sent.length = 0;
      const error = await client.signHashForVerifier("m/84'/1'/0'/0/0", new Uint8Array(32), key).catch((e: unknown) => e);
      expect(isSatochipError(error, 'INVALID_ARGUMENT')).toBe(true);
      expect(sent).toEqual([]);
    }
  });
});
