/**
 * Parsing of untrusted field values into checked ones: addresses (EIP-55), integer quantities with a
 * range, ETH amounts typed by a person, and hex data. Each failure is an EthError naming the field.
 */
import { getAddress, parseUnits } from 'ethers';
import { EthError } from './errors.ts';

export const MAX_UINT256 = (1n << 256n) - 1n;
export const MAX_UINT64 = (1n << 64n) - 1n;
/** Calldata above this is refused (geth's transaction pool refuses transactions over 128 KiB). */
export const MAX_DATA_BYTES = 128 * 1024;

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

/**
 * A checksummed address. All-lowercase and all-uppercase hex carry no checksum and are accepted;
 * mixed case must match EIP-55 exactly (BAD_CHECKSUM otherwise).
 */
export function parseAddress(value: unknown, field = 'to'): string {
  if (typeof value !== 'string' || !ADDRESS.test(value)) {
    throw new EthError('INVALID_ADDRESS', 'an address is 0x followed by 40 hex digits', { field });
  }
  const body = value.slice(2);
  const checksummed = getAddress(value.toLowerCase());
  if (body !== body.toLowerCase() && body !== body.toUpperCase() && checksummed !== value) {
    throw new EthError('BAD_CHECKSUM', 'the address has a wrong EIP-55 checksum (mixed case that does not match)', {
      field,
      actual: value,
    });
  }
  return checksummed;
}

export type Quantity = bigint | number | string;

export interface QuantityRule {
  readonly field: string;
  readonly max: bigint;
  /** Zero is refused (ZERO_VALUE). */
  readonly positive?: boolean;
}

const DECIMAL = /^-?[0-9]+$/;
const HEX_QUANTITY = /^-?0x[0-9a-fA-F]+$/;
const MAX_QUANTITY_TEXT = 100;

/**
 * An integer quantity: a bigint, a safe-integer number, or a string in decimal or 0x-hex.
 * NEGATIVE_VALUE below zero, VALUE_OVERFLOW above `max`, ZERO_VALUE for zero when `positive`.
 */
export function parseQuantity(value: unknown, rule: QuantityRule): bigint {
  const { field } = rule;
  let n: bigint;
  if (typeof value === 'bigint') n = value;
  else if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new EthError('INVALID_AMOUNT', 'a quantity is an integer', { field, actual: String(value) });
    if (!Number.isSafeInteger(value)) {
      throw new EthError(value < 0 ? 'NEGATIVE_VALUE' : 'INVALID_AMOUNT', 'a quantity this large must be given as a string', {
        field,
        actual: String(value),
      });
    }
    n = BigInt(value);
  } else if (typeof value === 'string') {
    if (value.length > MAX_QUANTITY_TEXT) {
      throw new EthError(value.startsWith('-') ? 'NEGATIVE_VALUE' : 'VALUE_OVERFLOW', `a quantity is at most ${MAX_QUANTITY_TEXT} characters`, { field });
    }
    if (DECIMAL.test(value)) n = BigInt(value);
    else if (HEX_QUANTITY.test(value)) n = value.startsWith('-') ? -BigInt(value.slice(1)) : BigInt(value);
    else throw new EthError('INVALID_AMOUNT', 'a quantity is a decimal or 0x-hex integer', { field, actual: value.slice(0, 40) });
  } else {
    throw new EthError('INVALID_AMOUNT', 'a quantity is a number or a string', { field });
  }
  if (n < 0n) throw new EthError('NEGATIVE_VALUE', 'a quantity cannot be negative', { field, actual: n.toString() });
  if (n > rule.max) throw new EthError('VALUE_OVERFLOW', 'the quantity is above its range', { field, actual: n.toString(), expected: `<= ${rule.max}` });
  if (rule.positive && n === 0n) throw new EthError('ZERO_VALUE', 'the quantity must be above zero', { field });
  return n;
}

const ETH_AMOUNT = /^-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$/;

/** An amount typed by a person in ETH ("0.5", "1", ".25") -> wei, at most 18 decimals. Zero is allowed here. */
export function parseEtherAmount(text: unknown, field = 'value'): bigint {
  if (typeof text !== 'string' || text.length > MAX_QUANTITY_TEXT || !ETH_AMOUNT.test(text)) {
    throw new EthError('INVALID_AMOUNT', 'an ETH amount is a decimal number like 0.05', { field });
  }
  if (text.startsWith('-')) throw new EthError('NEGATIVE_VALUE', 'an amount cannot be negative', { field, actual: text });
  const decimals = text.split('.')[1] ?? '';
  if (decimals.length > 18) throw new EthError('INVALID_AMOUNT', 'an ETH amount has at most 18 decimals', { field, actual: text });
  const normalised = (text.startsWith('.') ? '0' + text : text).replace(/\.$/, '');
  const wei = parseUnits(normalised, 18);
  if (wei > MAX_UINT256) throw new EthError('VALUE_OVERFLOW', 'the amount is above uint256', { field, actual: text });
  return wei;
}

/** 0x-prefixed, even-length hex (empty "0x" allowed), at most `maxBytes`; returned lowercase. */
export function parseHexData(value: unknown, field = 'data', maxBytes = MAX_DATA_BYTES): string {
  if (typeof value !== 'string' || !/^0x(?:[0-9a-fA-F]{2})*$/.test(value)) {
    throw new EthError('INVALID_ARGUMENT', 'data is 0x followed by an even number of hex digits', { field });
  }
  if ((value.length - 2) / 2 > maxBytes) {
    throw new EthError('INVALID_ARGUMENT', `data is at most ${maxBytes} bytes`, { field, actual: (value.length - 2) / 2 });
  }
  return value.toLowerCase();
}
