/**
 * `tapdesk backup` and `tapdesk restore-satochip` end to end in-process: the CLI over InProcessSlots
 * (two readers, or one with a simulated person swapping cards), the real card opener, flows, client
 * and emulated Seedkeepers / Satochips.
 */
import { HDKey } from '@scure/bip32';
import { mnemonicToSeedSync } from '@scure/bip39';
import { describe, expect, it } from 'vitest';
import type { SeedkeeperEmulator } from '../../drivers/satochip/emulator/index.ts';
import { SECRET_TYPE, secretTypeName } from '../../drivers/satochip/seedkeeper/secrets.ts';
import type { CardEmulator } from '../../drivers/virtual/emulator.ts';
import { type CliIo, runCli } from '../cli.ts';
import { capturedIo } from './test-support/captured-io.ts';
import type { CardPrompt } from '../core/backup/card-opener.ts';
import { VERIFY_PATH } from '../core/backup/satochip-restore.ts';
import { MNEMONIC, SAMPLE_SECRETS, freshSatochip, personAt, seedkeeperWith, withEmulator } from '../core/backup/test-support/cards.ts';
import { InProcessSlots } from '../core/backup/test-support/in-process-slots.ts';

const PINS = { master: '1111', backup: '2222', satochip: '3333' };
const BACKUP_ENV = { TAPDESK_PIN: PINS.master, TAPDESK_BACKUP_PIN: PINS.backup };
const RESTORE_ENV = { TAPDESK_PIN: PINS.master, TAPDESK_SATOCHIP_PIN: PINS.satochip };


/** Secrets (not PUBKEYs) on a Seedkeeper, sorted by fingerprint. */
async function secretsOn(card: SeedkeeperEmulator, pin: string) {
  return withEmulator(card, pin, async (_client, store) =>
    (await store.listHeaders())
      .filter((h) => h.type !== SECRET_TYPE.PUBKEY)
      .map((h) => ({ label: h.label, type: h.type, fingerprint: h.fingerprint }))
      .sort((a, b) => a.fingerprint.localeCompare(b.fingerprint)),
  );
}

/** The person at two readers: puts the card of a reader back when asked to present it. */
function putsBack(slots: InProcessSlots, cards: Record<string, CardEmulator>, then?: (reader: string) => void) {
  return (prompt: CardPrompt) => {
    if (prompt.kind !== 'present') return;
    queueMicrotask(() => {
      if (!slots.cardOn(prompt.reader)) slots.insert(prompt.reader, cards[prompt.reader]!);
      then?.(prompt.reader);
    });
  };
}

async function twoSeedkeepers(label: string, secrets = SAMPLE_SECRETS) {
  const master = await seedkeeperWith(`${label} master`, PINS.master, secrets);
  const backup = await seedkeeperWith(`${label} backup`, PINS.backup);
  return { master, backup };
}

describe('tapdesk backup', () => {
  it('two readers: copies every secret, prints progress and the copied list (label, type, fingerprint)', async () => {
    const { master, backup } = await twoSeedkeepers('cli two');
    const slots = new InProcessSlots(['R0', 'R1']);
    slots.insert('R0', master);
    slots.insert('R1', backup);
    const io = capturedIo(BACKUP_ENV);
    expect(await runCli(['backup', '--from', 'R0', '--to', 'R1'], io, slots)).toBe(0);
    const original = await secretsOn(master, PINS.master);
    expect(original).toHaveLength(3);
    expect(await secretsOn(backup, PINS.backup)).toEqual(original);
    expect(io.stdout[0]).toBe('Backed up 3 secrets from the master to the backup Seedkeeper (R0 -> R1), every fingerprint checked on the backup card:');
    for (const secret of original) {
      expect(io.stdout.some((line) => line.includes(secret.fingerprint) && line.includes(secretTypeName(secret.type)) && line.includes(JSON.stringify(secret.label)))).toBe(true);
    }
    expect(io.stdout).toHaveLength(4);
    expect(io.stderr).toContain('[1/6] reading the secrets on the master (0/0 copied)');
    expect(io.stderr).toContain('[4/6] importing the secrets into the backup card (2/3 copied)');
    expect(io.stderr.at(-1)).toBe('[6/6] done (3/3 copied)');
    expect(io.stderr).toContain('master Seedkeeper ready');
    expect(io.stderr).toContain('backup Seedkeeper ready');
  });

  it('--json gives the copied secrets', async () => {
    const { master, backup } = await twoSeedkeepers('cli json', SAMPLE_SECRETS.slice(0, 2));
    const slots = new InProcessSlots(['R0', 'R1']);
    slots.insert('R0', master);
    slots.insert('R1', backup);
    const io = capturedIo(BACKUP_ENV);
    expect(await runCli(['backup', '--from', 'R0', '--to', 'R1', '--json'], io, slots)).toBe(0);
    const parsed = JSON.parse(io.stdout.join('\n'));
    expect(parsed).toMatchObject({ from: 'R0', to: 'R1', swap: false, interruptions: 0 });
    expect(parsed.copied.map((c: { label: string }) => c.label).sort()).toEqual(['Mail', 'Main wallet']);
    expect(parsed.copied.map((c: { fingerprint: string }) => c.fingerprint).sort()).toEqual((await secretsOn(master, PINS.master)).map((s) => s.fingerprint));
  });

  it('--swap on one reader: the person swaps when told (prompts on stderr), each PIN asked once and only when its card is open', async () => {
    const { master, backup } = await twoSeedkeepers('cli swap');
    const slots = new InProcessSlots(['R']);
    slots.insert('R', master);
    const person = personAt(slots, 'R', { master, backup });
    const events: string[] = [];
    const io = capturedIo(
      {},
      {
        onCardPrompt: (prompt) => {
          events.push(`${prompt.kind}:${prompt.role}`);
          person(prompt);
        },
        answer: (question) => {
          events.push(`pin? ${question}`);
          return question.includes('master') ? PINS.master : PINS.backup;
        },
      },
    );
    expect(await runCli(['backup', '--swap', '--reader', 'R'], io, slots)).toBe(0);
    expect((await secretsOn(backup, PINS.backup)).map((s) => s.fingerprint)).toEqual((await secretsOn(master, PINS.master)).map((s) => s.fingerprint));
    expect(events.filter((e) => e.startsWith('pin?'))).toEqual(['pin? PIN of the master Seedkeeper: ', 'pin? PIN of the backup Seedkeeper: ']);
    // The backup PIN is asked after the backup card came (never before the card is there).
    expect(events.indexOf('pin? PIN of the backup Seedkeeper: ')).toBeGreaterThan(events.indexOf('present:backup'));
    expect(person.log.filter((l) => l.startsWith('remove')).length).toBeGreaterThanOrEqual(3);
    expect(io.stderr[0]).toBe('One reader (R): put on and take off the cards when told.');
    expect(io.stderr).toContain('Present the backup Seedkeeper on R.');
    expect(io.stderr).toContain('Present the master Seedkeeper on R.');
    expect(io.stderr.some((l) => /^This is not the backup Seedkeeper \(it is the master Seedkeeper\)\. Take it off the reader\.$/.test(l))).toBe(true);
    expect(io.stdout[0]).toContain('(on R)');
  });

  it('a wrong backup PIN: exit 1 with the tries left, not retried (one PIN try used on the card)', async () => {
    const { master, backup } = await twoSeedkeepers('cli pin', SAMPLE_SECRETS.slice(0, 1));
    const slots = new InProcessSlots(['R0', 'R1']);
    slots.insert('R0', master);
    slots.insert('R1', backup);
    const io = capturedIo({ TAPDESK_PIN: PINS.master }, { answer: () => '0000' });
    expect(await runCli(['backup', '--from', 'R0', '--to', 'R1'], io, slots)).toBe(1);
    expect(io.asked).toEqual(['PIN of the backup Seedkeeper: ']);
    expect(io.stderr).toContain('error: wrong PIN for the backup Seedkeeper: 4 tries left (code=PIN_INVALID, triesLeft=4)');
    expect(io.stderr.some((l) => l.startsWith('hint: Not retried. Check the PIN (TAPDESK_BACKUP_PIN)'))).toBe(true);
    expect(io.stdout).toEqual([]);
    await withEmulator(backup, PINS.backup, async (client) => expect(client.status?.pinTriesLeft).toBe(4), 'seedkeeper');
    expect(await secretsOn(backup, PINS.backup)).toEqual([]);
  });

  it('a card pulled mid-import: the person is told, puts it back, and the same run resumes to the end', async () => {
    const { master, backup } = await twoSeedkeepers('cli pull');
    const slots = new InProcessSlots(['R0', 'R1']);
    slots.insert('R0', master);
    slots.insert('R1', backup);
    // Pull the backup card during the import of the second secret (after the first was confirmed).
    let imported = 0;
    const io = capturedIo(BACKUP_ENV, { onCardPrompt: putsBack(slots, { R0: master, R1: backup }) });
    const err = io.err;
    const watching: CliIo = {
      ...io,
      err: (line) => {
        err(line);
        if (line.startsWith('[4/6]') && ++imported === 2) slots.pullAfter('R1', 1);
      },
    };
    expect(await runCli(['backup', '--from', 'R0', '--to', 'R1', '--json'], watching, slots)).toBe(0);
    expect(io.stderr).toContain(
      'The backup Seedkeeper on R1 was taken off before the step finished. Put it back and hold it still: the backup goes on where it stopped (interruption 1 of at most 5).',
    );
    expect(io.stderr).toContain('Present the backup Seedkeeper on R1.');
    expect(JSON.parse(io.stdout.join('\n'))).toMatchObject({ interruptions: 1 });
    const copied = await secretsOn(backup, PINS.backup);
    expect(copied).toEqual(await secretsOn(master, PINS.master));
    expect(copied.some((s) => s.fingerprint === '00000000')).toBe(false);
  });

  it('a card pulled again and again: gives up after 5 resumes with exit 1', async () => {
    const { master, backup } = await twoSeedkeepers('cli give up', SAMPLE_SECRETS.slice(0, 1));
    const slots = new InProcessSlots(['R0', 'R1']);
    slots.insert('R0', master);
    slots.insert('R1', backup);
    slots.pullAfter('R0', 2);
    const io = capturedIo(BACKUP_ENV, { onCardPrompt: putsBack(slots, { R0: master, R1: backup }, (reader) => slots.pullAfter(reader, 2)) });
    expect(await runCli(['backup', '--from', 'R0', '--to', 'R1'], io, slots)).toBe(1);
    expect(io.stderr.filter((l) => l.includes('was taken off before the step finished'))).toHaveLength(5);
    expect(io.stderr).toContain('error: stopped: the card left the reader 6 times during the backup (at most 5 resumes)');
    expect(io.stderr.some((l) => l.startsWith('hint: Run the command again'))).toBe(true);
  });

  it('the same card on both readers is refused before anything is written (exit 1)', async () => {
    const { master } = await twoSeedkeepers('cli same', SAMPLE_SECRETS.slice(0, 1));
    const slots = new InProcessSlots(['R0', 'R1']);
    slots.insert('R0', master);
    slots.insert('R1', master);
    const io = capturedIo(BACKUP_ENV);
    expect(await runCli(['backup', '--from', 'R0', '--to', 'R1'], io, slots)).toBe(1);
    expect(io.stderr.join('\n')).toMatch(/error: .*code=(WRONG_CARD|SAME_CARD)/);
  });

  it.each([
    [['backup'], /backup needs --from READER --to READER, or --swap --reader READER/],
    [['backup', '--from', 'R0'], /backup needs --from READER --to READER/],
    [['backup', '--swap'], /backup --swap needs --reader NAME/],
    [['backup', '--swap', '--reader', 'R0', '--from', 'R1'], /either --from\/--to .* or --swap --reader NAME/],
    [['backup', '--reader', 'R0'], /--reader goes with --swap/],
    [['restore-satochip', '--from', 'R0', '--to', 'R1', '--sid', 'x'], /bad --sid "x"/],
  ])('%j: exit 2, no card touched', async (argv, message) => {
    const slots = new InProcessSlots(['R0', 'R1']);
    const io = capturedIo(BACKUP_ENV);
    expect(await runCli(argv, io, slots)).toBe(2);
    expect(io.stderr.join('\n')).toMatch(message);
    expect(io.stderr.join('\n')).toContain('usage:');
  });

  it('without TAPDESK_BACKUP_PIN and no terminal: exit 2 before any APDU', async () => {
    const { master, backup } = await twoSeedkeepers('cli no pin', SAMPLE_SECRETS.slice(0, 1));
    const slots = new InProcessSlots(['R0', 'R1']);
    slots.insert('R0', master);
    slots.insert('R1', backup);
    const io = capturedIo({ TAPDESK_PIN: PINS.master });
    expect(await runCli(['backup', '--from', 'R0', '--to', 'R1'], io, slots)).toBe(2);
    expect(io.stderr.join('\n')).toMatch(/backup \(backup Seedkeeper\) needs a PIN: set TAPDESK_BACKUP_PIN/);
    expect(slots.apdus.size).toBe(0);
  });

  it('an unknown reader: exit 1 naming the readers, no APDU', async () => {
    const slots = new InProcessSlots(['R0', 'R1']);
    const io = capturedIo(BACKUP_ENV);
    expect(await runCli(['backup', '--from', 'R0', '--to', 'R9'], io, slots)).toBe(1);
    expect(io.stderr.join('\n')).toContain('no reader named "R9" (readers: "R0", "R1")');
  });
});

describe('tapdesk restore-satochip', () => {
  const root = HDKey.fromMasterSeed(mnemonicToSeedSync(MNEMONIC, 'TREZOR'));
  const expectedKey = Buffer.from(root.derive(VERIFY_PATH).publicKey!).toString('hex');

  it('two readers: seeds the Satochip, proved by the derived key, and prints its key at VERIFY_PATH', async () => {
    const seedkeeper = await seedkeeperWith('cli restore sk', PINS.master, SAMPLE_SECRETS);
    const satochip = await freshSatochip('cli restore sato', PINS.satochip);
    const slots = new InProcessSlots(['R0', 'R1']);
    slots.insert('R0', seedkeeper);
    slots.insert('R1', satochip);
    const io = capturedIo(RESTORE_ENV);
    expect(await runCli(['restore-satochip', '--from', 'R0', '--to', 'R1'], io, slots)).toBe(0);
    expect(io.stdout[0]).toBe('Restored the Satochip (R1) from the Seedkeeper\'s master seed #0 "Main wallet".');
    expect(io.stdout[1]).toMatch(/^verified by: derived-key \(the Satochip's public key at m\/44'\/0'\/0' equals/);
    expect(io.stdout[2]).toBe(`Satochip key at ${VERIFY_PATH}: ${expectedKey}`);
    expect(io.stderr).toContain('[5/6] checking the Satochip derives the same keys');
    await withEmulator(satochip, PINS.satochip, async (client) => expect((await client.getStatus()).seeded).toBe(true), 'satochip');
  });

  it('--swap with a person, encrypted-only seed: proved by the Satochip fingerprint check (--json)', async () => {
    const seedkeeper = await seedkeeperWith('cli restore swap sk', PINS.master, [{ ...SAMPLE_SECRETS[0]!, exportRights: 0x02 }]);
    const satochip = await freshSatochip('cli restore swap sato', PINS.satochip);
    const slots = new InProcessSlots(['R']);
    slots.insert('R', seedkeeper);
    const person = personAt(slots, 'R', { seedkeeper, satochip });
    const io = capturedIo(RESTORE_ENV, { onCardPrompt: person });
    expect(await runCli(['restore-satochip', '--swap', '--reader', 'R', '--json'], io, slots)).toBe(0);
    const parsed = JSON.parse(io.stdout.join('\n'));
    expect(parsed).toMatchObject({ swap: true, verifiedBy: 'satochip-fingerprint-check', verifyPath: VERIFY_PATH, publicKey: expectedKey, seed: { label: 'Main wallet', exportRights: 2 } });
    expect(io.stderr).toContain('Present the Satochip on R.');
    expect(person.log.filter((l) => l.startsWith('remove')).length).toBeGreaterThanOrEqual(3);
  });

  it('--sid of no master seed: exit 1 with the flow error, the Satochip untouched', async () => {
    const seedkeeper = await seedkeeperWith('cli restore sid sk', PINS.master, SAMPLE_SECRETS);
    const satochip = await freshSatochip('cli restore sid sato', PINS.satochip);
    const slots = new InProcessSlots(['R0', 'R1']);
    slots.insert('R0', seedkeeper);
    slots.insert('R1', satochip);
    const io = capturedIo(RESTORE_ENV);
    expect(await runCli(['restore-satochip', '--from', 'R0', '--to', 'R1', '--sid', '7'], io, slots)).toBe(1);
    expect(io.stderr.join('\n')).toContain('error: the Seedkeeper has no master seed with id 7 (code=NOTHING_TO_COPY, sid=7)');
    expect(slots.apdus.get('R1') ?? 0).toBe(0);
  });

  it('a wrong Satochip PIN: exit 1 with the tries left', async () => {
    const seedkeeper = await seedkeeperWith('cli restore pin sk', PINS.master, SAMPLE_SECRETS.slice(0, 1));
    const satochip = await freshSatochip('cli restore pin sato', PINS.satochip);
    const slots = new InProcessSlots(['R0', 'R1']);
    slots.insert('R0', seedkeeper);
    slots.insert('R1', satochip);
    const io = capturedIo({ ...RESTORE_ENV, TAPDESK_SATOCHIP_PIN: '9999' });
    expect(await runCli(['restore-satochip', '--from', 'R0', '--to', 'R1'], io, slots)).toBe(1);
    expect(io.stderr.join('\n')).toContain('error: wrong PIN for the Satochip: 4 tries left (code=PIN_INVALID, triesLeft=4)');
    expect(io.stderr.join('\n')).toContain('TAPDESK_SATOCHIP_PIN');
  });
});
