/**
 * The app's "new Keycard wallet" service and its bridge handler, on two emulated Keycards in-process
 * with the real approval broker (its windows faked): the words go to a 'seed-display' approval only,
 * approving continues, rejecting stops with nothing loaded, a failed flow resumes with the same
 * readers (words not drawn or shown again), another request starts afresh.
 */
import { HDKey } from '@scure/bip32';
import { mnemonicToSeedSync } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { describe, expect, it } from 'vitest';
import { KeycardClient } from '../../../drivers/keycard/client.ts';
import { isKeycardError } from '../../../drivers/keycard/errors.ts';
import { KeycardEmulator, seededRandom } from '../../../drivers/keycard/emulator/index.ts';
import { decodeResponse, encodeCommand } from '../../../drivers/pcsc/apdu.ts';
import { isBridgeError } from '../../../preload/contract.ts';
import { DEMO_KEYCARD_PAIRING_SECRET } from '../../../drivers/keycard/emulator/demo.ts';
import type { ApprovalDisplay } from '../../../preload/approval-contract.ts';
import type { KeycardNewWalletProgressView, KeycardNewWalletRequest } from '../../../preload/contract.ts';
import { createHandlers, dispatch } from '../../ipc/handlers.ts';
import type { TapdeskCore } from '../app-core.ts';
import { ApprovalBroker, type OpenApproval, isApprovalError } from '../approvals/broker.ts';
import { SEED_WARNING } from '../approvals/displays/seed.ts';
import { InProcessSlots } from '../backup/test-support/in-process-slots.ts';
import { NEW_WALLET_CHECK_PATH } from '../backup/keycard-new-wallet.ts';
import { KeycardWalletService } from './new-wallet-service.ts';
import { openKeycard } from './open.ts';
import { MemoryPairingStore } from './pairings.ts';

const FIRST_PIN = '111111';
const BACKUP_PIN = '222222';

function blankKeycard(label: string, pin: string): KeycardEmulator {
  const card = new KeycardEmulator({ random: seededRandom(label) });
  card.keycard.personalise({ pin, puk: '123123123123', pairingSecret: DEMO_KEYCARD_PAIRING_SECRET, duressPin: '909090' });
  return card;
}

function keyOf(words: readonly string[]): string {
  const node = HDKey.fromMasterSeed(mnemonicToSeedSync(words.join(' '))).derive(NEW_WALLET_CHECK_PATH);
  return Buffer.from(secp256k1.Point.fromBytes(node.publicKey!).toBytes(false)).toString('hex');
}

const request = (over: Partial<KeycardNewWalletRequest> = {}): KeycardNewWalletRequest => ({
  first: 'A',
  backup: 'B',
  words: 12,
  firstPin: FIRST_PIN,
  backupPin: BACKUP_PIN,
  replaceExisting: false,
  showWords: true,
  ...over,
});

/** Two readers with a blank Keycard each (or new ones in factory state), the broker whose "window" decides with `decide`, the service. */
function setup(label: string, decide: 'approve' | 'reject' = 'approve', cardState: 'set-up' | 'factory' = 'set-up') {
  const slots = new InProcessSlots(['A', 'B']);
  const cards =
    cardState === 'factory'
      ? { A: new KeycardEmulator({ random: seededRandom(`${label}-a`) }), B: new KeycardEmulator({ random: seededRandom(`${label}-b`) }) }
      : { A: blankKeycard(`${label}-a`, FIRST_PIN), B: blankKeycard(`${label}-b`, BACKUP_PIN) };
  slots.insert('A', cards.A);
  slots.insert('B', cards.B);
  const opened: OpenApproval<unknown>[] = [];
  const broker: ApprovalBroker = new ApprovalBroker({
    open: (approval) => {
      opened.push(approval);
      queueMicrotask(() => (decide === 'approve' ? broker.approve(approval.request.id, approval.token, null) : broker.reject(approval.request.id, approval.token)));
    },
  });
  const pairings = new MemoryPairingStore();
  const service = new KeycardWalletService({ slots, approvals: broker, pairings: () => pairings, presentTimeoutMs: 2_000 });
  const progress: KeycardNewWalletProgressView[] = [];
  service.onProgress((p) => progress.push(p));
  const sent = (reader: 'A' | 'B', name: string) => (slots.sent.get(reader) ?? []).filter((n) => n.includes(name)).length;
  return { slots, cards, opened, broker, service, progress, sent, pairings };
}

/** A client talking to the emulator directly (the card off any reader). */
const clientOf = (card: KeycardEmulator) => new KeycardClient({ send: async (command) => decodeResponse(await card.process(encodeCommand(command))) });

const wordsOf = (approval: OpenApproval<unknown>) => (approval.request.view as ApprovalDisplay).sections.flatMap((s) => s.rows.map((r) => r.value));

describe('KeycardWalletService', () => {
  it('shows 12 numbered words in a seed-display approval (no PIN), and both cards derive the key of those words', async () => {
    const t = setup('approve');
    const result = await t.service.newWallet(request());
    expect(t.opened).toHaveLength(1);
    const approval = t.opened[0]!;
    expect(approval.request.kind).toBe('seed-display');
    expect(approval.request.needsPin).toBe(false);
    const display = approval.request.view as ApprovalDisplay;
    expect(display.action).toBe('I have written them down');
    expect(display.warnings).toContainEqual({ severity: 'danger', text: SEED_WARNING });
    const rows = display.sections.flatMap((s) => s.rows);
    expect(rows.map((r) => r.label)).toEqual(Array.from({ length: 12 }, (_, i) => String(i + 1)));
    expect(rows.every((r) => r.mono === true && wordlist.includes(r.value))).toBe(true);
    const words = wordsOf(approval);
    expect(result.publicKey).toBe(keyOf(words));
    expect(result.checkPath).toBe(NEW_WALLET_CHECK_PATH);
    expect(result.cards.first.publicKey).toBe(result.publicKey);
    expect(result.cards.backup.publicKey).toBe(result.publicKey);
    expect(result.cards.first.keyUid).toBe(result.cards.backup.keyUid);
    expect(result.cards.first.instanceUid).not.toBe(result.cards.backup.instanceUid);
    expect(result.mnemonicShown).toBe(true);
    expect(t.service.resumable).toBe(false);
    // The words never leave main except through the approval: not in the result, not in progress events.
    const wire = JSON.stringify([result, t.progress]);
    for (const word of new Set(words)) expect(wire).not.toMatch(new RegExp(`\\b${word}\\b`));
    expect(t.progress.map((p) => p.kind)).toEqual(['started', 'opened', 'mnemonic-generated', 'waiting-words', 'mnemonic-shown', 'opened', 'loaded', 'opened', 'loaded', 'verified']);
  });

  it('24 words when asked', async () => {
    const t = setup('twentyfour');
    const result = await t.service.newWallet(request({ words: 24 }));
    expect(wordsOf(t.opened[0]!)).toHaveLength(24);
    expect(result.publicKey).toBe(keyOf(wordsOf(t.opened[0]!)));
  });

  it('rejecting the words stops the flow: APPROVAL_REJECTED, nothing loaded on either card, the flow is forgotten', async () => {
    const t = setup('reject', 'reject');
    const error = await t.service.newWallet(request()).catch((e: unknown) => e);
    expect(isApprovalError(error, 'APPROVAL_REJECTED')).toBe(true);
    expect((error as Error).message).toMatch(/nothing was loaded onto the cards/);
    expect(t.sent('A', 'LOAD KEY')).toBe(0);
    expect(t.sent('B', 'LOAD KEY')).toBe(0);
    expect(t.sent('B', 'VERIFY PIN')).toBe(0);
    expect(t.service.resumable).toBe(false);
    expect(t.progress.at(-1)).toMatchObject({ kind: 'stopped', message: expect.stringMatching(/forgotten/) });
    // A new start draws new words (and both cards are still without a key: no "already holds a wallet").
    const next = setup('reject-next');
    const again = await new KeycardWalletService({ slots: t.slots, approvals: next.broker, pairings: () => new MemoryPairingStore() }).newWallet(request());
    expect(again.publicKey).toBe(keyOf(wordsOf(next.opened[0]!)));
  });

  it('without showing the words: no approval, mnemonicShown false', async () => {
    const t = setup('hidden');
    const result = await t.service.newWallet(request({ showWords: false }));
    expect(t.opened).toHaveLength(0);
    expect(result.mnemonicShown).toBe(false);
    expect(result.cards.first.keyUid).toBe(result.cards.backup.keyUid);
  });

  it('a wrong backup PIN stops it resumable; the same readers with the right PIN resume (words not drawn or shown again)', async () => {
    const t = setup('pin');
    const error = await t.service.newWallet(request({ backupPin: '999999' })).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'PIN_INVALID' });
    expect(t.service.resumable).toBe(true);
    expect(t.progress.at(-1)).toMatchObject({ kind: 'stopped', message: expect.stringMatching(/resume/) });
    const result = await t.service.newWallet(request());
    expect(t.progress.filter((p) => p.kind === 'resumed')).toHaveLength(1);
    expect(t.opened).toHaveLength(1);
    expect(t.sent('A', 'GENERATE MNEMONIC')).toBe(1);
    expect(result.publicKey).toBe(keyOf(wordsOf(t.opened[0]!)));
  });

  it('a backup card pulled mid-load: asked to present it again; the same request resumes once it is back', async () => {
    const t = setup('pull');
    t.slots.pullAfter('B', 3);
    const error = await t.service.newWallet(request()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(t.service.resumable).toBe(true);
    t.slots.insert('B', t.cards.B);
    const result = await t.service.newWallet(request());
    expect(t.opened).toHaveLength(1);
    expect(t.progress.some((p) => p.kind === 'resumed')).toBe(true);
    expect(result.publicKey).toBe(keyOf(wordsOf(t.opened[0]!)));
  });

  it('another request after a failure discards the kept flow and starts afresh (new words)', async () => {
    const t = setup('discard');
    await t.service.newWallet(request({ backupPin: '999999' })).catch(() => undefined);
    expect(t.service.resumable).toBe(true);
    const result = await t.service.newWallet(request({ words: 24, replaceExisting: true }));
    expect(t.progress.filter((p) => p.kind === 'resumed')).toHaveLength(0);
    expect(t.opened).toHaveLength(2);
    expect(wordsOf(t.opened[1]!)).toHaveLength(24);
    expect(result.publicKey).toBe(keyOf(wordsOf(t.opened[1]!)));
  });

  it('new cards in factory state: refused without a PUK (nothing sent but SELECT); with PUKs set up with those PINs and PUKs, then the wallet', async () => {
    const t = setup('factory', 'approve', 'factory');
    const refused = await t.service.newWallet(request()).catch((e: unknown) => e);
    expect(isBridgeError(refused, 'CARD_ERROR')).toBe(true);
    expect((refused as Error).message).toMatch(/first Keycard is new \(factory state\)/);
    expect((refused as { hint?: string }).hint).toMatch(/Set up new Keycards/);
    expect(t.sent('A', 'INIT')).toBe(0);
    expect(t.opened).toHaveLength(0);
    expect(t.service.resumable).toBe(true);

    // Only the first card's PUK: the first is set up, the backup is refused the same way.
    const half = await t.service.newWallet(request({ firstPuk: '101010101010' })).catch((e: unknown) => e);
    expect((half as Error).message).toMatch(/backup Keycard is new/);
    expect(t.sent('A', 'INIT')).toBe(1);
    expect(t.sent('B', 'INIT')).toBe(0);

    const result = await t.service.newWallet(request({ firstPuk: '101010101010', backupPuk: '202020202020' }));
    expect(t.sent('A', 'INIT')).toBe(1);
    expect(t.sent('B', 'INIT')).toBe(1);
    expect(result.publicKey).toBe(keyOf(wordsOf(t.opened[0]!)));
    expect(t.progress.some((p) => p.kind === 'resumed')).toBe(true);

    // Each card now answers its own PIN, and its PUK unblocks it (the PIN blocked first by wrong tries).
    for (const [card, pin, puk] of [
      [t.cards.A, FIRST_PIN, '101010101010'],
      [t.cards.B, BACKUP_PIN, '202020202020'],
    ] as const) {
      const client = clientOf(card);
      await openKeycard(client, { pairings: t.pairings });
      await client.verifyPin(pin);
      let blocked = false;
      while (!blocked) {
        const error = await client.verifyPin('000000').catch((e: unknown) => e);
        blocked = isKeycardError(error, 'PIN_BLOCKED');
        if (!blocked) expect(isKeycardError(error, 'PIN_INVALID')).toBe(true);
      }
      await client.unblockPin(puk, pin);
      await client.verifyPin(pin);
      const info = await client.select();
      expect(info.initialized && info.keyUid && Buffer.from(info.keyUid).toString('hex')).toBe(result.keyUid);
    }
  });

  it('the handler: validates, runs the flow, maps a rejection to REJECTED and a card holding a wallet to CARD_ERROR with a hint', async () => {
    const t = setup('handler-reject', 'reject');
    const handlers = createHandlers({ keycard: t.service } as unknown as TapdeskCore);
    const bad = await dispatch(handlers, 'keycard.newWallet', { ...request(), firstPin: '1234' });
    expect(bad).toMatchObject({ ok: false, error: { code: 'INVALID_REQUEST' } });
    const rejected = await dispatch(handlers, 'keycard.newWallet', request());
    expect(rejected).toMatchObject({ ok: false, error: { code: 'REJECTED', message: expect.stringMatching(/nothing was loaded/) } });

    const ok = setup('handler-ok');
    const good = await dispatch(createHandlers({ keycard: ok.service } as unknown as TapdeskCore), 'keycard.newWallet', request());
    expect(good).toMatchObject({ ok: true, result: { mnemonicShown: true, checkPath: NEW_WALLET_CHECK_PATH } });
    // The same cards again: both hold a wallet now.
    const seeded = new KeycardWalletService({ slots: ok.slots, approvals: ok.broker, pairings: () => new MemoryPairingStore() });
    const refused = await dispatch(createHandlers({ keycard: seeded } as unknown as TapdeskCore), 'keycard.newWallet', request());
    expect(refused).toMatchObject({ ok: false, error: { code: 'CARD_ERROR', message: expect.stringMatching(/already holds a wallet/), hint: expect.stringMatching(/replace/) } });
  });
});
