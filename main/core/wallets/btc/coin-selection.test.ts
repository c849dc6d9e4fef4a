import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { P2WPKH_DUST, selectCoins, type SelectionRequest } from './coin-selection.ts';
import { isBtcError } from './errors.ts';
import { feeForVbytes, p2wpkhTxWeight, weightToVbytes } from './fees.ts';
import { coin, testAccount } from './test-fixtures.ts';

const account = testAccount('regtest');
const network = account.network;
const to = account.address(0, 99);
const request = (values: number[], amount: number, feeRate = 1): SelectionRequest => ({
  network,
  recipients: [{ address: to, amount }],
  feeRate,
  utxos: values.map((value, i) => coin(account, value, 0, i, `sel ${i} ${value}`)),
});
const vb = (inputs: number, outputs: number) => weightToVbytes(p2wpkhTxWeight(inputs, Array(outputs).fill(22)));

describe('selectCoins', () => {
  it('spends the largest coins first and returns change', () => {
    const s = selectCoins(request([1_000, 50_000, 20_000, 30_000], 60_000, 2));
    expect(s.inputs.map((u) => u.value)).toEqual([50_000, 30_000]);
    expect(s.fee).toBe(feeForVbytes(vb(2, 2), 2));
    expect(s.change).toBe(80_000 - 60_000 - s.fee);
    expect(s.vbytes).toBe(vb(2, 2));
  });

  it('prefers one coin that pays exactly enough, with no change (branch-and-bound-lite)', () => {
    const exact = 10_000 + feeForVbytes(vb(1, 1), 1) + 100;
    const s = selectCoins(request([90_000, exact, 50_000], 10_000));
    expect(s.inputs.map((u) => u.value)).toEqual([exact]);
    expect(s.change).toBe(0);
    expect(s.fee).toBe(exact - 10_000);
  });

  it('never makes a change output below the P2WPKH dust threshold: the remainder goes to the fee', () => {
    const base = 10_000 + feeForVbytes(vb(2, 2), 1);
    for (const extra of [0, 1, P2WPKH_DUST - 1]) {
      const s = selectCoins(request([base - 5_000 + extra, 5_000], 10_000));
      expect(s.change).toBe(0);
      expect(s.fee).toBe(base + extra - 10_000);
    }
    const s = selectCoins(request([base - 5_000 + P2WPKH_DUST, 5_000], 10_000));
    expect(s.change).toBe(P2WPKH_DUST);
  });

  it('is deterministic: the same coins in any order give the same selection', () => {
    const values = [7_000, 3_000, 7_000, 12_000, 500, 9_999];
    const a = selectCoins(request(values, 20_000, 3));
    const shuffled = { ...request(values, 20_000, 3) };
    const b = selectCoins({ ...shuffled, utxos: [...shuffled.utxos].reverse() });
    expect(b).toEqual(a);
  });

  it('says INSUFFICIENT_FUNDS with what is needed and what there is', () => {
    try {
      selectCoins(request([5_000, 4_000], 9_000));
      expect.unreachable();
    } catch (error) {
      expect(isBtcError(error, 'INSUFFICIENT_FUNDS')).toBe(true);
      expect((error as { info: { available: number; needed: number } }).info).toMatchObject({ available: 9_000, needed: 9_000 + feeForVbytes(vb(2, 1), 1) });
    }
  });

  it('property: inputs pay outputs + fee exactly, the fee rate is at least the one asked, change is 0 or above dust', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 300, max: 5_000_000 }), { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 294, max: 10_000_000 }),
        fc.integer({ min: 1, max: 200 }),
        (values, amount, rate) => {
          let s;
          try {
            s = selectCoins(request(values, amount, rate));
          } catch (error) {
            expect(isBtcError(error, 'INSUFFICIENT_FUNDS')).toBe(true);
            return;
          }
          const inputs = s.inputs.reduce((n, u) => n + u.value, 0);
          expect(inputs).toBe(amount + s.change + s.fee);
          expect(s.change === 0 || s.change >= P2WPKH_DUST).toBe(true);
          expect(s.fee).toBeGreaterThanOrEqual(feeForVbytes(s.vbytes, rate));
          expect(s.vbytes).toBe(vb(s.inputs.length, s.change ? 2 : 1));
        },
      ),
      { numRuns: 300 },
    );
  });
});
