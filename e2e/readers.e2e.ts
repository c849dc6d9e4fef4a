/**
 * Browser mode end to end, with real parts: pcscd with the vpcd driver, virtual cards attached
 * through vpcd, the app's own browser-mode server, and Debian's Chromium.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CardEmulator } from '../drivers/virtual/emulator.ts';
import { contactlessAtr, sw } from '../drivers/virtual/emulator.ts';
import { canControlPcscd, ensurePcscd, insertVirtualCard, stopPcscd } from '../drivers/virtual/pcscd-harness.ts';
import { TestCard } from '../drivers/virtual/test-card.ts';
import type { VpcdCard } from '../drivers/virtual/vpcd.ts';
import { type RunningApp, launchChromium, startBrowserApp } from './support/browser-app.ts';

const READER_0 = 'Virtual PCD 00 00';
const READER_1 = 'Virtual PCD 00 01';

/** A card that knows none of our AIDs. */
const strangerCard: CardEmulator = {
  atr: contactlessAtr(new TextEncoder().encode('STRANGER')),
  process: () => sw(0x6a82),
};

if (!canControlPcscd) console.log('SKIP pcscd stop/start e2e: only root can stop and start pcscd');

describe('browser mode: readers and cards', () => {
  let app: RunningApp;
  let browser: Browser;
  let page: Page;
  const consoleErrors: string[] = [];
  const inserted: VpcdCard[] = [];

  beforeAll(async () => {
    const pcscd = await ensurePcscd();
    if (!pcscd.running) throw new Error(`pcscd is needed for this test: ${pcscd.problem}`);
    app = await startBrowserApp(['--demo', 'off']);
    browser = await launchChromium();
    page = await browser.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(error.message));
    await page.goto(app.url);
  });

  afterEach(async () => {
    while (inserted.length) await inserted.pop()!.remove();
  });

  afterAll(async () => {
    while (inserted.length) await inserted.pop()!.remove();
    await browser?.close();
    await app?.stop();
  });

  const reader = (name: string) => page.locator(`[data-testid="reader"][data-reader-name="${name}"]`);
  const cardState = (name: string) => reader(name).locator('[data-testid="card-state"]');

  it('shows both virtual readers, waiting for a card', async () => {
    await page.getByRole('heading', { name: 'Readers' }).waitFor();
    await reader(READER_0).waitFor({ timeout: 5000 });
    await reader(READER_1).waitFor({ timeout: 5000 });
    expect(await cardState(READER_0).getAttribute('data-state')).toBe('waiting');
    expect(await cardState(READER_1).getAttribute('data-state')).toBe('waiting');
    // The token left the address bar once the page had it.
    expect(page.url()).not.toContain('token=');
  });

  it('keeps working after a reload (token kept for this tab only)', async () => {
    await page.reload();
    await reader(READER_0).waitFor({ timeout: 5000 });
    expect(await page.locator('[data-testid="boot-error"]').count()).toBe(0);
  });

  it('refuses a page opened without the token', async () => {
    const stranger = await browser.newPage();
    await stranger.goto(app.url.replace(/#.*$/, ''));
    await stranger.locator('[data-testid="boot-error"]').waitFor({ timeout: 5000 });
    expect(await stranger.locator('[data-testid="reader"]').count()).toBe(0);
    await stranger.close();
  });

  it('shows a card inserted through vpcd within a second, identified', async () => {
    inserted.push(await insertVirtualCard(new TestCard({ serial: 'e2e-1' }), 0));
    await cardState(READER_0).and(page.locator('[data-state="identifying"], [data-state="identified"]')).waitFor({ timeout: 1000 });
    await cardState(READER_0).and(page.locator('[data-state="identified"]')).waitFor({ timeout: 5000 });
    await expect.poll(() => reader(READER_0).textContent()).toContain('Tapdesk test card');
  });

  it('shows the removal', async () => {
    const card = await insertVirtualCard(new TestCard(), 0);
    await cardState(READER_0).and(page.locator('[data-state="identified"]')).waitFor({ timeout: 5000 });
    await card.remove();
    await cardState(READER_0).and(page.locator('[data-state="waiting"]')).waitFor({ timeout: 3000 });
  });

  it('shows two cards at once, and an unknown card with its ATR', async () => {
    inserted.push(await insertVirtualCard(new TestCard({ serial: 'left' }), 0));
    inserted.push(await insertVirtualCard(strangerCard, 1));
    await cardState(READER_0).and(page.locator('[data-state="identified"]')).waitFor({ timeout: 5000 });
    await cardState(READER_1).and(page.locator('[data-state="unknown"]')).waitFor({ timeout: 5000 });
    const atrText = (await reader(READER_1).locator('[data-testid="card-atr"]').textContent()) ?? '';
    expect(atrText.replace(/\s+/g, '').toLowerCase()).toBe(Buffer.from(strangerCard.atr).toString('hex'));
  });

  it.skipIf(!canControlPcscd)('shows "PC/SC service is not running" with the fix, and recovers when it starts', async () => {
    await stopPcscd();
    const banner = page.locator('[data-testid="service-state"][data-state="no-pcsc"]');
    await banner.waitFor({ timeout: 5000 });
    expect(await banner.textContent()).toContain('systemctl start pcscd');
    expect(await page.locator('[data-testid="reader"]').count()).toBe(0);
    expect((await ensurePcscd()).running).toBe(true);
    await reader(READER_0).waitFor({ timeout: 10_000 });
    await reader(READER_1).waitFor({ timeout: 10_000 });
    expect(await page.locator('[data-testid="service-state"][data-state="no-pcsc"]').count()).toBe(0);
  });

  it('logged no errors in the page (CSP, bridge)', () => {
    expect(consoleErrors).toEqual([]);
  });
});
