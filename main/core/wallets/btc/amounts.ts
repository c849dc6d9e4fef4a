/**
 * Amounts in satoshis. Every amount this layer handles is a safe integer number of satoshis between 1
 * and 21,000,000 BTC (2.1e15 sat < 2^53), so it is exact as a JS number and crosses JSON as is;
 * bitcoinjs-lib gets a bigint at its boundary.
 */
import { BtcError } from './errors.ts';

export const SATS_PER_BTC = 100_000_000;
/** 21,000,000 BTC: no amount, and no sum of amounts, can be above it. */
export const MAX_MONEY = 21_000_000 * SATS_PER_BTC;

/**
 * A positive integer amount of satoshis, or INVALID_AMOUNT (zero, negative, fractional, not a number)
 * / AMOUNT_OVERFLOW (above 21e6 BTC). Takes a number, a bigint, or a string of decimal digits.
 */
export function requireSats(value: unknown, field = 'amount'): number {
  let sats: bigint;
  if (typeof value === 'bigint') {
    sats = value;
  } else if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new BtcError('INVALID_AMOUNT', 'the amount is not a number', { field, reason: 'not finite' });
    if (!Number.isInteger(value)) throw new BtcError('INVALID_AMOUNT', 'the amount is not a whole number of satoshis', { field, reason: 'not an integer' });
    sats = BigInt(value);
  } else if (typeof value === 'string' && /^-?\d{1,30}$/.test(value.trim())) {
    sats = BigInt(value.trim());
  } else {
    throw new BtcError('INVALID_AMOUNT', 'the amount is not a whole number of satoshis', { field, reason: 'not an integer' });
  }
  if (sats === 0n) throw new BtcError('INVALID_AMOUNT', 'the amount is zero', { field, reason: 'zero' });
  if (sats < 0n) throw new BtcError('INVALID_AMOUNT', 'the amount is negative', { field, reason: 'negative' });
  if (sats > BigInt(MAX_MONEY)) throw new BtcError('AMOUNT_OVERFLOW', 'the amount is above 21,000,000 BTC', { field, max: MAX_MONEY });
  return Number(sats);
}

/** A sum of amounts, checked against 21e6 BTC (AMOUNT_OVERFLOW). */
export function sumSats(values: readonly number[], field = 'total'): number {
  let total = 0n;
  for (const value of values) total += BigInt(value);
  if (total > BigInt(MAX_MONEY)) throw new BtcError('AMOUNT_OVERFLOW', 'the total is above 21,000,000 BTC', { field, max: MAX_MONEY });
  return Number(total);
}

/** "0.0001" BTC -> 10000 sat: at most 8 decimals; then the checks of `requireSats`. */
export function btcToSats(text: string, field = 'amount'): number {
  const match = typeof text === 'string' ? /^\s*(-?)(\d{0,9})(?:\.(\d{0,30}))?\s*$/.exec(text) : null;
  if (!match || (match[2] === '' && !match[3])) {
    throw new BtcError('INVALID_AMOUNT', 'the amount is not a number of BTC', { field, reason: 'not a decimal number' });
  }
  const [, sign, whole = '', fraction = ''] = match;
  if (fraction.replace(/0+$/, '').length > 8) {
    throw new BtcError('INVALID_AMOUNT', 'the amount has more than 8 decimals (smaller than 1 satoshi)', { field, reason: 'not an integer' });
  }
  const sats = BigInt(whole || '0') * BigInt(SATS_PER_BTC) + BigInt((fraction + '00000000').slice(0, 8));
  return requireSats(sign === '-' ? -sats : sats, field);
}

/** 10000 -> "0.00010000": satoshis with all 8 decimals (balances, history). */
export function formatBtcFixed(sats: number): string {
  const negative = sats < 0;
  const abs = BigInt(Math.abs(sats));
  return `${negative ? '-' : ''}${abs / BigInt(SATS_PER_BTC)}.${(abs % BigInt(SATS_PER_BTC)).toString().padStart(8, '0')}`;
}

/** 10000 -> "0.0001": a BTC figure for people, no trailing zeros beyond the point. */
export function formatBtc(sats: number): string {
  return formatBtcFixed(sats).replace(/\.?0+$/, '');
}
