import { describe, expect, it } from 'vitest';
import { MAX_UINT256, parseAddress, parseEtherAmount, parseHexData, parseQuantity } from './fields.ts';

const BOB = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
const fails = (fn: () => unknown, code: string) => expect(fn).toThrow(expect.objectContaining({ code }));

describe('field parsing', () => {
  it('addresses: checksum enforced on mixed case only', () => {
    expect(parseAddress(BOB)).toBe(BOB);
    expect(parseAddress(BOB.toLowerCase())).toBe(BOB);
    expect(parseAddress('0x' + BOB.slice(2).toUpperCase())).toBe(BOB);
    fails(() => parseAddress(BOB.replace('C8', 'c8')), 'BAD_CHECKSUM');
    for (const bad of [BOB.slice(2), BOB + '0', BOB.slice(0, -1), ' ' + BOB, '0X' + BOB.slice(2), 'XE7338O073KYGTWWZN0F2WZ0R8PX5ZPPZS', 42, null]) fails(() => parseAddress(bad), 'INVALID_ADDRESS');
  });

  it('quantities: decimal, hex, safe numbers, bigint; sign, range and zero checked', () => {
    const rule = { field: 'value', max: MAX_UINT256 };
    expect(parseQuantity('0x10', rule)).toBe(16n);
    expect(parseQuantity('10', rule)).toBe(10n);
    expect(parseQuantity(10, rule)).toBe(10n);
    expect(parseQuantity(MAX_UINT256, rule)).toBe(MAX_UINT256);
    fails(() => parseQuantity(MAX_UINT256 + 1n, rule), 'VALUE_OVERFLOW');
    fails(() => parseQuantity('0x1' + '0'.repeat(64), rule), 'VALUE_OVERFLOW');
    fails(() => parseQuantity('-1', rule), 'NEGATIVE_VALUE');
    fails(() => parseQuantity(-1, rule), 'NEGATIVE_VALUE');
    fails(() => parseQuantity(-(2 ** 60), rule), 'NEGATIVE_VALUE');
    fails(() => parseQuantity(0, { ...rule, positive: true }), 'ZERO_VALUE');
    for (const bad of ['', '0x', '1e18', '1.5', ' 1', '0x-1', 1.5, Number.NaN, Infinity, true, null, {}]) fails(() => parseQuantity(bad, rule), 'INVALID_AMOUNT');
  });

  it('ETH amounts typed by a person', () => {
    expect(parseEtherAmount('1')).toBe(10n ** 18n);
    expect(parseEtherAmount('0.5')).toBe(5n * 10n ** 17n);
    expect(parseEtherAmount('.25')).toBe(25n * 10n ** 16n);
    expect(parseEtherAmount('1.')).toBe(10n ** 18n);
    expect(parseEtherAmount('0.000000000000000001')).toBe(1n);
    expect(parseEtherAmount('0')).toBe(0n);
    fails(() => parseEtherAmount('0.0000000000000000001'), 'INVALID_AMOUNT');
    fails(() => parseEtherAmount('-1'), 'NEGATIVE_VALUE');
    fails(() => parseEtherAmount('1'.repeat(90)), 'VALUE_OVERFLOW');
    for (const bad of ['', '.', '1,5', '1e3', '0x1', ' 1', 'one', 1]) fails(() => parseEtherAmount(bad), 'INVALID_AMOUNT');
  });

  it('hex data', () => {
    expect(parseHexData('0x')).toBe('0x');
    expect(parseHexData('0xABcd')).toBe('0xabcd');
    for (const bad of ['', 'abcd', '0xabc', '0xzz', 5]) fails(() => parseHexData(bad), 'INVALID_ARGUMENT');
    fails(() => parseHexData('0x' + '00'.repeat(5), 'data', 4), 'INVALID_ARGUMENT');
  });
});
