/**
 * The Keycard commands of `tapdesk` in-process: the CLI over InProcessSlots holding emulated
 * Keycards (drivers/keycard/emulator), the real client, openKeycard and the pairing file in a temp
 * TAPDESK_CONFIG_DIR. Keys are checked against an independent BIP32 derivation (@scure/bip32),
 * signatures with @noble/curves; the commands each card saw are counted by name (PAIR once per card).
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { HDKey } from '@scure/bip32';
import { mnemonicToSeedSync } from '@scure/bip39';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEMO_KEYCARD_MNEMONIC, DEMO_KEYCARD_PIN, DEMO_KEYCARD_PUK, demoKeycard } from '../../drivers/keycard/emulator/demo.ts';
import { KeycardEmulator, seededRandom } from '../../drivers/keycard/emulator/index.ts';
import { XPUB_VERSIONS } from '../../drivers/satochip/bip32-path.ts';
import { runCli } from '../cli.ts';
import { capturedIo } from './test-support/captured-io.ts';
import { InProcessSlots } from '../core/backup/test-support/in-process-slots.ts';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function configDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'tapdesk-cli-keycard-'));
  dirs.push(dir);
  return dir;
}


/** One reader "R" holding `card`, a fresh config folder, and a runner that reports what the card saw. */
function bench(card: KeycardEmulator, baseEnv: Record<string, string> = {}) {
  const slots = new InProcessSlots(['R']);
  slots.insert('R', card);
  const dir = configDir();
  // Commands inside the secure channel are logged as "SC <name>".
  const sentSoFar = () => (slots.sent.get('R') ?? []).map((name) => name.replace(/^SC /, ''));
  return {
    slots,
    dir,
    pairingsFile: path.join(dir, 'keycard-pairings.json'),
    async run(argv: string[], env: Record<string, string> = {}, answers?: (question: string) => string) {
      const before = sentSoFar().length;
      const io = capturedIo({ TAPDESK_CONFIG_DIR: dir, ...baseEnv, ...env }, answers ? { answer: answers } : {});
      const code = await runCli(argv, io, slots);
      return { code, io, sent: sentSoFar().slice(before) };
    },
    count: (name: string) => sentSoFar().filter((n) => n === name).length,
  };
}

function storedPairings(file: string): Record<string, { index: number; key: string }> {
  return JSON.parse(readFileSync(file, 'utf8')) as Record<string, { index: number; key: string }>;
}

const line = (lines: readonly string[], prefix: string) => lines.find((l) => l.startsWith(prefix))?.slice(prefix.length).trim();

describe('tapdesk keycard init on a card in factory state, then status and xpub', () => {
  const PIN = '314159';
  const PUK = '271828182845';

  it('sets up the card, pairs once and stores the pairing; the next commands reuse it', async () => {
    const card = new KeycardEmulator({ random: seededRandom('cli init') });
    const b = bench(card);
    const info0 = await b.run(['info', '--reader', 'R']);
    expect(info0.code).toBe(0);
    expect(info0.io.stdout).toContain('initialized: no (factory state: set it up with tapdesk keycard init)');

    const init = await b.run(['keycard', 'init', '--reader', 'R', '--pin-tries', '5', '--puk-tries', '7'], { TAPDESK_PIN: PIN, TAPDESK_PUK: PUK });
    expect(init.code, init.io.stderr.join('\n')).toBe(0);
    expect(init.sent).toEqual(['SELECT', 'INIT', 'SELECT', 'PAIR step 1', 'PAIR step 2', 'OPEN SECURE CHANNEL', 'MUTUALLY AUTHENTICATE', 'GET STATUS']);
    const uid = line(init.io.stdout, 'instance UID:')!;
    expect(uid).toMatch(/^[0-9a-f]{32}$/);
    expect(init.io.stdout).toContain('PIN tries:          5');
    expect(init.io.stdout).toContain('PUK tries:          7');
    expect(init.io.stdout).toContain('pairing password:   the factory default');
    expect(init.io.stdout.join('\n')).not.toContain(PIN);
    expect(init.io.stdout.join('\n')).not.toContain(PUK);
    // The pairing is in keycard-pairings.json of TAPDESK_CONFIG_DIR, under the card's instance UID.
    const stored = storedPairings(b.pairingsFile);
    expect(Object.keys(stored)).toEqual([uid]);
    expect(init.io.stdout).toContain(`paired:             slot ${stored[uid]!.index} (kept for this host)`);

    // status: no PIN, no new pairing.
    const status = await b.run(['keycard', 'status', '--reader', 'R', '--json']);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.io.stdout.join('\n'))).toMatchObject({ instanceUid: uid, pinTriesLeft: 5, pukTriesLeft: 7, keyLoaded: false, keyUid: null, pairingSlot: stored[uid]!.index, freePairingSlots: 4 });
    expect(status.sent).toEqual(['SELECT', 'OPEN SECURE CHANNEL', 'MUTUALLY AUTHENTICATE', 'GET STATUS']);

    // No key yet: xpub says so (exit 1, hint).
    const noKey = await b.run(['xpub', '--reader', 'R', '--path', "m/44'/0'/0'"], { TAPDESK_PIN: PIN });
    expect(noKey.code).toBe(1);
    expect(noKey.io.stderr.join('\n')).toMatch(/code=NO_KEY/);
    expect(noKey.io.stderr.join('\n')).toContain('backup --new-wallet');

    // A known seed on the card; xpub equals an independent derivation; still paired once.
    card.keycard.loadSeed(mnemonicToSeedSync(DEMO_KEYCARD_MNEMONIC));
    const xpub = await b.run(['xpub', '--reader', 'R', '--path', "m/44'/0'/0'"], { TAPDESK_PIN: PIN });
    expect(xpub.code, xpub.io.stderr.join('\n')).toBe(0);
    const node = HDKey.fromMasterSeed(mnemonicToSeedSync(DEMO_KEYCARD_MNEMONIC)).derive("m/44'/0'/0'");
    expect(xpub.io.stdout).toContain(`xpub:               ${node.publicExtendedKey}`);
    expect(xpub.io.stdout).toContain(`public key:         ${hex(node.publicKey!)}`);
    expect(xpub.sent).toEqual(['SELECT', 'OPEN SECURE CHANNEL', 'MUTUALLY AUTHENTICATE', 'VERIFY PIN', 'EXPORT KEY', 'EXPORT KEY']);
    expect(b.count('PAIR step 1')).toBe(1);
    expect(b.count('INIT')).toBe(1);

    // info now: initialised, the key UID, paired with this host.
    const info = await b.run(['info', '--reader', 'R', '--json']);
    expect(info.sent).toEqual(['SELECT']);
    expect(JSON.parse(info.io.stdout.join('\n')).keycard).toMatchObject({ initialized: true, instanceUid: uid, version: '3.1', freePairingSlots: 4, keyUid: expect.stringMatching(/^[0-9a-f]{64}$/), pairingSlot: stored[uid]!.index });

    // init again: refused before INIT (exit 1).
    const again = await b.run(['keycard', 'init', '--reader', 'R'], { TAPDESK_PIN: PIN, TAPDESK_PUK: PUK });
    expect(again.code).toBe(1);
    expect(again.io.stderr[0]).toMatch(/already set up .*nothing was changed/);
    expect(again.sent).toEqual(['SELECT']);
  });

  it('prompts: new PIN and PUK typed twice, Enter at the pairing password = the factory default', async () => {
    const b = bench(new KeycardEmulator({ random: seededRandom('cli init prompts') }));
    const answers: Record<string, string> = {
      'New Keycard PIN (6 digits): ': PIN,
      'New Keycard PIN (6 digits) again: ': PIN,
      'New Keycard PUK (12 digits): ': PUK,
      'New Keycard PUK (12 digits) again: ': PUK,
      'Pairing password (Enter for the factory default): ': '',
    };
    const init = await b.run(['keycard', 'init', '--reader', 'R'], {}, (q) => answers[q] ?? 'unexpected');
    expect(init.code, init.io.stderr.join('\n')).toBe(0);
    expect(init.io.asked).toEqual(Object.keys(answers));
    // The PIN works.
    const status = await b.run(['keycard', 'change-pin', '--reader', 'R'], { TAPDESK_PIN: PIN, TAPDESK_NEW_PIN: '000111' });
    expect(status.code, status.io.stderr.join('\n')).toBe(0);
  });

  it('a custom pairing password from TAPDESK_PAIRING_PASSWORD: pairing without it fails, with it works', async () => {
    const b = bench(new KeycardEmulator({ random: seededRandom('cli init password') }));
    const init = await b.run(['keycard', 'init', '--reader', 'R', '--json'], { TAPDESK_PIN: PIN, TAPDESK_PUK: PUK, TAPDESK_PAIRING_PASSWORD: 'correct horse' });
    expect(init.code).toBe(0);
    expect(JSON.parse(init.io.stdout.join('\n'))).toMatchObject({ pairingPassword: 'custom', pinTriesLeft: 3, pukTriesLeft: 5 });
    const wrong = await b.run(['keycard', 'pair', '--reader', 'R']);
    expect(wrong.code).toBe(1);
    expect(wrong.io.stderr[0]).toMatch(/code=PAIRING_FAILED.*pairing password came from the factory default/);
    expect(wrong.sent).toEqual(['SELECT', 'PAIR step 1']);
    const right = await b.run(['keycard', 'pair', '--reader', 'R'], { TAPDESK_PAIRING_PASSWORD: 'correct horse' });
    expect(right.code, right.io.stderr.join('\n')).toBe(0);
  });

  it.each([
    [{ TAPDESK_PIN: '12345', TAPDESK_PUK: PUK }, /TAPDESK_PIN is not usable for keycard init: a Keycard PIN is exactly 6 digits/],
    [{ TAPDESK_PIN: PIN, TAPDESK_PUK: '1234' }, /TAPDESK_PUK is not usable for keycard init: a Keycard PUK is exactly 12 digits/],
    [{ TAPDESK_PIN: PIN }, /keycard init needs a PUK: set TAPDESK_PUK/],
    [{ TAPDESK_PUK: PUK }, /keycard init needs a PIN: set TAPDESK_PIN/],
  ])('bad or missing secrets %j: exit 2, no APDU, the value never printed', async (env, message) => {
    const b = bench(new KeycardEmulator({ random: seededRandom('cli init bad') }));
    const result = await b.run(['keycard', 'init', '--reader', 'R'], env);
    expect(result.code).toBe(2);
    expect(result.io.stderr.join('\n')).toMatch(message);
    expect(result.io.stderr.join('\n')).not.toContain('12345\n');
    expect(result.sent).toEqual([]);
  });

  it('--pin-tries out of range: exit 2', async () => {
    const b = bench(new KeycardEmulator({ random: seededRandom('cli init tries') }));
    const result = await b.run(['keycard', 'init', '--reader', 'R', '--pin-tries', '11'], { TAPDESK_PIN: PIN, TAPDESK_PUK: PUK });
    expect(result.code).toBe(2);
    expect(result.io.stderr[0]).toMatch(/bad --pin-tries "11": a whole number from 2 to 10/);
    expect(result.sent).toEqual([]);
  });
});

describe('tapdesk xpub / sign-digest on the demo Keycard', () => {
  const root = HDKey.fromMasterSeed(mnemonicToSeedSync(DEMO_KEYCARD_MNEMONIC));
  const card = demoKeycard({ label: 'cli keycard keys' });
  const b = bench(card, { TAPDESK_PIN: DEMO_KEYCARD_PIN });

  it('xpub: pairs on first use (stored), then equals the independent derivation; --version zpub --json', async () => {
    const first = await b.run(['xpub', '--reader', 'R', '--path', "m/84'/0'/0'", '--version', 'zpub', '--json']);
    expect(first.code, first.io.stderr.join('\n')).toBe(0);
    expect(first.sent.filter((n) => n.startsWith('PAIR'))).toEqual(['PAIR step 1', 'PAIR step 2']);
    expect(first.io.stderr.some((l) => /^Paired with the Keycard [0-9a-f]{32} \(slot \d\); the pairing is kept for next time\.$/.test(l))).toBe(true);
    const parsed = JSON.parse(first.io.stdout.join('\n'));
    const zroot = HDKey.fromMasterSeed(mnemonicToSeedSync(DEMO_KEYCARD_MNEMONIC), { private: 0x04b2430c, public: XPUB_VERSIONS.zpub });
    const node = zroot.derive("m/84'/0'/0'");
    expect(parsed).toMatchObject({ reader: 'R', path: "m/84'/0'/0'", version: 'zpub', xpub: node.publicExtendedKey, publicKey: hex(node.publicKey!), chainCode: hex(node.chainCode!), depth: 3, card: 'keycard' });
    expect(parsed.xpub).toBe('zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31mGDtKsAYz2oz2AGutZYs');
    expect(parsed.parentFingerprint).toBe(root.derive("m/84'/0'").fingerprint.toString(16).padStart(8, '0'));

    const second = await b.run(['xpub', '--reader', 'R', '--path', "m/44h/60h/0h/0"]);
    expect(second.code).toBe(0);
    expect(second.sent.some((n) => n.startsWith('PAIR'))).toBe(false);
    expect(second.io.stdout).toContain(`xpub:               ${root.derive("m/44'/60'/0'/0").publicExtendedKey}`);
    expect(second.io.stderr).toEqual([]);
  });

  it('sign-digest: low-S r||s and DER verify under the independently derived key; the recovery id recovers it', async () => {
    const digest = sha256(new TextEncoder().encode('tapdesk keycard sign-digest'));
    const keyPath = "m/44'/60'/0'/0/0";
    const result = await b.run(['sign-digest', '--reader', 'R', '--path', keyPath, '--hex', hex(digest), '--json']);
    expect(result.code, result.io.stderr.join('\n')).toBe(0);
    expect(result.sent).toEqual(['SELECT', 'OPEN SECURE CHANNEL', 'MUTUALLY AUTHENTICATE', 'VERIFY PIN', 'SIGN']);
    const parsed = JSON.parse(result.io.stdout.join('\n'));
    const publicKey = root.derive(keyPath).publicKey!;
    expect(parsed).toMatchObject({ path: keyPath, digest: hex(digest), publicKey: hex(publicKey), lowS: true, card: 'keycard' });
    expect(parsed.publicKeyUncompressed).toBe(hex(secp256k1.Point.fromBytes(publicKey).toBytes(false)));
    const compact = Uint8Array.from(Buffer.from(parsed.compact, 'hex'));
    expect(parsed.r + parsed.s).toBe(parsed.compact);
    expect(secp256k1.verify(compact, digest, publicKey, { prehash: false })).toBe(true);
    expect(secp256k1.verify(compact, sha256(digest), publicKey, { prehash: false })).toBe(false);
    expect(BigInt(`0x${parsed.s}`) <= secp256k1.Point.CURVE().n / 2n).toBe(true);
    const recovered = secp256k1.Signature.fromBytes(compact, 'compact').addRecoveryBit(parsed.recoveryId).recoverPublicKey(digest);
    expect(hex(recovered.toBytes(true))).toBe(hex(publicKey));
    expect([0, 1]).toContain(parsed.recoveryId);
    expect(hex(secp256k1.Signature.fromBytes(Uint8Array.from(Buffer.from(parsed.der, 'hex')), 'der').toBytes('compact'))).toBe(parsed.compact);
  });

  it('sign-digest as text: the same fields as for a Satochip', async () => {
    const digest = sha256(new TextEncoder().encode('text'));
    const result = await b.run(['sign-digest', '--reader', 'R', '--path', "m/84'/0'/0'/0/1", '--hex', `0x${hex(digest)}`]);
    expect(result.code).toBe(0);
    const publicKey = root.derive("m/84'/0'/0'/0/1").publicKey!;
    const field = (name: string) => result.io.stdout.find((l) => l.startsWith(name))!.slice(13).split(' ')[0]!;
    expect(field('public key:')).toBe(hex(publicKey));
    expect(secp256k1.verify(Uint8Array.from(Buffer.from(field('signature:'), 'hex')), digest, publicKey, { prehash: false })).toBe(true);
    expect(field('recovery id:')).toMatch(/^[01]$/);
  });

  it.each([
    ['m', /no extended key for the master m/],
    ["m/43'/60'/1581'/0'", /no extended key inside m\/43'\/60'\/1581' \(EIP-1581\)/],
  ])('xpub of %s: refused (exit 2) before any APDU or PIN', async (keyPath, message) => {
    const asked: string[] = [];
    const result = await b.run(['xpub', '--reader', 'R', '--path', keyPath], { TAPDESK_PIN: '' }, (q) => (asked.push(q), DEMO_KEYCARD_PIN));
    expect(result.code).toBe(2);
    expect(result.io.stderr[0]).toMatch(message);
    expect(result.sent).toEqual([]);
    expect(asked).toEqual([]);
  });

  it('the PIN from the prompt, asked as "Keycard PIN: "', async () => {
    const result = await b.run(['xpub', '--reader', 'R', '--path', "m/44'/0'/0'"], { TAPDESK_PIN: '' }, () => DEMO_KEYCARD_PIN);
    expect(result.code).toBe(0);
    expect(result.io.asked).toEqual(['Keycard PIN: ']);
  });

  it('a wrong PIN: exit 1 with the tries left, tried once; the right PIN afterwards works', async () => {
    const result = await b.run(['sign-digest', '--reader', 'R', '--path', 'm/0', '--hex', '11'.repeat(32)], { TAPDESK_PIN: '000000' });
    expect(result.code).toBe(1);
    expect(result.io.stderr[0]).toBe('error: wrong PIN for the Keycard: 2 tries left (code=PIN_INVALID, triesLeft=2)');
    expect(result.io.stderr[1]).toMatch(/^hint: Not retried\. Check the PIN \(TAPDESK_PIN\)/);
    expect(result.sent.filter((n) => n === 'VERIFY PIN')).toHaveLength(1);
    expect(result.sent).not.toContain('SIGN');
    expect(result.io.stdout).toEqual([]);
    const status = await b.run(['keycard', 'status', '--reader', 'R']);
    expect(status.io.stdout).toContain('PIN tries left:     2');
    expect((await b.run(['xpub', '--reader', 'R', '--path', 'm/0'])).code).toBe(0);
    expect((await b.run(['keycard', 'status', '--reader', 'R'])).io.stdout).toContain('PIN tries left:     3');
  });

  it('a PIN that is not 6 digits: exit 2 before anything is sent', async () => {
    const result = await b.run(['xpub', '--reader', 'R', '--path', 'm/0'], { TAPDESK_PIN: '1234' });
    expect(result.code).toBe(2);
    expect(result.io.stderr[0]).toMatch(/TAPDESK_PIN is not usable for xpub: a Keycard PIN is exactly 6 digits/);
    expect(result.sent).toEqual([]);
  });
});

describe('tapdesk keycard pair / unpair / change-pin / unblock-pin', () => {
  it('pair stores a pairing, the next command does not pair; pair again replaces it; unpair frees the slots', async () => {
    const b = bench(demoKeycard({ label: 'cli keycard pairing' }), { TAPDESK_PIN: DEMO_KEYCARD_PIN });
    expect(existsSync(b.pairingsFile)).toBe(false);
    const pair = await b.run(['keycard', 'pair', '--reader', 'R', '--json']);
    expect(pair.code, pair.io.stderr.join('\n')).toBe(0);
    expect(pair.sent).toEqual(['SELECT', 'PAIR step 1', 'PAIR step 2', 'OPEN SECURE CHANNEL', 'MUTUALLY AUTHENTICATE']);
    const first = JSON.parse(pair.io.stdout.join('\n'));
    expect(first).toMatchObject({ pairingSlot: 0, replacedSlot: null, freePairingSlots: 4 });
    expect(storedPairings(b.pairingsFile)[first.instanceUid]).toMatchObject({ index: 0, key: expect.stringMatching(/^[0-9a-f]{64}$/) });

    const xpub = await b.run(['xpub', '--reader', 'R', '--path', "m/44'/0'/0'"]);
    expect(xpub.code).toBe(0);
    expect(xpub.sent.some((n) => n.startsWith('PAIR'))).toBe(false);

    // Pair again: a new slot replaces the stored pairing; the old slot is still taken on the card.
    const again = await b.run(['keycard', 'pair', '--reader', 'R']);
    expect(again.code).toBe(0);
    expect(again.io.stdout[0]).toBe(`Paired with the Keycard ${first.instanceUid} on R: slot 1 (kept for this host).`);
    expect(again.io.stdout).toContain('free pairing slots: 3');
    expect(again.io.stdout.at(-1)).toMatch(/slot 0\) was replaced; that slot is still taken on the card: free it with tapdesk keycard unpair --reader R --index 0/);
    expect(storedPairings(b.pairingsFile)[first.instanceUid]!.index).toBe(1);

    // unpair --index 0: the stale slot is freed; our pairing (slot 1) stays.
    const other = await b.run(['keycard', 'unpair', '--reader', 'R', '--index', '0', '--json']);
    expect(other.code, other.io.stderr.join('\n')).toBe(0);
    expect(JSON.parse(other.io.stdout.join('\n'))).toMatchObject({ slot: 0, forgot: false, freePairingSlots: 4 });
    expect(other.sent.some((n) => n.startsWith('PAIR'))).toBe(false);
    expect(storedPairings(b.pairingsFile)[first.instanceUid]!.index).toBe(1);

    // unpair (our own slot): freed on the card and forgotten here.
    const ours = await b.run(['keycard', 'unpair', '--reader', 'R']);
    expect(ours.code).toBe(0);
    expect(ours.io.stdout).toEqual([`Freed pairing slot 1 of the Keycard ${first.instanceUid} (this host's own pairing, now forgotten).`, 'free pairing slots: 5']);
    expect(ours.sent).toEqual(['SELECT', 'OPEN SECURE CHANNEL', 'MUTUALLY AUTHENTICATE', 'VERIFY PIN', 'UNPAIR', 'SELECT']);
    expect(storedPairings(b.pairingsFile)).toEqual({});
    const info = await b.run(['info', '--reader', 'R']);
    expect(info.io.stdout).toContain('free pairing slots: 5');
    expect(info.io.stdout).toContain('paired with this host: no');

    // Nothing stored and no --index: refused after SELECT, nothing paired.
    const none = await b.run(['keycard', 'unpair', '--reader', 'R']);
    expect(none.code).toBe(1);
    expect(none.io.stderr[0]).toMatch(/this host has no pairing with the Keycard .*nothing was changed/);
    expect(none.io.stderr[1]).toBe('hint: Say which slot to free with --index N.');
    expect(none.sent).toEqual(['SELECT']);
  });

  it('a stored pairing the card lost (unpaired elsewhere) is replaced by a new one on the next command', async () => {
    const card = demoKeycard({ label: 'cli keycard lost pairing' });
    const b = bench(card, { TAPDESK_PIN: DEMO_KEYCARD_PIN });
    expect((await b.run(['keycard', 'pair', '--reader', 'R'])).code).toBe(0);
    // Another "host" frees slot 0 (our stored pairing).
    const elsewhere = new InProcessSlots(['X']);
    elsewhere.insert('X', card);
    const dir = configDir();
    expect(await runCli(['keycard', 'unpair', '--reader', 'X', '--index', '0'], capturedIo({ TAPDESK_CONFIG_DIR: dir, TAPDESK_PIN: DEMO_KEYCARD_PIN }), elsewhere)).toBe(0);
    const status = await b.run(['keycard', 'status', '--reader', 'R', '--json']);
    expect(status.code, status.io.stderr.join('\n')).toBe(0);
    expect(status.sent.filter((n) => n === 'PAIR step 1')).toHaveLength(1);
  });

  it('change-pin: the old PIN no longer works, the new one does; --puk changes the PUK, which then unblocks a blocked PIN', async () => {
    const b = bench(demoKeycard({ label: 'cli keycard change pin' }));
    const NEW_PIN = '909192';
    const change = await b.run(['keycard', 'change-pin', '--reader', 'R'], { TAPDESK_PIN: DEMO_KEYCARD_PIN, TAPDESK_NEW_PIN: NEW_PIN });
    expect(change.code, change.io.stderr.join('\n')).toBe(0);
    expect(change.io.stdout[0]).toMatch(/^Changed the PIN of the Keycard [0-9a-f]{32} on R\.$/);
    expect(change.sent).toContain('CHANGE PIN');
    const old = await b.run(['xpub', '--reader', 'R', '--path', 'm/0'], { TAPDESK_PIN: DEMO_KEYCARD_PIN });
    expect(old.code).toBe(1);
    expect(old.io.stderr[0]).toMatch(/wrong PIN for the Keycard: 2 tries left/);
    expect((await b.run(['xpub', '--reader', 'R', '--path', 'm/0'], { TAPDESK_PIN: NEW_PIN })).code).toBe(0);

    const NEW_PUK = '888777666555';
    const puk = await b.run(['keycard', 'change-pin', '--reader', 'R', '--puk', '--json'], { TAPDESK_PIN: NEW_PIN, TAPDESK_NEW_PUK: NEW_PUK });
    expect(puk.code, puk.io.stderr.join('\n')).toBe(0);
    expect(JSON.parse(puk.io.stdout.join('\n'))).toMatchObject({ changed: 'PUK' });
    expect(puk.sent).toContain('CHANGE PUK');

    // unblock-pin refuses while the PIN is not blocked.
    const early = await b.run(['keycard', 'unblock-pin', '--reader', 'R'], { TAPDESK_PUK: NEW_PUK, TAPDESK_NEW_PIN: '121212' });
    expect(early.code).toBe(1);
    expect(early.io.stderr[0]).toMatch(/is not blocked \(3 tries left\); nothing was changed/);
    expect(early.sent).not.toContain('UNBLOCK PIN');

    // Block the PIN (3 wrong tries), then the old PUK fails and the new PUK unblocks.
    for (const left of [2, 1]) expect((await b.run(['xpub', '--reader', 'R', '--path', 'm/0'], { TAPDESK_PIN: '000000' })).io.stderr[0]).toContain(`${left} tr`);
    const blocked = await b.run(['xpub', '--reader', 'R', '--path', 'm/0'], { TAPDESK_PIN: '000000' });
    expect(blocked.code).toBe(1);
    expect(blocked.io.stderr).toEqual(['error: the PIN of the Keycard is blocked (code=PIN_BLOCKED)', 'hint: The PIN is blocked: unblock it with the PUK (tapdesk keycard unblock-pin --reader NAME).']);
    const wrongPuk = await b.run(['keycard', 'unblock-pin', '--reader', 'R'], { TAPDESK_PUK: DEMO_KEYCARD_PUK, TAPDESK_NEW_PIN: '121212' });
    expect(wrongPuk.code).toBe(1);
    expect(wrongPuk.io.stderr[0]).toBe('error: wrong PUK for the Keycard: 4 tries left (code=PUK_INVALID, triesLeft=4)');
    const unblock = await b.run(['keycard', 'unblock-pin', '--reader', 'R'], { TAPDESK_PUK: NEW_PUK, TAPDESK_NEW_PIN: '121212' });
    expect(unblock.code, unblock.io.stderr.join('\n')).toBe(0);
    expect((await b.run(['xpub', '--reader', 'R', '--path', 'm/0'], { TAPDESK_PIN: '121212' })).code).toBe(0);
  });

  it('change-pin from prompts: the new PIN typed twice must match', async () => {
    const b = bench(demoKeycard({ label: 'cli keycard change pin prompts' }));
    const answers = ['123456', '111222', '111333'];
    const result = await b.run(['keycard', 'change-pin', '--reader', 'R'], {}, () => answers.shift()!);
    expect(result.code).toBe(2);
    expect(result.io.asked).toEqual(['Keycard PIN: ', 'New Keycard PIN (6 digits): ', 'New Keycard PIN (6 digits) again: ']);
    expect(result.io.stderr[0]).toMatch(/^the two PINs typed for keycard change-pin \(new PIN\) differ; nothing was changed\n/);
    expect(result.sent).toEqual([]);
  });
});

describe('secrets never come from argv; usage errors touch no card', () => {
  const b = bench(demoKeycard({ label: 'cli keycard usage' }), { TAPDESK_PIN: DEMO_KEYCARD_PIN });

  it.each([
    [['keycard', 'change-pin', '--reader', 'R', '--pin', '123456'], /Unknown option '--pin'/],
    [['xpub', '--reader', 'R', '--path', 'm/0', '--pin', '123456'], /Unknown option '--pin'/],
    [['keycard', 'init', '--reader', 'R', '--puk', '123456789012'], /unexpected "123456789012"/],
    [['keycard', 'unblock-pin', '--reader', 'R', '--new-pin=123456'], /Unknown option '--new-pin'/],
    [['keycard', 'pair', '--reader', 'R', '--pairing-password', 'x'], /Unknown option '--pairing-password'/],
    [['keycard'], /keycard needs one of: init, pair, unpair, change-pin, unblock-pin, status/],
    [['keycard', 'frob', '--reader', 'R'], /keycard needs one of: .* \(not "frob"\)/],
    [['keycard', 'status'], /keycard status needs --reader NAME/],
    [['keycard', 'unpair', '--reader', 'R', '--index', '5'], /bad --index "5": a whole number from 0 to 4/],
    [['backup', '--new-wallet', '--from', 'R', '--to', 'R2', '--words', '13'], /bad --words "13": one of 12, 15, 18, 21, 24/],
    [['backup', '--from', 'R', '--to', 'R2', '--replace'], /backup: --replace goes with --new-wallet/],
    [['backup', '--new-wallet', '--swap'], /backup --new-wallet --swap needs --reader NAME/],
  ])('%j: exit 2 with the usage, nothing sent', async (argv, message) => {
    const result = await b.run(argv);
    expect(result.code).toBe(2);
    expect(result.io.stderr.join('\n')).toMatch(message);
    expect(result.io.stderr.join('\n')).toContain('usage:');
    expect(result.sent).toEqual([]);
  });

  it('the usage lists the Keycard commands', async () => {
    const result = await b.run(['keycard']);
    const usage = result.io.stderr.join('\n');
    for (const command of ['keycard init', 'keycard pair', 'keycard unpair', 'keycard change-pin', 'keycard unblock-pin', 'keycard status', 'backup --new-wallet']) {
      expect(usage).toContain(`tapdesk ${command} --`);
    }
  });

  it('a Keycard command on a reader holding something else: exit 1 naming it', async () => {
    const slots = new InProcessSlots(['S']);
    const { demoSatochip } = await import('../../drivers/satochip/emulator/index.ts');
    slots.insert('S', demoSatochip('cli keycard wrong family'));
    const io = capturedIo({ TAPDESK_CONFIG_DIR: configDir() });
    expect(await runCli(['keycard', 'status', '--reader', 'S'], io, slots)).toBe(1);
    expect(io.stderr[0]).toBe('error: this needs a Keycard on "S"; the card there is: Satochip (satochip)');
  });
});
