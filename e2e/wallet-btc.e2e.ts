/**
 * Bitcoin-family send end to end in browser mode against a real regtest node (litecoind 0.21)
 * behind our Esplora server: the demo card's balance, a send read in the approval window (outputs,
 * change, fee), the PIN, the card signs, the node accepts and mines it; rejected with Esc, nothing
 * reaches the node. The Ethereum backend is
 * deliberately unreachable here: its balance says so.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EsploraClient } from '../main/core/chains/esplora.ts';
import { RegtestNode } from '../main/core/chains/local/regtest-node.ts';
import { type RegtestEsplora, startRegtestEsplora } from '../main/core/chains/local/regtest-esplora.ts';
import { HDKey } from '@scure/bip32';
import { mnemonicToSeedSync } from '@scure/bip39';
import { DEMO_MNEMONIC, DEMO_PIN } from '../main/core/demo/demo-card.ts';
import { esploraBackend } from '../main/core/signing/btc-send.ts';
import { Bip84Account } from '../main/core/wallets/btc/account.ts';
import { hash160 } from '../main/core/wallets/btc/bytes.ts';
import { discoverAccount, listUtxos } from '../main/core/wallets/btc/discovery.ts';
import { buildSendPsbt } from '../main/core/wallets/btc/psbt-build.ts';
import { type RunningApp, launchChromium, nextApproval, openApprovalWindow, startBrowserApp } from './support/browser-app.ts';

describe('browser mode: sending coins with the demo card on a regtest node', () => {
  let node: RegtestNode;
  let server: RegtestEsplora;
  let app: RunningApp;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    node = await RegtestNode.start();
    server = await startRegtestEsplora({ rpcUrl: node.rpcUrl });
    app = await startBrowserApp(['--demo', 'on', '--no-pcsc', '--eth-rpc', 'http://127.0.0.1:9', '--esplora', server.url]);
    browser = await launchChromium();
    page = await browser.newPage();
    await page.goto(app.url);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    await server?.close();
    await node?.stop();
  });

  it('unlocks, receives coins to the shown address, and shows the balance', async () => {
    await page.getByTestId('nav-accounts').click();
    await page.getByTestId('accounts-pin').fill(DEMO_PIN);
    await page.getByTestId('accounts-unlock').click();
    await page.getByTestId('accounts-btc-address').waitFor();
    const address = (await page.getByTestId('accounts-btc-address').textContent())!;
    expect(address).toMatch(/^rltc1q/);
    expect(await page.getByTestId('accounts-eth-balance').textContent()).toBe('balance unavailable');
    await node.fund(address, 200_000_000);
    await page.getByTestId('accounts-refresh').click();
    await expect.poll(() => page.getByTestId('accounts-btc-balance').textContent()).toBe('2.00000000 LTC');
    // The card re-derives the shown address.
    await page.getByTestId('accounts-verify-pin').fill(DEMO_PIN);
    await page.getByTestId('accounts-verify').click();
    await expect.poll(() => page.getByTestId('accounts-verified').textContent()).toContain(address);
  });

  /** Fills the Send screen for `amount` coins to a new node address and opens the approval window it asks for (the `index`th). */
  async function sendAndOpenApproval(amount: string, index: number): Promise<{ to: string; window: Page }> {
    const to = await node.newAddress();
    await page.getByTestId('nav-send').click();
    await page.getByTestId('send-chain-btc').check();
    await page.getByTestId('send-to').fill(to);
    await page.getByTestId('send-amount').fill(amount);
    await page.getByTestId('send-submit').click();
    const approval = await nextApproval(app, index);
    expect(approval.kind).toBe('btc-psbt');
    // Progress from main: the app says where to approve.
    await expect.poll(() => page.getByTestId('send-status').textContent()).toContain('approval window');
    const window = await openApprovalWindow(browser, approval.url);
    return { to, window };
  }

  it('sends: the approval window shows the output and the change, the PIN approves, the node mines it', async () => {
    const { to, window } = await sendAndOpenApproval('0.5', 0);
    const rows = (await window.getByTestId('approval-row').allTextContents()).join('\n');
    expect(rows).toContain(to);
    expect(rows).toContain('Change back to this card');
    await window.getByTestId('approval-pin').fill(DEMO_PIN);
    await window.getByTestId('approval-approve').click();
    await page.getByTestId('send-btc-result').waitFor({ timeout: 30_000 });
    const txid = (await page.getByTestId('send-txid').textContent())!;
    await node.mine(1);
    const esplora = new EsploraClient({ baseUrl: server.url });
    expect((await esplora.txStatus(txid)).confirmed).toBe(true);
    expect((await esplora.address(to)).confirmedBalance).toBe(50_000_000);
    await window.close();
  });

  it('signs a PSBT made by a watch-only wallet (pasted as base64), finalizes and broadcasts it', async () => {
    // The watch-only side, as Sparrow would hold it: the card's tpub only (the demo seed is public).
    const root = HDKey.fromMasterSeed(mnemonicToSeedSync(DEMO_MNEMONIC), { private: 0x04358394, public: 0x043587cf });
    const watchOnly = Bip84Account.fromXpub(root.derive("m/84'/1'/0'").publicExtendedKey, { network: 'litecoin-regtest', masterFingerprint: hash160(root.publicKey!).slice(0, 4) });
    const backend = esploraBackend(new EsploraClient({ baseUrl: server.url }));
    const scan = await discoverAccount(watchOnly, backend);
    const utxos = await listUtxos(backend, [...scan.receive.used, ...scan.change.used]);
    const to = await node.newAddress();
    const psbt = buildSendPsbt(watchOnly, { recipients: [{ address: to, amount: 30_000_000 }], feeRate: 2, utxos, changeIndex: scan.change.nextIndex }).psbt.toBase64();

    await page.getByTestId('nav-psbt').click();
    await page.getByTestId('psbt-text').fill(psbt);
    await page.getByTestId('psbt-broadcast').check();
    await page.getByTestId('psbt-submit').click();
    const approval = await nextApproval(app, 1);
    const window = await openApprovalWindow(browser, approval.url);
    expect((await window.getByTestId('approval-row').allTextContents()).join('\n')).toContain(to);
    expect(await window.getByTestId('approval-approve').textContent()).toBe('Sign and broadcast');
    await window.getByTestId('approval-pin').fill(DEMO_PIN);
    await window.getByTestId('approval-approve').click();
    await page.getByTestId('psbt-result').waitFor({ timeout: 30_000 });
    const txid = (await page.getByTestId('psbt-txid').textContent())!;
    await node.mine(1);
    const esplora = new EsploraClient({ baseUrl: server.url });
    expect((await esplora.txStatus(txid)).confirmed).toBe(true);
    expect((await esplora.address(to)).confirmedBalance).toBe(30_000_000);
    await window.close();
  });

  it('a malformed PSBT is refused before any approval window, with a clear error', async () => {
    await page.getByTestId('psbt-text').fill('cHNidP8BAHECAAAAAf//');
    await page.getByTestId('psbt-submit').click();
    await expect.poll(() => page.getByTestId('psbt-error').textContent()).toMatch(/PSBT/);
    expect(app.output.join('').split('\n').filter((l) => l.startsWith('TAPDESK_APPROVAL ')).length).toBe(2);
  });

  it('rejecting the send in the approval window (Esc) sends nothing: the node sees no transaction', async () => {
    const { to, window } = await sendAndOpenApproval('0.1', 2);
    await window.keyboard.press('Escape');
    await expect.poll(() => page.getByTestId('send-error').textContent()).toContain('rejected');
    expect(await node.rpc.call<string[]>('getrawmempool')).toEqual([]);
    await node.mine(1);
    const seen = await new EsploraClient({ baseUrl: server.url }).address(to);
    expect(seen.confirmedBalance).toBe(0);
    expect(seen.unconfirmedDelta).toBe(0);
    await window.close();
  });

  it('lists the recent transactions of the account from the backend (no explorer on a local chain)', async () => {
    await page.getByTestId('nav-accounts').click();
    await page.getByTestId('accounts-history-load').click();
    await page.getByTestId('accounts-history').waitFor();
    const items = await page.getByTestId('accounts-history-btc').allTextContents();
    expect(items.some((t) => t.startsWith('2.00000000 LTC'))).toBe(true); // the funding
    expect(items.some((t) => t.startsWith('-0.5'))).toBe(true); // the send, with its fee
    expect(await page.getByTestId('accounts-history').locator('a').count()).toBe(0);
  });
});

