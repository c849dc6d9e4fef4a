/**
 * Tier 2 for the Keycard "new wallet with a backup card" flow: the real ReaderService over pcscd,
 * two emulated Keycards in the vpcd readers. Two readers; one reader with the person swapping when
 * told (and first presenting the wrong card); a card pulled in the middle of the flow, then resumed.
 * Both cards' keys are compared with an independent BIP32 derivation of the words shown.
 */
import { describe, expect, it } from 'vitest';
import { isDriverError } from '../../../drivers/errors.ts';
import type { CardEmulator } from '../../../drivers/virtual/emulator.ts';
import { VPCD_READER_NAMES } from '../../../drivers/virtual/vpcd.ts';
import { MemoryPairingStore } from '../keycard/pairings.ts';
import { useVpcdReaders } from '../test-support/vpcd-readers.ts';
import type { CardPrompt } from './card-presence.ts';
import { blankKeycard, checkKeyOf as keyOf } from './test-support/keycards.ts';
import { KeycardNewWallet, type NewWalletRole } from './keycard-new-wallet.ts';

const [R0, R1] = VPCD_READER_NAMES;
const PINS: Record<NewWalletRole, string> = { first: '111222', backup: '333444' };


describe('Keycard new wallet on two cards through pcscd + vpcd', () => {
  const vpcd = useVpcdReaders();
  const insert = (reader: string, card: CardEmulator) => vpcd.insert(reader, card);
  const remove = (reader: string) => vpcd.remove(reader);
  const flow = (roles: Record<NewWalletRole, string>, shown: string[][], onPrompt?: (p: CardPrompt) => void) =>
    new KeycardNewWallet({
      slots: vpcd.readers,
      readers: roles,
      pin: async (role) => PINS[role],
      pairings: new MemoryPairingStore(),
      showMnemonic: async (words) => void shown.push([...words]),
      presentTimeoutMs: 20_000,
      ...(onPrompt ? { onPrompt } : {}),
    });

  it('two readers: both cards derive the wallet of the words shown', { timeout: 60_000 }, async () => {
    await insert(R0, blankKeycard('pcsc nw first', PINS.first));
    await insert(R1, blankKeycard('pcsc nw backup', PINS.backup));
    const shown: string[][] = [];
    const wallet = flow({ first: R0, backup: R1 }, shown);
    const result = await wallet.run();
    expect(shown).toHaveLength(1);
    expect(result.cards.first.publicKey).toBe(keyOf(shown[0]!));
    expect(result.cards.backup.publicKey).toBe(keyOf(shown[0]!));
    expect(result.cards.first.keyUid).toBe(result.cards.backup.keyUid);
    expect(wallet.holdsSeed).toBe(false);
  });

  it('one reader: the person swaps when told; the first card shown again for the backup is refused', { timeout: 90_000 }, async () => {
    const cards: Record<NewWalletRole, CardEmulator> = { first: blankKeycard('pcsc swap first', PINS.first), backup: blankKeycard('pcsc swap backup', PINS.backup) };
    await insert(R0, cards.first);
    const prompts: string[] = [];
    let mistake = true;
    let moving = Promise.resolve();
    const person = (p: CardPrompt) => {
      prompts.push(`${p.kind}:${p.role}`);
      if (p.kind === 'remove') moving = moving.then(() => remove(R0));
      if (p.kind === 'present') {
        moving = moving.then(async () => {
          if (vpcd.has(R0)) return;
          // Once, the person puts the first card back instead of the backup.
          const card = p.role === 'backup' && mistake ? cards.first : cards[p.role as NewWalletRole];
          if (p.role === 'backup') mistake = false;
          await insert(R0, card);
        });
      }
    };
    const shown: string[][] = [];
    const result = await flow({ first: R0, backup: R0 }, shown, person).run();
    expect(result.cards.backup.publicKey).toBe(keyOf(shown[0]!));
    expect(result.cards.first.instanceUid).not.toBe(result.cards.backup.instanceUid);
    expect(prompts.filter((p) => p === 'remove:backup').length).toBeGreaterThanOrEqual(2);
    expect(prompts.filter((p) => p === 'present:backup').length).toBeGreaterThanOrEqual(2);
  });

  it('a backup card pulled in the middle of the flow: run() again resumes and finishes the same wallet', { timeout: 90_000 }, async () => {
    const backupCard = blankKeycard('pcsc pull backup', PINS.backup);
    let left = -1;
    let pulled = false;
    const backup: CardEmulator & { arm(n: number): void } = {
      atr: backupCard.atr,
      reset: () => backupCard.reset?.(),
      async process(apdu) {
        const response = await backupCard.process(apdu);
        if (left > 0 && --left === 0) {
          pulled = true;
          vpcd.yank(R1); // the answer never reaches the host
        }
        return response;
      },
      arm(n) {
        left = n;
      },
    };
    await insert(R0, blankKeycard('pcsc pull first', PINS.first));
    await insert(R1, backup);
    const shown: string[][] = [];
    const wallet = new KeycardNewWallet({
      slots: vpcd.readers,
      readers: { first: R0, backup: R1 },
      pin: async (role) => PINS[role],
      pairings: new MemoryPairingStore(),
      showMnemonic: async (words) => void shown.push([...words]),
      presentTimeoutMs: 20_000,
      // When the backup card opens: SELECT, PAIR x2, channel x2 done; VERIFY PIN, then LOAD KEY is pulled.
      onPrompt: (p) => {
        if (p.kind === 'opened' && p.role === 'backup' && !pulled) backup.arm(2);
      },
    });
    const error = await wallet.run().catch((e: unknown) => e);
    expect(pulled).toBe(true);
    expect(isDriverError(error), String(error)).toBe(true);
    expect(wallet.holdsSeed).toBe(true);
    await remove(R1);
    await insert(R1, backup);
    const result = await wallet.run();
    expect(shown).toHaveLength(1);
    expect(result.cards.backup.publicKey).toBe(keyOf(shown[0]!));
    expect(result.cards.first.keyUid).toBe(result.cards.backup.keyUid);
    expect(wallet.holdsSeed).toBe(false);
  });
});
