/**
 * The wallet flow end to end in browser mode against a real Anvil: unlock the demo Satochip, see
 * its ETH balance, send ETH, read the transaction in the approval window, approve with the PIN,
 * the card signs, Anvil mines it from the card's address. A rejection sends nothing. The Bitcoin
 * backend is deliberately unreachable here: the screen says so instead of hanging.
 */
import { getAddress, parseEther } from 'ethers';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnvilNode } from '../main/core/chains/local/anvil.ts';
import { DEMO_PIN } from '../main/core/demo/demo-card.ts';
import { type RunningApp, launchChromium, nextApproval, openApprovalWindow, startBrowserApp } from './support/browser-app.ts';

describe('browser mode: accounts and sending ETH with the demo card on Anvil', () => {
  let anvil: AnvilNode;
  let app: RunningApp;
  let browser: Browser;
  let page: Page;
  let approvals = 0;
  let cardAddress = '';

  beforeAll(async () => {
    anvil = await AnvilNode.start();
    // Port 9 (discard) refuses: the Bitcoin backend is unreachable on purpose.
    app = await startBrowserApp(['--demo', 'on', '--no-pcsc', '--eth-rpc', anvil.url, '--eth-chain-id', String(anvil.chainId), '--esplora', 'http://127.0.0.1:9']);
    browser = await launchChromium();
    page = await browser.newPage();
    await page.goto(app.url);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    await anvil?.stop();
  });

  it('unlocks the card with its PIN and shows its addresses, the ETH balance, and an unreachable Bitcoin backend plainly', async () => {
    await page.getByTestId('nav-accounts').click();
    await page.getByTestId('accounts-pin').fill(DEMO_PIN);
    await page.getByTestId('accounts-unlock').click();
    await page.getByTestId('accounts-eth-address').waitFor();
    cardAddress = (await page.getByTestId('accounts-eth-address').textContent())!;
    expect(cardAddress).toBe(getAddress(cardAddress));
    expect(await page.getByTestId('accounts-demo').isVisible()).toBe(true);
    expect(await page.getByTestId('accounts-btc-address').textContent()).toMatch(/^rltc1q/);
    expect(await page.getByTestId('accounts-btc-balance').textContent()).toBe('balance unavailable');
    await anvil.setBalance(cardAddress, parseEther('10'));
    await page.getByTestId('accounts-refresh').click();
    await expect.poll(() => page.getByTestId('accounts-eth-balance').textContent()).toBe('10.0 ETH');
  });

  it('sends ETH: the approval window shows it, the PIN approves, the card signs, Anvil mines it from the card', async () => {
    const recipient = getAddress(anvil.accounts[1]!);
    const before = await anvil.rpc.getBalance(recipient);
    await page.getByTestId('nav-send').click();
    await page.getByTestId('send-to').fill(recipient.toLowerCase().replace('0x', '0X'));
    expect(await page.getByTestId('send-to-problem').isVisible()).toBe(true); // checked as you type
    await page.getByTestId('send-to').fill(recipient);
    await page.getByTestId('send-amount').fill('1.5');
    await page.getByTestId('send-submit').click();
    await page.getByTestId('send-status').waitFor();
    const approval = await nextApproval(app, approvals++);
    expect(approval.kind).toBe('eth-transaction');
    const window = await openApprovalWindow(browser, approval.url);
    const rows = await window.getByTestId('approval-row').allTextContents();
    expect(rows.join('\n')).toContain(recipient);
    expect(rows.join('\n')).toContain('1.5 ETH');
    expect(rows.join('\n')).toContain('chain id 31337');
    await window.getByTestId('approval-pin').fill(DEMO_PIN);
    await window.getByTestId('approval-approve').click();
    await page.getByTestId('send-result').waitFor({ timeout: 30_000 });
    const hash = (await page.getByTestId('send-hash').textContent())!;
    const mined = await anvil.rpc.getTransaction(hash);
    expect(getAddress(mined!.from)).toBe(cardAddress);
    expect((await anvil.rpc.getBalance(recipient)) - before).toBe(parseEther('1.5'));
    await window.close();
  });

  it('rejecting in the approval window sends nothing', async () => {
    const nonce = await anvil.rpc.getTransactionCount(cardAddress, 'pending');
    await page.getByTestId('send-amount').fill('0.25');
    await page.getByTestId('send-submit').click();
    const approval = await nextApproval(app, approvals++);
    const window = await openApprovalWindow(browser, approval.url);
    await window.getByTestId('approval-reject').click();
    await expect.poll(() => page.getByTestId('send-error').textContent()).toContain('rejected');
    expect(await anvil.rpc.getTransactionCount(cardAddress, 'pending')).toBe(nonce);
    await window.close();
  });

  it('Networks: pointing Ethereum at a backend that is down shows the balance as unavailable, and back', async () => {
    await page.getByTestId('nav-settings').click();
    await page.getByTestId('settings-eth-rpc').fill('http://127.0.0.1:9');
    await page.getByTestId('settings-save').click();
    await page.getByTestId('settings-saved').waitFor();
    await page.getByTestId('nav-accounts').click();
    await expect.poll(() => page.getByTestId('accounts-eth-balance').textContent()).toBe('balance unavailable');
    await page.getByTestId('nav-settings').click();
    await page.getByTestId('settings-eth-rpc').fill(anvil.url);
    await page.getByTestId('settings-save').click();
    await page.getByTestId('settings-saved').waitFor();
    await page.getByTestId('nav-accounts').click();
    await expect.poll(() => page.getByTestId('accounts-eth-balance').textContent()).toMatch(/ETH$/);
  });

  it('signs an unsigned transaction built elsewhere (JSON), sends it, and Anvil mines it from the card', async () => {
    const recipient = getAddress(anvil.accounts[3]!);
    const before = await anvil.rpc.getBalance(recipient);
    const nonce = await anvil.rpc.getTransactionCount(cardAddress, 'pending');
    const tx = { type: 2, chainId: anvil.chainId, nonce, to: recipient, value: '0x6f05b59d3b20000', gasLimit: '21000', maxFeePerGas: '20000000000', maxPriorityFeePerGas: '1000000000' };
    await page.getByTestId('nav-sign').click();
    await page.getByTestId('sign-kind-transaction').check();
    await page.getByTestId('sign-broadcast').check();
    await page.getByTestId('sign-text').fill(JSON.stringify(tx));
    await page.getByTestId('sign-submit').click();
    const approval = await nextApproval(app, approvals++);
    expect(approval.kind).toBe('eth-transaction');
    const window = await openApprovalWindow(browser, approval.url);
    expect((await window.getByTestId('approval-row').allTextContents()).join('\n')).toContain('0.5 ETH');
    await window.getByTestId('approval-pin').fill(DEMO_PIN);
    await window.getByTestId('approval-approve').click();
    await page.getByTestId('sign-result').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('sign-address').textContent()).toBe(cardAddress);
    await expect.poll(async () => (await anvil.rpc.getBalance(recipient)) - before).toBe(parseEther('0.5'));
    await window.close();
  });
});

