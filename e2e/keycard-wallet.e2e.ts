/**
 * New Keycard wallet with a backup card, end to end in browser mode: pcscd with vpcd, two emulated
 * Keycards (set up, no key) on the two virtual readers, the app without the demo reader, and
 * Chromium. The words appear in the approval window only (never in the app page's DOM); the key
 * both cards report is checked here against an independent BIP32 derivation of the words read off
 * the approval page. Rejecting the words stops the flow with nothing loaded on the backup card.
 * Two new Keycards in factory state are set up by the same screen with the PINs and PUKs typed there.
 */
import { HDKey } from '@scure/bip32';
import { mnemonicToSeedSync, validateMnemonic } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeycardClient } from '../drivers/keycard/client.ts';
import { isKeycardError } from '../drivers/keycard/errors.ts';
import { DEMO_KEYCARD_PAIRING_SECRET } from '../drivers/keycard/emulator/demo.ts';
import { KeycardEmulator, seededRandom } from '../drivers/keycard/emulator/index.ts';
import { decodeResponse, encodeCommand } from '../drivers/pcsc/apdu.ts';
import { ensurePcscd, insertVirtualCard } from '../drivers/virtual/pcscd-harness.ts';
import type { VpcdCard } from '../drivers/virtual/vpcd.ts';
import { openKeycard } from '../main/core/keycard/open.ts';
import { MemoryPairingStore } from '../main/core/keycard/pairings.ts';
import { type RunningApp, launchChromium, nextApproval, openApprovalWindow, startBrowserApp } from './support/browser-app.ts';

const READER_0 = 'Virtual PCD 00 00';
const READER_1 = 'Virtual PCD 00 01';
const FIRST_PIN = '111111';
const BACKUP_PIN = '222222';
const CHECK_PATH = "m/44'/60'/0'/0/0";

function blankKeycard(label: string, pin: string): KeycardEmulator {
  const card = new KeycardEmulator({ random: seededRandom(label) });
  card.keycard.personalise({ pin, puk: '123123123123', pairingSecret: DEMO_KEYCARD_PAIRING_SECRET, duressPin: '909090' });
  return card;
}

const clientOf = (card: KeycardEmulator) => new KeycardClient({ send: async (command) => decodeResponse(await card.process(encodeCommand(command))) });

/** The key UID the card reports on SELECT (null: no key), asked of the emulator directly once it is off the reader. */
async function keyUidOf(card: KeycardEmulator): Promise<string | null> {
  const client = clientOf(card);
  const info = await client.select();
  if (!info.initialized) throw new Error('card not initialised');
  return info.keyUid ? Buffer.from(info.keyUid).toString('hex') : null;
}

function keyOf(words: readonly string[]): string {
  const node = HDKey.fromMasterSeed(mnemonicToSeedSync(words.join(' '))).derive(CHECK_PATH);
  return Buffer.from(secp256k1.Point.fromBytes(node.publicKey!).toBytes(false)).toString('hex');
}

describe('browser mode: new Keycard wallet with a backup card (two vpcd Keycards)', () => {
  let app: RunningApp;
  let browser: Browser;
  let page: Page;
  let approvals = 0;
  const pageErrors: string[] = [];
  const inserted: VpcdCard[] = [];

  const readerOptions = () => page.getByTestId('keycard-first-reader').locator('option').allTextContents();

  async function insertPair(label: string, state: 'set-up' | 'factory' = 'set-up'): Promise<{ first: KeycardEmulator; backup: KeycardEmulator }> {
    while (inserted.length) await inserted.pop()!.remove();
    // The app must have seen the previous cards leave (vpcd is polled) before new ones come: a card
    // swapped faster than that can leave a stale connection behind.
    await expect.poll(readerOptions, { timeout: 10_000 }).toEqual([`${READER_0} (no card yet)`, `${READER_1} (no card yet)`]);
    const fresh = (name: string) => new KeycardEmulator({ random: seededRandom(name) });
    const first = state === 'factory' ? fresh(`${label}-first`) : blankKeycard(`${label}-first`, FIRST_PIN);
    const backup = state === 'factory' ? fresh(`${label}-backup`) : blankKeycard(`${label}-backup`, BACKUP_PIN);
    inserted.push(await insertVirtualCard(first, 0));
    inserted.push(await insertVirtualCard(backup, 1));
    return { first, backup };
  }

  beforeAll(async () => {
    const pcscd = await ensurePcscd();
    if (!pcscd.running) throw new Error(`pcscd is needed for this test: ${pcscd.problem}`);
    app = await startBrowserApp(['--demo', 'off']);
    browser = await launchChromium();
    page = await browser.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(app.url);
    await page.getByTestId('nav-keycard').click();
    await page.getByRole('heading', { name: 'New Keycard wallet' }).waitFor();
  });

  afterAll(async () => {
    while (inserted.length) await inserted.pop()!.remove();
    await browser?.close();
    await app?.stop();
  });

  /** Fills the form once both readers show a Keycard, and starts (`beforeStart` fills more first). */
  async function fillAndStart(shown = 'Keycard', beforeStart: () => Promise<void> = async () => {}): Promise<void> {
    await expect.poll(readerOptions, { timeout: 10_000 }).toEqual([`${READER_0} (${shown})`, `${READER_1} (${shown})`]);
    await page.getByTestId('keycard-first-reader').selectOption(READER_0);
    await page.getByTestId('keycard-backup-reader').selectOption(READER_1);
    expect(await page.getByTestId('keycard-reader-note').textContent()).toMatch(/each card/);
    await page.getByTestId('keycard-words-12').check();
    expect(await page.getByTestId('keycard-show-words').isChecked()).toBe(true);
    expect(await page.getByTestId('keycard-replace').isChecked()).toBe(false);
    expect(await page.getByTestId('keycard-first-pin').getAttribute('type')).toBe('password');
    await page.getByTestId('keycard-first-pin').fill(FIRST_PIN);
    await page.getByTestId('keycard-backup-pin').fill(BACKUP_PIN);
    await beforeStart();
    await page.getByTestId('keycard-start').click();
  }

  async function openApproval(): Promise<Page> {
    const approval = await nextApproval(app, approvals++, 20_000).catch(async (error: unknown) => {
      // Say what the screen shows (a card error, a prompt) rather than only that no window came.
      const screen = await page.getByTestId('keycard-progress').textContent().catch(() => null);
      const problem = await page.getByTestId('keycard-error').textContent({ timeout: 500 }).catch(() => null);
      throw new Error(`${(error as Error).message}\nscreen: ${problem ?? ''} ${screen ?? ''}`);
    });
    expect(approval.kind).toBe('seed-display');
    expect(new URL(approval.url).port).not.toBe(String(app.port)); // its own origin
    const window = await openApprovalWindow(browser, approval.url);
    return window;
  }

  it('the words are shown once in the approval window only; both cards get the wallet of those words', async () => {
    const cards = await insertPair('e2e-ok');
    const before = await page.content();
    await fillAndStart();
    const window = await openApproval();
    expect(await window.getByTestId('approval-title').textContent()).toContain('12 words');
    expect(await window.getByTestId('approval-warnings').textContent()).toContain('They are shown once');
    const rows = window.getByTestId('approval-row');
    expect(await rows.count()).toBe(12);
    const labels = await rows.locator('dt').allTextContents();
    const words = (await rows.locator('dd').allTextContents()).map((w) => w.trim());
    expect(labels.map((l) => l.trim())).toEqual(Array.from({ length: 12 }, (_, i) => String(i + 1)));
    expect(validateMnemonic(words.join(' '), wordlist)).toBe(true);
    // The app page waits and never holds the words (only those already on the page for other reasons may appear).
    await expect.poll(() => page.getByTestId('keycard-status').textContent()).toMatch(/approval window/);
    const html = await page.content();
    expect(html).not.toContain(words.join(' '));
    for (const word of words) {
      const whole = new RegExp(`\\b${word}\\b`);
      if (!whole.test(before)) expect(html).not.toMatch(whole);
    }
    await window.getByTestId('approval-approve').click();
    await window.getByTestId('approval-words-hidden').waitFor();
    expect(await window.getByTestId('approval-row').count()).toBe(0);

    await page.getByTestId('keycard-done').waitFor({ timeout: 30_000 });
    const publicKey = (await page.getByTestId('keycard-public-key').textContent())!.trim();
    const keyUid = (await page.getByTestId('keycard-key-uid').textContent())!.trim();
    const firstUid = (await page.getByTestId('keycard-first-uid').textContent())!;
    const backupUid = (await page.getByTestId('keycard-backup-uid').textContent())!;
    expect(publicKey).toBe(keyOf(words));
    expect(keyUid).toMatch(/^[0-9a-f]{64}$/);
    expect(firstUid).toMatch(/[0-9a-f]{32}/);
    expect(firstUid).not.toBe(backupUid);
    expect(await page.getByTestId('keycard-check').textContent()).toContain('passed');
    expect(await page.getByTestId('keycard-progress').textContent()).toContain('Both Keycards derive the same key');
    // Both cards now report that key UID themselves.
    while (inserted.length) await inserted.pop()!.remove();
    expect(await keyUidOf(cards.first)).toBe(keyUid);
    expect(await keyUidOf(cards.backup)).toBe(keyUid);
    await window.close();
  });

  it('two new Keycards (factory state): the screen offers to set them up; they get the PINs and PUKs typed there, then the wallet', async () => {
    const cards = await insertPair('e2e-factory', 'factory');
    const puks = { first: '135791357913', backup: '246802468024' };
    await fillAndStart('new Keycard, not set up', async () => {
      // The screen ticked "set up new Keycards" itself and asks for each PIN again and a PUK, twice.
      expect(await page.getByTestId('keycard-setup-new').isChecked()).toBe(true);
      await page.getByTestId('keycard-setup-note').waitFor();
      await page.getByTestId('keycard-first-pinAgain').fill(FIRST_PIN);
      await page.getByTestId('keycard-backup-pinAgain').fill(BACKUP_PIN);
      await page.getByTestId('keycard-first-puk').fill(puks.first);
      await page.getByTestId('keycard-first-pukAgain').fill(puks.first);
      await page.getByTestId('keycard-backup-puk').fill(puks.backup);
      // A mistyped repeat is caught on the screen, before anything is sent.
      await page.getByTestId('keycard-backup-pukAgain').fill('246802468025');
      // (Already disabled when an earlier request left the form checking as you type.)
      await page.getByTestId('keycard-start').click({ force: true });
      expect(await page.locator('#keycard-backup-pukAgain-problem').textContent()).toMatch(/differ/);
      expect(await page.getByTestId('keycard-start').isDisabled()).toBe(true);
      await page.getByTestId('keycard-backup-pukAgain').fill(puks.backup);
      await expect.poll(() => page.locator('#keycard-backup-pukAgain-problem').count()).toBe(0);
    });
    const window = await openApproval();
    const words = (await window.getByTestId('approval-row').locator('dd').allTextContents()).map((w) => w.trim());
    expect(words).toHaveLength(12);
    await window.getByTestId('approval-approve').click();
    await page.getByTestId('keycard-done').waitFor({ timeout: 30_000 });
    expect((await page.getByTestId('keycard-public-key').textContent())!.trim()).toBe(keyOf(words));
    const keyUid = (await page.getByTestId('keycard-key-uid').textContent())!.trim();
    // The form is emptied once the request is over (the set-up fields with it), and the readers
    // show the cards as they are now: set up.
    expect(await page.getByTestId('keycard-first-pin').inputValue()).toBe('');
    await expect.poll(() => page.getByTestId('keycard-setup-new').isChecked()).toBe(false);
    await expect.poll(readerOptions, { timeout: 10_000 }).toEqual([`${READER_0} (Keycard)`, `${READER_1} (Keycard)`]);
    while (inserted.length) await inserted.pop()!.remove();
    // Off the readers: each card is set up (default pairing password), answers its PIN, and its PUK unblocks it.
    for (const [card, pin, puk] of [
      [cards.first, FIRST_PIN, puks.first],
      [cards.backup, BACKUP_PIN, puks.backup],
    ] as const) {
      expect(await keyUidOf(card)).toBe(keyUid);
      const client = clientOf(card);
      await openKeycard(client, { pairings: new MemoryPairingStore() });
      await client.verifyPin(pin);
      for (let tries = 0; tries < 3; tries += 1) await client.verifyPin('000000').catch((e: unknown) => expect(isKeycardError(e)).toBe(true));
      expect(isKeycardError(await client.verifyPin(pin).catch((e: unknown) => e), 'PIN_BLOCKED')).toBe(true);
      await client.unblockPin(puk, pin);
      await client.verifyPin(pin);
    }
    await window.close();
  });

  it('Esc in the approval window stops the flow: the screen says so, the backup card got no key', async () => {
    const { first, backup } = await insertPair('e2e-reject');
    await fillAndStart();
    const window = await openApproval();
    expect(await window.getByTestId('approval-row').count()).toBe(12);
    await window.keyboard.press('Escape');
    await window.getByTestId('approval-status').waitFor();
    expect(await window.getByTestId('approval-status').textContent()).toContain('Nothing was loaded onto the cards');
    expect(await window.getByTestId('approval-row').count()).toBe(0);
    await expect.poll(() => page.getByTestId('keycard-error').textContent(), { timeout: 10_000 }).toMatch(/Stopped.*Nothing was loaded/);
    expect(await page.getByTestId('keycard-progress').textContent()).toContain('forgotten');
    while (inserted.length) await inserted.pop()!.remove();
    expect(await keyUidOf(backup)).toBeNull();
    expect(await keyUidOf(first)).toBeNull();
    await window.close();
  });

  it('logged no errors in the page', () => {
    expect(pageErrors).toEqual([]);
  });
});
