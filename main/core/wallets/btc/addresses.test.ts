import { describe, expect, it } from 'vitest';
import { addressNetworks, parseAddress } from './addresses.ts';
import { bytesToHex } from './bytes.ts';
import { isBtcError } from './errors.ts';
import { btcNetwork } from './networks.ts';
import { classifyScript, dustThreshold, opReturnData, scriptAddress } from './scripts.ts';
import { testAccount } from './test-fixtures.ts';

const mainnet = btcNetwork('mainnet');
const regtest = btcNetwork('regtest');
const litecoin = btcNetwork('litecoin-regtest');

const codeOf = (fn: () => unknown) => {
  try {
    fn();
    return 'no error';
  } catch (error) {
    return isBtcError(error) ? error.code : `not a BtcError: ${String(error)}`;
  }
};

describe('parseAddress', () => {
  it('reads every standard address type into its output script (BIP173/BIP350 vectors)', () => {
    expect(bytesToHex(parseAddress('BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4', mainnet).script)).toBe('0014751e76e8199196d454941c45d1b3a323f1433bd6');
    expect(parseAddress('bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4', mainnet).type).toBe('p2wpkh');
    expect(parseAddress('bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3', mainnet).type).toBe('p2wsh');
    expect(bytesToHex(parseAddress('bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0', mainnet).script)).toBe(
      '512079be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798',
    );
    expect(parseAddress('1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2', mainnet).type).toBe('p2pkh');
    expect(parseAddress('3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy', mainnet).type).toBe('p2sh');
    expect(parseAddress('  bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu\n', mainnet).address).toBe('bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu');
  });

  it('round-trips the account addresses on every network, Litecoin regtest included', () => {
    const account = testAccount('regtest');
    for (const network of [regtest, litecoin, btcNetwork('testnet')]) {
      const address = account.withNetwork(network).address(0, 5);
      expect(parseAddress(address, network).script).toEqual(account.script(0, 5));
      expect(scriptAddress(account.script(0, 5), network)).toBe(address);
    }
    expect(account.withNetwork(litecoin).address(0, 0).startsWith('rltc1')).toBe(true);
  });

  it('says WRONG_NETWORK for a good address of another network, and names it', () => {
    const error = (() => {
      try {
        parseAddress('bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu', regtest);
      } catch (e) {
        return e;
      }
    })();
    expect(isBtcError(error, 'WRONG_NETWORK')).toBe(true);
    expect((error as Error).message).toContain('mainnet');
    expect(codeOf(() => parseAddress('tb1q6rz28mcfaxtmd6v789l9rrlrusdprr9pqcpvkl', mainnet))).toBe('WRONG_NETWORK');
    expect(codeOf(() => parseAddress('tb1q6rz28mcfaxtmd6v789l9rrlrusdprr9pqcpvkl', regtest))).toBe('WRONG_NETWORK');
    expect(codeOf(() => parseAddress(testAccount('regtest').address(0, 0), litecoin))).toBe('WRONG_NETWORK');
    expect(codeOf(() => parseAddress('1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2', regtest))).toBe('WRONG_NETWORK');
    // Bitcoin testnet P2SH (0xc4) is not Litecoin regtest P2SH (0x3a); P2PKH (0x6f) is shared.
    expect(codeOf(() => parseAddress('2MzQwSSnBHWHqSAqtTVQ6v47XtaisrJa1Vc', litecoin))).toBe('WRONG_NETWORK');
    expect(parseAddress('mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn', litecoin).type).toBe('p2pkh');
    expect(addressNetworks('tb1q6rz28mcfaxtmd6v789l9rrlrusdprr9pqcpvkl')).toEqual(['testnet', 'signet']);
  });

  it('says INVALID_ADDRESS for checksums, lengths, unknown prefixes, bad taproot keys and future segwit versions', () => {
    for (const bad of [
      '',
      '   ',
      'bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyv', // checksum
      'bc1qCr8te4kr609gcawutmrza0j4xv80jy8z306fyu', // mixed case
      'bc1zw508d6qejxtdg4y5r3zarqfsj7c3', // v2 (BIP350 vector): could lose funds
      'bc1sw50qgdz25j', // v16
      'BC1SW50QA3JX3S', // v16 (BIP173)
      'bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y', // v1 40 bytes
      'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5', // checksum
      'bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq5zuyut', // bech32 instead of bech32m for v1
      'ltc1qg82tfn6x5u7e8l7s6yxa9q0qycxzw5e4q5r9c0', // another coin
      '1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3', // base58 checksum
      'x'.repeat(200),
    ]) {
      expect([bad, codeOf(() => parseAddress(bad, mainnet))]).toEqual([bad, 'INVALID_ADDRESS']);
    }
    expect(codeOf(() => parseAddress(42, mainnet))).toBe('INVALID_ADDRESS');
    // A taproot output key off the curve: nobody could ever spend it.
    const offCurve = scriptAddress(Uint8Array.of(0x51, 0x20, ...new Uint8Array(32).fill(0xff)), mainnet)!;
    expect(codeOf(() => parseAddress(offCurve, mainnet))).toBe('INVALID_ADDRESS');
  });
});

describe('scripts', () => {
  it('classifies scripts and gives Bitcoin Core dust thresholds', () => {
    const account = testAccount('mainnet');
    const p2wpkh = account.script(0, 0);
    expect(classifyScript(p2wpkh)).toBe('p2wpkh');
    expect(dustThreshold(p2wpkh)).toBe(294);
    expect(dustThreshold(parseAddress('bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3', mainnet).script)).toBe(330);
    expect(dustThreshold(parseAddress('bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0', mainnet).script)).toBe(330);
    expect(dustThreshold(parseAddress('1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2', mainnet).script)).toBe(546);
    expect(dustThreshold(parseAddress('3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy', mainnet).script)).toBe(540);
    const opReturn = Uint8Array.of(0x6a, 0x05, 0x68, 0x65, 0x6c, 0x6c, 0x6f);
    expect(classifyScript(opReturn)).toBe('op_return');
    expect(dustThreshold(opReturn)).toBe(0);
    expect(new TextDecoder().decode(opReturnData(opReturn))).toBe('hello');
    expect(scriptAddress(opReturn, mainnet)).toBeNull();
    expect(classifyScript(Uint8Array.of(0x52, 0x02, 0x00, 0x00))).toBe('witness_unknown');
    expect(classifyScript(Uint8Array.of(0x00, 0x03, 1, 2, 3))).toBe('unknown');
    expect(classifyScript(Uint8Array.of(0x51))).toBe('unknown');
    expect(classifyScript(new Uint8Array(0))).toBe('unknown');
  });
});
