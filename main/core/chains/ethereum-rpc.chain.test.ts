/**
 * The Ethereum JSON-RPC client against a real Anvil (from npm): chain id, balance, nonce, the EIP-1559
 * suggestion, gas estimate, a raw transaction signed with an ethers Wallet from a test key broadcast and
 * mined, the node's refusals as BROADCAST_REJECTED, and the state after Anvil stops.
 */
import { Transaction, Wallet, id as keccakText, parseEther } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isChainError, type ChainError } from './errors.ts';
import { EthereumRpcClient } from './ethereum-rpc.ts';
import { ANVIL_DEFAULT_CHAIN_ID, AnvilNode } from './local/anvil.ts';

let anvil: AnvilNode;
let client: EthereumRpcClient;
/** A test key of our own (not one of Anvil's dev accounts), funded in beforeAll. */
const sender = new Wallet(keccakText('tapdesk chain test: ethereum sender'));
const recipient = new Wallet(keccakText('tapdesk chain test: ethereum recipient')).address;

beforeAll(async () => {
  anvil = await AnvilNode.start();
  client = new EthereumRpcClient({ url: anvil.url, timeoutMs: 5_000 });
  await anvil.setBalance(sender.address, parseEther('5'));
});

afterAll(async () => {
  await anvil?.stop();
});

async function rejection(promise: Promise<unknown>): Promise<ChainError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isChainError(error)) throw new Error(`expected a ChainError, got ${String(error)}`);
  return error;
}

async function signedTransfer(overrides: { nonce?: number; value?: bigint; chainId?: number } = {}): Promise<string> {
  const fees = await client.feeData();
  return sender.signTransaction({
    type: 2,
    chainId: overrides.chainId ?? ANVIL_DEFAULT_CHAIN_ID,
    nonce: overrides.nonce ?? (await client.getTransactionCount(sender.address)),
    to: recipient,
    value: overrides.value ?? parseEther('1.25'),
    gasLimit: 21_000n,
    maxFeePerGas: fees.maxFeePerGas,
    maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
  });
}

describe('Ethereum JSON-RPC client on Anvil', () => {
  it('reads the chain id, the dev accounts and a set balance', async () => {
    expect(await client.chainId()).toBe(31337);
    expect(anvil.accounts).toHaveLength(10);
    // The well-known first account of the test mnemonic.
    expect(anvil.accounts[0]).toBe('0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266');
    expect(await client.getBalance(anvil.accounts[0] as string)).toBe(parseEther('10000'));
    expect(await client.getBalance(sender.address)).toBe(parseEther('5'));
    expect(await client.getTransactionCount(sender.address)).toBe(0);
  });

  it('suggests EIP-1559 fees: the next base fee, a tip, max = 2 x base + tip', async () => {
    const fees = await client.feeData();
    expect(fees.baseFeePerGas).toBeGreaterThan(0n);
    expect(fees.maxPriorityFeePerGas).toBeGreaterThan(0n);
    expect(fees.maxFeePerGas).toBe(2n * fees.baseFeePerGas + fees.maxPriorityFeePerGas);
    expect(fees.tipSource).toBe('eth_maxPriorityFeePerGas');
    const history = await client.feeHistory(3, 'latest', [50]);
    expect(history.baseFeePerGas.at(-1)).toBe(fees.baseFeePerGas);
  });

  it('estimates 21000 gas for a plain transfer', async () => {
    expect(await client.estimateGas({ from: sender.address, to: recipient, value: 1n })).toBe(21_000n);
  });

  it('broadcasts a transfer signed with an ethers Wallet and reads its receipt', async () => {
    const raw = await signedTransfer();
    const hash = await client.sendRawTransaction(raw);
    expect(hash).toBe(Transaction.from(raw).hash);
    const receipt = await client.waitForReceipt(hash, { timeoutMs: 10_000, pollIntervalMs: 50 });
    expect(receipt).toMatchObject({ transactionHash: hash, status: 1, from: sender.address.toLowerCase(), to: recipient.toLowerCase(), gasUsed: 21_000n });
    expect(receipt.blockNumber).toBe(await client.blockNumber());
    expect(receipt.effectiveGasPrice).toBeGreaterThan(0n);
    expect(await client.getBalance(recipient)).toBe(parseEther('1.25'));
    expect(await client.getTransactionCount(sender.address)).toBe(1);
    expect(await client.getTransaction(hash)).toMatchObject({ hash, nonce: 0, value: parseEther('1.25'), blockNumber: receipt.blockNumber });
    const fee = receipt.gasUsed * (receipt.effectiveGasPrice as bigint);
    expect(await client.getBalance(sender.address)).toBe(parseEther('5') - parseEther('1.25') - fee);
  });

  it('refuses a reused nonce, too little money and a wrong chain id with BROADCAST_REJECTED and the node’s reason', async () => {
    const reused = await rejection(client.sendRawTransaction(await signedTransfer({ nonce: 0 })));
    expect(reused.code).toBe('BROADCAST_REJECTED');
    expect(String(reused.info.reason)).toMatch(/nonce/i);

    const tooMuch = await rejection(client.sendRawTransaction(await signedTransfer({ value: parseEther('100') })));
    expect(tooMuch.code).toBe('BROADCAST_REJECTED');
    expect(String(tooMuch.info.reason)).toMatch(/insufficient funds/i);

    const otherChain = await rejection(client.sendRawTransaction(await signedTransfer({ chainId: 1 })));
    expect(otherChain.code).toBe('BROADCAST_REJECTED');
    expect(String(otherChain.info.reason)).toMatch(/chain/i);
  });

  it('gives RPC_ERROR for an unknown method and CONFIRMATION_TIMEOUT for a transaction never sent', async () => {
    const unknown = await rejection(client.request('tapdesk_noSuchMethod', []));
    expect(unknown.code).toBe('RPC_ERROR');
    expect(unknown.info.rpcCode).toBe(-32601);
    expect(await client.getTransactionReceipt(`0x${'11'.repeat(32)}`)).toBeNull();
    const started = Date.now();
    const never = await rejection(client.waitForReceipt(`0x${'11'.repeat(32)}`, { timeoutMs: 300, pollIntervalMs: 50 }));
    expect(never.code).toBe('CONFIRMATION_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('funds an address with a mined transfer from a dev account', async () => {
    const fresh = new Wallet(keccakText('tapdesk chain test: funded by transfer')).address;
    const hash = await anvil.fund(fresh, parseEther('2'));
    expect(await client.getBalance(fresh)).toBe(parseEther('2'));
    expect((await client.getTransactionReceipt(hash))?.status).toBe(1);
  });

  it('is BACKEND_UNREACHABLE, fast, once Anvil has stopped', async () => {
    const other = await AnvilNode.start();
    const url = other.url;
    await other.stop();
    const started = Date.now();
    const error = await rejection(new EthereumRpcClient({ url }).chainId());
    expect(error.code).toBe('BACKEND_UNREACHABLE');
    expect(error.info.reason).toBe('ECONNREFUSED');
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
