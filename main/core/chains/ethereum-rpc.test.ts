import { keccak256 } from 'ethers';
import { afterEach, describe, expect, it } from 'vitest';
import { isChainError, type ChainError } from './errors.ts';
import { DEFAULT_PRIORITY_FEE, EthereumRpcClient, readFeeHistory, readReceipt, suggestFees } from './ethereum-rpc.ts';
import { closedPort, fakeBackend, failureOf, type FakeAnswer, type FakeBackend } from './test-support/fake-backend.ts';

const ACCOUNT = '0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266';
const HASH = `0x${'ab'.repeat(32)}`;

let backend: FakeBackend | undefined;
afterEach(async () => {
  await backend?.close();
  backend = undefined;
});

interface Rpc {
  readonly id: number;
  readonly method: string;
  readonly params: unknown[];
}

/** A fake node: `handle` returns a result, or a full answer via `raw`. */
async function node(handle: (rpc: Rpc) => unknown | { raw: FakeAnswer }, timeoutMs = 2_000): Promise<EthereumRpcClient> {
  backend = await fakeBackend((request) => {
    const rpc = JSON.parse(request.body) as Rpc;
    const out = handle(rpc);
    if (out && typeof out === 'object' && 'raw' in out) return (out as { raw: FakeAnswer }).raw;
    return { body: { jsonrpc: '2.0', id: rpc.id, result: out } };
  });
  return new EthereumRpcClient({ url: backend.url, timeoutMs });
}

const rpcError = (id: number, code: number, message: string, data?: unknown) => ({ raw: { body: { jsonrpc: '2.0', id, error: { code, message, data } } } });

async function chainError(promise: Promise<unknown>): Promise<ChainError> {
  const error = await failureOf(promise);
  if (!isChainError(error)) throw new Error(`expected a ChainError, got ${String(error)}`);
  return error;
}

const receipt = {
  transactionHash: HASH,
  blockHash: `0x${'cd'.repeat(32)}`,
  blockNumber: '0x10',
  status: '0x1',
  from: ACCOUNT,
  to: ACCOUNT,
  contractAddress: null,
  gasUsed: '0x5208',
  effectiveGasPrice: '0x3b9aca00',
  logs: [{ address: ACCOUNT, topics: [`0x${'01'.repeat(32)}`], data: '0x' }],
};

describe('JSON-RPC envelopes', () => {
  it('sends JSON-RPC 2.0 with a fresh id and reads quantities', async () => {
    const client = await node((rpc) => (rpc.method === 'eth_getBalance' ? '0xde0b6b3a7640000' : '0x7a69'));
    expect(await client.chainId()).toBe(31337);
    expect(await client.getBalance(ACCOUNT)).toBe(10n ** 18n);
    const sent = backend!.requests.map((r) => JSON.parse(r.body) as Rpc & { jsonrpc: string });
    expect(sent[0]).toMatchObject({ jsonrpc: '2.0', method: 'eth_chainId', params: [] });
    expect(sent[1]).toMatchObject({ method: 'eth_getBalance', params: [ACCOUNT, 'latest'] });
    expect(sent[1]!.id).not.toBe(sent[0]!.id);
  });

  it('asks for the pending nonce by default', async () => {
    const client = await node(() => '0x3');
    expect(await client.getTransactionCount(ACCOUNT)).toBe(3);
    expect(JSON.parse(backend!.requests[0]!.body).params).toEqual([ACCOUNT, 'pending']);
  });

  it('turns an error object into RPC_ERROR with code, message and data', async () => {
    const client = await node((rpc) => rpcError(rpc.id, -32000, 'execution reverted', '0x08c379a0'));
    const error = await chainError(client.call({ to: ACCOUNT, data: '0x' }));
    expect(error.code).toBe('RPC_ERROR');
    expect(error.info).toMatchObject({ rpcCode: -32000, rpcMessage: 'execution reverted', rpcData: '0x08c379a0', call: 'eth_call' });
  });

  it('reads a JSON-RPC error sent with an HTTP error status (rate limits) as RPC_ERROR with the status', async () => {
    const client = await node((rpc) => ({ raw: { status: 429, body: { jsonrpc: '2.0', id: rpc.id, error: { code: -32005, message: 'rate limited' } } } }));
    expect((await chainError(client.chainId())).info).toMatchObject({ rpcCode: -32005, status: 429 });
  });

  it('is BACKEND_HTTP_ERROR for an HTTP error without a JSON-RPC body', async () => {
    const client = await node(() => ({ raw: { status: 503, body: 'Service Unavailable' } }));
    expect((await chainError(client.chainId())).info).toMatchObject({ status: 503, body: 'Service Unavailable' });
  });

  it.each([
    ['another id', (rpc: Rpc) => ({ raw: { body: { jsonrpc: '2.0', id: rpc.id + 1, result: '0x1' } } }), 'id'],
    ['no result', (rpc: Rpc) => ({ raw: { body: { jsonrpc: '2.0', id: rpc.id } } }), 'result'],
    ['not JSON', () => ({ raw: { body: 'hello' } }), 'answer'],
    ['a decimal number', () => 31337, 'result'],
    ['a non-hex quantity', () => '0xzz', 'result'],
    ['a bad error object', (rpc: Rpc) => ({ raw: { body: { jsonrpc: '2.0', id: rpc.id, error: { message: 'no code' } } } }), 'error.code'],
  ])('refuses %s with BAD_BACKEND_RESPONSE', async (_name, handle, at) => {
    const client = await node(handle);
    const error = await chainError(client.chainId());
    expect(error.code).toBe('BAD_BACKEND_RESPONSE');
    expect(error.info.at).toBe(at);
  });

  it('refuses bad arguments before sending', async () => {
    const client = await node(() => '0x0');
    expect((await chainError(client.getBalance('0x1234'))).code).toBe('INVALID_ARGUMENT');
    // Mixed case with a wrong checksum.
    expect((await chainError(client.getBalance('0xF39fd6e51aad88f6f4ce6ab8827279cfffb92266'))).code).toBe('INVALID_ARGUMENT');
    expect((await chainError(client.getTransactionReceipt('0x12'))).code).toBe('INVALID_ARGUMENT');
    expect((await chainError(client.sendRawTransaction('02f8'))).code).toBe('INVALID_ARGUMENT');
    expect((await chainError(client.estimateGas({ to: ACCOUNT, value: -1n }))).code).toBe('INVALID_ARGUMENT');
    expect((await chainError(client.estimateGas({ to: ACCOUNT, data: 'abcd' }))).code).toBe('INVALID_ARGUMENT');
    expect(backend!.requests).toHaveLength(0);
  });
});

describe('receipts and fee history', () => {
  it('reads a receipt and null for a pending transaction', () => {
    expect(readReceipt(receipt)).toMatchObject({ blockNumber: 16, status: 1, gasUsed: 21_000n, effectiveGasPrice: 10n ** 9n, logs: [{ data: '0x' }] });
    expect(readReceipt(null)).toBeNull();
    expect(readReceipt({ ...receipt, effectiveGasPrice: undefined })?.effectiveGasPrice).toBeNull();
  });

  it.each([
    ['status 2', { ...receipt, status: '0x2' }],
    ['a short hash', { ...receipt, transactionHash: '0x12' }],
    ['logs missing', { ...receipt, logs: undefined }],
    ['a bad from', { ...receipt, from: 'me' }],
  ])('refuses a receipt with %s', (_name, bad) => {
    expect(() => readReceipt(bad)).toThrow();
  });

  it('refuses a receipt for another transaction', async () => {
    const client = await node(() => ({ ...receipt, transactionHash: `0x${'ef'.repeat(32)}` }));
    expect((await chainError(client.getTransactionReceipt(HASH))).code).toBe('BAD_BACKEND_RESPONSE');
  });

  it('reads fee history', () => {
    expect(readFeeHistory({ baseFeePerGas: ['0x1', '0x2'], reward: [['0x5']], oldestBlock: '0x1' })).toEqual({ baseFeePerGas: [1n, 2n], reward: [[5n]] });
    expect(() => readFeeHistory({ baseFeePerGas: [] })).toThrow(/at least one base fee/);
  });

  it('suggests max fee = 2 x base fee + tip; the tip from the node, else the median reward, else 1 gwei', () => {
    expect(suggestFees(100n, 7n)).toEqual({ baseFeePerGas: 100n, maxPriorityFeePerGas: 7n, maxFeePerGas: 207n, tipSource: 'eth_maxPriorityFeePerGas' });
    const history = { baseFeePerGas: [1n], reward: [[3n], [0n], [9n], [5n]] };
    expect(suggestFees(100n, undefined, history)).toMatchObject({ maxPriorityFeePerGas: 5n, tipSource: 'eth_feeHistory' });
    expect(suggestFees(100n, undefined, { baseFeePerGas: [1n], reward: [] })).toMatchObject({ maxPriorityFeePerGas: DEFAULT_PRIORITY_FEE, tipSource: 'default' });
  });

  it('feeData: falls back to the latest block and the default tip where the methods are not served', async () => {
    const client = await node((rpc) => {
      if (rpc.method === 'eth_getBlockByNumber') return { number: '0x1', baseFeePerGas: '0x64' };
      return rpcError(rpc.id, -32601, 'the method does not exist/is not available');
    });
    expect(await client.feeData()).toEqual({ baseFeePerGas: 100n, maxPriorityFeePerGas: DEFAULT_PRIORITY_FEE, maxFeePerGas: 200n + DEFAULT_PRIORITY_FEE, tipSource: 'default' });
  });

  it('feeData: a chain without a base fee is BAD_BACKEND_RESPONSE', async () => {
    const client = await node((rpc) => (rpc.method === 'eth_getBlockByNumber' ? { number: '0x1' } : rpcError(rpc.id, -32601, 'Method not found')));
    expect((await chainError(client.feeData())).info.at).toBe('result.baseFeePerGas');
  });

  it('feeData: other errors are not swallowed', async () => {
    const client = await node((rpc) => rpcError(rpc.id, -32000, 'internal'));
    expect((await chainError(client.feeData())).code).toBe('RPC_ERROR');
  });
});

describe('sending and waiting', () => {
  const raw = '0x02f86b827a6980843b9aca00847735940082520894f39fd6e51aad88f6f4ce6ab8827279cfffb92266880de0b6b3a764000080c0';

  it('returns the hash, checked to be keccak256 of the raw transaction', async () => {
    let answer = keccak256(raw);
    const client = await node(() => answer);
    expect(await client.sendRawTransaction(raw)).toBe(keccak256(raw));
    answer = HASH;
    expect((await chainError(client.sendRawTransaction(raw))).code).toBe('BAD_BACKEND_RESPONSE');
  });

  it('turns the node’s refusal into BROADCAST_REJECTED with its reason', async () => {
    const client = await node((rpc) => rpcError(rpc.id, -32003, 'nonce too low'));
    const error = await chainError(client.sendRawTransaction(raw));
    expect(error.code).toBe('BROADCAST_REJECTED');
    expect(error.info).toMatchObject({ reason: 'nonce too low', rpcCode: -32003 });
  });

  it('waits for the receipt, riding out polls that fail to reach the node', async () => {
    let polls = 0;
    const client = await node(() => {
      polls += 1;
      if (polls === 1) return null;
      if (polls === 2) return { raw: { status: 502, body: 'bad gateway' } };
      return receipt;
    });
    expect((await client.waitForReceipt(HASH, { timeoutMs: 5_000, pollIntervalMs: 10 })).status).toBe(1);
    expect(polls).toBe(3);
  });

  it('ends the wait with CONFIRMATION_TIMEOUT, and at once on a bad answer', async () => {
    let answer: unknown = null;
    const client = await node(() => answer);
    const started = Date.now();
    const error = await chainError(client.waitForReceipt(HASH, { timeoutMs: 200, pollIntervalMs: 20 }));
    expect(error.code).toBe('CONFIRMATION_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(1_000);
    answer = { ...receipt, status: 'yes' };
    expect((await chainError(client.waitForReceipt(HASH, { timeoutMs: 5_000, pollIntervalMs: 20 }))).code).toBe('BAD_BACKEND_RESPONSE');
  });

  it('stops waiting when the caller cancels', async () => {
    const client = await node(() => null);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    expect((await chainError(client.waitForReceipt(HASH, { timeoutMs: 5_000, pollIntervalMs: 20, signal: controller.signal }))).code).toBe('ABORTED');
  });
});

describe('unreachable and stuck nodes', () => {
  it('is BACKEND_UNREACHABLE, fast, on a closed port', async () => {
    const client = new EthereumRpcClient({ url: `http://127.0.0.1:${await closedPort()}` });
    const started = Date.now();
    const error = await chainError(client.chainId());
    expect(error.code).toBe('BACKEND_UNREACHABLE');
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('is BACKEND_TIMEOUT when the node never answers', async () => {
    backend = await fakeBackend(() => 'hang');
    const client = new EthereumRpcClient({ url: backend.url, timeoutMs: 250 });
    const started = Date.now();
    const error = await chainError(client.getBalance(ACCOUNT));
    expect(error.code).toBe('BACKEND_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(1_500);
  });
});
