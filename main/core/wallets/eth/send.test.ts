import { Interface, Transaction, Wallet, parseEther, parseUnits } from 'ethers';
import { beforeAll, describe, expect, it } from 'vitest';
import type { EthChain, EthReceipt } from './chain.ts';
import { describeTransaction } from './decode.ts';
import { isEthError } from './errors.ts';
import { customNetwork } from './networks.ts';
import { broadcast, prepareSend, readAccount } from './send.ts';
import { CARD_ADDRESS, ethTestCard, thrown } from './test-support/card.ts';
import { signTransaction } from './transaction.ts';

const ANVIL = customNetwork(31337, 'Anvil (local)');
const BOB = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
const GWEI = 10n ** 9n;

/** An in-memory backend: records every call, "mines" what it is sent. */
class FakeChain implements EthChain {
  calls: string[] = [];
  sent: string[] = [];
  id = 31337;
  balance = parseEther('10');
  nonce = 4;
  fees = { baseFeePerGas: 10n * GWEI, maxPriorityFeePerGas: 2n * GWEI };
  estimate = 21_000n;
  status: 0 | 1 = 1;
  answerHash: ((hash: string) => string) | null = null;
  async chainId() {
    this.calls.push('chainId');
    return this.id;
  }
  async getBalance() {
    this.calls.push('getBalance');
    return this.balance;
  }
  async getTransactionCount() {
    this.calls.push('getTransactionCount');
    return this.nonce;
  }
  async feeData() {
    this.calls.push('feeData');
    return this.fees;
  }
  async estimateGas() {
    this.calls.push('estimateGas');
    return this.estimate;
  }
  async sendRawTransaction(raw: string) {
    this.calls.push('sendRawTransaction');
    this.sent.push(raw);
    const hash = Transaction.from(raw).hash!;
    return this.answerHash ? this.answerHash(hash) : hash;
  }
  async waitForReceipt(hash: string): Promise<EthReceipt> {
    this.calls.push('waitForReceipt');
    return { transactionHash: hash, blockNumber: 1, status: this.status, gasUsed: 21_000n };
  }
}

let card: Awaited<ReturnType<typeof ethTestCard>>;
beforeAll(async () => {
  card = await ethTestCard();
});

describe('send ETH through a backend', () => {
  it('reads the account: balance and next nonce', async () => {
    const chain = new FakeChain();
    expect(await readAccount(chain, ANVIL, card.account)).toEqual({ address: CARD_ADDRESS, chainId: 31337, balance: { wei: parseEther('10').toString(), eth: '10.0' }, nonce: 4 });
  });

  it('prepare (nonce, fees 2 x base + tip, gas) -> approval view -> sign -> broadcast -> receipt; the sender is the card', async () => {
    const chain = new FakeChain();
    const prepared = await prepareSend(chain, ANVIL, card.account, { to: BOB, value: parseEther('1') });
    expect(prepared.tx).toMatchObject({ nonce: 4, gasLimit: 21_000n, maxFeePerGas: 22n * GWEI, maxPriorityFeePerGas: 2n * GWEI, chainId: 31337n });
    const view = describeTransaction(prepared.unsigned, ANVIL, { account: card.account });
    expect(view).toMatchObject({ to: BOB, value: { eth: '1.0' }, maxFee: { eth: '0.000462' }, nonce: 4, network: { chainId: 31337, name: 'Anvil (local)' } });
    const signed = await signTransaction(card.signer, card.account, view.unsigned, ANVIL);
    const result = await broadcast(chain, ANVIL, card.account, signed.raw, { wait: true });
    expect(result.hash).toBe(signed.hash);
    expect(result.receipt?.status).toBe(1);
    expect(Transaction.from(chain.sent[0]!).from).toBe(CARD_ADDRESS);
  });

  it('contract calls get the estimate plus headroom; given fields are kept', async () => {
    const chain = new FakeChain();
    chain.estimate = 50_000n;
    const data = new Interface(['function transfer(address,uint256)']).encodeFunctionData('transfer', [BOB, 5n]);
    const prepared = await prepareSend(chain, ANVIL, card.account, { to: BOB, value: 0, data, nonce: 9, maxFeePerGas: 5n * GWEI, maxPriorityFeePerGas: GWEI });
    expect(prepared.tx).toMatchObject({ gasLimit: 60_000n, nonce: 9, maxFeePerGas: 5n * GWEI, maxPriorityFeePerGas: GWEI });
    expect(chain.calls).not.toContain('feeData');
    expect(chain.calls).not.toContain('getTransactionCount');
  });

  it('a bad form is refused before the backend is asked anything', async () => {
    for (const [request, code] of [
      [{ to: BOB.replace('C8', 'c8'), value: 1 }, 'BAD_CHECKSUM'],
      [{ to: BOB, value: 0 }, 'ZERO_VALUE'],
      [{ to: BOB, value: -1 }, 'NEGATIVE_VALUE'],
      [{ to: BOB, value: 1n << 256n }, 'VALUE_OVERFLOW'],
      [{ to: BOB, value: 1, gasLimit: 0 }, 'ZERO_VALUE'],
    ] as const) {
      const chain = new FakeChain();
      expect(isEthError(await thrown(() => prepareSend(chain, ANVIL, card.account, request)), code)).toBe(true);
      expect(chain.calls).toEqual([]);
    }
  });

  it('a backend on another chain: CHAIN_ID_MISMATCH; a balance short of value + max fee: INSUFFICIENT_FUNDS', async () => {
    const other = new FakeChain();
    other.id = 1;
    expect(isEthError(await thrown(() => prepareSend(other, ANVIL, card.account, { to: BOB, value: 1 })), 'CHAIN_ID_MISMATCH')).toBe(true);
    expect(isEthError(await thrown(() => readAccount(other, ANVIL, card.account)), 'CHAIN_ID_MISMATCH')).toBe(true);
    const poor = new FakeChain();
    poor.balance = parseEther('1');
    const error = await thrown(() => prepareSend(poor, ANVIL, card.account, { to: BOB, value: parseEther('1') }));
    expect(isEthError(error, 'INSUFFICIENT_FUNDS')).toBe(true);
  });

  it('impossible backend answers: BAD_CHAIN_DATA', async () => {
    const chain = new FakeChain();
    chain.fees = { baseFeePerGas: -1n, maxPriorityFeePerGas: 0n };
    expect(isEthError(await thrown(() => prepareSend(chain, ANVIL, card.account, { to: BOB, value: 1 })), 'BAD_CHAIN_DATA')).toBe(true);
    const negative = new FakeChain();
    negative.balance = -5n;
    expect(isEthError(await thrown(() => readAccount(negative, ANVIL, card.account)), 'BAD_CHAIN_DATA')).toBe(true);
  });

  it('broadcast refuses what the card did not sign, or another chain, without sending', async () => {
    const chain = new FakeChain();
    const other = new Wallet('0x' + '11'.repeat(32));
    const foreign = await other.signTransaction({ type: 2, chainId: 31337n, to: BOB, value: 1n, nonce: 0, gasLimit: 21_000n, maxFeePerGas: GWEI, maxPriorityFeePerGas: 1n });
    expect(isEthError(await thrown(() => broadcast(chain, ANVIL, card.account, foreign)), 'SIGNER_MISMATCH')).toBe(true);
    const unsigned = Transaction.from({ type: 2, chainId: 31337n, to: BOB, value: 1n, nonce: 0, gasLimit: 21_000n, maxFeePerGas: GWEI, maxPriorityFeePerGas: 1n }).unsignedSerialized;
    expect(isEthError(await thrown(() => broadcast(chain, ANVIL, card.account, unsigned)), 'MALFORMED_TRANSACTION')).toBe(true);
    const mainnetTx = await other.signTransaction({ type: 2, chainId: 1n, to: BOB, value: 1n, nonce: 0, gasLimit: 21_000n, maxFeePerGas: GWEI, maxPriorityFeePerGas: 1n });
    expect(isEthError(await thrown(() => broadcast(chain, ANVIL, card.account, mainnetTx)), 'CHAIN_ID_MISMATCH')).toBe(true);
    expect(chain.sent).toEqual([]);
  });

  it('a backend answering another hash: BAD_CHAIN_DATA; a reverted receipt: TRANSACTION_REVERTED', async () => {
    const prepared = await prepareSend(new FakeChain(), ANVIL, card.account, { to: BOB, value: parseUnits('1', 'gwei') });
    const signed = await signTransaction(card.signer, card.account, prepared.unsigned, ANVIL);
    const liar = new FakeChain();
    liar.answerHash = () => '0x' + '00'.repeat(32);
    expect(isEthError(await thrown(() => broadcast(liar, ANVIL, card.account, signed.raw)), 'BAD_CHAIN_DATA')).toBe(true);
    const reverting = new FakeChain();
    reverting.status = 0;
    expect(isEthError(await thrown(() => broadcast(reverting, ANVIL, card.account, signed.raw, { wait: true })), 'TRANSACTION_REVERTED')).toBe(true);
  });
});
