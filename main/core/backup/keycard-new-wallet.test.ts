/**
 * The Keycard "new wallet with a backup card" flow against two emulated Keycards in-process: two
 * readers, one reader with swaps (and a wrong card presented), cards that already hold a key,
 * factory-state cards set up on the way, a wrong PIN, and a card pulled after every APDU of the
 * flow then resumed. The cards' key is checked against an independent BIP32 derivation of the
 * words shown to the person.
 */
import { describe, expect, it } from 'vitest';
import { isDriverError } from '../../../drivers/errors.ts';
import { isKeycardError } from '../../../drivers/keycard/errors.ts';
import { KeycardEmulator, seededRandom } from '../../../drivers/keycard/emulator/index.ts';
import { demoKeycard } from '../../../drivers/keycard/emulator/demo.ts';
import { MemoryPairingStore } from '../keycard/pairings.ts';
import { isBackupError } from './errors.ts';
import { KeycardNewWallet, type KeycardNewWalletOptions } from './keycard-new-wallet.ts';
import { personAt } from './test-support/cards.ts';
import { blankKeycard as blank, checkKeyOf as keyOf } from './test-support/keycards.ts';
import { InProcessSlots } from './test-support/in-process-slots.ts';

const PIN = '111111';
const BACKUP_PIN = '222222';
const blankKeycard = (label: string, pin = PIN) => blank(label, pin);

/** An initialised Keycard with no key (PIN, PUK, default pairing secret). */

function flow(slots: InProcessSlots, overrides: Partial<KeycardNewWalletOptions> & { shown: string[][] }): KeycardNewWallet {
  return new KeycardNewWallet({
    slots,
    readers: { first: 'A', backup: 'B' },
    pin: async (role) => (role === 'first' ? PIN : BACKUP_PIN),
    pairings: new MemoryPairingStore(),
    showMnemonic: async (words) => void overrides.shown.push([...words]),
    presentTimeoutMs: 2_000,
    ...overrides,
  });
}

describe('Keycard: a new wallet born on two cards', () => {
  it('two readers: both cards get the seed of the words shown, same key UID and key, the seed is wiped', async () => {
    const slots = new InProcessSlots(['A', 'B']);
    const first = blankKeycard('first');
    const backup = blankKeycard('backup', BACKUP_PIN);
    slots.insert('A', first);
    slots.insert('B', backup);
    const shown: string[][] = [];
    const pairings = new MemoryPairingStore();
    const steps: string[] = [];
    const wallet = flow(slots, { shown, pairings, onStep: (s) => steps.push(s.kind) });
    const result = await wallet.run();
    expect(shown).toHaveLength(1);
    expect(shown[0]).toHaveLength(12);
    expect(result.publicKey).toBe(keyOf(shown[0]!));
    expect(result.cards.first.publicKey).toBe(result.cards.backup.publicKey);
    expect(result.cards.first.keyUid).toBe(result.cards.backup.keyUid);
    expect(result.cards.first.instanceUid).not.toBe(result.cards.backup.instanceUid);
    expect(result.mnemonicShown).toBe(true);
    expect(wallet.holdsSeed).toBe(false);
    expect(steps).toEqual(['mnemonic-generated', 'mnemonic-shown', 'loaded', 'loaded', 'verified']);
    // Paired once per card and kept: the pairings are stored by instance UID.
    expect(pairings.get(result.cards.first.instanceUid)).toBeDefined();
    expect(pairings.get(result.cards.backup.instanceUid)).toBeDefined();
    // The result holds nothing secret.
    expect(JSON.stringify(result)).not.toContain(shown[0]![0]! + ' ');
    // GENERATE MNEMONIC then LOAD KEY on the first card; the backup card never generates.
    const sent = (reader: string, name: string) => (slots.sent.get(reader) ?? []).filter((n) => n.includes(name)).length;
    expect(sent('A', 'GENERATE MNEMONIC')).toBe(1);
    expect(sent('B', 'GENERATE MNEMONIC')).toBe(0);
    expect(sent('A', 'LOAD KEY')).toBe(1);
    expect(sent('B', 'LOAD KEY')).toBe(1);
    // Each card paired once (5 APDUs: SELECT, PAIR x2, channel x2), then opened with the stored pairing.
    expect(sent('A', 'PAIR step 1')).toBe(1);
    expect(sent('B', 'PAIR step 1')).toBe(1);
  });

  it('one reader: the person swaps cards; the first card presented again for the backup is refused before any PIN', async () => {
    const slots = new InProcessSlots(['A']);
    const first = blankKeycard('swap-first');
    const backup = blankKeycard('swap-backup', BACKUP_PIN);
    slots.insert('A', first);
    const person = personAt(slots, 'A', { first, backup }, { backup: first });
    const shown: string[][] = [];
    const wallet = flow(slots, { shown, readers: { first: 'A', backup: 'A' }, onPrompt: person });
    const result = await wallet.run();
    expect(result.publicKey).toBe(keyOf(shown[0]!));
    expect(person.log).toEqual(['opened:first', 'opened:first', 'remove:backup', 'present:backup', 'remove:backup', 'present:backup', 'opened:backup']);
  });

  it('a card that already holds a wallet is refused (TARGET_SEEDED) unless replacing is asked for', async () => {
    const slots = new InProcessSlots(['A', 'B']);
    slots.insert('A', blankKeycard('seeded-first'));
    slots.insert('B', demoKeycard({ label: 'seeded-backup' }));
    const shown: string[][] = [];
    const pin = async (role: string) => (role === 'first' ? PIN : '123456');
    const refused = await flow(slots, { shown, pin }).run().catch((e: unknown) => e);
    expect(isBackupError(refused, 'TARGET_SEEDED')).toBe(true);
    expect((slots.sent.get('B') ?? []).some((n) => n.includes('LOAD KEY'))).toBe(false);
    const replaced = await flow(slots, { shown, pin, replaceExistingKeys: true }).run();
    expect(replaced.publicKey).toBe(keyOf(shown.at(-1)!));
  });

  it('cards in factory state are set up on the way (PIN and PUK asked), then take the wallet', async () => {
    const slots = new InProcessSlots(['A', 'B']);
    slots.insert('A', new KeycardEmulator({ random: seededRandom('factory-a') }));
    slots.insert('B', new KeycardEmulator({ random: seededRandom('factory-b') }));
    const shown: string[][] = [];
    const setups: string[] = [];
    const result = await flow(slots, {
      shown,
      setup: async (role) => (setups.push(role), { pin: role === 'first' ? PIN : BACKUP_PIN, puk: '555555555555' }),
    }).run();
    expect(setups.sort()).toEqual(['backup', 'first']);
    expect(result.publicKey).toBe(keyOf(shown[0]!));
    expect(slots.sent.get('A')).toContain('INIT');
    expect(slots.sent.get('B')).toContain('INIT');
    // Without `setup` a factory card is refused with a plain reason.
    const plain = new InProcessSlots(['A', 'B']);
    plain.insert('A', new KeycardEmulator({ random: seededRandom('factory-c') }));
    plain.insert('B', blankKeycard('factory-d', BACKUP_PIN));
    const error = await flow(plain, { shown }).run().catch((e: unknown) => e);
    expect(isKeycardError(error, 'NOT_INITIALIZED')).toBe(true);
  });

  it('a wrong PIN stops the flow with the tries left, and is not retried', async () => {
    const slots = new InProcessSlots(['A', 'B']);
    slots.insert('A', blankKeycard('pin-first'));
    slots.insert('B', blankKeycard('pin-backup', BACKUP_PIN));
    let asked = 0;
    const error = await flow(slots, { shown: [], pin: async () => (asked++, '000000') }).run().catch((e: unknown) => e);
    expect(isKeycardError(error, 'PIN_INVALID')).toBe(true);
    expect(isKeycardError(error) && error.info.triesLeft).toBe(2);
    expect(asked).toBe(1);
  });

  it('a card pulled after any APDU of the flow: run() again resumes, and the result is the same wallet on both cards', async () => {
    // Count the APDUs of an undisturbed run first.
    const quiet = new InProcessSlots(['A', 'B']);
    quiet.insert('A', blankKeycard('pull-count-a'));
    quiet.insert('B', blankKeycard('pull-count-b', BACKUP_PIN));
    await flow(quiet, { shown: [] }).run();
    const total = { A: quiet.apdus.get('A')!, B: quiet.apdus.get('B')! };
    expect(total.A).toBeGreaterThan(5);
    let resumed = 0;
    for (const reader of ['A', 'B'] as const) {
      for (let n = 1; n <= total[reader]; n += 1) {
        const slots = new InProcessSlots(['A', 'B']);
        const cards = { A: blankKeycard(`pull-${reader}-${n}-a`), B: blankKeycard(`pull-${reader}-${n}-b`, BACKUP_PIN) };
        slots.insert('A', cards.A);
        slots.insert('B', cards.B);
        slots.pullAfter(reader, n);
        const shown: string[][] = [];
        const wallet = flow(slots, { shown });
        const first = await wallet.run().catch((e: unknown) => e);
        let result;
        if (isDriverError(first) || isBackupError(first)) {
          slots.insert(reader, cards[reader]);
          result = await wallet.run();
          resumed += 1;
        } else {
          result = first as Awaited<ReturnType<KeycardNewWallet['run']>>;
        }
        expect(shown).toHaveLength(1);
        expect(result.publicKey).toBe(keyOf(shown[0]!));
        expect(result.cards.first.keyUid).toBe(result.cards.backup.keyUid);
        expect(wallet.holdsSeed).toBe(false);
      }
    }
    // Every pull interrupted the flow (the answer to the APDU the card processed was lost).
    expect(resumed).toBe(total.A + total.B);
  }, 120_000);
});
