import { describe, expect, it } from 'vitest';
import { MAX_MONEY, btcToSats, formatBtc, requireSats, sumSats } from './amounts.ts';
import { isBtcError } from './errors.ts';
import { feeForVbytes, p2wpkhTxWeight, requireFeeRate, weightToVbytes } from './fees.ts';

const codeOf = (fn: () => unknown) => {
  try {
    fn();
    return 'no error';
  } catch (error) {
    return isBtcError(error) ? `${error.code}:${String(error.info.reason ?? '')}` : `not a BtcError: ${String(error)}`;
  }
};

describe('amounts', () => {
  it('takes positive whole satoshis up to 21e6 BTC as numbers, bigints or digits', () => {
    expect(requireSats(1)).toBe(1);
    expect(requireSats(10_000n)).toBe(10_000);
    expect(requireSats(' 2100 ')).toBe(2100);
    expect(requireSats(MAX_MONEY)).toBe(MAX_MONEY);
  });

  it('refuses zero, negative, fractional, non-numeric and overflowing amounts with typed errors', () => {
    expect(codeOf(() => requireSats(0))).toBe('INVALID_AMOUNT:zero');
    expect(codeOf(() => requireSats(0n))).toBe('INVALID_AMOUNT:zero');
    expect(codeOf(() => requireSats(-1))).toBe('INVALID_AMOUNT:negative');
    expect(codeOf(() => requireSats('-5'))).toBe('INVALID_AMOUNT:negative');
    expect(codeOf(() => requireSats(1.5))).toBe('INVALID_AMOUNT:not an integer');
    expect(codeOf(() => requireSats('1.5'))).toBe('INVALID_AMOUNT:not an integer');
    expect(codeOf(() => requireSats(Number.NaN))).toBe('INVALID_AMOUNT:not finite');
    expect(codeOf(() => requireSats(Number.POSITIVE_INFINITY))).toBe('INVALID_AMOUNT:not finite');
    expect(codeOf(() => requireSats('1e3'))).toBe('INVALID_AMOUNT:not an integer');
    expect(codeOf(() => requireSats(null))).toBe('INVALID_AMOUNT:not an integer');
    expect(codeOf(() => requireSats(MAX_MONEY + 1))).toBe('AMOUNT_OVERFLOW:');
    expect(codeOf(() => requireSats(2n ** 64n))).toBe('AMOUNT_OVERFLOW:');
    expect(codeOf(() => requireSats(Number.MAX_SAFE_INTEGER + 2))).toBe('AMOUNT_OVERFLOW:');
    expect(codeOf(() => sumSats([MAX_MONEY, 1]))).toBe('AMOUNT_OVERFLOW:');
  });

  it('converts BTC text to satoshis and back', () => {
    expect(btcToSats('0.0001')).toBe(10_000);
    expect(btcToSats('1')).toBe(100_000_000);
    expect(btcToSats('.5')).toBe(50_000_000);
    expect(btcToSats('21000000')).toBe(MAX_MONEY);
    expect(btcToSats('0.000000010')).toBe(1);
    expect(codeOf(() => btcToSats('0.000000001'))).toBe('INVALID_AMOUNT:not an integer');
    expect(codeOf(() => btcToSats('21000000.00000001'))).toBe('AMOUNT_OVERFLOW:');
    expect(codeOf(() => btcToSats('0'))).toBe('INVALID_AMOUNT:zero');
    expect(codeOf(() => btcToSats('-0.1'))).toBe('INVALID_AMOUNT:negative');
    expect(codeOf(() => btcToSats('abc'))).toBe('INVALID_AMOUNT:not a decimal number');
    expect(codeOf(() => btcToSats('.'))).toBe('INVALID_AMOUNT:not a decimal number');
    expect(formatBtc(10_000)).toBe('0.0001');
    expect(formatBtc(MAX_MONEY)).toBe('21000000');
    expect(formatBtc(123_456_789)).toBe('1.23456789');
  });
});

describe('fees', () => {
  it('sizes P2WPKH transactions (68 vB per input, 31 vB per P2WPKH output, 10.5 vB overhead)', () => {
    expect(weightToVbytes(p2wpkhTxWeight(1, [22]))).toBe(110);
    expect(weightToVbytes(p2wpkhTxWeight(1, [22, 22]))).toBe(141);
    expect(weightToVbytes(p2wpkhTxWeight(2, [22, 22]))).toBe(209);
    // 253 inputs need a 3-byte count.
    expect(p2wpkhTxWeight(253, [22]) - p2wpkhTxWeight(252, [22])).toBe(272 + 8);
  });

  it('rounds fees up, never below the asked rate', () => {
    expect(feeForVbytes(141, 1)).toBe(141);
    expect(feeForVbytes(141, 1.5)).toBe(212);
    expect(feeForVbytes(100, 1.1)).toBe(110);
    expect(feeForVbytes(100, 2.3)).toBe(230);
  });

  it('refuses fee rates that are not numbers, too low, or absurd', () => {
    expect(requireFeeRate(2.5)).toBe(2.5);
    expect(codeOf(() => requireFeeRate(0))).toBe('INVALID_FEE_RATE:');
    expect(codeOf(() => requireFeeRate(-3))).toBe('INVALID_FEE_RATE:');
    expect(codeOf(() => requireFeeRate(Number.NaN))).toBe('INVALID_FEE_RATE:');
    expect(codeOf(() => requireFeeRate('5'))).toBe('INVALID_FEE_RATE:');
    expect(codeOf(() => requireFeeRate(1001))).toBe('FEE_RATE_ABSURD:');
    expect(requireFeeRate(1000)).toBe(1000);
  });
});
