/**
 * Tier 2 for the card-to-card flows: the real ReaderService over pcscd, the emulated Seedkeepers
 * and Satochip plugged into the two vpcd readers. Backup on two readers, backup on one reader with
 * the person swapping cards when told, a card pulled in the middle of the encrypted import and the
 * flow resumed, and a Satochip restored from a Seedkeeper.
 */
import { HDKey } from '@scure/bip32';
import { mnemonicToSeedSync } from '@scure/bip39';
import { describe, expect, it } from 'vitest';
import { isDriverError } from '../../../drivers/errors.ts';
import type { SeedkeeperEmulator } from '../../../drivers/satochip/emulator/index.ts';
import { SECRET_TYPE } from '../../../drivers/satochip/seedkeeper/secrets.ts';
import type { CardEmulator } from '../../../drivers/virtual/emulator.ts';
import { VPCD_READER_NAMES } from '../../../drivers/virtual/vpcd.ts';
import { useVpcdReaders } from '../test-support/vpcd-readers.ts';
import { type CardPrompt, CardOpener } from './card-opener.ts';
import { type RestoreRole, SatochipRestore, VERIFY_PATH } from './satochip-restore.ts';
import { type BackupRole, SeedkeeperBackup, newBackupState, readerCardAccess } from './seedkeeper-backup.ts';
import { MNEMONIC, SAMPLE_SECRETS, freshSatochip, seedkeeperWith, withEmulator } from './test-support/cards.ts';

const [R0, R1] = VPCD_READER_NAMES;
const PINS: Record<string, string> = { master: '1111', backup: '2222', seedkeeper: '1111', satochip: '3333' };

async function secretsOf(card: SeedkeeperEmulator, pin: string) {
  return withEmulator(card, pin, async (_client, store) => {
    const headers = await store.listHeaders();
    return {
      secrets: headers.filter((h) => h.type !== SECRET_TYPE.PUBKEY).map((h) => `${h.type}:${h.fingerprint}:${h.label}`).sort(),
      pubkeys: headers.filter((h) => h.type === SECRET_TYPE.PUBKEY).length,
    };
  });
}

describe('card-to-card flows through pcscd + vpcd', () => {
  const vpcd = useVpcdReaders();
  const insert = (reader: string, card: CardEmulator) => vpcd.insert(reader, card);
  const remove = (reader: string) => vpcd.remove(reader);
  /** A card that is pulled out of its vpcd reader right after processing the `armed`-th APDU from arming. */
  const pullable = (card: CardEmulator, reader: string) => {
    let left = -1;
    const wrapper: CardEmulator & { arm(count: number): void; pulled: boolean } = {
      atr: card.atr,
      pulled: false,
      reset: () => card.reset?.(),
      async process(apdu) {
        const response = await card.process(apdu);
        if (left > 0 && --left === 0) {
          wrapper.pulled = true;
          vpcd.yank(reader); // the answer never reaches the host
        }
        return response;
      },
      arm(count) {
        left = count;
      },
    };
    return wrapper;
  };

  const backupOpener = (roles: Record<BackupRole, string>, onPrompt?: (p: CardPrompt) => void) =>
    new CardOpener<BackupRole>(vpcd.readers, {
      roles: {
        master: { reader: roles.master, applet: 'seedkeeper', title: 'master Seedkeeper' },
        backup: { reader: roles.backup, applet: 'seedkeeper', title: 'backup Seedkeeper' },
      },
      pin: async (role) => PINS[role]!,
      presentTimeoutMs: 20_000,
      ...(onPrompt ? { onPrompt } : {}),
    });

  it('backs a Seedkeeper up to another on two readers', { timeout: 60_000 }, async () => {
    const master = await seedkeeperWith('pcsc master', PINS.master!, SAMPLE_SECRETS);
    const backup = await seedkeeperWith('pcsc backup', PINS.backup!);
    await insert(R0, master);
    await insert(R1, backup);
    const state = await new SeedkeeperBackup(readerCardAccess(backupOpener({ master: R0, backup: R1 }))).run();
    expect(state.step).toBe('done');
    const original = await secretsOf(master, PINS.master!);
    const copy = await secretsOf(backup, PINS.backup!);
    expect(copy.secrets.map((s) => s.split(':').slice(0, 2).join(':'))).toEqual(original.secrets.map((s) => s.split(':').slice(0, 2).join(':')));
    expect(copy.secrets).toHaveLength(SAMPLE_SECRETS.length);
    expect(copy.pubkeys).toBe(1);
    expect(original.pubkeys).toBe(1);
  });

  it('backs up on one reader, the person swapping cards when told', { timeout: 90_000 }, async () => {
    const master = await seedkeeperWith('pcsc swap master', PINS.master!, SAMPLE_SECRETS);
    const backup = await seedkeeperWith('pcsc swap backup', PINS.backup!);
    const cards: Record<string, CardEmulator> = { master, backup };
    await insert(R0, master);
    const prompts: string[] = [];
    // The person: takes the card off when told, puts the asked-for one on when asked.
    let moving = Promise.resolve();
    const person = (p: CardPrompt) => {
      prompts.push(`${p.kind}:${p.role}`);
      if (p.kind === 'remove') moving = moving.then(() => remove(R0));
      if (p.kind === 'present') moving = moving.then(async () => (vpcd.has(R0) ? undefined : insert(R0, cards[p.role]!)));
    };
    const state = await new SeedkeeperBackup(readerCardAccess(backupOpener({ master: R0, backup: R0 }, person))).run();
    expect(state.step).toBe('done');
    expect(prompts.filter((p) => p.startsWith('remove')).length).toBeGreaterThanOrEqual(3);
    expect(prompts.filter((p) => p === 'present:backup').length).toBeGreaterThanOrEqual(1);
    const copy = await secretsOf(backup, PINS.backup!);
    expect(copy.secrets).toHaveLength(SAMPLE_SECRETS.length);
    expect(copy.pubkeys).toBe(1);
  });

  it('resumes after the backup card is pulled in the middle of the encrypted import', { timeout: 90_000 }, async () => {
    const master = await seedkeeperWith('pcsc pull master', PINS.master!, SAMPLE_SECRETS.slice(0, 1));
    const backupCard = await seedkeeperWith('pcsc pull backup', PINS.backup!);
    const backup = pullable(backupCard, R1);
    await insert(R0, master);
    await insert(R1, backup);
    const state = newBackupState();
    const flow = new SeedkeeperBackup(readerCardAccess(backupOpener({ master: R0, backup: R1 })), state, (p) => {
      // The backup card stays open from the step before (two readers): IMPORT encrypted init, chunk -> pulled.
      if (p.step === 'import-to-backup' && p.copied === 0 && !backup.pulled) backup.arm(2);
    });
    const error = await flow.run().catch((e: unknown) => e);
    expect(backup.pulled).toBe(true);
    expect(isDriverError(error), String(error)).toBe(true);
    expect(state.step).toBe('import-to-backup');
    await remove(R1);
    // The card is put back: the card refuses the first command once (9C30, the import it was in is
    // cancelled), the half-written object is deleted, the import is redone.
    await insert(R1, backup);
    await new SeedkeeperBackup(readerCardAccess(backupOpener({ master: R0, backup: R1 })), state).run();
    expect(state.step).toBe('done');
    const copy = await secretsOf(backupCard, PINS.backup!);
    expect(copy.secrets.map((s) => s.split(':')[1])).toEqual((await secretsOf(master, PINS.master!)).secrets.map((s) => s.split(':')[1]));
    expect(copy.secrets.some((s) => s.includes(':00000000:'))).toBe(false);
    expect(copy.pubkeys).toBe(1);
  });

  it('restores a Satochip from a Seedkeeper on two readers', { timeout: 60_000 }, async () => {
    const seedkeeper = await seedkeeperWith('pcsc restore sk', PINS.seedkeeper!, SAMPLE_SECRETS);
    const satochip = await freshSatochip('pcsc restore sato', PINS.satochip!);
    await insert(R0, seedkeeper);
    await insert(R1, satochip);
    const opener = new CardOpener<RestoreRole>(vpcd.readers, {
      roles: { seedkeeper: { reader: R0, applet: 'seedkeeper', title: 'Seedkeeper' }, satochip: { reader: R1, applet: 'satochip', title: 'Satochip' } },
      pin: async (role) => PINS[role]!,
    });
    const state = await new SatochipRestore(opener).run();
    const root = HDKey.fromMasterSeed(mnemonicToSeedSync(MNEMONIC, 'TREZOR'));
    expect(state.verifiedBy).toBe('derived-key');
    expect(Buffer.from(state.satochipKey!.publicKey).toString('hex')).toBe(Buffer.from(root.derive(VERIFY_PATH).publicKey!).toString('hex'));
  });
});
