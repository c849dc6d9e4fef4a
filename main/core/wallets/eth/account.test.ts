import { HDKey } from '@scure/bip32';
import { mnemonicToSeedSync } from '@scure/bip39';
import { computeAddress, hexlify } from 'ethers';
import { describe, expect, it } from 'vitest';
import { TEST_MNEMONIC, emulatedSatochipSigner } from '../test-support/emulated-signer.ts';
import { addressOfKey, checkAccount, ethAccount, ethPath } from './account.ts';
import { isEthError } from './errors.ts';
import { ANVIL_CHAIN_ID, MAINNET, SEPOLIA, builtInNetwork, checkChainId, customNetwork } from './networks.ts';

describe('ETH accounts', () => {
  it('gives the known address of m/44\'/60\'/0\'/0/0 for "abandon ... about"', async () => {
    const { signer } = await emulatedSatochipSigner();
    const account = await ethAccount(signer, 0);
    expect(account).toEqual({
      index: 0,
      path: "m/44'/60'/0'/0/0",
      address: '0x9858EfFD232B4033E47d90003D41EC34EcaEda94',
      publicKey: account.publicKey,
    });
    expect(account.publicKey).toMatch(/^0x0[23][0-9a-f]{64}$/);
    expect(() => checkAccount(account)).not.toThrow();
  });

  it('derives account N like any BIP32 wallet', async () => {
    const { signer } = await emulatedSatochipSigner();
    const root = HDKey.fromMasterSeed(mnemonicToSeedSync(TEST_MNEMONIC));
    for (const index of [1, 7]) {
      const account = await ethAccount(signer, index);
      expect(account.path).toBe(`m/44'/60'/0'/0/${index}`);
      expect(account.address).toBe(computeAddress(hexlify(root.derive(account.path).publicKey!)));
    }
  });

  it('refuses bad indexes, bad card keys and an inconsistent account', () => {
    for (const index of [-1, 1.5, 2 ** 31, Number.NaN]) expect(() => ethPath(index)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => addressOfKey(new Uint8Array(65).fill(4))).toThrow(expect.objectContaining({ code: 'BAD_CARD_KEY' }));
    expect(() => addressOfKey(Uint8Array.from([2, ...new Uint8Array(32)]))).toThrow(expect.objectContaining({ code: 'BAD_CARD_KEY' }));
    const account = { index: 0, path: "m/44'/60'/0'/0/0", address: '0x9858EfFD232B4033E47d90003D41EC34EcaEda94', publicKey: '0x02' + '11'.repeat(32) };
    let error: unknown;
    try {
      checkAccount({ ...account, path: "m/44'/60'/0'/0/1" });
    } catch (e) {
      error = e;
    }
    expect(isEthError(error, 'INVALID_ARGUMENT')).toBe(true);
  });
});

describe('ETH networks', () => {
  it('has mainnet and Sepolia, and custom chains with a name', () => {
    expect(MAINNET).toMatchObject({ chainId: 1, testnet: false });
    expect(SEPOLIA).toMatchObject({ chainId: 11155111, testnet: true });
    expect(builtInNetwork(11155111)).toBe(SEPOLIA);
    expect(customNetwork(ANVIL_CHAIN_ID, ' Anvil (local) ')).toEqual({ kind: 'custom', chainId: 31337, name: 'Anvil (local)', testnet: true });
  });

  it('refuses impossible custom networks and mismatched chain ids', () => {
    for (const [id, name] of [[0, 'x'], [-5, 'x'], [2 ** 53, 'x'], [1, 'fake mainnet'], [11155111, 'x'], [5, ''], [5, 'a\nb']] as const) {
      expect(() => customNetwork(id, name)).toThrow(expect.objectContaining({ code: 'INVALID_NETWORK' }));
    }
    expect(() => checkChainId(MAINNET, 5n)).toThrow(expect.objectContaining({ code: 'CHAIN_ID_MISMATCH' }));
    expect(() => checkChainId(MAINNET, 1)).not.toThrow();
  });
});
