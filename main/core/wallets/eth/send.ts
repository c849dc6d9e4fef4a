/**
 * Sending ETH (or a contract call) through a chain backend: read the account (balance, next nonce),
 * fill a send request from the chain (nonce, EIP-1559 fees, gas), check that the backend is on the
 * network and that the balance covers value + max fee, and broadcast a signed transaction only after
 * reading back that it is signed by the card account, on this network. The form is checked before any
 * backend call; signing (transaction.ts) happens between prepare and broadcast, after approval.
 */
import { Transaction, formatEther } from 'ethers';
import { type EthAccount, checkAccount } from './account.ts';
import type { EthChain, EthReceipt } from './chain.ts';
import { EthError, wrapEthers } from './errors.ts';
import { suggestFees } from './fees.ts';
import { MAX_UINT256, MAX_UINT64, type Quantity, parseAddress, parseHexData, parseQuantity } from './fields.ts';
import { TRANSFER_GAS, minimumGas } from './gas.ts';
import { type EthNetwork, checkChainId } from './networks.ts';
import { checkSigner } from './signature.ts';
import { buildTransaction } from './transaction.ts';

export interface EthAccountState {
  readonly address: string;
  readonly chainId: number;
  readonly balance: { readonly wei: string; readonly eth: string };
  readonly nonce: number;
}

/** Balance and next nonce of `account`, from a backend checked to be on `network`. */
export async function readAccount(chain: EthChain, network: EthNetwork, account: EthAccount): Promise<EthAccountState> {
  checkAccount(account);
  await checkBackendChain(chain, network);
  const [balance, nonce] = await Promise.all([chain.getBalance(account.address), chain.getTransactionCount(account.address)]);
  checkNonNegative(balance, 'balance');
  checkNonce(nonce);
  return { address: account.address, chainId: network.chainId, balance: { wei: balance.toString(), eth: formatEther(balance) }, nonce };
}

/** A send form, quantities in wei. Nonce, gas limit and fees are taken from the chain when not given. */
export interface EthSendRequest {
  readonly to: string;
  readonly value: Quantity;
  readonly data?: string;
  readonly nonce?: Quantity;
  readonly gasLimit?: Quantity;
  readonly maxFeePerGas?: Quantity;
  readonly maxPriorityFeePerGas?: Quantity;
}

export interface PreparedEthTx {
  readonly tx: Transaction;
  /** The unsigned serialization: what the approval shows (decode.ts) and what is signed. */
  readonly unsigned: string;
  readonly balance: bigint;
  readonly baseFeePerGas: bigint | null;
}

/** Contract calls get this much more gas than estimated (state can change before the block). */
export const CALL_GAS_HEADROOM_PERCENT = 20n;

export async function prepareSend(chain: EthChain, network: EthNetwork, account: EthAccount, request: EthSendRequest): Promise<PreparedEthTx> {
  checkAccount(account);
  if (typeof request !== 'object' || request === null) throw new EthError('INVALID_ARGUMENT', 'a send request is an object');
  // Everything the form says is checked before the backend is asked anything.
  const to = parseAddress(request.to, 'to');
  const value = parseQuantity(request.value, { field: 'value', max: MAX_UINT256 });
  const data = request.data === undefined ? '0x' : parseHexData(request.data, 'data');
  if (value === 0n && data === '0x') throw new EthError('ZERO_VALUE', 'a transfer without calldata must send a value above zero', { field: 'value' });
  const given = {
    nonce: request.nonce === undefined ? undefined : parseQuantity(request.nonce, { field: 'nonce', max: BigInt(Number.MAX_SAFE_INTEGER) }),
    gasLimit: request.gasLimit === undefined ? undefined : parseQuantity(request.gasLimit, { field: 'gasLimit', max: MAX_UINT64, positive: true }),
    maxFeePerGas: request.maxFeePerGas === undefined ? undefined : parseQuantity(request.maxFeePerGas, { field: 'maxFeePerGas', max: MAX_UINT256, positive: true }),
    maxPriorityFeePerGas:
      request.maxPriorityFeePerGas === undefined ? undefined : parseQuantity(request.maxPriorityFeePerGas, { field: 'maxPriorityFeePerGas', max: MAX_UINT256 }),
  };

  await checkBackendChain(chain, network);
  const needFees = given.maxFeePerGas === undefined || given.maxPriorityFeePerGas === undefined;
  const [balance, nonce, feeData, estimate] = await Promise.all([
    chain.getBalance(account.address),
    given.nonce === undefined ? chain.getTransactionCount(account.address) : Promise.resolve(Number(given.nonce)),
    needFees ? chain.feeData() : Promise.resolve(null),
    given.gasLimit === undefined ? chain.estimateGas({ from: account.address, to, value, data }) : Promise.resolve(null),
  ]);
  checkNonNegative(balance, 'balance');
  checkNonce(nonce);

  let gasLimit = given.gasLimit;
  if (gasLimit === undefined) {
    checkNonNegative(estimate!, 'gas estimate');
    const minimum = minimumGas({ to, data });
    gasLimit = data === '0x' && estimate! <= TRANSFER_GAS ? TRANSFER_GAS : (estimate! * (100n + CALL_GAS_HEADROOM_PERCENT)) / 100n;
    if (gasLimit < minimum) gasLimit = minimum;
  }
  const suggestion = feeData ? suggestFees(feeData) : null;
  const maxFeePerGas = given.maxFeePerGas ?? suggestion!.maxFeePerGas;
  let maxPriorityFeePerGas = given.maxPriorityFeePerGas ?? suggestion!.maxPriorityFeePerGas;
  if (given.maxPriorityFeePerGas === undefined && maxPriorityFeePerGas > maxFeePerGas) maxPriorityFeePerGas = maxFeePerGas;

  const tx = buildTransaction({ to, value, data, nonce, gasLimit, maxFeePerGas, maxPriorityFeePerGas, chainId: network.chainId }, network);
  const needed = value + gasLimit * maxFeePerGas;
  if (needed > balance) {
    throw new EthError('INSUFFICIENT_FUNDS', `the balance (${formatEther(balance)} ETH) does not cover value + max fee (${formatEther(needed)} ETH)`, {
      address: account.address,
      expected: needed.toString(),
      actual: balance.toString(),
    });
  }
  return { tx, unsigned: tx.unsignedSerialized, balance, baseFeePerGas: suggestion?.baseFeePerGas ?? null };
}

export interface BroadcastResult {
  readonly hash: string;
  /** Present when waited for. */
  readonly receipt: EthReceipt | null;
}

/**
 * Broadcasts a raw signed transaction after reading it back: signed, by the card account, on this
 * network. With `wait`, resolves once mined (TRANSACTION_REVERTED when the receipt says so).
 */
export async function broadcast(
  chain: EthChain,
  network: EthNetwork,
  account: EthAccount,
  raw: string,
  options: { readonly wait?: boolean; readonly timeoutMs?: number; readonly signal?: AbortSignal } = {},
): Promise<BroadcastResult> {
  checkAccount(account);
  if (typeof raw !== 'string' || !/^0x(?:[0-9a-fA-F]{2})+$/.test(raw)) throw new EthError('MALFORMED_TRANSACTION', 'a raw transaction is 0x-hex');
  const tx = wrapEthers('MALFORMED_TRANSACTION', 'the raw transaction does not parse', {}, () => Transaction.from(raw));
  if (!tx.signature) throw new EthError('MALFORMED_TRANSACTION', 'the transaction is not signed');
  checkChainId(network, tx.chainId);
  checkSigner(wrapEthers('SIGNER_MISMATCH', 'the signature does not recover', {}, () => tx.from), account);
  const hash = await chain.sendRawTransaction(raw);
  if (typeof hash !== 'string' || hash.toLowerCase() !== tx.hash!.toLowerCase()) {
    throw new EthError('BAD_CHAIN_DATA', 'the backend answered with another transaction hash', { expected: tx.hash!, actual: String(hash) });
  }
  if (!options.wait) return { hash: tx.hash!, receipt: null };
  const receipt = await chain.waitForReceipt(tx.hash!, {
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  if (receipt.transactionHash.toLowerCase() !== tx.hash!.toLowerCase()) {
    throw new EthError('BAD_CHAIN_DATA', 'the backend gave the receipt of another transaction', { expected: tx.hash!, actual: receipt.transactionHash });
  }
  if (receipt.status !== 1) throw new EthError('TRANSACTION_REVERTED', 'the transaction was mined but reverted', { hash: tx.hash! });
  return { hash: tx.hash!, receipt };
}

async function checkBackendChain(chain: EthChain, network: EthNetwork): Promise<void> {
  const chainId = await chain.chainId();
  if (!Number.isSafeInteger(chainId) || chainId <= 0) throw new EthError('BAD_CHAIN_DATA', 'the backend gave an impossible chain id', { field: 'chainId', actual: String(chainId) });
  checkChainId(network, chainId, 'backend chainId');
}

function checkNonNegative(value: bigint, field: string): void {
  if (typeof value !== 'bigint' || value < 0n) throw new EthError('BAD_CHAIN_DATA', `the backend gave an impossible ${field}`, { field, actual: String(value) });
}

function checkNonce(nonce: number): void {
  if (!Number.isSafeInteger(nonce) || nonce < 0) throw new EthError('BAD_CHAIN_DATA', 'the backend gave an impossible nonce', { field: 'nonce', actual: String(nonce) });
}
