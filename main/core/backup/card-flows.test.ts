/**
 * The card-to-card flows end to end in-process: the real client, the card opener, the flows, and
 * the emulated cards (the client itself is checked byte for byte against the recorded applets in
 * drivers/satochip/seedkeeper). Two readers, one reader with swaps, the wrong card, a card pulled
 * after every single APDU and then resumed, wrong PIN, a card not set up.
 */
import { HDKey } from '@scure/bip32';
import { mnemonicToSeedSync } from '@scure/bip39';
import { describe, expect, it } from 'vitest';
import { isDriverError } from '../../../drivers/errors.ts';
import type { SeedkeeperEmulator } from '../../../drivers/satochip/emulator/index.ts';
import { isSatochipError } from '../../../drivers/satochip/errors.ts';
import { SECRET_TYPE } from '../../../drivers/satochip/seedkeeper/secrets.ts';
import { CardOpener, type CardPrompt } from './card-opener.ts';
import { isBackupError } from './errors.ts';
import { backupOneSecretMinimum, foldCommands, restoreMinimum } from './protocol-minimum.ts';
import { type RestoreRole, SatochipRestore, VERIFY_PATH, newRestoreState } from './satochip-restore.ts';
import { type BackupRole, SeedkeeperBackup, newBackupState, readerCardAccess } from './seedkeeper-backup.ts';
import { MNEMONIC, SAMPLE_SECRETS, freshSatochip, personAt, seedkeeperWith, withEmulator } from './test-support/cards.ts';
import { InProcessSlots } from './test-support/in-process-slots.ts';

const PINS: Record<string, string> = { master: '1111', backup: '2222', seedkeeper: '1111', satochip: '3333' };
const pin = async (role: string) => PINS[role]!;
const ROLE_TITLES = { master: 'master Seedkeeper', backup: 'backup Seedkeeper' };

function backupOpener(slots: InProcessSlots, readers: Record<BackupRole, string>, onPrompt?: (p: CardPrompt) => void) {
  return new CardOpener<BackupRole>(slots, {
    roles: {
      master: { reader: readers.master, applet: 'seedkeeper', title: ROLE_TITLES.master },
      backup: { reader: readers.backup, applet: 'seedkeeper', title: ROLE_TITLES.backup },
    },
    pin,
    presentTimeoutMs: 2000,
    ...(onPrompt ? { onPrompt } : {}),
  });
}

/** Every secret (not PUBKEYs), with its plain content where the rights allow, for comparison. */
async function contents(card: SeedkeeperEmulator, cardPin: string) {
  return withEmulator(card, cardPin, async (_client, store) => {
    const headers = (await store.listHeaders()).filter((h) => h.type !== SECRET_TYPE.PUBKEY);
    const out = [];
    for (const h of headers) {
      const plain = h.exportRights === 1 ? (await store.exportSecret(h.sid)).content : null;
      out.push({ type: h.type, fingerprint: h.fingerprint, label: h.label, rights: h.exportRights, subtype: h.subtype, plain });
    }
    return out.sort((a, b) => a.fingerprint.localeCompare(b.fingerprint));
  });
}

async function pubkeys(card: SeedkeeperEmulator, cardPin: string) {
  return withEmulator(card, cardPin, async (_c, store) => (await store.listHeaders()).filter((h) => h.type === SECRET_TYPE.PUBKEY).length);
}

describe('Seedkeeper -> Seedkeeper backup, in-process', () => {
  it('two readers: every secret arrives with its label, rights and fingerprint; plain contents equal', async () => {
    const master = await seedkeeperWith('flow master', PINS.master!, SAMPLE_SECRETS);
    const backup = await seedkeeperWith('flow backup', PINS.backup!);
    const slots = new InProcessSlots(['R0', 'R1']);
    slots.insert('R0', master);
    slots.insert('R1', backup);
    const progress: string[] = [];
    const state = await new SeedkeeperBackup(readerCardAccess(backupOpener(slots, { master: 'R0', backup: 'R1' })), newBackupState(), (p) => progress.push(`${p.step} ${p.copied}/${p.total}`)).run();
    expect(state.step).toBe('done');
    expect(progress.at(-1)).toBe('done 3/3');
    const before = await contents(master, PINS.master!);
    expect(await contents(backup, PINS.backup!)).toEqual(before.map((s) => ({ ...s, plain: s.plain })));
    expect(before.find((s) => s.label === 'Watch-only')).toMatchObject({ rights: 2, plain: null }); // encrypted-only stays so
    expect(await pubkeys(backup, PINS.backup!)).toBe(1);
    expect(await pubkeys(master, PINS.master!)).toBe(1);
  });

  it('backing up again copies only what is new on the master (nothing exported twice)', async () => {
    const master = await seedkeeperWith('again master', PINS.master!, SAMPLE_SECRETS.slice(0, 2));
    const backup = await seedkeeperWith('again backup', PINS.backup!);
    const first = new InProcessSlots(['R0', 'R1']);
    first.insert('R0', master);
    first.insert('R1', backup);
    await new SeedkeeperBackup(readerCardAccess(backupOpener(first, { master: 'R0', backup: 'R1' }))).run();
    await withEmulator(master, PINS.master!, (_c, store) => store.importSecret(SAMPLE_SECRETS[2]!.content, { label: 'added later' }));
    const second = new InProcessSlots(['R0', 'R1']);
    second.insert('R0', master);
    second.insert('R1', backup);
    const state = await new SeedkeeperBackup(readerCardAccess(backupOpener(second, { master: 'R0', backup: 'R1' }))).run();
    expect(state.copied.size).toBe(3);
    expect(second.sent.get('R0')!.filter((n) => n === 'SC EXPORT SECRET encrypted init')).toHaveLength(1);
    expect(second.sent.get('R1')!.filter((n) => n === 'SC IMPORT SECRET encrypted init')).toHaveLength(1);
    expect(second.sent.get('R0')!.filter((n) => n.startsWith('SC IMPORT SECRET'))).toHaveLength(0); // already paired
    expect((await contents(backup, PINS.backup!)).map((x) => x.fingerprint)).toEqual((await contents(master, PINS.master!)).map((x) => x.fingerprint));
  });

  it('one reader: the person is told to swap, a wrong card is refused before any PIN, and the copy completes', async () => {
    const master = await seedkeeperWith('swap master', PINS.master!, SAMPLE_SECRETS);
    const backup = await seedkeeperWith('swap backup', PINS.backup!);
    const stranger = await seedkeeperWith('swap stranger', '9999');
    const slots = new InProcessSlots(['R']);
    slots.insert('R', master);
    // When first asked for the master again, the person presents the stranger by mistake.
    const person = personAt(slots, 'R', { master, backup }, {});
    let askedForMaster = 0;
    const onPrompt = (p: CardPrompt) => {
      if (p.kind === 'present' && p.role === 'master' && ++askedForMaster === 1) {
        queueMicrotask(() => slots.insert('R', stranger));
        person.log.push('present:master (stranger)');
        return;
      }
      person(p);
    };
    const state = await new SeedkeeperBackup(readerCardAccess(backupOpener(slots, { master: 'R', backup: 'R' }, onPrompt))).run();
    expect(state.step).toBe('done');
    expect(person.log.filter((l) => l.startsWith('remove')).length).toBeGreaterThanOrEqual(4);
    expect(person.log).toContain('present:master (stranger)');
    expect((await contents(backup, PINS.backup!)).map((s) => s.fingerprint)).toEqual((await contents(master, PINS.master!)).map((s) => s.fingerprint));
    // No PIN was tried on the stranger: its PIN counter is untouched.
    await withEmulator(stranger, '9999', async (client) => expect(client.status?.pinTriesLeft).toBe(5));
  });

  it('two readers: another card put on a role reader mid-flow is WRONG_CARD, nothing written to it', async () => {
    const master = await seedkeeperWith('wrong master', PINS.master!, SAMPLE_SECRETS);
    const backup = await seedkeeperWith('wrong backup', PINS.backup!);
    const other = await seedkeeperWith('wrong other', PINS.master!);
    const slots = new InProcessSlots(['R0', 'R1']);
    slots.insert('R0', master);
    slots.insert('R1', backup);
    const state = newBackupState();
    const access = readerCardAccess(backupOpener(slots, { master: 'R0', backup: 'R1' }));
    // After the backup step, someone swaps the master reader's card.
    const swapping = {
      withCard: <T,>(role: BackupRole, expected: Uint8Array | null, work: Parameters<typeof access.withCard<T>>[2]) => {
        if (state.step === 'export-from-master' && slots.cardOn('R0') === master) {
          slots.remove('R0');
          slots.insert('R0', other);
        }
        return access.withCard(role, expected, work);
      },
    };
    const error = await new SeedkeeperBackup(swapping, state).run().catch((e: unknown) => e);
    expect(isBackupError(error, 'WRONG_CARD'), String(error)).toBe(true);
    expect(state.step).toBe('export-from-master');
    expect(await pubkeys(other, PINS.master!)).toBe(0);
  });

  it('a card pulled right after any APDU leaves both cards consistent and the flow resumes to the same result', { timeout: 240_000 }, async () => {
    // How many APDUs each reader sees in a clean run.
    const probeMaster = await seedkeeperWith('pull master', PINS.master!, SAMPLE_SECRETS.slice(0, 2));
    const probeBackup = await seedkeeperWith('pull backup', PINS.backup!);
    const probe = new InProcessSlots(['R0', 'R1']);
    probe.insert('R0', probeMaster);
    probe.insert('R1', probeBackup);
    await new SeedkeeperBackup(readerCardAccess(backupOpener(probe, { master: 'R0', backup: 'R1' }))).run();
    const totals = { R0: probe.apdus.get('R0')!, R1: probe.apdus.get('R1')! };
    expect(totals.R0).toBeGreaterThan(10);
    expect(totals.R1).toBeGreaterThan(10);
    const expected = await contents(probeMaster, PINS.master!);

    for (const reader of ['R0', 'R1'] as const) {
      for (let n = 1; n <= totals[reader]; n += 1) {
        const master = await seedkeeperWith('pull master', PINS.master!, SAMPLE_SECRETS.slice(0, 2));
        const backup = await seedkeeperWith('pull backup', PINS.backup!);
        const slots = new InProcessSlots(['R0', 'R1']);
        slots.insert('R0', master);
        slots.insert('R1', backup);
        const state = newBackupState();
        slots.pullAfter(reader, n);
        const error = await new SeedkeeperBackup(readerCardAccess(backupOpener(slots, { master: 'R0', backup: 'R1' })), state).run().then(
          () => null,
          (e: unknown) => e,
        );
        if (error !== null) {
          expect(isDriverError(error) || isSatochipError(error), `${reader} APDU ${n}: ${String(error)}`).toBe(true);
          slots.insert(reader, reader === 'R0' ? master : backup); // put it back
          await new SeedkeeperBackup(readerCardAccess(backupOpener(slots, { master: 'R0', backup: 'R1' })), state).run();
        }
        expect(state.step, `${reader} APDU ${n}`).toBe('done');
        const copied = await contents(backup, PINS.backup!);
        expect(copied.map((s) => s.fingerprint), `${reader} APDU ${n}`).toEqual(expected.map((s) => s.fingerprint));
        expect(copied.some((s) => s.fingerprint === '00000000')).toBe(false);
        expect(await pubkeys(backup, PINS.backup!), `${reader} APDU ${n}`).toBe(1);
        expect(await pubkeys(master, PINS.master!), `${reader} APDU ${n}`).toBe(1);
      }
    }
  });

  it('a wrong PIN stops the flow with the tries left and is not retried', async () => {
    const master = await seedkeeperWith('pin master', PINS.master!, SAMPLE_SECRETS.slice(0, 1));
    const backup = await seedkeeperWith('pin backup', PINS.backup!);
    const slots = new InProcessSlots(['R0', 'R1']);
    slots.insert('R0', master);
    slots.insert('R1', backup);
    let asked = 0;
    const opener = new CardOpener<BackupRole>(slots, {
      roles: { master: { reader: 'R0', applet: 'seedkeeper', title: 'master' }, backup: { reader: 'R1', applet: 'seedkeeper', title: 'backup' } },
      pin: async (role) => {
        asked += 1;
        return role === 'backup' ? '0000' : PINS.master!;
      },
    });
    const error = await new SeedkeeperBackup(readerCardAccess(opener)).run().catch((e: unknown) => e);
    expect(isSatochipError(error, 'PIN_INVALID')).toBe(true);
    expect((error as { info: { triesLeft: number } }).info.triesLeft).toBe(4);
    expect(asked).toBe(2);
  });

  it('refuses a backup card that is not set up', async () => {
    const master = await seedkeeperWith('setup master', PINS.master!, SAMPLE_SECRETS.slice(0, 1));
    const slots = new InProcessSlots(['R0', 'R1']);
    slots.insert('R0', master);
    const { demoSeedkeeper } = await import('../../../drivers/satochip/emulator/index.ts');
    slots.insert('R1', demoSeedkeeper('never set up'));
    const error = await new SeedkeeperBackup(readerCardAccess(backupOpener(slots, { master: 'R0', backup: 'R1' }))).run().catch((e: unknown) => e);
    expect(isBackupError(error, 'CARD_NOT_SET_UP')).toBe(true);
  });
});

function restoreOpener(slots: InProcessSlots, readers: Record<RestoreRole, string>, onPrompt?: (p: CardPrompt) => void) {
  return new CardOpener<RestoreRole>(slots, {
    roles: {
      seedkeeper: { reader: readers.seedkeeper, applet: 'seedkeeper', title: 'Seedkeeper' },
      satochip: { reader: readers.satochip, applet: 'satochip', title: 'Satochip' },
    },
    pin,
    presentTimeoutMs: 2000,
    ...(onPrompt ? { onPrompt } : {}),
  });
}

describe('restore a Satochip from a Seedkeeper, in-process', () => {
  const root = HDKey.fromMasterSeed(mnemonicToSeedSync(MNEMONIC, 'TREZOR'));

  it('two readers: the Satochip derives the same keys as the seed (checked against the Seedkeeper and independently)', async () => {
    const seedkeeper = await seedkeeperWith('restore sk', PINS.seedkeeper!, SAMPLE_SECRETS);
    const satochip = await freshSatochip('restore sato', PINS.satochip!);
    const slots = new InProcessSlots(['R0', 'R1']);
    slots.insert('R0', seedkeeper);
    slots.insert('R1', satochip);
    const state = await new SatochipRestore(restoreOpener(slots, { seedkeeper: 'R0', satochip: 'R1' })).run();
    expect(state).toMatchObject({ step: 'done', verifiedBy: 'derived-key', transfer: null });
    expect(Buffer.from(state.satochipKey!.publicKey).toString('hex')).toBe(Buffer.from(root.derive(VERIFY_PATH).publicKey!).toString('hex'));
    await withEmulator(satochip, PINS.satochip!, async (client) => {
      const key = await client.getExtendedKey("m/84'/0'/0'/0/0");
      expect(Buffer.from(key.publicKey).toString('hex')).toBe(Buffer.from(root.derive("m/84'/0'/0'/0/0").publicKey!).toString('hex'));
    }, 'satochip');
  });

  it('one reader with swaps; a seed with encrypted-only rights is proved by the Satochip fingerprint check', async () => {
    const seedkeeper = await seedkeeperWith('restore swap sk', PINS.seedkeeper!, [{ ...SAMPLE_SECRETS[0]!, exportRights: 0x02 }]);
    const satochip = await freshSatochip('restore swap sato', PINS.satochip!);
    const slots = new InProcessSlots(['R']);
    slots.insert('R', seedkeeper);
    const person = personAt(slots, 'R', { seedkeeper, satochip });
    const state = await new SatochipRestore(restoreOpener(slots, { seedkeeper: 'R', satochip: 'R' }, person)).run();
    expect(state).toMatchObject({ step: 'done', verifiedBy: 'satochip-fingerprint-check' });
    expect(Buffer.from(state.satochipKey!.publicKey).toString('hex')).toBe(Buffer.from(root.derive(VERIFY_PATH).publicKey!).toString('hex'));
    expect(person.log.filter((l) => l.startsWith('remove')).length).toBeGreaterThanOrEqual(3);
  });

  it('either card pulled after any APDU: resumes, never writes twice, ends seeded with the right key', { timeout: 180_000 }, async () => {
    const probeSk = await seedkeeperWith('restore pull sk', PINS.seedkeeper!, SAMPLE_SECRETS.slice(0, 1));
    const probeSato = await freshSatochip('restore pull sato', PINS.satochip!);
    const probe = new InProcessSlots(['R0', 'R1']);
    probe.insert('R0', probeSk);
    probe.insert('R1', probeSato);
    await new SatochipRestore(restoreOpener(probe, { seedkeeper: 'R0', satochip: 'R1' })).run();
    const totals = { R0: probe.apdus.get('R0')!, R1: probe.apdus.get('R1')! };
    for (const reader of ['R0', 'R1'] as const) {
      for (let n = 1; n <= totals[reader]; n += 1) {
        const seedkeeper = await seedkeeperWith('restore pull sk', PINS.seedkeeper!, SAMPLE_SECRETS.slice(0, 1));
        const satochip = await freshSatochip('restore pull sato', PINS.satochip!);
        const slots = new InProcessSlots(['R0', 'R1']);
        slots.insert('R0', seedkeeper);
        slots.insert('R1', satochip);
        slots.pullAfter(reader, n);
        const state = newRestoreState();
        const first = await new SatochipRestore(restoreOpener(slots, { seedkeeper: 'R0', satochip: 'R1' }), state).run().then(() => null, (e: unknown) => e);
        if (first !== null) {
          expect(isDriverError(first) || isSatochipError(first), `${reader} APDU ${n}: ${String(first)}`).toBe(true);
          slots.insert(reader, reader === 'R0' ? seedkeeper : satochip);
          await new SatochipRestore(restoreOpener(slots, { seedkeeper: 'R0', satochip: 'R1' }), state).run();
        }
        expect(state.verifiedBy, `${reader} APDU ${n}`).toBe('derived-key');
        expect(Buffer.from(state.satochipKey!.publicKey).toString('hex')).toBe(Buffer.from(root.derive(VERIFY_PATH).publicKey!).toString('hex'));
        // One PUBKEY for the Satochip on the Seedkeeper, whatever happened.
        expect(await pubkeys(seedkeeper, PINS.seedkeeper!), `${reader} APDU ${n}`).toBe(1);
      }
    }
  });

  it('refuses a Satochip that already has a seed, and changes nothing', async () => {
    const seedkeeper = await seedkeeperWith('seeded sk', PINS.seedkeeper!, SAMPLE_SECRETS.slice(0, 1));
    const satochip = await freshSatochip('seeded sato', PINS.satochip!);
    await withEmulator(satochip, PINS.satochip!, (client) => client.importSeed(MNEMONIC, ''), 'satochip');
    const slots = new InProcessSlots(['R0', 'R1']);
    slots.insert('R0', seedkeeper);
    slots.insert('R1', satochip);
    const error = await new SatochipRestore(restoreOpener(slots, { seedkeeper: 'R0', satochip: 'R1' })).run().catch((e: unknown) => e);
    expect(isBackupError(error, 'TARGET_SEEDED')).toBe(true);
    expect(await pubkeys(seedkeeper, PINS.seedkeeper!)).toBe(0);
  });
});

describe('APDUs: the flows send the protocol minimum on two readers', () => {
  const asMinimum = (steps: readonly { command: string; count: number }[]) => steps.map((s) => ({ command: s.command, count: s.count }));

  it('backup of one BIP39 record (240 bytes of ciphertext: 2 pieces)', async () => {
    const master = await seedkeeperWith('count master', PINS.master!, SAMPLE_SECRETS.slice(0, 1));
    const backup = await seedkeeperWith('count backup', PINS.backup!);
    const slots = new InProcessSlots(['R0', 'R1']);
    slots.insert('R0', master);
    slots.insert('R1', backup);
    await new SeedkeeperBackup(readerCardAccess(backupOpener(slots, { master: 'R0', backup: 'R1' }))).run();
    const minimum = backupOneSecretMinimum(2);
    expect(foldCommands(slots.sent.get('R0')!)).toEqual(asMinimum(minimum.master));
    expect(foldCommands(slots.sent.get('R1')!)).toEqual(asMinimum(minimum.backup));
  });

  it('restore of a Satochip from a seed with plain-or-encrypted rights', async () => {
    const seedkeeper = await seedkeeperWith('count sk', PINS.seedkeeper!, SAMPLE_SECRETS.slice(0, 1));
    const satochip = await freshSatochip('count sato', PINS.satochip!);
    const slots = new InProcessSlots(['R0', 'R1']);
    slots.insert('R0', seedkeeper);
    slots.insert('R1', satochip);
    await new SatochipRestore(restoreOpener(slots, { seedkeeper: 'R0', satochip: 'R1' })).run();
    const minimum = restoreMinimum();
    expect(foldCommands(slots.sent.get('R0')!)).toEqual(asMinimum(minimum.seedkeeper));
    expect(foldCommands(slots.sent.get('R1')!)).toEqual(asMinimum(minimum.satochip));
  });
});
