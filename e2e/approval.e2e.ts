/**
 * Signing behind the approval window, browser mode, end to end: the app page asks, main opens the
 * approval page on its own origin (the harness opens the URL main prints, as a person would see the
 * window main opens), the person reads the decoded request, types the PIN and approves (or
 * rejects); the demo Satochip signs. The app page itself can never approve.
 */
import { HDKey } from '@scure/bip32';
import { mnemonicToSeedSync } from '@scure/bip39';
import { SigningKey, computeAddress, verifyMessage, verifyTypedData } from 'ethers';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_MNEMONIC, DEMO_PIN } from '../main/core/demo/demo-card.ts';
import { type RunningApp, launchChromium, nextApproval, openApprovalWindow, startBrowserApp } from './support/browser-app.ts';

const root = HDKey.fromMasterSeed(mnemonicToSeedSync(DEMO_MNEMONIC));
const DEMO_ADDRESS = computeAddress(SigningKey.computePublicKey(root.derive("m/44'/60'/0'/0/0").publicKey!, false));

describe('browser mode: the approval window', () => {
  let app: RunningApp;
  let browser: Browser;
  let page: Page;
  let approvals = 0;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    app = await startBrowserApp(['--demo', 'on', '--no-pcsc']);
    browser = await launchChromium();
    page = await browser.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(app.url);
    await page.getByTestId('nav-sign').click();
    await page.getByTestId('sign-text').waitFor();
  });

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  async function ask(text: string, kind = 'eth-personal-sign'): Promise<Page> {
    await page.getByTestId('sign-text').fill(text);
    await page.getByTestId('sign-submit').click();
    await page.getByTestId('sign-status').waitFor();
    const approval = await nextApproval(app, approvals++);
    expect(approval.kind).toBe(kind);
    expect(new URL(approval.url).port).not.toBe(String(app.port)); // its own origin
    const window = await openApprovalWindow(browser, approval.url);
    return window;
  }

  it('a wrong PIN is reported with the tries left and nothing is retried', async () => {
    const window = await ask('first try');
    await window.getByTestId('approval-pin').fill('9999');
    await window.getByTestId('approval-approve').click();
    await expect.poll(() => page.getByTestId('sign-error').textContent()).toContain('4 tries left');
    await window.close();
  });

  it('shows the decoded message; with the PIN the card signs and the signature verifies', async () => {
    const message = 'Log in to example.org at 2026-11-23, nonce 9f3a';
    const window = await ask(message);
    expect(await window.getByTestId('approval-title').textContent()).toContain('personal_sign');
    expect(await window.getByTestId('approval-row').first().textContent()).toContain(message);
    expect(window.url()).not.toContain('token='); // removed from the address bar
    await window.getByTestId('approval-pin').fill(DEMO_PIN);
    await window.getByTestId('approval-approve').click();
    await page.getByTestId('sign-result').waitFor();
    expect(await page.getByTestId('sign-address').textContent()).toBe(DEMO_ADDRESS);
    const signature = (await page.getByTestId('sign-signature').textContent())!;
    expect(verifyMessage(message, signature)).toBe(DEMO_ADDRESS);
    await window.close();
  });

  it('Esc in the approval window rejects: nothing is signed and the app says so', async () => {
    const window = await ask('do not sign this');
    await window.keyboard.press('Escape');
    await expect.poll(() => page.getByTestId('sign-error').textContent()).toContain('rejected');
    await window.close();
  });

  it('the app page cannot approve: its bridge has no such method, and it cannot reach the approval origin', async () => {
    await page.getByTestId('sign-text').fill('try to approve from the app');
    await page.getByTestId('sign-submit').click();
    const approval = await nextApproval(app, approvals++);
    const viaOwnBridge = await page.evaluate(async () => {
      const token = sessionStorage.getItem('tapdesk.token');
      const ws = new WebSocket(`ws://${location.host}/bridge`, ['tapdesk.v1', `token.${token}`]);
      await new Promise((resolve) => (ws.onopen = resolve));
      const answer = new Promise<string>((resolve) => (ws.onmessage = (m) => resolve(String(m.data))));
      ws.send(JSON.stringify({ id: 1, method: 'approval.approve', payload: { pin: '1234' } }));
      return answer;
    });
    expect(JSON.parse(viaOwnBridge).envelope.error.code).toBe('UNKNOWN_METHOD');
    const approvalPort = new URL(approval.url).port;
    const viaApprovalOrigin = await page.evaluate(async (port) => {
      try {
        const ws = new WebSocket(`ws://127.0.0.1:${port}/approval-bridge`, ['tapdesk-approval.v1']);
        return await new Promise<string>((resolve) => {
          ws.onopen = () => resolve('open');
          ws.onerror = () => resolve('refused');
        });
      } catch {
        return 'blocked';
      }
    }, approvalPort);
    expect(viaApprovalOrigin).not.toBe('open');
    // The request is still waiting: reject it from its window.
    const window = await openApprovalWindow(browser, approval.url);
    await window.getByTestId('approval-reject').click();
    await expect.poll(() => page.getByTestId('sign-error').textContent()).toContain('rejected');
    await window.close();
    expect(pageErrors).toEqual([]);
  });

  it('EIP-712: the approval window shows the domain and fields; the card signature verifies with ethers', async () => {
    // The demo chains are not running here: the app is on Ethereum mainnet, so the domain says chain id 1.
    const typed = {
      types: {
        EIP712Domain: [{ name: 'name', type: 'string' }, { name: 'version', type: 'string' }, { name: 'chainId', type: 'uint256' }],
        Order: [{ name: 'item', type: 'string' }, { name: 'price', type: 'uint256' }],
      },
      primaryType: 'Order',
      domain: { name: 'Tapdesk shop', version: '1', chainId: 1 },
      message: { item: 'coffee', price: 3 },
    };
    await page.getByTestId('sign-kind-typed').check();
    const window = await ask(JSON.stringify(typed), 'eth-typed-data');
    const rows = (await window.getByTestId('approval-row').allTextContents()).join('\n');
    expect(rows).toContain('Tapdesk shop');
    expect(rows).toContain('coffee');
    await window.getByTestId('approval-pin').fill(DEMO_PIN);
    await window.getByTestId('approval-approve').click();
    await page.getByTestId('sign-result').waitFor();
    const signature = (await page.getByTestId('sign-signature').textContent())!;
    const { EIP712Domain: _domain, ...types } = typed.types;
    expect(verifyTypedData(typed.domain, types, typed.message, signature)).toBe(DEMO_ADDRESS);
    await window.close();
  });
});

