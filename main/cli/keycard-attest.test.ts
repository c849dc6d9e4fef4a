/**
 * `tapdesk attest` on a Keycard, in-process: the CLI over a demo ReaderService whose card is the
 * Keycard emulator (drivers/keycard/emulator) provisioned with a certificate from the vectors'
 * TEST CA, or a scripted card answering with recorded bytes (../shared/vectors/keycard/
 * session-ident.json). No PIN is ever asked, exactly 2 APDUs per attestation, exit 0/4/5.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEYCARD_VECTORS_TEST_CA_PUBLIC_KEY } from '../../drivers/keycard/attestation/trust.ts';
import { bytes, hex, loadKeycardVector } from '../../drivers/keycard/attestation/test-vectors.ts';
import { KeycardEmulator, TEST_CA_PRIVATE_KEY, makeIdentCertificate } from '../../drivers/keycard/emulator/index.ts';
import { toHex } from '../../drivers/pcsc/apdu.ts';
import { type CardEmulator, sw } from '../../drivers/virtual/emulator.ts';
import { runCli } from '../cli.ts';
import { capturedIo } from './test-support/captured-io.ts';
import { DEMO_READER_NAME, ReaderService } from '../core/readers.ts';

const session = loadKeycardVector('session-ident.json');
const step = (n: number) => session.steps.find((s: { n: number }) => s.n === n);
const IDENT_KEY = bytes(session.host_random.find((h: { label: string }) => h.label === 'ident/ident-private-key').hex);
const dir = mkdtempSync(path.join(tmpdir(), 'tapdesk-keycard-attest-'));
const TRUST_FILE = path.join(dir, 'test-ca.txt');
writeFileSync(TRUST_FILE, `# vectors test CA\n${hex(KEYCARD_VECTORS_TEST_CA_PUBLIC_KEY)}\n`);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** No TAPDESK_PIN, and a prompt that records (and refuses) any question: a Keycard must not ask. */
const capture = () => capturedIo({}, { answer: () => '' });

/** A demo reader holding `card`, with the APDUs it processed counted. */
async function readerWith(card: CardEmulator) {
  const seen: string[] = [];
  const counted: CardEmulator = {
    atr: card.atr,
    reset: () => card.reset?.(),
    process: (apdu) => {
      seen.push(toHex(apdu));
      return card.process(apdu);
    },
  };
  const service = new ReaderService({ pcsc: false, demo: 'on', demoCard: () => counted });
  await service.start();
  return { service, seen };
}

/** Runs `argv` and returns the exit status and the APDUs the card saw during the run. */
async function run(reader: Awaited<ReturnType<typeof readerWith>>, argv: string[], io = capture()) {
  await reader.service.waitFor((s) => s.readers.every((r) => r.card?.status !== 'identifying'), 5000);
  const before = reader.seen.length;
  const code = await runCli(argv, io, reader.service);
  return { code, io, apdus: reader.seen.slice(before) };
}

describe('tapdesk attest on an emulated Keycard certified by the TEST CA', () => {
  let reader: Awaited<ReturnType<typeof readerWith>>;
  const material = makeIdentCertificate(TEST_CA_PRIVATE_KEY, IDENT_KEY);

  beforeAll(async () => {
    reader = await readerWith(new KeycardEmulator({ ident: material }));
  });
  afterAll(async () => {
    await reader.service.close();
  });

  it('`readers` sees a Keycard', async () => {
    const { code, io } = await run(reader, ['readers']);
    expect(code).toBe(0);
    expect(io.stdout).toEqual([`${DEMO_READER_NAME} [demo]: Keycard (keycard)`]);
  });

  it('with the built-in trust only: NOT GENUINE (exit 5), every check listed, no PIN asked, SELECT + IDENT only', async () => {
    const { code, io, apdus } = await run(reader, ['attest', '--reader', DEMO_READER_NAME]);
    expect(code).toBe(5);
    expect(io.asked).toEqual([]);
    expect(io.stderr).toEqual([]);
    expect(io.stdout[0]).toBe(`Keycard on ${DEMO_READER_NAME}: NOT-GENUINE`);
    expect(io.stdout.slice(1, 5)).toEqual([
      expect.stringMatching(/^ {2}\[pass\] IDENT answer is well-formed: /),
      expect.stringMatching(/^ {2}\[pass\] Card signs the fresh challenge/),
      expect.stringMatching(/^ {2}\[pass\] CA key recovered from the certificate: .*0386cb87/),
      expect.stringMatching(/^ {2}\[fail\] Certificate issued by the Keycard production CA: /),
    ]);
    expect(io.stdout.slice(5)).toEqual([
      `  ident-key: Keycard ident key (from the card certificate) (card, key ${hex(material.certificate.slice(0, 33))})`,
      `  ca-key: unknown CA (not trusted) (card, key ${hex(KEYCARD_VECTORS_TEST_CA_PUBLIC_KEY)})`,
    ]);
    expect(apdus).toHaveLength(2);
    expect(apdus[0]).toBe('00a4040009a00000080400010101');
    expect(apdus[1]).toMatch(/^8014000020[0-9a-f]{64}$/);
  });

  it('--trust-key with the test CA: TEST (exit 4), never genuine', async () => {
    const { code, io, apdus } = await run(reader, ['attest', '--reader', DEMO_READER_NAME, '--trust-key', TRUST_FILE]);
    expect(code).toBe(4);
    expect(io.asked).toEqual([]);
    expect(io.stdout[0]).toBe(`Keycard on ${DEMO_READER_NAME}: TEST`);
    expect(io.stdout).toContain(`  ca-key: extra trusted CA (test, not the production CA) (extra, key ${hex(KEYCARD_VECTORS_TEST_CA_PUBLIC_KEY)})`);
    expect(apdus).toHaveLength(2);
  });

  it('--json prints the result with the whole report', async () => {
    const { code, io } = await run(reader, ['attest', '--reader', DEMO_READER_NAME, '--trust-key', TRUST_FILE, '--json']);
    expect(code).toBe(4);
    const parsed = JSON.parse(io.stdout.join('\n'));
    expect(parsed).toMatchObject({ reader: DEMO_READER_NAME, product: 'Keycard', identPublicKey: hex(material.certificate.slice(0, 33)), report: { verdict: 'test' } });
    expect(parsed.report.checks.map((c: { id: string; result: string }) => `${c.id}:${c.result}`)).toEqual([
      'ident-answer:pass',
      'challenge:pass',
      'ca-signature:pass',
      'trusted-ca:fail',
    ]);
    expect(parsed.report.chain.map((l: { role: string; source: string }) => `${l.role}:${l.source}`)).toEqual(['ident-key:card', 'ca-key:extra']);
  });

  it('each attestation uses a fresh challenge', async () => {
    const first = await run(reader, ['attest', '--reader', DEMO_READER_NAME]);
    const second = await run(reader, ['attest', '--reader', DEMO_READER_NAME]);
    expect(first.apdus[1]).not.toBe(second.apdus[1]);
  });

  it('--trust-root (PEM, for a Satochip) on a Keycard is a usage error; nothing is sent to the card', async () => {
    const pem = path.join(dir, 'root.pem');
    writeFileSync(pem, '-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n');
    const { code, io, apdus } = await run(reader, ['attest', '--reader', DEMO_READER_NAME, '--trust-root', pem]);
    expect(code).toBe(2);
    expect(io.stderr.join('\n')).toMatch(/use --trust-key HEXFILE/);
    expect(apdus).toEqual([]);
  });

  it.each([
    ['a bad line', 'not a key\n', /line 1 is not a secp256k1 public key/],
    ['no key', '# nothing\n\n', /holds no public key/],
  ])('--trust-key file with %s: exit 2 before any card is touched', async (_what, content, message) => {
    const file = path.join(dir, `bad-${content.length}.txt`);
    writeFileSync(file, content);
    const { code, io, apdus } = await run(reader, ['attest', '--reader', DEMO_READER_NAME, '--trust-key', file]);
    expect(code).toBe(2);
    expect(io.stderr.join('\n')).toMatch(message);
    expect(apdus).toEqual([]);
  });

  it('--trust-key file that does not exist: exit 2', async () => {
    const { code, io } = await run(reader, ['attest', '--reader', DEMO_READER_NAME, '--trust-key', path.join(dir, 'missing.txt')]);
    expect(code).toBe(2);
    expect(io.stderr.join('\n')).toMatch(/cannot read --trust-key/);
  });
});

describe('tapdesk attest on Keycards that cannot prove anything', () => {
  it('no certificate provisioned (factory-fresh Ident applet): NOT GENUINE, exit 5, saying so', async () => {
    const reader = await readerWith(new KeycardEmulator());
    try {
      const { code, io, apdus } = await run(reader, ['attest', '--reader', DEMO_READER_NAME, '--trust-key', TRUST_FILE]);
      expect(code).toBe(5);
      expect(io.stdout[0]).toBe(`Keycard on ${DEMO_READER_NAME}: NOT-GENUINE`);
      expect(io.stdout[1]).toMatch(/\[fail\] IDENT answer is well-formed: no certificate provisioned/);
      expect(io.stdout.slice(2).every((line) => line.includes('[skip]'))).toBe(true);
      expect(apdus).toHaveLength(2);
    } finally {
      await reader.service.close();
    }
  });

  it('a scripted card replaying the recorded IDENT answer (session-ident.json step 10) to every challenge: NOT GENUINE, exit 5', async () => {
    const recordedSelect = bytes(step(9).response);
    const recordedIdent = bytes(step(10).response);
    const replaying: CardEmulator = {
      atr: Uint8Array.from([0x3b, 0x80, 0x80, 0x01, 0x01]),
      process(apdu) {
        const command = toHex(apdu);
        if (command === step(9).command) return recordedSelect;
        if (command.startsWith('8014000020')) return recordedIdent;
        return sw(0x6a82);
      },
    };
    const reader = await readerWith(replaying);
    try {
      const { code, io, apdus } = await run(reader, ['attest', '--reader', DEMO_READER_NAME, '--trust-key', TRUST_FILE, '--json']);
      expect(code).toBe(5);
      expect(io.asked).toEqual([]);
      const parsed = JSON.parse(io.stdout.join('\n'));
      expect(parsed.product).toBe('Keycard');
      expect(parsed.report.checks.map((c: { id: string; result: string }) => `${c.id}:${c.result}`)).toEqual([
        'ident-answer:pass',
        'challenge:fail',
        'ca-signature:skip',
        'trusted-ca:skip',
      ]);
      expect(apdus).toHaveLength(2);
    } finally {
      await reader.service.close();
    }
  });

  it('a scripted card with the recorded certificate that signs each challenge with its ident key: TEST with --trust-key, exit 4', async () => {
    const certificate = bytes(step(10).decoded.cert);
    const signing: CardEmulator = {
      atr: Uint8Array.from([0x3b, 0x80, 0x80, 0x01, 0x01]),
      process(apdu) {
        const command = toHex(apdu);
        if (command === step(9).command) return bytes(step(9).response);
        if (command.startsWith('8014000020') && apdu.length === 37) {
          const der = secp256k1.sign(apdu.slice(5), IDENT_KEY, { prehash: false, lowS: false, format: 'der' });
          const inner = Uint8Array.from([0x8a, 0x62, ...certificate, ...der]);
          return Uint8Array.from([0xa0, 0x81, inner.length, ...inner, 0x90, 0x00]);
        }
        return sw(0x6a82);
      },
    };
    const reader = await readerWith(signing);
    try {
      const { code, io } = await run(reader, ['attest', '--reader', DEMO_READER_NAME, '--trust-key', TRUST_FILE]);
      expect(code).toBe(4);
      expect(io.stdout[0]).toBe(`Keycard on ${DEMO_READER_NAME}: TEST`);
    } finally {
      await reader.service.close();
    }
  });

  it('a Keycard refusing IDENT (6D00) is an error (exit 1), not a verdict', async () => {
    const refusing: CardEmulator = {
      atr: Uint8Array.from([0x3b, 0x80, 0x80, 0x01, 0x01]),
      process(apdu) {
        const command = toHex(apdu);
        if (command === step(9).command) return bytes(step(9).response);
        if (command.startsWith('80140000')) return sw(0x6d00);
        return sw(0x6a82);
      },
    };
    const reader = await readerWith(refusing);
    try {
      const { code, io } = await run(reader, ['attest', '--reader', DEMO_READER_NAME]);
      expect(code).toBe(1);
      expect(io.stdout).toEqual([]);
      expect(io.stderr.join('\n')).toMatch(/^error: the card refused the command \(code=CARD_ERROR, sw="6d00", ins="14", command="IDENT"/);
    } finally {
      await reader.service.close();
    }
  });
});
