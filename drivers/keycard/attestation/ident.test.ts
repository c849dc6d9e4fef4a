/**
 * IDENT verification against the recorded vectors (../shared/vectors/keycard: primitives.json
 * `ident`, every IDENT answer of session-ident.json) and against random, truncated and mutated
 * answers: a bad answer is a `not-genuine` report, never an exception, and never `genuine`/`test`.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isKeycardError } from '../errors.ts';
import { encodeTlv } from '../tlv.ts';
import { IDENT_CERTIFICATE_LENGTH, parseIdentAnswer, recoverIdentCaKey, verifyIdent, verifyIdentChallengeSignature } from './ident.ts';
import { KEYCARD_PRODUCTION_CA_KEYS, KEYCARD_PRODUCTION_CA_PUBLIC_KEY, KEYCARD_VECTORS_TEST_CA_PUBLIC_KEY, parseCaPublicKeys } from './trust.ts';
import { type RecordedKeycardStep, bytes, hex, loadKeycardVector } from './test-vectors.ts';

const primitives = loadKeycardVector('primitives.json').ident;
const session = loadKeycardVector('session-ident.json');
const TEST_CA = KEYCARD_VECTORS_TEST_CA_PUBLIC_KEY;
const CHECK_IDS = ['ident-answer', 'challenge', 'ca-signature', 'trusted-ca'];

const results = (report: ReturnType<typeof verifyIdent>) => report.checks.map((c) => `${c.id}:${c.result}`);
const sw = (response: string) => response.slice(-4);

/** Every IDENT the recording shows with an answer: challenge (from the command bytes) and answer data. */
function recordedIdents(): { n: number; name: string; challenge: Uint8Array; answer: Uint8Array; decoded: Record<string, unknown> }[] {
  return (session.steps as RecordedKeycardStep[])
    .filter((s) => s.decoded && 'cert' in s.decoded)
    .map((s) => {
      if (s.secure) {
        return { n: s.n, name: s.name, challenge: bytes(s.plain_command!.data), answer: bytes(s.plain_response!.slice(0, -4)), decoded: s.decoded! };
      }
      expect(s.command.slice(0, 10)).toBe('8014000020');
      expect(sw(s.response)).toBe('9000');
      return { n: s.n, name: s.name, challenge: bytes(s.command.slice(10)), answer: bytes(s.response.slice(0, -4)), decoded: s.decoded! };
    });
}

/** A well-formed IDENT answer for `certificate` and a DER signature. */
function identAnswer(certificate: Uint8Array, der: Uint8Array): Uint8Array {
  return encodeTlv(0xa0, Uint8Array.from([...encodeTlv(0x8a, certificate), ...der]));
}

/** A certificate for `identPrivateKey` signed by `caPrivateKey`, the way the factory does it. */
function certify(identPrivateKey: Uint8Array, caPrivateKey: Uint8Array): Uint8Array {
  const identPublic = secp256k1.getPublicKey(identPrivateKey, true);
  const signature = secp256k1.Signature.fromBytes(secp256k1.sign(sha256(identPublic), caPrivateKey, { prehash: false, format: 'recovered' }), 'recovered');
  return Uint8Array.from([...identPublic, ...signature.toBytes('compact'), signature.recovery!]);
}

describe('trust', () => {
  it('the production set is exactly the keycard-shell CA; the vectors test CA is not in it', () => {
    expect(KEYCARD_PRODUCTION_CA_KEYS.map(hex)).toEqual(['029ab99ee1e7a71bdf45b3f9c58c99866ff1294d2c1e304e228a86e10c3343501c']);
    expect(hex(KEYCARD_PRODUCTION_CA_PUBLIC_KEY)).toBe(primitives.production_ca_public_key);
    expect(hex(TEST_CA)).toBe(primitives.test_ca_public_key);
    expect(hex(TEST_CA)).toBe(session.test_ca.public_key_compressed);
    expect(KEYCARD_PRODUCTION_CA_KEYS.some((k) => hex(k) === hex(TEST_CA))).toBe(false);
    expect(hex(secp256k1.getPublicKey(bytes(primitives.test_ca_private_key), true))).toBe(hex(TEST_CA));
  });

  it('parseCaPublicKeys reads hex keys one per line (comments, blank lines, 0x, uncompressed), compressed and deduplicated', () => {
    const text = `# test CAs\n\n  0x${session.test_ca.public_key_compressed}  \r\n${session.test_ca.public_key_uncompressed} # same key, uncompressed\n${primitives.negative_case.recovered_ca_public_key}\n`;
    expect(parseCaPublicKeys(text).map(hex)).toEqual([hex(TEST_CA), primitives.negative_case.recovered_ca_public_key]);
    expect(parseCaPublicKeys('')).toEqual([]);
  });

  it.each([
    ['not hex', 'zz'],
    ['odd length', '0386cb87d'],
    ['too short', '0386cb87db7b7f34ff5abcf4cec7ea212e2e5c224aebe1c06b815f567c94598d'],
    ['not on the curve', `02${'00'.repeat(32)}`],
    ['bad prefix', `05${'11'.repeat(32)}`],
  ])('parseCaPublicKeys refuses a line that is %s, naming the line', (_what, line) => {
    const error = (() => {
      try {
        parseCaPublicKeys(`${session.test_ca.public_key_compressed}\n${line}\n`);
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(isKeycardError(error, 'INVALID_ARGUMENT')).toBe(true);
    expect((error as Error).message).toContain('line 2');
  });
});

describe('primitives.json ident', () => {
  const challenge = bytes(primitives.challenge);
  const answer = bytes(primitives.response_tlv);

  it('the recorded command is IDENT with the challenge', () => {
    expect(primitives.ident_command).toBe(`8014000020${primitives.challenge}`);
  });

  it('parses the answer: certificate, ident key, CA signature, DER challenge signature', () => {
    const parsed = parseIdentAnswer(answer);
    expect(hex(parsed.certificate)).toBe(primitives.cert);
    expect(parsed.certificate).toHaveLength(IDENT_CERTIFICATE_LENGTH);
    expect(hex(parsed.identPublicKey)).toBe(primitives.ident_public_key_compressed);
    expect(hex(sha256(parsed.identPublicKey))).toBe(primitives.cert_signed_digest);
    expect(parsed.caSignature.r.toString(16).padStart(64, '0')).toBe(primitives.cert.slice(66, 130));
    expect(parsed.caSignature.s.toString(16).padStart(64, '0')).toBe(primitives.cert.slice(130, 194));
    expect(parsed.caSignature.recoveryId).toBe(1);
    expect(hex(parsed.challengeSignature)).toBe(primitives.response_tlv.slice(6 + 4 + 196));
    expect(verifyIdentChallengeSignature(challenge, parsed.challengeSignature, parsed.identPublicKey)).toBe(primitives.verification.step1_challenge_signature_valid);
    expect(hex(recoverIdentCaKey(parsed.identPublicKey, parsed.caSignature)!)).toBe(primitives.verification.step2_recovered_ca_public_key);
  });

  it('with the test CA as an extra key: verdict test (every check passes except trusted-ca), never genuine', () => {
    const report = verifyIdent({ challenge, answer, extraTrustedCaKeys: [TEST_CA] });
    expect(report.verdict).toBe('test');
    expect(results(report)).toEqual(['ident-answer:pass', 'challenge:pass', 'ca-signature:pass', 'trusted-ca:fail']);
    expect(report.checks.find((c) => c.id === 'trusted-ca')!.detail).toMatch(/test CA/);
    expect(report.chain).toEqual([
      { role: 'ident-key', subject: expect.any(String), publicKeyHex: primitives.ident_public_key_compressed, source: 'card' },
      { role: 'ca-key', subject: expect.stringMatching(/test/), publicKeyHex: primitives.test_ca_public_key, source: 'extra' },
    ]);
    // The uncompressed form of the same key trusts the same CA.
    expect(verifyIdent({ challenge, answer, extraTrustedCaKeys: [bytes(session.test_ca.public_key_uncompressed)] }).verdict).toBe('test');
  });

  it('with the production CA only: not genuine, the recovered CA is shown as untrusted', () => {
    const report = verifyIdent({ challenge, answer });
    expect(report.verdict).toBe('not-genuine');
    expect(primitives.verification.step3_matches_production_ca).toBe(false);
    expect(results(report)).toEqual(['ident-answer:pass', 'challenge:pass', 'ca-signature:pass', 'trusted-ca:fail']);
    expect(report.chain.at(-1)).toMatchObject({ role: 'ca-key', publicKeyHex: primitives.test_ca_public_key, source: 'card' });
  });

  it('negative case: the same ident key certified by another CA is not genuine even with the test CA trusted', () => {
    const negative = primitives.negative_case;
    const forged = answer.slice();
    forged.set(bytes(negative.cert), 5); // A0 81 AB 8A 62 <cert>: the cert starts at offset 5
    const report = verifyIdent({ challenge, answer: forged, extraTrustedCaKeys: [TEST_CA] });
    expect(negative.trusted).toBe(false);
    expect(report.verdict).toBe('not-genuine');
    expect(results(report)).toEqual(['ident-answer:pass', 'challenge:pass', 'ca-signature:pass', 'trusted-ca:fail']);
    expect(report.chain.at(-1)).toMatchObject({ role: 'ca-key', publicKeyHex: negative.recovered_ca_public_key, source: 'card' });
    // ... and it becomes a (test) card only when that other CA is trusted explicitly.
    expect(verifyIdent({ challenge, answer: forged, extraTrustedCaKeys: [bytes(negative.recovered_ca_public_key)] }).verdict).toBe('test');
  });

  it('a challenge other than the one signed fails the challenge check, the later checks are skipped', () => {
    const other = challenge.slice();
    other[0]! ^= 1;
    const report = verifyIdent({ challenge: other, answer, extraTrustedCaKeys: [TEST_CA] });
    expect(report.verdict).toBe('not-genuine');
    expect(results(report)).toEqual(['ident-answer:pass', 'challenge:fail', 'ca-signature:skip', 'trusted-ca:skip']);
  });

  it('a challenge that is not 32 bytes or a malformed extra key is a caller error (INVALID_ARGUMENT)', () => {
    for (const bad of [new Uint8Array(31), new Uint8Array(33), new Uint8Array(0)]) {
      expect(() => verifyIdent({ challenge: bad, answer })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    }
    expect(() => verifyIdent({ challenge, answer, extraTrustedCaKeys: [new Uint8Array(33)] })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});

describe('session-ident.json: every recorded IDENT answer', () => {
  const idents = recordedIdents();

  it('covers the plain pre-initialised, Cash, secure-channel and after-FACTORY-RESET answers', () => {
    expect(idents.map((i) => i.n)).toEqual([10, 12, 20, 23]);
  });

  it.each(idents.map((i) => [i.n, i.name, i] as const))('step %i (%s): certificate parses, challenge signature verifies, CA = test CA', (_n, _name, ident) => {
    const parsed = parseIdentAnswer(ident.answer);
    expect(hex(parsed.certificate)).toBe(ident.decoded.cert);
    expect(hex(parsed.identPublicKey)).toBe(ident.decoded.ident_public_key);
    expect(parsed.caSignature.recoveryId).toBe(ident.decoded.cert_recovery_id);
    expect(hex(parsed.challengeSignature)).toBe(ident.decoded.challenge_signature_der);
    expect(verifyIdentChallengeSignature(ident.challenge, parsed.challengeSignature, parsed.identPublicKey)).toBe(true);
    expect(hex(recoverIdentCaKey(parsed.identPublicKey, parsed.caSignature)!)).toBe(ident.decoded.recovered_ca_public_key);
    expect(ident.decoded.recovered_ca_public_key).toBe(hex(TEST_CA));

    const asTest = verifyIdent({ challenge: ident.challenge, answer: ident.answer, extraTrustedCaKeys: [TEST_CA] });
    expect(asTest.verdict).toBe('test');
    expect(asTest.checks.map((c) => c.id)).toEqual(CHECK_IDS);
    expect(asTest.checks.filter((c) => c.result !== 'pass').map((c) => c.id)).toEqual(['trusted-ca']);
    expect(verifyIdent({ challenge: ident.challenge, answer: ident.answer }).verdict).toBe('not-genuine');
  });

  it('high-S challenge signatures (as the real card makes them) are accepted', () => {
    const highS = idents.filter((i) => i.decoded.challenge_signature_low_s === false);
    expect(highS.length).toBeGreaterThanOrEqual(2);
    for (const ident of highS) {
      expect(verifyIdent({ challenge: ident.challenge, answer: ident.answer, extraTrustedCaKeys: [TEST_CA] }).checks[1]!.result).toBe('pass');
    }
  });

  it('an answer replayed to a new challenge is not genuine', () => {
    const [first, second] = idents;
    const report = verifyIdent({ challenge: second!.challenge, answer: first!.answer, extraTrustedCaKeys: [TEST_CA] });
    expect(report.verdict).toBe('not-genuine');
    expect(results(report)).toEqual(['ident-answer:pass', 'challenge:fail', 'ca-signature:skip', 'trusted-ca:skip']);
  });
});

describe('malformed answers', () => {
  const challenge = bytes(primitives.challenge);
  const answer = bytes(primitives.response_tlv);
  const cert = bytes(primitives.cert);
  const der = answer.slice(5 + 98);

  it.each([
    ['empty', new Uint8Array(0)],
    ['the status word only', bytes('6985')],
    ['wrong outer tag', Uint8Array.from([0xa1, ...answer.slice(1)])],
    ['trailing byte', Uint8Array.from([...answer, 0])],
    ['truncated', answer.slice(0, -1)],
    ['certificate of 97 bytes', identAnswer(cert.slice(0, 97), der)],
    ['certificate of 99 bytes', identAnswer(Uint8Array.from([...cert, 0]), der)],
    ['signature before certificate', encodeTlv(0xa0, Uint8Array.from([...der, ...encodeTlv(0x8a, cert)]))],
    ['no signature', encodeTlv(0xa0, encodeTlv(0x8a, cert))],
    ['an extra field', encodeTlv(0xa0, Uint8Array.from([...encodeTlv(0x8a, cert), ...der, 0x90, 0x00]))],
    ['non-minimal length of 8A', encodeTlv(0xa0, Uint8Array.from([0x8a, 0x81, 0x62, ...cert, ...der]))],
    ['signature that is not DER', identAnswer(cert, Uint8Array.from([0x30, 0x04, 0x02, 0x00, 0x02, 0x00]))],
    ['ident key not on the curve', identAnswer(Uint8Array.from([0x02, ...new Uint8Array(32), ...cert.slice(33)]), der)],
    ['ident key uncompressed prefix', identAnswer(Uint8Array.from([0x04, ...cert.slice(1)]), der)],
  ])('%s: BAD_RESPONSE from the parser, a not-genuine report naming ident-answer', (_what, data) => {
    expect(() => parseIdentAnswer(data)).toThrow(expect.objectContaining({ code: 'BAD_RESPONSE' }));
    const report = verifyIdent({ challenge, answer: data, extraTrustedCaKeys: [TEST_CA] });
    expect(report.verdict).toBe('not-genuine');
    expect(results(report)).toEqual(['ident-answer:fail', 'challenge:skip', 'ca-signature:skip', 'trusted-ca:skip']);
    expect(report.chain).toEqual([]);
  });

  it.each([
    ['recovery id 4', 97, 4],
    ['recovery id 0xff', 97, 0xff],
  ])('certificate with %s: the CA key cannot be recovered', (_what, offset, value) => {
    const bad = cert.slice();
    bad[offset] = value;
    const report = verifyIdent({ challenge, answer: identAnswer(bad, der), extraTrustedCaKeys: [TEST_CA] });
    expect(report.verdict).toBe('not-genuine');
    expect(results(report)).toEqual(['ident-answer:pass', 'challenge:pass', 'ca-signature:fail', 'trusted-ca:skip']);
  });

  it('certificate with r = 0 or s >= n: the CA key cannot be recovered', () => {
    for (const [start, fill] of [
      [33, 0x00],
      [65, 0xff],
    ] as const) {
      const bad = cert.slice();
      bad.fill(fill, start, start + 32);
      const report = verifyIdent({ challenge, answer: identAnswer(bad, der), extraTrustedCaKeys: [TEST_CA] });
      expect(results(report)).toEqual(['ident-answer:pass', 'challenge:pass', 'ca-signature:fail', 'trusted-ca:skip']);
    }
  });

  it('a freshly certified key signed by the test CA verifies as test; another CA as not genuine', () => {
    const identKey = sha256(new TextEncoder().encode('tapdesk/ident-test/ident-key'));
    const c = sha256(new TextEncoder().encode('tapdesk/ident-test/challenge'));
    const signature = secp256k1.sign(c, identKey, { prehash: false, lowS: false, format: 'der' });
    const certified = certify(identKey, bytes(primitives.test_ca_private_key));
    expect(verifyIdent({ challenge: c, answer: identAnswer(certified, signature), extraTrustedCaKeys: [TEST_CA] }).verdict).toBe('test');
    const other = certify(identKey, bytes(primitives.negative_case.other_ca_private_key));
    expect(verifyIdent({ challenge: c, answer: identAnswer(other, signature), extraTrustedCaKeys: [TEST_CA] }).verdict).toBe('not-genuine');
  });
});

describe('property: random, truncated and mutated answers', () => {
  const originals = [
    { challenge: bytes(primitives.challenge), answer: bytes(primitives.response_tlv) },
    ...recordedIdents().map((i) => ({ challenge: i.challenge, answer: i.answer })),
  ];
  const trust = { extraTrustedCaKeys: [TEST_CA] };
  const same = (a: Uint8Array, b: Uint8Array) => hex(a) === hex(b);

  const mutated = fc.oneof(
    // one or more bytes replaced
    fc.record({
      which: fc.nat(originals.length - 1),
      edits: fc.array(fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 4 }),
    }).map(({ which, edits }) => {
      const { challenge, answer } = originals[which]!;
      const copy = answer.slice();
      for (const { at, value } of edits) copy[at % copy.length] = value;
      return { challenge, answer: copy, original: answer };
    }),
    // truncated
    fc.record({ which: fc.nat(originals.length - 1), keep: fc.nat() }).map(({ which, keep }) => {
      const { challenge, answer } = originals[which]!;
      return { challenge, answer: answer.slice(0, keep % answer.length), original: answer };
    }),
    // extended
    fc.record({ which: fc.nat(originals.length - 1), tail: fc.uint8Array({ minLength: 1, maxLength: 8 }) }).map(({ which, tail }) => {
      const { challenge, answer } = originals[which]!;
      return { challenge, answer: Uint8Array.from([...answer, ...tail]), original: answer };
    }),
    // random bytes, and random bytes under a well-formed header
    fc.record({ which: fc.nat(originals.length - 1), data: fc.uint8Array({ maxLength: 200 }) }).map(({ which, data }) => ({ challenge: originals[which]!.challenge, answer: data, original: originals[which]!.answer })),
    fc.record({ which: fc.nat(originals.length - 1), body: fc.uint8Array({ minLength: 98, maxLength: 98 }), sig: fc.uint8Array({ maxLength: 72 }) }).map(({ which, body, sig }) => ({
      challenge: originals[which]!.challenge,
      answer: identAnswer(body, encodeTlv(0x30, sig)),
      original: originals[which]!.answer,
    })),
  );

  it('never throws; genuine never; test only for the unmodified answer', () => {
    fc.assert(
      fc.property(mutated, ({ challenge, answer, original }) => {
        const report = verifyIdent({ challenge, answer, ...trust });
        expect(report.verdict).not.toBe('genuine');
        if (!same(answer, original)) expect(report.verdict).toBe('not-genuine');
        expect(report.checks.map((c) => c.id)).toEqual(CHECK_IDS);
        const firstFail = report.checks.findIndex((c) => c.result === 'fail');
        if (report.verdict === 'not-genuine') {
          expect(firstFail).toBeGreaterThanOrEqual(0);
          expect(report.checks.slice(firstFail + 1).every((c) => c.result === 'skip')).toBe(true);
        } else expect(same(answer, original)).toBe(true);
        // And the production-only trust never says more than not-genuine for any of them.
        expect(verifyIdent({ challenge, answer }).verdict).toBe('not-genuine');
      }),
      { numRuns: 400 },
    );
  }, 30_000);
});
