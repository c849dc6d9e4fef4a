/**
 * Section 11 status words -> SatochipError, for every error answer recorded in error-cases.json and
 * the Satochip transcripts: the table below must cover each one exactly, with its code and tries left.
 */
import { describe, expect, it } from 'vitest';
import { fromHex } from '../pcsc/apdu.ts';
import { SATOCHIP_ERROR_CODES, type SatochipErrorCode, SatochipError, errorForStatusWord, isSatochipError, statusWordMeaning } from './errors.ts';
import { loadVector } from './test-support/host-replay.ts';

interface Expected {
  readonly code: SatochipErrorCode;
  readonly triesLeft?: number;
}

const E = (code: SatochipErrorCode, triesLeft?: number): Expected => ({ code, triesLeft });

/** `${file}:${part}:${step}` -> expected error. */
const EXPECTED: Record<string, Expected> = {
  'error-cases:satochip:2': E('SECURE_CHANNEL_REQUIRED'), // SETUP in plaintext, 9C20
  'error-cases:satochip:3': E('SECURE_CHANNEL_REQUIRED'), // 82 before 81, 9C21
  'error-cases:satochip:5': E('SECURE_CHANNEL_FAILED'), // bad MAC, 9C23
  'error-cases:satochip:6': E('SECURE_CHANNEL_FAILED'), // even counter, 9C22
  'error-cases:satochip:7': E('SETUP_NOT_DONE'),
  'error-cases:satochip:8': E('SECURE_CHANNEL_FAILED'), // old counter, 9C22
  'error-cases:satochip:9': E('CARD_ERROR'), // PIN too short, 9C0F
  'error-cases:satochip:10': E('CARD_ERROR'), // P1=01, 9C10
  'error-cases:satochip:11': E('SETUP_NOT_DONE'),
  'error-cases:satochip:13': E('SETUP_ALREADY_DONE'),
  'error-cases:satochip:14': E('PIN_NOT_VERIFIED'),
  'error-cases:satochip:17': E('CARD_ERROR'), // 6D00
  'error-cases:satochip:18': E('CARD_ERROR'), // 6E00
  'error-cases:satochip:19': E('NOT_SEEDED'),
  'error-cases:satochip:20': E('NOT_SEEDED'),
  'error-cases:satochip:22': E('ALREADY_SEEDED'),
  'error-cases:satochip:23': E('CARD_ERROR'), // 0002 uncaught exception (simulator)
  'error-cases:satochip:24': E('CARD_ERROR'), // empty key slot, 9C10
  'error-cases:satochip:25': E('CARD_MEMORY_FULL'),
  'error-cases:satochip:26': E('CARD_MEMORY_FULL'),
  'error-cases:satochip:29': E('CARD_ERROR'), // depth 11, 9C10
  'error-cases:satochip:30': E('CARD_ERROR'), // label too long, 9C0F
  'error-cases:satochip:31': E('CARD_ERROR'), // wrapped command too big, 9C1F
  'error-cases:satochip:33': E('CARD_ERROR'), // label 65, 9C0F
  'error-cases:satochip:34': E('NO_TRUSTED_PUBKEY'), // 9C35
  'error-cases:satochip:35': E('ALREADY_SEEDED'),
  'error-cases:satochip:38': E('CARD_ERROR'), // PKI locked, 9C40
  'error-cases:satochip:40': E('CARD_ERROR'), // RESET SEED P1=0, 9C0F
  'error-cases:seedkeeper:5': E('SETUP_NOT_DONE'),
  'error-cases:seedkeeper:6': E('SETUP_NOT_DONE'),
  'error-cases:seedkeeper:9': E('PIN_NOT_VERIFIED'),
  'error-cases:seedkeeper:10': E('PIN_NOT_VERIFIED'),
  'error-cases:seedkeeper:12': E('PIN_INVALID', 4),
  'error-cases:seedkeeper:13': E('PIN_INVALID', 3),
  'error-cases:seedkeeper:14': E('PIN_INVALID', 2),
  'error-cases:seedkeeper:15': E('PIN_INVALID', 1),
  'error-cases:seedkeeper:16': E('PIN_BLOCKED', 0),
  'error-cases:seedkeeper:17': E('PIN_BLOCKED', 0),
  'error-cases:seedkeeper:19': E('PUK_INVALID', 2),
  'error-cases:seedkeeper:20': E('PUK_INVALID', 1),
  'error-cases:seedkeeper:21': E('CARD_WIPED'),
  'error-cases:seedkeeper:23': E('SETUP_NOT_DONE'),
  'error-cases:seedkeeper:26': E('SECURE_CHANNEL_REQUIRED'),
  'pin-label:main:5': E('PIN_INVALID', 4),
  'pin-label:main:15': E('PIN_NOT_VERIFIED'),
  'pin-label:main:16': E('PIN_INVALID', 4),
  'pin-label:main:17': E('PIN_INVALID', 3),
  'pin-label:main:18': E('PIN_INVALID', 2),
  'pin-label:main:19': E('PIN_INVALID', 1),
  'pin-label:main:20': E('PIN_BLOCKED', 0),
  'pin-label:main:21': E('PIN_BLOCKED', 0),
  'pin-label:main:26': E('PIN_NOT_VERIFIED'),
};

/** The factory-reset countdown answers are progress, not errors (the client returns them). */
const FACTORY_RESET_PROGRESS = new Set(['ff04', 'ff03', 'ff02', 'ff01', 'ff00', 'ffff']);

interface Step {
  readonly step: number;
  readonly name?: string;
  readonly command?: string;
  readonly sw?: string;
  readonly plain_command?: string;
}

function errorSteps(): { key: string; step: Step }[] {
  const files: [string, string, Step[]][] = [];
  const errors = loadVector('error-cases.json');
  files.push(['error-cases', 'satochip', errors.satochip.transcript], ['error-cases', 'seedkeeper', errors.seedkeeper.transcript]);
  files.push(['pin-label', 'main', loadVector('satochip-transcript-pin-label-message.json').transcript]);
  files.push(['setup', 'main', loadVector('satochip-transcript-setup-seed-sign.json').transcript]);
  files.push(['factory-reset', 'main', loadVector('satochip-transcript-factory-reset.json').transcript]);
  return files.flatMap(([file, part, steps]) =>
    steps.filter((s) => s.sw && s.sw !== '9000').map((step) => ({ key: `${file}:${part}:${step.step}`, step })),
  );
}

/** The INS the status word answers: the inner one for a wrapped command we can read, else the outer. */
function insOf(step: Step): number {
  return fromHex(step.plain_command ?? step.command!)[1]!;
}

describe('recorded error answers (error-cases.json and the Satochip transcripts)', () => {
  const recorded = errorSteps();

  it('the table covers every recorded error answer, and only those', () => {
    const errors = recorded.filter(({ step }) => !(FACTORY_RESET_PROGRESS.has(step.sw!) && insOf(step) === 0xff));
    expect(errors.map((e) => e.key).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  for (const { key, step } of recorded) {
    const expected = EXPECTED[key];
    if (!expected) continue;
    it(`${key} ${step.name}: ${step.sw} -> ${expected.code}${expected.triesLeft !== undefined ? ` (${expected.triesLeft} left)` : ''}`, () => {
      const error = errorForStatusWord(parseInt(step.sw!, 16), { ins: insOf(step), command: step.name });
      expect(isSatochipError(error, expected.code)).toBe(true);
      expect(error.info.sw).toBe(step.sw);
      expect(error.info.triesLeft).toBe(expected.triesLeft);
      expect(error.message).toContain(`code=${expected.code}`);
    });
  }
});

describe('errorForStatusWord rules (section 11, 4.1-4.2)', () => {
  it('63Cx on SETUP is the factory PIN (Muscle00) check', () => {
    const error = errorForStatusWord(0x63c2, { ins: 0x2a, command: 'SETUP' });
    expect(error.code).toBe('PIN_INVALID');
    expect(error.info).toMatchObject({ triesLeft: 2, reason: 'the factory default PIN was refused' });
  });

  it('UNBLOCK: 63C0 and 9C0C mean the PUK is blocked; FF00 that the Seedkeeper wiped itself', () => {
    expect(errorForStatusWord(0x63c0, { ins: 0x46 }).code).toBe('PUK_BLOCKED');
    expect(errorForStatusWord(0x9c0c, { ins: 0x46 }).code).toBe('PUK_BLOCKED');
    expect(errorForStatusWord(0xff00, { ins: 0x46 }).code).toBe('CARD_WIPED');
  });

  it('every other section 11 word is CARD_ERROR with its meaning; unknown words say so', () => {
    expect(errorForStatusWord(0x9c0b, { ins: 0x7a }).info).toMatchObject({ sw: '9c0b', ins: '7a', meaning: 'invalid signature or 2FA HMAC' });
    expect(errorForStatusWord(0x6f00, { ins: 0x7a }).info.meaning).toBe('unknown status word');
    expect(statusWordMeaning(0x63c3)).toBe('wrong PIN or PUK, 3 tries left');
  });

  it('the code list is closed and SatochipError narrows', () => {
    const error = new SatochipError('BAD_RESPONSE', 'x', { reason: 'y' });
    expect(SATOCHIP_ERROR_CODES).toContain(error.code);
    expect(isSatochipError(error)).toBe(true);
    expect(isSatochipError(error, 'CARD_ERROR')).toBe(false);
    expect(isSatochipError(new Error('x'))).toBe(false);
  });
});
