/**
 * Send-form checks as the person types (the renderer's own, for feedback only: main validates
 * everything again with the wallet layer before anything is shown for approval or signed).
 */
import { getAddress } from 'ethers/address';

/** null when fine, else what is wrong. */
export function checkEthAddress(text: string): string | null {
  const value = text.trim();
  if (!/^0x[0-9a-fA-F]{40}$/.test(value)) return 'An Ethereum address is 0x followed by 40 hex digits.';
  const mixed = /[a-f]/.test(value.slice(2)) && /[A-F]/.test(value.slice(2));
  if (mixed) {
    try {
      if (getAddress(value) !== value) return 'The checksum (upper/lower case) is wrong: check for a typo.';
    } catch {
      return 'The checksum (upper/lower case) is wrong: check for a typo.';
    }
  }
  return null;
}

export function checkEthAmount(text: string): string | null {
  const value = text.trim();
  if (value.startsWith('-')) return 'The amount cannot be negative.';
  if (!/^(?:\d+\.?\d*|\.\d+)$/.test(value)) return 'Type an amount like 0.05.';
  if ((value.split('.')[1] ?? '').length > 18) return 'At most 18 decimals.';
  if (/^0*\.?0*$/.test(value)) return 'Send more than 0.';
  return null;
}

export function checkBtcAmount(text: string): string | null {
  const value = text.trim();
  if (value.startsWith('-')) return 'The amount cannot be negative.';
  if (!/^(?:\d+\.?\d*|\.\d+)$/.test(value)) return 'Type an amount like 0.001.';
  if ((value.split('.')[1] ?? '').length > 8) return 'At most 8 decimals (1 satoshi).';
  if (/^0*\.?0*$/.test(value)) return 'Send more than 0.';
  return null;
}
