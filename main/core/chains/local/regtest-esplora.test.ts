import { describe, expect, it } from 'vitest';
import { coinToSats, satsToCoinString } from './bitcoind-rpc.ts';
import { decodeNodeTx, REGTEST_FEE_TABLE } from './regtest-esplora.ts';

const spk = (type: string, hex: string, extra: object = {}) => ({ asm: '', hex, type, ...extra });

describe('regtest Esplora: reading the node’s decoded transactions', () => {
  it('maps a coinbase and the node’s script types to Esplora’s, amounts to satoshis', () => {
    const tx = decodeNodeTx({
      txid: 'ab'.repeat(32),
      version: 2,
      locktime: 0,
      size: 150,
      weight: 600,
      vin: [{ coinbase: '5100', sequence: 4294967295, txinwitness: ['00'.repeat(32)] }],
      vout: [
        { value: 50.0, n: 0, scriptPubKey: spk('witness_v0_keyhash', '0014' + '11'.repeat(20), { addresses: ['rltc1qa'] }) },
        { value: 0, n: 1, scriptPubKey: spk('nulldata', '6a24aa21a9ed' + '22'.repeat(32)) },
        { value: 0.00000546, n: 2, scriptPubKey: spk('witness_v1_taproot', '5120' + '33'.repeat(32), { address: 'rltc1pb' }) },
        { value: 1.1, n: 3, scriptPubKey: spk('witness_unknown', '5120' + '44'.repeat(32), { addresses: ['rltc1pc'] }) },
        { value: 0.1, n: 4, scriptPubKey: spk('multisig', '51', { addresses: ['m1', 'm2'] }) },
      ],
    });
    expect(tx.vin[0]).toMatchObject({ coinbase: true, txid: '0'.repeat(64), vout: 0xffffffff, scriptsig: '5100' });
    expect(tx.vout.map((o) => [o.type, o.address, o.value])).toEqual([
      ['v0_p2wpkh', 'rltc1qa', 5_000_000_000],
      ['op_return', undefined, 0],
      ['v1_p2tr', 'rltc1pb', 546],
      ['v1_p2tr', 'rltc1pc', 110_000_000],
      ['multisig', undefined, 10_000_000],
    ]);
  });

  it('refuses a decoded transaction of the wrong shape', () => {
    expect(() => decodeNodeTx({ txid: 'zz', vin: [], vout: [] })).toThrow();
    expect(() =>
      decodeNodeTx({ txid: 'ab'.repeat(32), version: 1, locktime: 0, size: 1, weight: 4, vin: [{ txid: 'ab'.repeat(32), vout: 0, sequence: 0 }], vout: [] }),
    ).toThrow(/scriptSig/);
  });

  it('converts amounts exactly both ways', () => {
    expect(satsToCoinString(150_000_000)).toBe('1.50000000');
    expect(satsToCoinString(1)).toBe('0.00000001');
    expect(satsToCoinString(2_099_999_997_690_000)).toBe('20999999.97690000');
    expect(coinToSats(20999999.9769)).toBe(2_099_999_997_690_000);
    expect(coinToSats(0.00000001)).toBe(1);
    expect(() => coinToSats(0.000000001)).toThrow();
    expect(() => satsToCoinString(-1)).toThrow();
  });

  it('keeps every fee rate at or above the 1 sat/vB relay minimum, faster targets never cheaper', () => {
    const entries = Object.entries(REGTEST_FEE_TABLE).map(([t, r]) => [Number(t), r] as const).sort((a, b) => a[0] - b[0]);
    for (const [, rate] of entries) expect(rate).toBeGreaterThanOrEqual(1);
    for (let i = 1; i < entries.length; i++) expect(entries[i]![1]).toBeLessThanOrEqual(entries[i - 1]![1]);
  });
});
