/**
 * Send ETH with the (emulated) demo Satochip on a real Anvil: approval, card signature, broadcast,
 * receipt; the sender Anvil recovers is the card's address. A rejection broadcasts nothing; bad
 * input and insufficient funds are refused before any approval window or card command.
 */
import { getAddress, parseEther } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CardEmulator } from '../../../drivers/virtual/emulator.ts';
import { type OpenApproval, ApprovalBroker, isApprovalError } from '../approvals/broker.ts';
import type { ApprovalDisplay } from '../../../preload/approval-contract.ts';
import { AnvilNode } from '../chains/local/anvil.ts';
import { DEMO_PIN, createDemoWalletCard } from '../demo/demo-card.ts';
import { DEMO_READER_NAME, type ReaderService } from '../readers.ts';
import { CardAccounts } from '../wallets/card-accounts.ts';
import { isEthError } from '../wallets/eth/errors.ts';
import { customNetwork } from '../wallets/eth/networks.ts';
import { type EthChain, sendEth } from './eth-send.ts';
import { demoReaders } from '../test-support/demo-readers.ts';

describe('send ETH with the card on Anvil', () => {
  let anvil: AnvilNode;
  let readers: ReaderService;
  let accounts: CardAccounts;
  let chain: EthChain;
  let apdus = 0;
  let decide: (a: OpenApproval<unknown>, broker: ApprovalBroker) => void = () => undefined;
  const shown: OpenApproval<unknown>[] = [];
  const broker: ApprovalBroker = new ApprovalBroker({ open: (a) => (shown.push(a), queueMicrotask(() => decide(a, broker))) });
  let cardAddress: string;

  beforeAll(async () => {
    anvil = await AnvilNode.start();
    chain = { network: customNetwork(anvil.chainId, 'Anvil (local)', { testnet: true }), rpc: anvil.rpc };
    const card = await createDemoWalletCard();
    const counted: CardEmulator = { atr: card.atr, reset: () => card.reset(), process: (apdu) => (apdus++, card.process(apdu)) };
    readers = await demoReaders(counted);
    accounts = new CardAccounts(readers);
    cardAddress = (await accounts.unlock(DEMO_READER_NAME, DEMO_PIN)).eth.address;
    await anvil.setBalance(cardAddress, parseEther('5'));
  }, 60_000);

  afterAll(async () => {
    await readers?.close();
    await anvil?.stop();
  });

  const core = () => ({ readers, approvals: broker, accounts });

  it('shows the transaction, signs after approval with the PIN, and Anvil mines it from the card address', async () => {
    decide = (a, b) => b.approve(a.request.id, a.token, DEMO_PIN);
    const recipient = anvil.accounts[1]!;
    const before = await anvil.rpc.getBalance(recipient);
    const steps: string[] = [];
    const result = await sendEth(core(), chain, { reader: DEMO_READER_NAME, to: recipient, value: '0.75' }, (s) => steps.push(s));
    expect(steps).toEqual(['preparing', 'waiting-approval', 'signing', 'broadcasting', 'confirming', 'confirmed']);
    expect(result.from).toBe(cardAddress);
    const mined = await anvil.rpc.getTransaction(result.hash);
    expect(mined?.from.toLowerCase()).toBe(cardAddress.toLowerCase());
    expect((await anvil.rpc.getBalance(recipient)) - before).toBe(parseEther('0.75'));
    const display = shown.at(-1)!.request.view as ApprovalDisplay;
    const rows = Object.fromEntries(display.sections.flatMap((s) => s.rows.map((r) => [r.label, r.value])));
    expect(rows).toMatchObject({ To: getAddress(recipient), Value: '0.75 ETH', Nonce: '0' });
  });

  it('a rejection in the approval window broadcasts nothing and touches no card', async () => {
    decide = (a, b) => b.reject(a.request.id, a.token);
    const nonce = await anvil.rpc.getTransactionCount(cardAddress, 'pending');
    const before = apdus;
    const error = await sendEth(core(), chain, { reader: DEMO_READER_NAME, to: anvil.accounts[2]!, value: '0.1' }).catch((e: unknown) => e);
    expect(isApprovalError(error, 'APPROVAL_REJECTED')).toBe(true);
    expect(await anvil.rpc.getTransactionCount(cardAddress, 'pending')).toBe(nonce);
    // Only the card recognition (SELECT, GET STATUS, INIT SC) ran before the approval; nothing after.
    expect(apdus - before).toBe(3);
  });

  it('refuses a bad checksum, zero and insufficient funds before any approval window', async () => {
    decide = () => {
      throw new Error('no approval window may open');
    };
    const opened = shown.length;
    const apdusBefore = apdus;
    const good = getAddress(anvil.accounts[1]!);
    const flip = good.search(/[a-fA-F]/);
    const badChecksum = good.slice(0, flip) + (good[flip] === good[flip]!.toUpperCase() ? good[flip]!.toLowerCase() : good[flip]!.toUpperCase()) + good.slice(flip + 1);
    for (const [request, code] of [
      [{ to: badChecksum, value: '0.1' }, 'BAD_CHECKSUM'],
      [{ to: anvil.accounts[1]!, value: '0' }, 'ZERO_VALUE'],
      [{ to: anvil.accounts[1]!, value: '-1' }, 'NEGATIVE_VALUE'],
    ] as const) {
      const error = await sendEth(core(), chain, { reader: DEMO_READER_NAME, ...request }).catch((e: unknown) => e);
      expect(isEthError(error, code), `${JSON.stringify(request)}: ${String(error)}`).toBe(true);
    }
    expect(apdus).toBe(apdusBefore); // the form is refused before the card is even recognised
    const poor = await sendEth(core(), chain, { reader: DEMO_READER_NAME, to: anvil.accounts[1]!, value: '1000' }).catch((e: unknown) => e);
    expect(isEthError(poor, 'INSUFFICIENT_FUNDS'), String(poor)).toBe(true);
    expect(shown.length).toBe(opened);
  });
});
