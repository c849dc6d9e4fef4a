import { describe, expect, it } from 'vitest';
import { checkBtcAmount, checkEthAddress, checkEthAmount } from './send-form.ts';

describe('send form checks', () => {
  it('addresses: shape and EIP-55 checksum', () => {
    expect(checkEthAddress('0x9858EfFD232B4033E47d90003D41EC34EcaEda94')).toBeNull();
    expect(checkEthAddress('0x9858effd232b4033e47d90003d41ec34ecaeda94')).toBeNull(); // all lower: no checksum to check
    expect(checkEthAddress('0x9858EfFD232B4033E47d90003D41EC34EcaEdA94')).toMatch(/checksum/);
    expect(checkEthAddress('9858EfFD232B4033E47d90003D41EC34EcaEda94')).toMatch(/0x/);
    expect(checkEthAddress('0x1234')).toMatch(/40 hex/);
  });
  it('amounts: positive decimals, at most 18 places', () => {
    expect(checkEthAmount('0.05')).toBeNull();
    expect(checkEthAmount('1')).toBeNull();
    expect(checkEthAmount('0')).toMatch(/more than 0/);
    expect(checkEthAmount('-1')).toMatch(/negative/);
    expect(checkEthAmount('1e5')).toMatch(/like/);
    expect(checkEthAmount('0.' + '1'.repeat(19))).toMatch(/18/);
  });
});

describe('bitcoin amounts', () => {
  it('positive, at most 8 decimals', () => {
    expect(checkBtcAmount('0.001')).toBeNull();
    expect(checkBtcAmount('0.123456789')).toMatch(/8 decimals/);
    expect(checkBtcAmount('0')).toMatch(/more than 0/);
  });
});
