import { Transaction, parseEther, parseUnits } from 'ethers';
import { afterEach, describe, expect, it } from 'vitest';
import { type OpenApproval, ApprovalBroker } from '../approvals/broker.ts';
import { EthereumRpcClient } from '../chains/ethereum-rpc.ts';
import { DEMO_PIN, createDemoWalletCard } from '../demo/demo-card.ts';
import { DEMO_READER_NAME, type ReaderService } from '../readers.ts';
import { CardAccounts } from '../wallets/card-accounts.ts';
import { isEthError } from '../wallets/eth/errors.ts';
import { customNetwork } from '../wallets/eth/networks.ts';
import { signEthRawTransaction } from './eth-raw-transaction.ts';
import { demoReaders } from '../test-support/demo-readers.ts';

const network = customNetwork(31337, 'Anvil (demo chain)', { testnet: true });
// Not used: nothing is broadcast in these tests.
const chain = { network, rpc: new EthereumRpcClient({ url: 'http://127.0.0.1:9' }) };
const TO = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';

let readers: ReaderService | null = null;
afterEach(async () => {
  await readers?.close();
  readers = null;
});

async function setUp() {
  const card = await createDemoWalletCard();
  readers = await demoReaders(card);
  const accounts = new CardAccounts(readers);
  const wallets = await accounts.unlock(DEMO_READER_NAME, DEMO_PIN);
  const shown: OpenApproval<unknown>[] = [];
  const broker: ApprovalBroker = new ApprovalBroker({ open: (a) => (shown.push(a), queueMicrotask(() => broker.approve(a.request.id, a.token, DEMO_PIN))) });
  return { core: { readers, approvals: broker, accounts }, shown, address: wallets.eth.address };
}

const unsigned = (chainId: number) =>
  Transaction.from({ type: 2, chainId, nonce: 7, to: TO, value: parseEther('0.01'), gasLimit: 21000n, maxFeePerGas: parseUnits('3', 'gwei'), maxPriorityFeePerGas: parseUnits('1', 'gwei') }).unsignedSerialized;

describe('signing an unsigned Ethereum transaction from elsewhere', () => {
  it('hex or JSON: approved, signed by the card over exactly that transaction', async () => {
    const { core, address } = await setUp();
    const fromHex = await signEthRawTransaction(core, chain, { reader: DEMO_READER_NAME, tx: unsigned(31337), broadcast: false });
    const tx = Transaction.from(fromHex.raw);
    expect(tx.from).toBe(address);
    expect(tx.nonce).toBe(7);
    expect(tx.to).toBe(TO);
    const json = JSON.stringify({ type: 2, chainId: 31337, nonce: 8, to: TO, value: '0x2386f26fc10000', gasLimit: '21000', maxFeePerGas: '3000000000', maxPriorityFeePerGas: '1000000000' });
    const fromJson = await signEthRawTransaction(core, chain, { reader: DEMO_READER_NAME, tx: json, broadcast: false });
    expect(Transaction.from(fromJson.raw).from).toBe(address);
  });

  it('refuses a transaction for another chain, or malformed, before any approval window', async () => {
    const { core, shown } = await setUp();
    const other = await signEthRawTransaction(core, chain, { reader: DEMO_READER_NAME, tx: unsigned(1), broadcast: false }).catch((e: unknown) => e);
    expect(isEthError(other, 'CHAIN_ID_MISMATCH'), String(other)).toBe(true);
    const broken = await signEthRawTransaction(core, chain, { reader: DEMO_READER_NAME, tx: '0x02f8', broadcast: false }).catch((e: unknown) => e);
    expect(isEthError(broken), String(broken)).toBe(true);
    expect(shown).toHaveLength(0);
  });
});
