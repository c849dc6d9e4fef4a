/**
 * The `genuine` branch of verifyIdent. Nobody outside the Keycard factory can sign with the
 * production CA, so this file swaps the built-in production set for the vectors' TEST CA (module
 * mock, this file only) to see what a production-certified card reports.
 */
import { describe, expect, it, vi } from 'vitest';
import { bytes, loadKeycardVector } from './test-vectors.ts';

vi.mock('./trust.ts', async (importOriginal) => {
  const original = await importOriginal<typeof import('./trust.ts')>();
  return { ...original, KEYCARD_PRODUCTION_CA_KEYS: [original.KEYCARD_VECTORS_TEST_CA_PUBLIC_KEY] };
});

const { verifyIdent } = await import('./ident.ts');
const { KEYCARD_VECTORS_TEST_CA_PUBLIC_KEY } = await import('./trust.ts');
const ident = loadKeycardVector('primitives.json').ident;

describe('verifyIdent with the CA in the built-in set', () => {
  const input = { challenge: bytes(ident.challenge), answer: bytes(ident.response_tlv) };

  it('genuine: every check passes, the CA link is builtin', () => {
    const report = verifyIdent(input);
    expect(report.verdict).toBe('genuine');
    expect(report.checks.map((c) => `${c.id}:${c.result}`)).toEqual(['ident-answer:pass', 'challenge:pass', 'ca-signature:pass', 'trusted-ca:pass']);
    expect(report.chain.at(-1)).toMatchObject({ role: 'ca-key', publicKeyHex: ident.test_ca_public_key, source: 'builtin' });
  });

  it('the built-in set wins over the same key given as extra', () => {
    expect(verifyIdent({ ...input, extraTrustedCaKeys: [KEYCARD_VECTORS_TEST_CA_PUBLIC_KEY] }).verdict).toBe('genuine');
  });

  it('a failed challenge is not genuine even with a production CA', () => {
    const challenge = input.challenge.slice();
    challenge[31]! ^= 0x80;
    expect(verifyIdent({ ...input, challenge }).verdict).toBe('not-genuine');
  });
});
