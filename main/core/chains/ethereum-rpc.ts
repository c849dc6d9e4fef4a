/**
 * An Ethereum JSON-RPC client over our own fetch transport (http.ts: a deadline per call, typed errors).
 * ethers is used only for encoding helpers (address checks, keccak of a raw transaction).
 *
 * Quantities are bigint (wei, gas); nonces, chain ids and block numbers are safe-integer numbers.
 * A JSON-RPC error object is RPC_ERROR with its code and message, except when sending a raw
 * transaction: the node refusing it is BROADCAST_REJECTED with the node's reason.
 */
import { isAddress, keccak256 } from 'ethers';
import { ChainError, isChainError } from './errors.ts';
import { readRpcEnvelope } from './json-rpc.ts';
import { httpExchange, parseEndpoint, type CallOptions, type Endpoint } from './http.ts';
import { arr, hash32, obj, optional, parseShape, str, ShapeMismatch } from './shape.ts';

export const DEFAULT_RPC_TIMEOUT_MS = 10_000;

export type BlockTag = 'latest' | 'pending' | 'earliest' | 'safe' | 'finalized' | number;

export interface FeeSuggestion {
  /** The base fee of the next block (wei per gas). */
  readonly baseFeePerGas: bigint;
  readonly maxPriorityFeePerGas: bigint;
  /** 2 x baseFee + tip: stays valid through six full blocks of base-fee rises. */
  readonly maxFeePerGas: bigint;
  /** Where the tip came from. */
  readonly tipSource: 'eth_maxPriorityFeePerGas' | 'eth_feeHistory' | 'default';
}

/** The tip used when the node suggests none: 1 gwei (ethers' default too). */
export const DEFAULT_PRIORITY_FEE = 1_000_000_000n;

export interface CallRequest {
  readonly from?: string;
  readonly to?: string | null;
  readonly value?: bigint;
  readonly data?: string;
  readonly gas?: bigint;
  readonly maxFeePerGas?: bigint;
  readonly maxPriorityFeePerGas?: bigint;
}

export interface Log {
  readonly address: string;
  readonly topics: readonly string[];
  readonly data: string;
}

export interface Receipt {
  readonly transactionHash: string;
  readonly blockHash: string;
  readonly blockNumber: number;
  /** 1 success, 0 reverted. */
  readonly status: 0 | 1;
  readonly from: string;
  readonly to: string | null;
  readonly contractAddress: string | null;
  readonly gasUsed: bigint;
  readonly effectiveGasPrice: bigint | null;
  readonly logs: readonly Log[];
}

export interface PendingTransaction {
  readonly hash: string;
  readonly from: string;
  readonly to: string | null;
  readonly nonce: number;
  readonly value: bigint;
  /** null while pending. */
  readonly blockNumber: number | null;
}

export interface EthereumRpcOptions {
  /** E.g. http://127.0.0.1:8545 or https://sepolia.infura.io/v3/KEY (errors name only the origin). */
  readonly url: string;
  readonly timeoutMs?: number;
}

export interface WaitOptions extends CallOptions {
  /** Give up after this long (default 120 s): CONFIRMATION_TIMEOUT. */
  readonly timeoutMs?: number;
  /** Between polls (default 1 s). */
  readonly pollIntervalMs?: number;
}

// ---------------------------------------------------------------------------------------------
// Readers.

const QUANTITY = /^0x[0-9a-fA-F]{1,64}$/;
const DATA = /^0x(?:[0-9a-fA-F]{2})*$/;
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

export function quantity(value: unknown, path: string): bigint {
  return BigInt(str(value, path, QUANTITY, 'a hex quantity'));
}

export function smallQuantity(value: unknown, path: string): number {
  const n = quantity(value, path);
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw new ShapeMismatch(path, 'a hex quantity below 2^53');
  return Number(n);
}

function data(value: unknown, path: string): string {
  return str(value, path, DATA, 'hex data').toLowerCase();
}

function address(value: unknown, path: string): string {
  return str(value, path, ADDRESS, 'an address').toLowerCase();
}

function txHash(value: unknown, path: string): string {
  return `0x${hash32(str(value, path, /^0x/, 'a 0x-prefixed hash').slice(2), path)}`;
}

export function readReceipt(value: unknown): Receipt | null {
  if (value === null) return null;
  const o = obj(value, 'result');
  const status = smallQuantity(o.status, 'result.status');
  if (status !== 0 && status !== 1) throw new ShapeMismatch('result.status', '0x0 or 0x1');
  return {
    transactionHash: txHash(o.transactionHash, 'result.transactionHash'),
    blockHash: txHash(o.blockHash, 'result.blockHash'),
    blockNumber: smallQuantity(o.blockNumber, 'result.blockNumber'),
    status,
    from: address(o.from, 'result.from'),
    to: optional(o.to, (v) => address(v, 'result.to')) ?? null,
    contractAddress: optional(o.contractAddress, (v) => address(v, 'result.contractAddress')) ?? null,
    gasUsed: quantity(o.gasUsed, 'result.gasUsed'),
    effectiveGasPrice: optional(o.effectiveGasPrice, (v) => quantity(v, 'result.effectiveGasPrice')) ?? null,
    logs: arr(o.logs, 'result.logs').map((entry, i) => {
      const log = obj(entry, `result.logs[${i}]`);
      return {
        address: address(log.address, `result.logs[${i}].address`),
        topics: arr(log.topics, `result.logs[${i}].topics`).map((t, j) => txHash(t, `result.logs[${i}].topics[${j}]`)),
        data: data(log.data, `result.logs[${i}].data`),
      };
    }),
  };
}

export interface FeeHistory {
  /** One per block asked for, plus the next block's. */
  readonly baseFeePerGas: readonly bigint[];
  /** Per block, the rewards at the percentiles asked for. */
  readonly reward: readonly (readonly bigint[])[];
}

export function readFeeHistory(value: unknown): FeeHistory {
  const o = obj(value, 'result');
  const baseFeePerGas = arr(o.baseFeePerGas, 'result.baseFeePerGas').map((v, i) => quantity(v, `result.baseFeePerGas[${i}]`));
  if (baseFeePerGas.length === 0) throw new ShapeMismatch('result.baseFeePerGas', 'at least one base fee');
  const reward = (optional(o.reward, (v) => arr(v, 'result.reward')) ?? []).map((block, i) =>
    arr(block, `result.reward[${i}]`).map((v, j) => quantity(v, `result.reward[${i}][${j}]`)),
  );
  return { baseFeePerGas, reward };
}

/** The EIP-1559 suggestion from the next block's base fee and a tip. */
export function suggestFees(baseFeePerGas: bigint, tip: bigint | undefined, history?: FeeHistory): FeeSuggestion {
  let maxPriorityFeePerGas = tip;
  let tipSource: FeeSuggestion['tipSource'] = 'eth_maxPriorityFeePerGas';
  if (maxPriorityFeePerGas === undefined && history) {
    const rewards = history.reward.map((r) => r[0]).filter((r): r is bigint => r !== undefined && r > 0n);
    rewards.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    maxPriorityFeePerGas = rewards[Math.floor(rewards.length / 2)];
    tipSource = 'eth_feeHistory';
  }
  if (maxPriorityFeePerGas === undefined) {
    maxPriorityFeePerGas = DEFAULT_PRIORITY_FEE;
    tipSource = 'default';
  }
  return { baseFeePerGas, maxPriorityFeePerGas, maxFeePerGas: 2n * baseFeePerGas + maxPriorityFeePerGas, tipSource };
}

function toQuantity(value: bigint): string {
  if (value < 0n) throw new ChainError('INVALID_ARGUMENT', 'a quantity is not negative', { field: 'quantity' });
  return `0x${value.toString(16)}`;
}

function blockTag(tag: BlockTag): string {
  if (typeof tag === 'number') {
    if (!Number.isSafeInteger(tag) || tag < 0) throw new ChainError('INVALID_ARGUMENT', 'a block number is a non-negative integer', { field: 'block' });
    return toQuantity(BigInt(tag));
  }
  return tag;
}

function requireAddress(value: string, field = 'address'): string {
  if (typeof value !== 'string' || !isAddress(value) || !ADDRESS.test(value)) {
    throw new ChainError('INVALID_ARGUMENT', 'not an Ethereum address (0x and 40 hex digits, checksum if mixed case)', { field });
  }
  return value;
}

function requireHash(value: string, field = 'hash'): string {
  if (typeof value !== 'string' || !/^0x[0-9a-fA-F]{64}$/.test(value)) throw new ChainError('INVALID_ARGUMENT', 'not a 32-byte 0x hash', { field });
  return value.toLowerCase();
}

function callObject(tx: CallRequest): Record<string, string> {
  const out: Record<string, string> = {};
  if (tx.from !== undefined) out.from = requireAddress(tx.from, 'from');
  if (tx.to !== undefined && tx.to !== null) out.to = requireAddress(tx.to, 'to');
  if (tx.value !== undefined) out.value = toQuantity(tx.value);
  if (tx.data !== undefined) {
    if (!DATA.test(tx.data)) throw new ChainError('INVALID_ARGUMENT', 'data is 0x-prefixed hex', { field: 'data' });
    out.data = tx.data;
  }
  if (tx.gas !== undefined) out.gas = toQuantity(tx.gas);
  if (tx.maxFeePerGas !== undefined) out.maxFeePerGas = toQuantity(tx.maxFeePerGas);
  if (tx.maxPriorityFeePerGas !== undefined) out.maxPriorityFeePerGas = toQuantity(tx.maxPriorityFeePerGas);
  return out;
}

/** JSON-RPC "method not found" / "not supported" answers: the optional methods fall back on these. */
function isUnsupported(error: unknown): boolean {
  if (!isChainError(error, 'RPC_ERROR')) return false;
  const code = error.info.rpcCode;
  return code === -32601 || code === -32004 || /not (?:found|supported|available)|unsupported/i.test(String(error.info.rpcMessage ?? ''));
}

// ---------------------------------------------------------------------------------------------

export class EthereumRpcClient {
  readonly endpoint: Endpoint;
  readonly timeoutMs: number;
  private nextId = 1;

  constructor(options: EthereumRpcOptions) {
    this.endpoint = parseEndpoint(options.url, 'JSON-RPC URL');
    this.timeoutMs = options.timeoutMs ?? DEFAULT_RPC_TIMEOUT_MS;
  }

  /** One JSON-RPC call; the answer's envelope is checked (id, result or error). */
  async request(method: string, params: readonly unknown[], options?: CallOptions): Promise<unknown> {
    const id = this.nextId++;
    const answer = await httpExchange(
      this.endpoint.url,
      {
        method: 'POST',
        headers: { ...this.endpoint.headers, 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id, method, params }),
      },
      { origin: this.endpoint.origin, call: method, timeoutMs: options?.timeoutMs ?? this.timeoutMs },
      options?.signal,
    );
    return readRpcEnvelope(answer, { method, backend: this.endpoint.origin, id, who: 'backend' });
  }

  private async read<T>(method: string, params: readonly unknown[], read: (result: unknown) => T, options?: CallOptions): Promise<T> {
    const result = await this.request(method, params, options);
    return parseShape({ backend: this.endpoint.origin, call: method }, () => read(result));
  }

  async chainId(options?: CallOptions): Promise<number> {
    return this.read('eth_chainId', [], (r) => smallQuantity(r, 'result'), options);
  }

  async blockNumber(options?: CallOptions): Promise<number> {
    return this.read('eth_blockNumber', [], (r) => smallQuantity(r, 'result'), options);
  }

  async getBalance(account: string, block: BlockTag = 'latest', options?: CallOptions): Promise<bigint> {
    return this.read('eth_getBalance', [requireAddress(account), blockTag(block)], (r) => quantity(r, 'result'), options);
  }

  /** The next nonce to use: counts pending transactions by default. */
  async getTransactionCount(account: string, block: BlockTag = 'pending', options?: CallOptions): Promise<number> {
    return this.read('eth_getTransactionCount', [requireAddress(account), blockTag(block)], (r) => smallQuantity(r, 'result'), options);
  }

  async gasPrice(options?: CallOptions): Promise<bigint> {
    return this.read('eth_gasPrice', [], (r) => quantity(r, 'result'), options);
  }

  async feeHistory(blockCount: number, newest: BlockTag, percentiles: readonly number[], options?: CallOptions): Promise<FeeHistory> {
    return this.read('eth_feeHistory', [toQuantity(BigInt(blockCount)), blockTag(newest), percentiles], readFeeHistory, options);
  }

  async maxPriorityFeePerGas(options?: CallOptions): Promise<bigint> {
    return this.read('eth_maxPriorityFeePerGas', [], (r) => quantity(r, 'result'), options);
  }

  /**
   * An EIP-1559 suggestion: the next block's base fee from eth_feeHistory (or the latest block's
   * baseFeePerGas where feeHistory is not served), the tip from eth_maxPriorityFeePerGas (or the
   * median 50th-percentile reward of the last 5 blocks, or 1 gwei), max fee = 2 x base fee + tip.
   * The calls run concurrently.
   */
  async feeData(options?: CallOptions): Promise<FeeSuggestion> {
    const optionalCall = <T>(call: Promise<T>): Promise<T | undefined> =>
      call.catch((error: unknown) => {
        if (isUnsupported(error)) return undefined;
        throw error;
      });
    const [history, tip] = await Promise.all([
      optionalCall(this.feeHistory(5, 'latest', [50], options)),
      optionalCall(this.maxPriorityFeePerGas(options)),
    ]);
    let baseFee = history?.baseFeePerGas[history.baseFeePerGas.length - 1];
    if (baseFee === undefined) {
      baseFee = await this.read(
        'eth_getBlockByNumber',
        ['latest', false],
        (r) => {
          const block = obj(r, 'result');
          if (block.baseFeePerGas === undefined) throw new ShapeMismatch('result.baseFeePerGas', 'a base fee (an EIP-1559 chain)');
          return quantity(block.baseFeePerGas, 'result.baseFeePerGas');
        },
        options,
      );
    }
    return suggestFees(baseFee, tip, history);
  }

  async estimateGas(tx: CallRequest, options?: CallOptions): Promise<bigint> {
    return this.read('eth_estimateGas', [callObject(tx)], (r) => quantity(r, 'result'), options);
  }

  /** eth_call: the return data of a read-only call. */
  async call(tx: CallRequest, block: BlockTag = 'latest', options?: CallOptions): Promise<string> {
    return this.read('eth_call', [callObject(tx), blockTag(block)], (r) => data(r, 'result'), options);
  }

  async getCode(account: string, block: BlockTag = 'latest', options?: CallOptions): Promise<string> {
    return this.read('eth_getCode', [requireAddress(account), blockTag(block)], (r) => data(r, 'result'), options);
  }

  /**
   * Broadcasts a signed transaction and returns its hash, checked to be keccak256 of the bytes sent.
   * The node refusing it (nonce too low, insufficient funds, underpriced, ...) is BROADCAST_REJECTED
   * with the node's message in `info.reason`.
   */
  async sendRawTransaction(rawTx: string, options?: CallOptions): Promise<string> {
    if (typeof rawTx !== 'string' || !/^0x(?:[0-9a-fA-F]{2})+$/.test(rawTx)) {
      throw new ChainError('INVALID_ARGUMENT', 'a raw transaction is 0x-prefixed non-empty hex', { field: 'rawTx' });
    }
    const expected = keccak256(rawTx).toLowerCase();
    let hash: string;
    try {
      hash = await this.read('eth_sendRawTransaction', [rawTx], (r) => txHash(r, 'result'), options);
    } catch (error) {
      if (isChainError(error, 'RPC_ERROR')) {
        throw new ChainError('BROADCAST_REJECTED', 'the node refused the transaction', {
          backend: this.endpoint.origin,
          reason: String(error.info.rpcMessage),
          rpcCode: error.info.rpcCode,
          rpcData: error.info.rpcData,
        });
      }
      throw error;
    }
    if (hash !== expected) {
      throw new ChainError('BAD_BACKEND_RESPONSE', 'the node answered with another transaction hash', {
        backend: this.endpoint.origin,
        call: 'eth_sendRawTransaction',
        expected,
        actual: hash,
      });
    }
    return hash;
  }

  /** The receipt, or null while the transaction is not mined (or unknown). */
  async getTransactionReceipt(hash: string, options?: CallOptions): Promise<Receipt | null> {
    const h = requireHash(hash);
    const receipt = await this.read('eth_getTransactionReceipt', [h], readReceipt, options);
    if (receipt && receipt.transactionHash !== h) {
      throw new ChainError('BAD_BACKEND_RESPONSE', 'the node answered with another transaction', { backend: this.endpoint.origin, call: 'eth_getTransactionReceipt' });
    }
    return receipt;
  }

  /** The transaction as the node knows it (pending or mined), or null when it does not. */
  async getTransaction(hash: string, options?: CallOptions): Promise<PendingTransaction | null> {
    const h = requireHash(hash);
    return this.read(
      'eth_getTransactionByHash',
      [h],
      (r) => {
        if (r === null) return null;
        const o = obj(r, 'result');
        const got = txHash(o.hash, 'result.hash');
        if (got !== h) throw new ShapeMismatch('result.hash', h);
        return {
          hash: got,
          from: address(o.from, 'result.from'),
          to: optional(o.to, (v) => address(v, 'result.to')) ?? null,
          nonce: smallQuantity(o.nonce, 'result.nonce'),
          value: quantity(o.value, 'result.value'),
          blockNumber: optional(o.blockNumber, (v) => smallQuantity(v, 'result.blockNumber')) ?? null,
        };
      },
      options,
    );
  }

  /**
   * Polls for the receipt until it exists or `timeoutMs` passes (CONFIRMATION_TIMEOUT). A poll that
   * cannot reach the node, or times out, is tried again until then; any other error ends the wait.
   */
  async waitForReceipt(hash: string, options: WaitOptions = {}): Promise<Receipt> {
    const h = requireHash(hash);
    const timeoutMs = options.timeoutMs ?? 120_000;
    const pollIntervalMs = options.pollIntervalMs ?? 1_000;
    const deadline = Date.now() + timeoutMs;
    let lastError: ChainError | undefined;
    for (;;) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) break;
      try {
        const receipt = await this.getTransactionReceipt(h, {
          timeoutMs: Math.min(this.timeoutMs, remaining),
          ...(options.signal ? { signal: options.signal } : {}),
        });
        if (receipt) return receipt;
        lastError = undefined;
      } catch (error) {
        const transient =
          isChainError(error, 'BACKEND_UNREACHABLE') ||
          isChainError(error, 'BACKEND_TIMEOUT') ||
          (isChainError(error, 'BACKEND_HTTP_ERROR') && (error.info.status === 429 || Number(error.info.status) >= 500));
        if (!transient) throw error;
        lastError = error;
      }
      const pause = Math.min(pollIntervalMs, deadline - Date.now());
      if (pause <= 0) break;
      await sleep(pause, options.signal, this.endpoint.origin);
    }
    throw new ChainError('CONFIRMATION_TIMEOUT', `no receipt within ${timeoutMs} ms`, {
      backend: this.endpoint.origin,
      hash: h,
      timeoutMs,
      lastError: lastError?.code,
    });
  }
}

function sleep(ms: number, signal: AbortSignal | undefined, backend: string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new ChainError('ABORTED', 'the call was cancelled', { backend }));
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new ChainError('ABORTED', 'the call was cancelled', { backend }));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
