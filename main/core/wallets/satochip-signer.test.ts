import { secp256k1 } from '@noble/curves/secp256k1.js';
import { HDKey } from '@scure/bip32';
import { mnemonicToSeedSync } from '@scure/bip39';
import { describe, expect, it } from 'vitest';
import { TEST_MNEMONIC, emulatedSatochipSigner } from './test-support/emulated-signer.ts';

describe('satochipSigner', () => {
  const root = HDKey.fromMasterSeed(mnemonicToSeedSync(TEST_MNEMONIC));
  it('gives the BIP32 nodes, xpub and verified low-S digest signatures of the seed', async () => {
    const { signer } = await emulatedSatochipSigner();
    const path = "m/84'/0'/0'/0/3";
    const node = await signer.node(path);
    expect(Buffer.from(node.publicKey).toString('hex')).toBe(Buffer.from(root.derive(path).publicKey!).toString('hex'));
    expect(await signer.xpub("m/84'/0'/0'")).toBe(root.derive("m/84'/0'/0'").publicExtendedKey);
    const digest = new Uint8Array(32).fill(0x42);
    const signed = await signer.signDigest(path, digest);
    expect(secp256k1.verify(signed.signature, digest, node.publicKey, { prehash: false, lowS: true })).toBe(true);
    const recovered = secp256k1.Signature.fromBytes(signed.signature, 'compact').addRecoveryBit(signed.recoveryId).recoverPublicKey(digest).toBytes(true);
    expect(Buffer.from(recovered).toString('hex')).toBe(Buffer.from(node.publicKey).toString('hex'));
  });
});
