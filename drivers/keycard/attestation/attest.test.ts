/**
 * attestKeycard against the recorded session (../shared/vectors/keycard/session-ident.json): the
 * host sends exactly the recorded SELECT and IDENT bytes when the recorded challenge is injected
 * through `random`, in exactly 2 APDUs, and judges the recorded answers.
 */
import { describe, expect, it } from 'vitest';
import type { CommandApdu, ResponseApdu } from '../../pcsc/apdu.ts';
import { attestKeycard } from './attest.ts';
import { KEYCARD_VECTORS_TEST_CA_PUBLIC_KEY } from './trust.ts';
import { PlainReplay, type RecordedKeycardStep, bytes, hex, loadKeycardVector } from './test-vectors.ts';

const session = loadKeycardVector('session-ident.json');
const steps = session.steps as RecordedKeycardStep[];
const step = (n: number) => steps.find((s) => s.n === n)!;
const hostRandom = (label: string): string => session.host_random.find((h: { label: string }) => h.label === label).hex;

/** `random` serving exactly one recorded value, and only for a 32-byte request. */
function recordedRandom(label: string) {
  const calls: number[] = [];
  const random = (length: number) => {
    calls.push(length);
    if (calls.length > 1) throw new Error('random asked twice');
    return bytes(hostRandom(label));
  };
  return { random, calls };
}

async function failure(promise: Promise<unknown>): Promise<{ code?: string; info?: Record<string, unknown> }> {
  return promise.then(
    () => ({}),
    (error: { code?: string; info?: Record<string, unknown> }) => error,
  );
}

describe('attestKeycard replaying session-ident.json', () => {
  it('steps 9-10 (pre-initialised card, plain): the recorded bytes in 2 APDUs, a test card with the test CA', async () => {
    const replay = new PlainReplay([step(9), step(10)]);
    const { random, calls } = recordedRandom('ident/challenge-1');
    const result = await attestKeycard({ send: replay.send, random, extraTrustedCaKeys: [KEYCARD_VECTORS_TEST_CA_PUBLIC_KEY] });
    expect(replay.mismatches).toEqual([]);
    expect(replay.remaining).toBe(0);
    expect(replay.sent).toHaveLength(2);
    expect(replay.sent.map((c) => c.name)).toEqual(['SELECT', 'IDENT']);
    expect(calls).toEqual([32]);
    expect(result.report.verdict).toBe('test');
    expect(result.report.checks.filter((c) => c.result !== 'pass').map((c) => c.id)).toEqual(['trusted-ca']);
    expect(hex(result.identPublicKey!)).toBe(step(10).decoded!.ident_public_key);
    expect(result.initialized).toBe(false);
    expect(result.instanceUid).toBeUndefined();
  });

  it('the same answer with the production CA only: not genuine', async () => {
    const replay = new PlainReplay([step(9), step(10)]);
    const result = await attestKeycard({ send: replay.send, random: recordedRandom('ident/challenge-1').random });
    expect(replay.sent).toHaveLength(2);
    expect(result.report.verdict).toBe('not-genuine');
    expect(result.report.chain.at(-1)).toMatchObject({ role: 'ca-key', publicKeyHex: hex(KEYCARD_VECTORS_TEST_CA_PUBLIC_KEY), source: 'card' });
  });

  it('steps 22-23 (after FACTORY RESET): the certificate survived, still a test card', async () => {
    const replay = new PlainReplay([step(22), step(23)]);
    const result = await attestKeycard({ send: replay.send, random: recordedRandom('ident/challenge-4').random, extraTrustedCaKeys: [KEYCARD_VECTORS_TEST_CA_PUBLIC_KEY] });
    expect(replay.remaining).toBe(0);
    expect(replay.sent).toHaveLength(2);
    expect(result.report.verdict).toBe('test');
  });

  it('steps 2-3 (no certificate provisioned, 6985): a not-genuine report saying so, 2 APDUs', async () => {
    const replay = new PlainReplay([step(2), step(3)]);
    const result = await attestKeycard({ send: replay.send, random: recordedRandom('ident/challenge-0').random, extraTrustedCaKeys: [KEYCARD_VECTORS_TEST_CA_PUBLIC_KEY] });
    expect(replay.remaining).toBe(0);
    expect(replay.sent).toHaveLength(2);
    expect(result.identPublicKey).toBeNull();
    expect(result.report.verdict).toBe('not-genuine');
    expect(result.report.checks.map((c) => `${c.id}:${c.result}`)).toEqual(['ident-answer:fail', 'challenge:skip', 'ca-signature:skip', 'trusted-ca:skip']);
    expect(result.report.checks[0]!.detail).toMatch(/no certificate provisioned/);
  });

  it('an initialised card (SELECT of step 15) gives its instance UID; IDENT stays plain', async () => {
    // Step 15's SELECT answer followed by the plain IDENT exchange of step 23 (IDENT answers plain
    // on an initialised card too, section 13): composed from two recorded exchanges.
    const replay = new PlainReplay([step(15), step(23)]);
    const result = await attestKeycard({ send: replay.send, random: recordedRandom('ident/challenge-4').random, extraTrustedCaKeys: [KEYCARD_VECTORS_TEST_CA_PUBLIC_KEY] });
    expect(replay.sent).toHaveLength(2);
    expect(result.initialized).toBe(true);
    expect(hex(result.instanceUid!)).toBe(step(15).decoded!['8F_instance_uid']);
    expect(result.report.verdict).toBe('test');
  });

  it('the recorded answer to an earlier challenge (a replaying card) is not genuine', async () => {
    const replay = new PlainReplay([step(9), { ...step(10), command: `8014000020${hostRandom('ident/challenge-2')}` }]);
    const result = await attestKeycard({ send: replay.send, random: recordedRandom('ident/challenge-2').random, extraTrustedCaKeys: [KEYCARD_VECTORS_TEST_CA_PUBLIC_KEY] });
    expect(result.report.verdict).toBe('not-genuine');
    expect(result.report.checks.find((c) => c.id === 'challenge')!.result).toBe('fail');
  });
});

describe('attestKeycard errors', () => {
  const scripted = (answers: string[]) => {
    const sent: CommandApdu[] = [];
    const send = async (command: CommandApdu): Promise<ResponseApdu> => {
      sent.push(command);
      const raw = bytes(answers[sent.length - 1]!);
      return { data: raw.slice(0, -2), sw: (raw[raw.length - 2]! << 8) | raw[raw.length - 1]! };
    };
    return { send, sent };
  };
  const random = () => bytes(hostRandom('ident/challenge-1'));

  it('SELECT refused (not a Keycard): CARD_ERROR with the status word, IDENT not sent', async () => {
    const card = scripted(['6a82']);
    expect(await failure(attestKeycard({ send: card.send, random }))).toMatchObject({ code: 'CARD_ERROR', info: { sw: '6a82', command: 'SELECT' } });
    expect(card.sent).toHaveLength(1);
  });

  it('SELECT answer that is no Keycard layout: BAD_RESPONSE', async () => {
    const card = scripted(['01029000']);
    expect(await failure(attestKeycard({ send: card.send, random }))).toMatchObject({ code: 'BAD_RESPONSE' });
  });

  it('IDENT refused otherwise (6D00, 6A80): CARD_ERROR, not a verdict', async () => {
    for (const sw of ['6d00', '6a80']) {
      const card = scripted([step(9).response, sw]);
      expect(await failure(attestKeycard({ send: card.send, random }))).toMatchObject({ code: 'CARD_ERROR', info: { sw, command: 'IDENT' } });
      expect(card.sent).toHaveLength(2);
    }
  });

  it('a garbage IDENT answer is a not-genuine report, not an exception', async () => {
    const card = scripted([step(9).response, 'a0038a01009000']);
    const result = await attestKeycard({ send: card.send, random, extraTrustedCaKeys: [KEYCARD_VECTORS_TEST_CA_PUBLIC_KEY] });
    expect(result.report.verdict).toBe('not-genuine');
    expect(result.identPublicKey).toBeNull();
    expect(result.report.checks[0]).toMatchObject({ id: 'ident-answer', result: 'fail' });
  });

  it('a random source that does not give 32 bytes: INVALID_ARGUMENT before IDENT', async () => {
    const card = scripted([step(9).response]);
    expect(await failure(attestKeycard({ send: card.send, random: () => new Uint8Array(31) }))).toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(card.sent).toHaveLength(1);
  });
});
