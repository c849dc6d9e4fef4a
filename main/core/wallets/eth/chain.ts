/**
 * What the ETH wallet needs from a chain backend: the minimal interface, implemented elsewhere over
 * JSON-RPC (main/core/chains). The wallet does no network I/O of its own. Errors thrown by an
 * implementation (unreachable, timeout, refused broadcast) are the chain layer's own and pass through.
 * Quantities are bigint; chain ids, nonces and block numbers safe-integer numbers.
 */

export interface EthFeeData {
  /** The base fee per gas of the next block (EIP-1559). */
  readonly baseFeePerGas: bigint;
  /** The suggested tip (eth_maxPriorityFeePerGas or a fee-history median). */
  readonly maxPriorityFeePerGas: bigint;
}

export interface EthGasRequest {
  readonly from?: string;
  readonly to?: string | null;
  readonly value?: bigint;
  readonly data?: string;
}

export interface EthReceipt {
  readonly transactionHash: string;
  readonly blockNumber: number;
  /** 1 success, 0 reverted. */
  readonly status: 0 | 1;
  readonly gasUsed: bigint;
}

export interface EthChain {
  /** eth_chainId. */
  chainId(): Promise<number>;
  /** eth_getBalance at "latest", wei. */
  getBalance(address: string): Promise<bigint>;
  /** eth_getTransactionCount at "pending": the next nonce. */
  getTransactionCount(address: string): Promise<number>;
  feeData(): Promise<EthFeeData>;
  /** eth_estimateGas. */
  estimateGas(request: EthGasRequest): Promise<bigint>;
  /** eth_sendRawTransaction: the transaction hash. */
  sendRawTransaction(raw: string): Promise<string>;
  /** Resolves with the receipt once mined; rejects (chain layer error) after `timeoutMs` or on `signal`. */
  waitForReceipt(hash: string, options?: { readonly timeoutMs?: number; readonly signal?: AbortSignal }): Promise<EthReceipt>;
}
