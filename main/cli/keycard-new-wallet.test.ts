/**
 * `tapdesk backup --new-wallet` in-process: the CLI over InProcessSlots with two emulated Keycards
 * (two readers, or one reader and a scripted person reacting to the prompts), the real flow
 * (main/core/backup/keycard-new-wallet.ts), client and pairing file. The words printed once are
 * checked against both cards: an independent BIP32 derivation of them gives the key each card
 * reports afterwards (tapdesk xpub on each card).
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { HDKey } from '@scure/bip32';
import { mnemonicToSeedSync } from '@scure/bip39';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEMO_KEYCARD_PAIRING_SECRET, DEMO_KEYCARD_PIN, demoKeycard } from '../../drivers/keycard/emulator/demo.ts';
import { KeycardEmulator, seededRandom } from '../../drivers/keycard/emulator/index.ts';
import { runCli } from '../cli.ts';
import { capturedIo } from './test-support/captured-io.ts';
import type { CardPrompt } from '../core/backup/card-opener.ts';
import { NEW_WALLET_CHECK_PATH } from '../core/backup/keycard-new-wallet.ts';
import { personAt } from '../core/backup/test-support/cards.ts';
import { InProcessSlots } from '../core/backup/test-support/in-process-slots.ts';

const PINS = { first: '111111', backup: '222222' };
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function configDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'tapdesk-cli-new-wallet-'));
  dirs.push(dir);
  return dir;
}

/** An initialised Keycard with no key. */
function blankKeycard(label: string, pin: string): KeycardEmulator {
  const card = new KeycardEmulator({ random: seededRandom(label) });
  card.keycard.personalise({ pin, puk: '123123123123', pairingSecret: DEMO_KEYCARD_PAIRING_SECRET, duressPin: '909090' });
  return card;
}


/** The numbered word lines ("   1. word   2. word ...") printed, in order, and the words they hold. */
function printedWords(lines: readonly string[]): { lines: string[]; words: string[] } {
  const wordLines = lines.filter((l) => /^ {2}\s?\d+\. [a-z]+/.test(l));
  const words: string[] = [];
  for (const l of wordLines) for (const match of l.matchAll(/(\d+)\. ([a-z]+)/g)) words[Number(match[1]) - 1] = match[2]!;
  return { lines: wordLines, words };
}

function keyOf(words: readonly string[], keyPath = NEW_WALLET_CHECK_PATH): string {
  const node = HDKey.fromMasterSeed(mnemonicToSeedSync(words.join(' '))).derive(keyPath);
  return Buffer.from(secp256k1.Point.fromBytes(node.publicKey!).toBytes(false)).toString('hex');
}

async function xpubOn(slots: InProcessSlots, reader: string, pin: string, dir: string, keyPath = "m/44'/0'/0'"): Promise<string> {
  const io = capturedIo({ TAPDESK_PIN: pin, TAPDESK_CONFIG_DIR: dir });
  expect(await runCli(['xpub', '--reader', reader, '--path', keyPath, '--json'], io, slots), io.stderr.join('\n')).toBe(0);
  return JSON.parse(io.stdout.join('\n')).xpub as string;
}

describe('tapdesk backup --new-wallet', () => {
  it('two readers: the words printed once (stderr, with the warning), both cards hold that wallet (checked by xpub on each)', async () => {
    const slots = new InProcessSlots(['A', 'B']);
    slots.insert('A', blankKeycard('cli nw first', PINS.first));
    slots.insert('B', blankKeycard('cli nw backup', PINS.backup));
    const dir = configDir();
    const io = capturedIo({ TAPDESK_PIN: PINS.first, TAPDESK_BACKUP_PIN: PINS.backup, TAPDESK_CONFIG_DIR: dir });
    expect(await runCli(['backup', '--new-wallet', '--from', 'A', '--to', 'B'], io, slots), io.stderr.join('\n')).toBe(0);

    const { lines, words } = printedWords(io.stderr);
    expect(words).toHaveLength(12);
    expect(lines).toHaveLength(3);
    // Each word line once, only on stderr, with the warning before.
    for (const l of lines) expect(io.stderr.filter((x) => x === l)).toHaveLength(1);
    expect(io.stdout.join('\n')).not.toMatch(new RegExp(`\\b(${words.join('|')})\\b`));
    const warning = io.stderr.findIndex((l) => l.startsWith('WRITE DOWN THESE 12 WORDS NOW'));
    expect(warning).toBeGreaterThanOrEqual(0);
    expect(io.stderr[warning]).toContain('shown this once and never again');
    expect(io.stderr.indexOf(lines[0]!)).toBeGreaterThan(warning);

    const expected = keyOf(words);
    expect(io.stdout[0]).toBe('New wallet on two Keycards (A and B), both checked to derive the same keys:');
    expect(io.stdout).toContain(`public key at ${NEW_WALLET_CHECK_PATH}: ${expected}`);
    const keyUid = io.stdout.find((l) => l.startsWith('key UID:'))!.split(/\s+/).at(-1)!;
    expect(keyUid).toMatch(/^[0-9a-f]{64}$/);
    const uids = ['first Keycard:', 'backup Keycard:'].map((p) => io.stdout.find((l) => l.startsWith(p))!.split(/\s+/).at(-1)!);
    expect(uids[0]).toMatch(/^[0-9a-f]{32}$/);
    expect(uids[1]).toMatch(/^[0-9a-f]{32}$/);
    expect(uids[0]).not.toBe(uids[1]);
    expect(io.stderr).toContain('Loaded the wallet onto the first Keycard (key UID ' + keyUid + ').');
    expect(io.stderr).toContain('Both cards derive the same wallet.');

    // Afterwards each card, opened with its own stored pairing and PIN, gives the xpub of the words.
    const xpub = HDKey.fromMasterSeed(mnemonicToSeedSync(words.join(' '))).derive("m/44'/0'/0'").publicExtendedKey;
    const before = (slots.sent.get('A') ?? []).filter((n) => n === 'PAIR step 1').length;
    expect(await xpubOn(slots, 'A', PINS.first, dir)).toBe(xpub);
    expect(await xpubOn(slots, 'B', PINS.backup, dir)).toBe(xpub);
    expect((slots.sent.get('A') ?? []).filter((n) => n === 'PAIR step 1').length).toBe(before);
    // Both pairings are in the file.
    expect(Object.keys(JSON.parse(readFileSync(path.join(dir, 'keycard-pairings.json'), 'utf8'))).sort()).toEqual([...uids].sort());
  });

  it('--json: key UID, path, public key, both instance UIDs, never the words; --words 24', async () => {
    const slots = new InProcessSlots(['A', 'B']);
    slots.insert('A', blankKeycard('cli nw json first', PINS.first));
    slots.insert('B', blankKeycard('cli nw json backup', PINS.backup));
    const io = capturedIo({ TAPDESK_PIN: PINS.first, TAPDESK_BACKUP_PIN: PINS.backup, TAPDESK_CONFIG_DIR: configDir() });
    expect(await runCli(['backup', '--new-wallet', '--from', 'A', '--to', 'B', '--words', '24', '--json'], io, slots), io.stderr.join('\n')).toBe(0);
    const { words } = printedWords(io.stderr);
    expect(words).toHaveLength(24);
    const parsed = JSON.parse(io.stdout.join('\n'));
    expect(parsed).toMatchObject({ from: 'A', to: 'B', swap: false, interruptions: 0, checkPath: NEW_WALLET_CHECK_PATH, publicKey: keyOf(words), mnemonicShown: true });
    expect(parsed.cards.first).toMatchObject({ reader: 'A', keyUid: parsed.keyUid, publicKey: parsed.publicKey });
    expect(parsed.cards.backup).toMatchObject({ reader: 'B', keyUid: parsed.keyUid, publicKey: parsed.publicKey });
    expect(parsed.cards.first.instanceUid).not.toBe(parsed.cards.backup.instanceUid);
    const text = io.stdout.join('\n');
    for (const word of words) expect(text).not.toMatch(new RegExp(`\\b${word}\\b`));
  });

  it('--swap on one reader: a person moves the cards as told; PINs from prompts, each asked once after its card is there; Enter after the words', async () => {
    const slots = new InProcessSlots(['R']);
    const first = blankKeycard('cli nw swap first', PINS.first);
    const backup = blankKeycard('cli nw swap backup', PINS.backup);
    slots.insert('R', first);
    const person = personAt(slots, 'R', { first, backup });
    const events: string[] = [];
    const dir = configDir();
    const io = capturedIo(
      { TAPDESK_CONFIG_DIR: dir },
      {
        onCardPrompt: (prompt: CardPrompt) => {
          events.push(`${prompt.kind}:${prompt.role}`);
          person(prompt);
        },
        answer: (question) => {
          events.push(`ask: ${question}`);
          if (question.includes('first Keycard')) return PINS.first;
          if (question.includes('backup Keycard')) return PINS.backup;
          return '';
        },
      },
    );
    expect(await runCli(['backup', '--new-wallet', '--swap', '--reader', 'R'], io, slots), io.stderr.join('\n')).toBe(0);
    expect(io.stderr[0]).toBe('One reader (R): put on and take off the cards when told.');
    expect(io.stderr).toContain('Present the backup Keycard on R.');
    expect(person.log.filter((l) => l.startsWith('remove'))).not.toHaveLength(0);
    const asks = events.filter((e) => e.startsWith('ask: '));
    expect(asks).toEqual([
      'ask: Press Enter once the words are written down (they will not be shown again): ',
      'ask: PIN of the first Keycard: ',
      'ask: PIN of the backup Keycard: ',
    ]);
    expect(events.indexOf('ask: PIN of the backup Keycard: ')).toBeGreaterThan(events.indexOf('present:backup'));
    const { words } = printedWords(io.stderr);
    expect(words).toHaveLength(12);
    expect(io.stdout[0]).toBe('New wallet on two Keycards (on R), both checked to derive the same keys:');
    expect(io.stdout).toContain(`public key at ${NEW_WALLET_CHECK_PATH}: ${keyOf(words)}`);
    // The backup card (now on R) holds the wallet; put the first one back and it does too.
    const xpub = HDKey.fromMasterSeed(mnemonicToSeedSync(words.join(' '))).derive("m/84'/0'/0'").publicExtendedKey;
    expect(await xpubOn(slots, 'R', PINS.backup, dir, "m/84'/0'/0'")).toBe(xpub);
    slots.remove('R');
    slots.insert('R', first);
    expect(await xpubOn(slots, 'R', PINS.first, dir, "m/84'/0'/0'")).toBe(xpub);
  });

  it('--no-show: no words printed, a warning that there is no paper backup; the cards still match', async () => {
    const slots = new InProcessSlots(['A', 'B']);
    slots.insert('A', blankKeycard('cli nw noshow first', PINS.first));
    slots.insert('B', blankKeycard('cli nw noshow backup', PINS.backup));
    const dir = configDir();
    const io = capturedIo({ TAPDESK_PIN: PINS.first, TAPDESK_BACKUP_PIN: PINS.backup, TAPDESK_CONFIG_DIR: dir });
    expect(await runCli(['backup', '--new-wallet', '--from', 'A', '--to', 'B', '--no-show', '--json'], io, slots)).toBe(0);
    expect(printedWords(io.stderr).lines).toEqual([]);
    expect(io.stderr.some((l) => l.startsWith('WRITE DOWN'))).toBe(false);
    expect(io.stderr).toContain('WARNING: --no-show: the words of this wallet are never shown, so there is NO paper backup.');
    const parsed = JSON.parse(io.stdout.join('\n'));
    expect(parsed.mnemonicShown).toBe(false);
    expect(await xpubOn(slots, 'A', PINS.first, dir)).toBe(await xpubOn(slots, 'B', PINS.backup, dir));
  });

  it('a card that already holds a wallet: refused (exit 1, nothing loaded on it) unless --replace', async () => {
    const slots = new InProcessSlots(['A', 'B']);
    slots.insert('A', blankKeycard('cli nw seeded first', PINS.first));
    const seeded = demoKeycard({ label: 'cli nw seeded backup' });
    slots.insert('B', seeded);
    const dir = configDir();
    const env = { TAPDESK_PIN: PINS.first, TAPDESK_BACKUP_PIN: DEMO_KEYCARD_PIN, TAPDESK_CONFIG_DIR: dir };
    const before = await xpubOn(slots, 'B', DEMO_KEYCARD_PIN, dir);
    const refused = capturedIo(env);
    expect(await runCli(['backup', '--new-wallet', '--from', 'A', '--to', 'B'], refused, slots)).toBe(1);
    expect(refused.stderr.join('\n')).toMatch(/error: the backup Keycard already holds a wallet .*code=TARGET_SEEDED/);
    expect(refused.stderr.join('\n')).toContain('add --replace to overwrite it');
    expect((slots.sent.get('B') ?? []).some((n) => n.includes('LOAD KEY'))).toBe(false);
    expect(await xpubOn(slots, 'B', DEMO_KEYCARD_PIN, dir)).toBe(before);

    const replaced = capturedIo(env);
    expect(await runCli(['backup', '--new-wallet', '--from', 'A', '--to', 'B', '--replace'], replaced, slots), replaced.stderr.join('\n')).toBe(0);
    const { words } = printedWords(replaced.stderr);
    expect(replaced.stdout).toContain(`public key at ${NEW_WALLET_CHECK_PATH}: ${keyOf(words)}`);
    expect(await xpubOn(slots, 'B', DEMO_KEYCARD_PIN, dir)).not.toBe(before);
  });

  it('a wrong backup PIN: exit 1 with the tries left and TAPDESK_BACKUP_PIN named, not retried', async () => {
    const slots = new InProcessSlots(['A', 'B']);
    slots.insert('A', blankKeycard('cli nw pin first', PINS.first));
    slots.insert('B', blankKeycard('cli nw pin backup', PINS.backup));
    const io = capturedIo({ TAPDESK_PIN: PINS.first, TAPDESK_BACKUP_PIN: '999999', TAPDESK_CONFIG_DIR: configDir() });
    expect(await runCli(['backup', '--new-wallet', '--from', 'A', '--to', 'B'], io, slots)).toBe(1);
    expect(io.stderr).toContain('error: wrong PIN for the backup Keycard: 2 tries left (code=PIN_INVALID, triesLeft=2)');
    expect(io.stderr.some((l) => l.startsWith('hint: Not retried. Check the PIN (TAPDESK_BACKUP_PIN)'))).toBe(true);
    expect((slots.sent.get('B') ?? []).filter((n) => n.endsWith('VERIFY PIN'))).toHaveLength(1);
    expect(io.stdout).toEqual([]);
  });

  it('a card pulled mid-flow: the person puts it back and the same run goes on to the end', async () => {
    const slots = new InProcessSlots(['A', 'B']);
    const cards = { A: blankKeycard('cli nw pull first', PINS.first), B: blankKeycard('cli nw pull backup', PINS.backup) };
    slots.insert('A', cards.A);
    slots.insert('B', cards.B);
    slots.pullAfter('B', 4);
    const io = capturedIo(
      { TAPDESK_PIN: PINS.first, TAPDESK_BACKUP_PIN: PINS.backup, TAPDESK_CONFIG_DIR: configDir() },
      {
        onCardPrompt: (prompt) => {
          if (prompt.kind === 'present') queueMicrotask(() => slots.cardOn(prompt.reader) ?? slots.insert(prompt.reader, cards[prompt.reader as 'A' | 'B']));
        },
      },
    );
    expect(await runCli(['backup', '--new-wallet', '--from', 'A', '--to', 'B', '--json'], io, slots), io.stderr.join('\n')).toBe(0);
    expect(io.stderr.some((l) => l.startsWith('The backup Keycard on B was taken off before the step finished.'))).toBe(true);
    const parsed = JSON.parse(io.stdout.join('\n'));
    expect(parsed.interruptions).toBe(1);
    expect(parsed.publicKey).toBe(keyOf(printedWords(io.stderr).words));
    expect(printedWords(io.stderr).lines).toHaveLength(3);
  });

  it('without TAPDESK_BACKUP_PIN and no terminal: exit 2 before any APDU', async () => {
    const slots = new InProcessSlots(['A', 'B']);
    slots.insert('A', blankKeycard('cli nw nopin first', PINS.first));
    slots.insert('B', blankKeycard('cli nw nopin backup', PINS.backup));
    const io = capturedIo({ TAPDESK_PIN: PINS.first, TAPDESK_CONFIG_DIR: configDir() });
    expect(await runCli(['backup', '--new-wallet', '--from', 'A', '--to', 'B'], io, slots)).toBe(2);
    expect(io.stderr.join('\n')).toMatch(/backup --new-wallet \(backup Keycard\) needs a PIN: set TAPDESK_BACKUP_PIN/);
    expect(slots.apdus.size).toBe(0);
  });

  it('a card in factory state without --setup-new: exit 1 telling to run keycard init first (or use --setup-new)', async () => {
    const slots = new InProcessSlots(['A', 'B']);
    slots.insert('A', new KeycardEmulator({ random: seededRandom('cli nw factory') }));
    slots.insert('B', blankKeycard('cli nw factory backup', PINS.backup));
    const io = capturedIo({ TAPDESK_PIN: PINS.first, TAPDESK_BACKUP_PIN: PINS.backup, TAPDESK_CONFIG_DIR: configDir() });
    expect(await runCli(['backup', '--new-wallet', '--from', 'A', '--to', 'B'], io, slots)).toBe(1);
    expect(io.stderr.join('\n')).toMatch(/code=NOT_INITIALIZED/);
    expect(io.stderr.join('\n')).toContain('tapdesk keycard init --reader NAME');
    expect(io.stderr.join('\n')).toContain('--setup-new');
  });
});

describe('tapdesk backup --new-wallet --setup-new (cards in factory state)', () => {
  const fresh = (label: string) => new KeycardEmulator({ random: seededRandom(label) });
  const PUKS = { first: '314159265358', backup: '271828182845' };

  /** The card answers `pin` (after pairing with the default password) and `puk` unblocks it once the PIN is blocked. */
  async function answers(slots: InProcessSlots, reader: string, pin: string, puk: string): Promise<void> {
    const dir = configDir();
    const status = capturedIo({ TAPDESK_PIN: pin, TAPDESK_CONFIG_DIR: dir });
    expect(await runCli(['xpub', '--reader', reader, '--path', "m/44'/0'/0'"], status, slots), status.stderr.join('\n')).toBe(0);
    for (let i = 0; i < 3; i += 1) await runCli(['xpub', '--reader', reader, '--path', "m/44'/0'/0'"], capturedIo({ TAPDESK_PIN: '000000', TAPDESK_CONFIG_DIR: dir }), slots);
    const unblock = capturedIo({ TAPDESK_PUK: puk, TAPDESK_NEW_PIN: pin, TAPDESK_CONFIG_DIR: dir });
    expect(await runCli(['keycard', 'unblock-pin', '--reader', reader], unblock, slots), unblock.stderr.join('\n')).toBe(0);
  }

  it('PUKs from TAPDESK_PUK / TAPDESK_BACKUP_PUK: both cards set up with their PIN and PUK, then the wallet', async () => {
    const slots = new InProcessSlots(['A', 'B']);
    slots.insert('A', fresh('cli nw setup first'));
    slots.insert('B', fresh('cli nw setup backup'));
    const io = capturedIo({ TAPDESK_PIN: PINS.first, TAPDESK_BACKUP_PIN: PINS.backup, TAPDESK_PUK: PUKS.first, TAPDESK_BACKUP_PUK: PUKS.backup, TAPDESK_CONFIG_DIR: configDir() });
    expect(await runCli(['backup', '--new-wallet', '--setup-new', '--from', 'A', '--to', 'B', '--json'], io, slots), io.stderr.join('\n')).toBe(0);
    expect(io.stderr.join('\n')).toMatch(/first Keycard is new \(factory state\)[\s\S]*backup Keycard is new/);
    expect(JSON.parse(io.stdout.join('\n')).publicKey).toBe(keyOf(printedWords(io.stderr).words));
    expect(io.stdout.join('\n')).not.toContain(PUKS.first);
    expect(io.stderr.join('\n')).not.toContain(PUKS.backup);
    await answers(slots, 'A', PINS.first, PUKS.first);
    await answers(slots, 'B', PINS.backup, PUKS.backup);
  });

  it('at the prompts: each new PIN typed again and each PUK twice; a PIN typed differently the second time stops it (exit 2), the card not set up', async () => {
    const slots = new InProcessSlots(['A', 'B']);
    slots.insert('A', fresh('cli nw prompt first'));
    slots.insert('B', blankKeycard('cli nw prompt backup', PINS.backup));
    const typed = (question: string) => {
      if (question.startsWith('PIN of the first Keycard again')) return PINS.first.replace('1', '9');
      if (question.startsWith('PIN of the first')) return PINS.first;
      return PUKS.first;
    };
    const io = capturedIo({ TAPDESK_BACKUP_PIN: PINS.backup, TAPDESK_CONFIG_DIR: configDir() }, { answer: typed });
    expect(await runCli(['backup', '--new-wallet', '--setup-new', '--from', 'A', '--to', 'B'], io, slots)).toBe(2);
    expect(io.stderr.join('\n')).toMatch(/two PINs typed for the first Keycard differ; the card was not set up/);
    expect(io.asked).toEqual(['PIN of the first Keycard: ', "PIN of the first Keycard again (it becomes the card's PIN): "]);
    expect((slots.sent.get('A') ?? []).filter((n) => n.includes('INIT'))).toEqual([]);

    // Typed the same twice, and the PUK twice: set up and done.
    const io2 = capturedIo(
      { TAPDESK_BACKUP_PIN: PINS.backup, TAPDESK_CONFIG_DIR: configDir() },
      { answer: (q) => (q.startsWith('PIN of the first') ? PINS.first : q.startsWith('New PUK') ? PUKS.first : '') },
    );
    expect(await runCli(['backup', '--new-wallet', '--setup-new', '--from', 'A', '--to', 'B'], io2, slots), io2.stderr.join('\n')).toBe(0);
    expect(io2.asked.slice(0, 4)).toEqual(['PIN of the first Keycard: ', "PIN of the first Keycard again (it becomes the card's PIN): ", 'New PUK of the first Keycard (12 digits): ', 'New PUK of the first Keycard (12 digits) again: ']);
    await answers(slots, 'A', PINS.first, PUKS.first);
  });

  it('no PUK for a new card and no terminal: exit 2 naming TAPDESK_BACKUP_PUK; --setup-new without --new-wallet is a usage error', async () => {
    const slots = new InProcessSlots(['A', 'B']);
    slots.insert('A', blankKeycard('cli nw nopuk first', PINS.first));
    slots.insert('B', fresh('cli nw nopuk backup'));
    const io = capturedIo({ TAPDESK_PIN: PINS.first, TAPDESK_BACKUP_PIN: PINS.backup, TAPDESK_CONFIG_DIR: configDir() });
    expect(await runCli(['backup', '--new-wallet', '--setup-new', '--from', 'A', '--to', 'B'], io, slots)).toBe(2);
    expect(io.stderr.join('\n')).toMatch(/needs a PUK: set TAPDESK_BACKUP_PUK/);
    expect((slots.sent.get('B') ?? []).filter((n) => n.includes('INIT'))).toEqual([]);
    const misuse = capturedIo({ TAPDESK_PIN: PINS.first, TAPDESK_BACKUP_PIN: PINS.backup });
    expect(await runCli(['backup', '--setup-new', '--from', 'A', '--to', 'B'], misuse, slots)).toBe(2);
    expect(misuse.stderr.join('\n')).toMatch(/--setup-new goes with --new-wallet/);
  });
});
