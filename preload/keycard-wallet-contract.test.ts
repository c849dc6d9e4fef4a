/** The 'keycard.newWallet' request validator: strict readers, 6-digit PINs, optional 12-digit PUKs, 12 or 24 words, booleans, no extra keys. */
import { describe, expect, it } from 'vitest';
import { isBridgeError, validateRequest } from './contract.ts';

const good = { first: 'Virtual PCD 00 00', backup: 'Virtual PCD 00 01', words: 12, firstPin: '123456', backupPin: '654321', replaceExisting: false, showWords: true };

const refused = (payload: unknown) => {
  try {
    validateRequest('keycard.newWallet', payload);
  } catch (error) {
    expect(isBridgeError(error, 'INVALID_REQUEST')).toBe(true);
    return (error as Error).message;
  }
  throw new Error('accepted');
};

describe("'keycard.newWallet' validator", () => {
  it('accepts a good request (also 24 words, the same reader for both cards) and returns a copy', () => {
    const request = validateRequest('keycard.newWallet', good);
    expect(request).toEqual(good);
    expect(request).not.toBe(good);
    expect(validateRequest('keycard.newWallet', { ...good, words: 24, backup: good.first, replaceExisting: true, showWords: false })).toMatchObject({ words: 24, backup: good.first });
    // PUKs for cards in factory state: either or both, or none (no such keys in the copy then).
    expect(validateRequest('keycard.newWallet', { ...good, firstPuk: '123456789012', backupPuk: '000000000000' })).toEqual({ ...good, firstPuk: '123456789012', backupPuk: '000000000000' });
    expect(validateRequest('keycard.newWallet', { ...good, backupPuk: '000000000000' })).toEqual({ ...good, backupPuk: '000000000000' });
    expect(Object.keys(validateRequest('keycard.newWallet', good))).not.toContain('firstPuk');
  });

  it.each([
    ['empty first reader', { ...good, first: '' }, /reader/],
    ['a non-string backup reader', { ...good, backup: 7 }, /reader/],
    ['a reader with control characters', { ...good, first: 'A\nB' }, /control/],
    ['an over-long reader', { ...good, first: 'x'.repeat(257) }, /reader/],
    ['15 words', { ...good, words: 15 }, /12 or 24/],
    ['words as text', { ...good, words: '12' }, /12 or 24/],
    ['a 5-digit PIN', { ...good, firstPin: '12345' }, /firstPin.*6 digits/],
    ['a 7-digit PIN', { ...good, backupPin: '1234567' }, /backupPin.*6 digits/],
    ['a PIN with letters', { ...good, firstPin: '12345a' }, /6 digits/],
    ['a numeric PIN', { ...good, firstPin: 123456 }, /6 digits/],
    ['a missing PIN', { ...good, backupPin: undefined }, /6 digits/],
    ['an 11-digit PUK', { ...good, firstPuk: '12345678901' }, /firstPuk.*12 digits/],
    ['a PUK with letters', { ...good, backupPuk: '12345678901x' }, /backupPuk.*12 digits/],
    ['a numeric PUK', { ...good, backupPuk: 123456789012 }, /12 digits/],
    ['a null PUK', { ...good, firstPuk: null }, /12 digits/],
    ['replaceExisting as text', { ...good, replaceExisting: 'false' }, /boolean/],
    ['missing showWords', { ...good, showWords: undefined }, /boolean/],
    ['an extra key (the words)', { ...good, mnemonic: 'abandon' }, /unexpected field "mnemonic"/],
    ['an array', [good], /plain object/],
  ])('refuses %s', (_name, payload, why) => {
    expect(refused(payload)).toMatch(why);
  });

  it('never echoes a PIN or PUK in its messages', () => {
    expect(refused({ ...good, firstPin: '98765x' })).not.toContain('98765x');
    expect(refused({ ...good, firstPuk: '98765432109x' })).not.toContain('98765432109x');
  });
});
