/**
 * What a transaction's calldata asks a contract to do, as far as we decode it ourselves: ERC-20
 * transfer(address,uint256) and approve(address,uint256), exactly (68 bytes, a clean address word);
 * anything else is an unknown call shown as raw hex (or a contract deployment when there is no `to`).
 */
import { getAddress } from 'ethers';
import { MAX_UINT256 } from './fields.ts';

export const ERC20_TRANSFER = '0xa9059cbb';
export const ERC20_APPROVE = '0x095ea7b3';

export type EthCall =
  | { readonly kind: 'none' }
  | { readonly kind: 'erc20-transfer'; readonly token: string; readonly recipient: string; readonly amount: string }
  | { readonly kind: 'erc20-approve'; readonly token: string; readonly spender: string; readonly amount: string; readonly unlimited: boolean }
  | { readonly kind: 'deploy'; readonly bytes: number; readonly data: string }
  | { readonly kind: 'unknown'; readonly selector: string | null; readonly bytes: number; readonly data: string };

export function decodeCall(to: string | null, data: string): EthCall {
  const hex = data.toLowerCase();
  const bytes = (hex.length - 2) / 2;
  if (to === null) return { kind: 'deploy', bytes, data: hex };
  if (bytes === 0) return { kind: 'none' };
  const selector = bytes >= 4 ? hex.slice(0, 10) : null;
  const token = getAddress(to);
  if ((selector === ERC20_TRANSFER || selector === ERC20_APPROVE) && bytes === 68) {
    const addressWord = hex.slice(10, 74);
    if (/^0{24}/.test(addressWord)) {
      const address = getAddress('0x' + addressWord.slice(24));
      const amount = BigInt('0x' + hex.slice(74, 138));
      if (selector === ERC20_TRANSFER) return { kind: 'erc20-transfer', token, recipient: address, amount: amount.toString() };
      return { kind: 'erc20-approve', token, spender: address, amount: amount.toString(), unlimited: amount === MAX_UINT256 };
    }
  }
  return { kind: 'unknown', selector, bytes, data: hex };
}
