/**
 * The rules every transaction we sign obeys, however it came (built from a send form, imported as
 * hex or JSON): unsigned, a type we sign (EIP-1559, EIP-2930, EIP-155 legacy), the network's chain
 * id, a value when there is no calldata, a positive fee, a priority fee within the max fee, a gas
 * limit between the intrinsic minimum and uint64, calldata within the pool's size limit.
 */
import type { Transaction } from 'ethers';
import { EthError } from './errors.ts';
import { MAX_DATA_BYTES, MAX_UINT64 } from './fields.ts';
import { minimumGas } from './gas.ts';
import { type EthNetwork, checkChainId } from './networks.ts';

/** The transaction types we sign. */
export const SIGNABLE_TYPES: readonly number[] = [0, 1, 2];

const TYPE_NAMES: Record<number, string> = { 3: 'blob (EIP-4844)', 4: 'set-code (EIP-7702)' };

export function checkTransaction(tx: Transaction, network: EthNetwork): void {
  if (tx.signature) throw new EthError('ALREADY_SIGNED', 'the transaction is already signed', { hash: tx.hash ?? undefined });
  const type = tx.type ?? 2;
  if (!SIGNABLE_TYPES.includes(type)) {
    throw new EthError('UNSUPPORTED_TRANSACTION', `${TYPE_NAMES[type] ?? `type ${type}`} transactions are not signed here`, { txType: type });
  }
  if (type === 0 && tx.chainId === 0n) {
    throw new EthError('UNSUPPORTED_TRANSACTION', 'a legacy transaction without a chain id (pre EIP-155) can be replayed on any chain', { txType: 0 });
  }
  checkChainId(network, tx.chainId);

  if (type === 2) {
    const maxFee = tx.maxFeePerGas ?? 0n;
    const priority = tx.maxPriorityFeePerGas ?? 0n;
    if (maxFee === 0n) throw new EthError('ZERO_VALUE', 'the max fee per gas must be above zero', { field: 'maxFeePerGas' });
    if (priority > maxFee) {
      throw new EthError('INVALID_ARGUMENT', 'the priority fee per gas is above the max fee per gas', {
        field: 'maxPriorityFeePerGas',
        expected: `<= ${maxFee}`,
        actual: priority.toString(),
      });
    }
  } else if ((tx.gasPrice ?? 0n) === 0n) {
    throw new EthError('ZERO_VALUE', 'the gas price must be above zero', { field: 'gasPrice' });
  }

  const dataBytes = (tx.data.length - 2) / 2;
  if (dataBytes > MAX_DATA_BYTES) throw new EthError('INVALID_ARGUMENT', `data is at most ${MAX_DATA_BYTES} bytes`, { field: 'data', actual: dataBytes });
  if (tx.value === 0n && dataBytes === 0) {
    throw new EthError('ZERO_VALUE', 'a transfer without calldata must send a value above zero', { field: 'value' });
  }
  if (BigInt(tx.nonce) >= MAX_UINT64) throw new EthError('VALUE_OVERFLOW', 'the nonce is at most 2^64 - 2 (EIP-2681)', { field: 'nonce' });

  if (tx.gasLimit === 0n) throw new EthError('ZERO_VALUE', 'the gas limit must be above zero', { field: 'gasLimit' });
  if (tx.gasLimit > MAX_UINT64) throw new EthError('VALUE_OVERFLOW', 'the gas limit is above uint64', { field: 'gasLimit' });
  const minimum = minimumGas({ to: tx.to, data: tx.data, accessList: type === 0 ? null : tx.accessList });
  if (tx.gasLimit < minimum) {
    throw new EthError('INVALID_ARGUMENT', 'the gas limit is below the intrinsic gas of this transaction', {
      field: 'gasLimit',
      expected: `>= ${minimum}`,
      actual: tx.gasLimit.toString(),
    });
  }
}
