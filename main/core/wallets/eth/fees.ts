/**
 * The EIP-1559 fee suggestion: tip as the backend suggests, max fee = 2 x base fee + tip (stays
 * valid through six full blocks of base-fee rises; only base fee + tip is actually paid).
 */
import type { EthFeeData } from './chain.ts';
import { EthError } from './errors.ts';
import { MAX_UINT256 } from './fields.ts';

export interface EthFeeSuggestion {
  readonly baseFeePerGas: bigint;
  readonly maxPriorityFeePerGas: bigint;
  readonly maxFeePerGas: bigint;
}

export function suggestFees(data: EthFeeData): EthFeeSuggestion {
  const { baseFeePerGas, maxPriorityFeePerGas } = data;
  for (const [field, value] of [['baseFeePerGas', baseFeePerGas], ['maxPriorityFeePerGas', maxPriorityFeePerGas]] as const) {
    if (typeof value !== 'bigint' || value < 0n || value > MAX_UINT256 / 4n) {
      throw new EthError('BAD_CHAIN_DATA', 'the backend gave an impossible fee', { field, actual: String(value) });
    }
  }
  const maxFeePerGas = 2n * baseFeePerGas + maxPriorityFeePerGas;
  if (maxFeePerGas === 0n) throw new EthError('BAD_CHAIN_DATA', 'the backend suggests a zero fee', { field: 'baseFeePerGas' });
  return { baseFeePerGas, maxPriorityFeePerGas, maxFeePerGas };
}
