/**
 * Send coins with the (emulated) demo Satochip on a real regtest node (litecoind 0.21) behind our
 * Esplora server: discovery finds the card's coins, the PSBT (change back to the card) is shown for
 * approval, the card signs every input after the PIN, the node accepts and mines the transaction.
 * A rejection broadcasts nothing; a wrong-network address is refused before any approval window.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApprovalDisplay } from '../../../preload/approval-contract.ts';
import { type OpenApproval, ApprovalBroker, isApprovalError } from '../approvals/broker.ts';
import { EsploraClient } from '../chains/esplora.ts';
import { RegtestNode } from '../chains/local/regtest-node.ts';
import { type RegtestEsplora, startRegtestEsplora } from '../chains/local/regtest-esplora.ts';
import { DEMO_PIN, createDemoWalletCard } from '../demo/demo-card.ts';
import { DEMO_READER_NAME, type ReaderService } from '../readers.ts';
import { formatBtc } from '../wallets/btc/amounts.ts';
import { isBtcError } from '../wallets/btc/errors.ts';
import { CardAccounts } from '../wallets/card-accounts.ts';
import { type BtcChain, sendBtc } from './btc-send.ts';
import { demoReaders } from '../test-support/demo-readers.ts';

describe('send coins with the card on a regtest node', () => {
  let node: RegtestNode;
  let server: RegtestEsplora;
  let readers: ReaderService;
  let accounts: CardAccounts;
  let chain: BtcChain;
  let decide: (a: OpenApproval<unknown>, broker: ApprovalBroker) => void = () => undefined;
  const shown: OpenApproval<unknown>[] = [];
  const broker: ApprovalBroker = new ApprovalBroker({ open: (a) => (shown.push(a), queueMicrotask(() => decide(a, broker))) });
  const core = () => ({ readers, approvals: broker, accounts });

  beforeAll(async () => {
    node = await RegtestNode.start();
    server = await startRegtestEsplora({ rpcUrl: node.rpcUrl });
    chain = { network: 'litecoin-regtest', esplora: new EsploraClient({ baseUrl: server.url }), unit: 'LTC' };
    const card = await createDemoWalletCard();
    readers = await demoReaders(card);
    accounts = new CardAccounts(readers);
    const wallets = await accounts.unlock(DEMO_READER_NAME, DEMO_PIN);
    const account = CardAccounts.btcAccount(wallets, 'litecoin-regtest');
    // Two coins on two receive addresses: the send needs both inputs.
    await node.fund(account.describe(0, 0).address, 60_000_000);
    await node.fund(account.describe(0, 1).address, 50_000_000);
  }, 120_000);

  afterAll(async () => {
    await readers?.close();
    await server?.close();
    await node?.stop();
  });

  it('shows outputs, change and fee; signs both inputs after the PIN; the node accepts and mines it', async () => {
    decide = (a, b) => b.approve(a.request.id, a.token, DEMO_PIN);
    const to = await node.newAddress();
    const steps: string[] = [];
    const result = await sendBtc(core(), chain, { reader: DEMO_READER_NAME, to, amount: '1.0', feeRate: 2 }, (s) => steps.push(s.step === 'signing' ? `signing ${s.signed}/${s.total}` : s.step));
    expect(steps).toEqual(['preparing', 'waiting-approval', 'signing 0/2', 'signing 1/2', 'signing 2/2', 'broadcasting', 'sent']);
    expect(result.signedInputs).toBe(2);
    const display = shown.at(-1)!.request.view as ApprovalDisplay;
    const rows = display.sections.flatMap((s) => s.rows);
    expect(rows.some((r) => r.value === `${formatBtc(100_000_000)} LTC to ${to}`), JSON.stringify(rows)).toBe(true);
    expect(rows.some((r) => r.tone === 'change' && r.label.includes("m/84'/1'/0'/1/"))).toBe(true);
    await node.mine(1);
    const status = await chain.esplora.txStatus(result.txid);
    expect(status.confirmed).toBe(true);
    const received = (await chain.esplora.address(to)).confirmedBalance;
    expect(received).toBe(100_000_000);
  });

  it('a rejection broadcasts nothing', async () => {
    decide = (a, b) => b.reject(a.request.id, a.token);
    const to = await node.newAddress();
    const error = await sendBtc(core(), chain, { reader: DEMO_READER_NAME, to, amount: '0.01', feeRate: 2 }).catch((e: unknown) => e);
    expect(isApprovalError(error, 'APPROVAL_REJECTED'), String(error)).toBe(true);
    expect((await chain.esplora.address(to)).txCount).toBe(0);
  });

  it('refuses an address of another network and a zero amount before any approval window', async () => {
    const opened = shown.length;
    const mainnet = await sendBtc(core(), chain, { reader: DEMO_READER_NAME, to: 'bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu', amount: '0.1' }).catch((e: unknown) => e);
    expect(isBtcError(mainnet), String(mainnet)).toBe(true);
    const zero = await sendBtc(core(), chain, { reader: DEMO_READER_NAME, to: await node.newAddress(), amount: '0' }).catch((e: unknown) => e);
    expect(isBtcError(zero), String(zero)).toBe(true);
    expect(shown.length).toBe(opened);
  });
});
