/**
 * `tapdesk xpub` and `tapdesk sign-digest` over the demo reader holding an emulated, seeded
 * Satochip (the real client, sessions and identification), checked against an independent
 * derivation (@scure/bip32) and signature check (@noble/secp256k1, @noble/curves for the DER).
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import * as secp from '@noble/secp256k1';
import { HDKey } from '@scure/bip32';
import { mnemonicToSeedSync } from '@scure/bip39';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { XPUB_VERSIONS } from '../../drivers/satochip/bip32-path.ts';
import type { SatochipEmulator } from '../../drivers/satochip/emulator/index.ts';
import type { CardEmulator } from '../../drivers/virtual/emulator.ts';
import { runCli } from '../cli.ts';
import { capturedIo } from './test-support/captured-io.ts';
import { MNEMONIC, freshSatochip, withEmulator } from '../core/backup/test-support/cards.ts';
import { DEMO_READER_NAME, ReaderService } from '../core/readers.ts';

const PIN = '4321';
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const root = HDKey.fromMasterSeed(mnemonicToSeedSync(MNEMONIC));


describe('tapdesk xpub / sign-digest on an emulated Satochip in the demo reader', () => {
  let satochip: SatochipEmulator;
  let service: ReaderService;
  let apdus = 0;

  beforeAll(async () => {
    satochip = await freshSatochip('cli satochip', PIN);
    await withEmulator(satochip, PIN, (client) => client.importSeed(MNEMONIC), 'satochip');
    const counted: CardEmulator = {
      atr: satochip.atr,
      reset: () => satochip.reset?.(),
      process: (apdu) => {
        apdus += 1;
        return satochip.process(apdu);
      },
    };
    service = new ReaderService({ pcsc: false, demo: 'on', demoCard: () => counted });
    await service.start();
  });

  afterAll(async () => {
    await service.close();
  });

  it('`readers` sees the Satochip in the demo reader', async () => {
    const io = capturedIo({ TAPDESK_PIN: PIN });
    expect(await runCli(['readers'], io, service)).toBe(0);
    expect(io.stdout).toEqual([`${DEMO_READER_NAME} [demo]: Satochip (satochip)`]);
  });

  it('`xpub` prints the xpub, public key and path of an independent BIP32 derivation', async () => {
    const io = capturedIo({ TAPDESK_PIN: PIN });
    expect(await runCli(['xpub', '--reader', DEMO_READER_NAME, '--path', "m/44'/0'/0'"], io, service)).toBe(0);
    const node = root.derive("m/44'/0'/0'");
    expect(io.stdout).toContain("path:               m/44'/0'/0'");
    expect(io.stdout).toContain(`xpub:               ${node.publicExtendedKey}`);
    expect(io.stdout).toContain(`public key:         ${hex(node.publicKey!)}`);
    expect(io.stdout).toContain(`parent fingerprint: ${root.derive("m/44'/0'").fingerprint.toString(16).padStart(8, '0')}`);
    expect(io.stderr).toEqual([]);
  });

  it('`xpub --version zpub --json` serialises with the SLIP-132 version (BIP84 test vector)', async () => {
    const io = capturedIo({ TAPDESK_PIN: PIN });
    expect(await runCli(['xpub', '--reader', DEMO_READER_NAME, '--path', "m/84h/0h/0h", '--version', 'zpub', '--json'], io, service)).toBe(0);
    const parsed = JSON.parse(io.stdout.join('\n'));
    const zpubRoot = HDKey.fromMasterSeed(mnemonicToSeedSync(MNEMONIC), { private: 0x04b2430c, public: XPUB_VERSIONS.zpub });
    const node = zpubRoot.derive("m/84'/0'/0'");
    expect(parsed).toMatchObject({
      reader: DEMO_READER_NAME,
      path: "m/84'/0'/0'",
      version: 'zpub',
      xpub: node.publicExtendedKey,
      publicKey: hex(node.publicKey!),
      chainCode: hex(node.chainCode!),
      depth: 3,
    });
    // BIP84's published account 0 zpub for this mnemonic.
    expect(parsed.xpub).toBe('zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31mGDtKsAYz2oz2AGutZYs');
  });

  it('`sign-digest` prints a low-S r||s, recovery id and DER that verify against the independently derived key', async () => {
    const digest = sha256(new TextEncoder().encode('tapdesk cli sign-digest'));
    const path = "m/84'/0'/0'/0/0";
    const io = capturedIo({ TAPDESK_PIN: PIN });
    expect(await runCli(['sign-digest', '--reader', DEMO_READER_NAME, '--path', path, '--hex', hex(digest), '--json'], io, service)).toBe(0);
    const parsed = JSON.parse(io.stdout.join('\n'));
    const publicKey = root.derive(path).publicKey!;
    expect(parsed).toMatchObject({ path, digest: hex(digest), publicKey: hex(publicKey), lowS: true });
    const compact = Uint8Array.from(Buffer.from(parsed.compact, 'hex'));
    expect(compact).toHaveLength(64);
    expect(parsed.r + parsed.s).toBe(parsed.compact);
    // Independent checks: verify (lowS enforced by default), recover the key, and the DER is the same signature.
    expect(secp.verify(compact, digest, publicKey, { prehash: false })).toBe(true);
    expect(secp.verify(compact, sha256(digest), publicKey, { prehash: false })).toBe(false);
    expect(BigInt(`0x${parsed.s}`) <= secp256k1.Point.CURVE().n / 2n).toBe(true);
    expect(hex(secp.recoverPublicKey(Uint8Array.of(parsed.recoveryId, ...compact), digest, { prehash: false }))).toBe(hex(publicKey));
    expect(hex(secp256k1.Signature.fromBytes(Uint8Array.from(Buffer.from(parsed.der, 'hex')), 'der').toBytes('compact'))).toBe(parsed.compact);
  });

  it('`sign-digest` as text shows the same fields', async () => {
    const digest = sha256(new TextEncoder().encode('text output'));
    const io = capturedIo({ TAPDESK_PIN: PIN });
    expect(await runCli(['sign-digest', '--reader', DEMO_READER_NAME, '--path', "m/44'/0'/0'/0/1", '--hex', `0x${hex(digest)}`], io, service)).toBe(0);
    const line = (name: string) => io.stdout.find((l) => l.startsWith(name))!.slice(13).split(' ')[0]!;
    const publicKey = root.derive("m/44'/0'/0'/0/1").publicKey!;
    expect(line('public key:')).toBe(hex(publicKey));
    expect(secp.verify(Uint8Array.from(Buffer.from(line('signature:'), 'hex')), digest, publicKey, { prehash: false })).toBe(true);
    expect(line('recovery id:')).toMatch(/^[0-3]$/);
    expect(line('DER:')).toMatch(/^30[0-9a-f]+$/);
  });

  it.each([
    ['too short', 'abcd', /exactly 32 bytes.*got 2 bytes/],
    ['63 digits', 'a'.repeat(63), /exactly 32 bytes.*odd/],
    ['33 bytes', 'ab'.repeat(33), /exactly 32 bytes.*got 33 bytes/],
    ['not hex', 'zz'.repeat(32), /hex digits only/],
    ['empty', '', /exactly 32 bytes.*got 0 bytes/],
  ])('`sign-digest --hex` %s: exit 2 before any APDU', async (_name, value, message) => {
    const before = apdus;
    const io = capturedIo({ TAPDESK_PIN: PIN });
    expect(await runCli(['sign-digest', '--reader', DEMO_READER_NAME, '--path', "m/84'/0'/0'/0/0", '--hex', value], io, service)).toBe(2);
    expect(io.stderr.join('\n')).toMatch(message);
    expect(io.stderr.join('\n')).toContain('usage:');
    expect(io.stdout).toEqual([]);
    expect(apdus).toBe(before);
  });

  it.each([
    [['sign-digest', '--reader', DEMO_READER_NAME, '--path', "m/84'/0'"], /needs --hex/],
    [['xpub', '--reader', DEMO_READER_NAME], /needs --path/],
    [['xpub', '--path', "m/84'"], /needs --reader/],
    [['xpub', '--reader', DEMO_READER_NAME, '--path', "84'/0'"], /bad --path.*must start with m/],
    [['xpub', '--reader', DEMO_READER_NAME, '--path', 'm/1/2/3/4/5/6/7/8/9/10/11'], /bad --path.*depth 11/],
    [['xpub', '--reader', DEMO_READER_NAME, '--path', 'm', '--version', 'Ltub'], /bad --version "Ltub": one of xpub, ypub, zpub, tpub, vpub/],
  ])('%j: exit 2 before any APDU', async (argv, message) => {
    const before = apdus;
    const io = capturedIo({ TAPDESK_PIN: PIN });
    expect(await runCli(argv, io, service)).toBe(2);
    expect(io.stderr.join('\n')).toMatch(message);
    expect(apdus).toBe(before);
  });

  it('without TAPDESK_PIN or a terminal: exit 2, never a PIN from argv', async () => {
    const io = capturedIo({});
    expect(await runCli(['xpub', '--reader', DEMO_READER_NAME, '--path', 'm'], io, service)).toBe(2);
    expect(io.stderr.join('\n')).toMatch(/TAPDESK_PIN/);
    expect(await runCli(['xpub', '--reader', DEMO_READER_NAME, '--path', 'm', '--pin', PIN], capturedIo({ TAPDESK_PIN: PIN }), service)).toBe(2);
  });

  it('the PIN can come from the hidden prompt', async () => {
    const asked: string[] = [];
    const io = { ...capturedIo({}), promptSecret: async (question: string) => (asked.push(question), PIN) };
    expect(await runCli(['xpub', '--reader', DEMO_READER_NAME, '--path', 'm'], io, service)).toBe(0);
    expect(asked).toEqual(['Satochip PIN: ']);
    expect(io.stdout).toContain(`xpub:               ${root.publicExtendedKey}`);
  });

  it('an unknown reader exits 1 and names the readers', async () => {
    const io = capturedIo({ TAPDESK_PIN: PIN });
    expect(await runCli(['xpub', '--reader', 'Nope', '--path', 'm'], io, service)).toBe(1);
    expect(io.stderr.join('\n')).toContain(`no reader named "Nope" (readers: ${JSON.stringify(DEMO_READER_NAME)})`);
  });

  it('a wrong PIN: exit 1 with the tries left, tried once', async () => {
    const io = capturedIo({ TAPDESK_PIN: '0000' });
    expect(await runCli(['sign-digest', '--reader', DEMO_READER_NAME, '--path', 'm/0', '--hex', '11'.repeat(32)], io, service)).toBe(1);
    expect(io.stderr[0]).toBe('error: wrong PIN for the Satochip: 4 tries left (code=PIN_INVALID, triesLeft=4)');
    expect(io.stderr[1]).toMatch(/^hint: Not retried/);
    expect(io.stdout).toEqual([]);
    // The right PIN afterwards works (and resets the counter).
    expect(await runCli(['xpub', '--reader', DEMO_READER_NAME, '--path', 'm/0'], capturedIo({ TAPDESK_PIN: PIN }), service)).toBe(0);
  });
});

describe('tapdesk xpub on a card that is not a Satochip', () => {
  it('exit 1 naming the card', async () => {
    const service = new ReaderService({ pcsc: false, demo: 'on' });
    await service.start();
    try {
      const io = capturedIo({ TAPDESK_PIN: PIN });
      expect(await runCli(['xpub', '--reader', DEMO_READER_NAME, '--path', 'm'], io, service)).toBe(1);
      expect(io.stderr.join('\n')).toContain(`this needs a Satochip on ${JSON.stringify(DEMO_READER_NAME)}; the card there is: Tapdesk test card (test)`);
    } finally {
      await service.close();
    }
  });
});
