/**
 * Tier 2 for the Keycard "new wallet with a backup card" flow: the real ReaderService over pcscd,
 * two emulated Keycards in the vpcd readers. Two readers; one reader with the person swapping when
 * told (and first presenting the wrong card); a card pulled in the middle of the flow, then resumed.
 * Both cards' keys are compared with an independent BIP32 derivation of the words shown.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { HDKey } from '@scure/bip32';
import { mnemonicToSeedSync } from '@scure/bip39';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isDriverError } from '../../../drivers/errors.ts';
import { KeycardEmulator, seededRandom } from '../../../drivers/keycard/emulator/index.ts';
import { DEMO_KEYCARD_PAIRING_SECRET } from '../../../drivers/keycard/emulator/demo.ts';
import type { CardEmulator } from '../../../drivers/virtual/emulator.ts';
import { ensurePcscd, insertVirtualCard } from '../../../drivers/virtual/pcscd-harness.ts';
import { VPCD_READER_NAMES, type VpcdCard } from '../../../drivers/virtual/vpcd.ts';
import { MemoryPairingStore } from '../keycard/pairings.ts';
import { ReaderService } from '../readers.ts';
import type { CardPrompt } from './card-presence.ts';
import { KeycardNewWallet, NEW_WALLET_CHECK_PATH, type NewWalletRole } from './keycard-new-wallet.ts';

const [R0, R1] = VPCD_READER_NAMES;
const PINS: Record<NewWalletRole, string> = { first: '111222', backup: '333444' };

function blankKeycard(label: string, pin: string): KeycardEmulator {
  const card = new KeycardEmulator({ random: seededRandom(label) });
  card.keycard.personalise({ pin, puk: '123123123123', pairingSecret: DEMO_KEYCARD_PAIRING_SECRET, duressPin: '909090' });
  return card;
}

function keyOf(words: readonly string[]): string {
  const node = HDKey.fromMasterSeed(mnemonicToSeedSync(words.join(' '))).derive(NEW_WALLET_CHECK_PATH);
  return Buffer.from(secp256k1.Point.fromBytes(node.publicKey!).toBytes(false)).toString('hex');
}

describe('Keycard new wallet on two cards through pcscd + vpcd', () => {
  let readers: ReaderService;
  const inserted = new Map<string, VpcdCard>();

  const insert = async (reader: string, card: CardEmulator) => {
    inserted.set(reader, await insertVirtualCard(card, reader === R0 ? 0 : 1));
    await readers.waitFor((s) => s.readers.find((r) => r.name === reader)?.card?.status === 'identified', 10_000);
  };
  const remove = async (reader: string) => {
    await inserted.get(reader)?.remove();
    inserted.delete(reader);
    await readers.waitFor((s) => s.readers.find((r) => r.name === reader)?.card === null, 10_000);
  };
  const flow = (roles: Record<NewWalletRole, string>, shown: string[][], onPrompt?: (p: CardPrompt) => void) =>
    new KeycardNewWallet({
      slots: readers,
      readers: roles,
      pin: async (role) => PINS[role],
      pairings: new MemoryPairingStore(),
      showMnemonic: async (words) => void shown.push([...words]),
      presentTimeoutMs: 20_000,
      ...(onPrompt ? { onPrompt } : {}),
    });

  beforeAll(async () => {
    const pcscd = await ensurePcscd();
    if (!pcscd.running) throw new Error(`pcscd is needed: ${pcscd.problem}`);
    readers = new ReaderService({ demo: 'off' });
    await readers.start();
    await readers.waitFor((s) => s.readers.length >= 2, 5000);
  });

  afterEach(async () => {
    for (const reader of [...inserted.keys()]) await remove(reader);
  });

  afterAll(async () => {
    await readers?.close();
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
          if (inserted.has(R0)) return;
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
          void inserted.get(R1)?.remove(); // the answer never reaches the host
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
      slots: readers,
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
