/**
 * BIP32 paths of BIP84 accounts: m / 84' / coin' / account' / chain / index, chain 0 for receive
 * addresses and 1 for change. Paths read from PSBTs (bip32Derivation) may use ' or h for hardened.
 */
import { BtcError } from './errors.ts';

export const HARDENED = 0x80000000;
export const BIP84_PURPOSE = 84;
export const BIP86_PURPOSE = 86;

export type AddressChain = 0 | 1;
export const RECEIVE: AddressChain = 0;
export const CHANGE: AddressChain = 1;

export function chainName(chain: AddressChain): 'receive' | 'change' {
  return chain === RECEIVE ? 'receive' : 'change';
}

/** "m/84'/1'/0'/1/5" -> child numbers, or null when it is not a BIP32 path (never throws). */
export function parsePath(path: string): number[] | null {
  const parts = path.trim().split('/');
  if (parts[0] !== 'm' && parts[0] !== 'M') return null;
  const indexes: number[] = [];
  for (const part of parts.slice(1)) {
    const match = /^(\d{1,10})(['hH]?)$/.exec(part);
    if (!match) return null;
    const value = Number(match[1]);
    if (value >= HARDENED) return null;
    indexes.push(match[2] ? value + HARDENED : value);
  }
  return indexes;
}

export function formatPath(indexes: readonly number[]): string {
  return ['m', ...indexes.map((i) => (i >= HARDENED ? `${i - HARDENED}'` : String(i)))].join('/');
}

/** A non-hardened child index 0..2^31-1 (an account number, an address index), or INVALID_ARGUMENT. */
export function requireIndex(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value >= HARDENED) {
    throw new BtcError('INVALID_ARGUMENT', `${field} must be an integer from 0 to 2^31-1`, { field, value: String(value) });
  }
  return value;
}

export function requireChain(value: unknown): AddressChain {
  if (value !== 0 && value !== 1) throw new BtcError('INVALID_ARGUMENT', 'chain must be 0 (receive) or 1 (change)', { field: 'chain', value: String(value) });
  return value;
}

export function accountPath(purpose: number, coinType: number, account: number): string {
  return formatPath([purpose + HARDENED, coinType + HARDENED, account + HARDENED]);
}
