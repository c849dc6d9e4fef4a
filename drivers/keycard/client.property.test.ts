/**
 * Property tests: whatever a card (or a broken reader) answers, every client call ends with a
 * result, a KeycardError or a DriverError: never a TypeError/RangeError/noble error, never an
 * unbounded number of APDUs. Answers are fuzzed at two levels:
 *   - on the wire: any data and any status word, for every APDU of the call;
 *   - inside the secure channel: answers correctly encrypted and MACed under the session keys whose
 *     plaintext is the valid answer truncated, mutated, extended, or random bytes, so the parsers
 *     behind the decryption are exercised too.
 * Also: a flipped bit anywhere in a wrapped answer (MAC or ciphertext) aborts the channel
 * (SECURE_CHANNEL_FAILED, channelOpen false afterwards); invalid arguments throw INVALID_ARGUMENT
 * and send no APDU. The client is first brought to an open, PIN-verified channel with a key loaded
 * on the scripted card (test-support/scripted-keycard.ts).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DriverError, isDriverError } from '../errors.ts';
import type { CommandApdu, ResponseApdu } from '../pcsc/apdu.ts';
import { FACTORY_RESET_CONFIRMATION, KeycardClient, pairingSecretFromPassword } from './client.ts';
import { isKeycardError } from './errors.ts';
import { ScriptedKeycard, labelBytes } from './test-support/scripted-keycard.ts';

const SECRET = pairingSecretFromPassword('KeycardDefaultPairing');
const SEED = labelBytes('property/seed', 64);
const PATH = "m/44'/60'/0'/0/0";
const DIGEST = new Uint8Array(32).fill(5);
const MAX_APDUS = 8;

type Mode = { kind: 'card' } | { kind: 'wire'; answer: (command: CommandApdu) => ResponseApdu } | { kind: 'throw' };

/** A client with channel open, PIN verified, on a scripted card; `mode` decides later answers. */
async function openedClient() {
  const card = new ScriptedKeycard(SECRET, SEED);
  let mode: Mode = { kind: 'card' };
  let counting = false;
  let count = 0;
  const client = new KeycardClient({
    send: async (command) => {
      if (counting) {
        count += 1;
        if (count > 64) throw new Error('unbounded number of APDUs');
      }
      if (mode.kind === 'wire') return mode.answer(command);
      if (mode.kind === 'throw') throw new DriverError('CARD_REMOVED', 'card removed');
      return card.process(command);
    },
  });
  await client.select();
  const pairing = await client.pair(SECRET);
  await client.openSecureChannel(pairing);
  await client.verifyPin('123456');
  counting = true;
  return {
    client,
    card,
    pairing,
    apdus: () => count,
    setMode: (next: Mode) => {
      mode = next;
    },
  };
}

type Call = (client: KeycardClient, pairing: { index: number; key: Uint8Array }) => Promise<unknown>;
const CALLS: Record<string, Call> = {
  select: (c) => c.select(),
  init: (c) => c.init({ pin: '123456', puk: '123456789012', pairingSecret: SECRET }),
  pair: (c) => c.pair(SECRET),
  openSecureChannel: (c, p) => c.openSecureChannel(p),
  unpair: (c) => c.unpair(1),
  verifyPin: (c) => c.verifyPin('123456'),
  changePin: (c) => c.changePin('654321'),
  changePuk: (c) => c.changePuk('210987654321'),
  changePairingSecret: (c) => c.changePairingSecret(SECRET),
  unblockPin: (c) => c.unblockPin('123456789012', '123456'),
  getStatus: (c) => c.getStatus(),
  getCurrentPath: (c) => c.getCurrentPath(),
  factoryReset: (c) => c.factoryReset(FACTORY_RESET_CONFIRMATION),
  generateMnemonic: (c) => c.generateMnemonic(12),
  generateMnemonic24: (c) => c.generateMnemonic(24),
  loadSeed: (c) => c.loadSeed(SEED),
  loadKeyPair: (c) => c.loadKeyPair({ privateKey: new Uint8Array(32).fill(3), chainCode: new Uint8Array(32).fill(4) }),
  generateKey: (c) => c.generateKey(),
  removeKey: (c) => c.removeKey(),
  deriveKey: (c) => c.deriveKey("m/44'/60'"),
  exportPublicKey: (c) => c.exportPublicKey(PATH),
  exportCurrentPublicKey: (c) => c.exportCurrentPublicKey(),
  exportExtendedPublicKey: (c) => c.exportExtendedPublicKey("m/44'/60'/0'"),
  exportPrivateKey: (c) => c.exportPrivateKey("m/43'/60'/1581'/0'/0"),
  getXpub: (c) => c.getXpub("m/84'/0'/0'"),
  signPath: (c) => c.sign({ path: PATH }, DIGEST),
  signPinless: (c) => c.sign({ pinless: true }, DIGEST),
  signCurrent: (c) => c.sign({ current: true }, DIGEST),
  signUnverified: (c) => c.signUnverified({ path: PATH }, DIGEST),
  setPinlessPath: (c) => c.setPinlessPath(PATH),
  ident: (c) => c.ident(new Uint8Array(32).fill(1)),
  storeData: (c) => c.storeData('public', new Uint8Array(10)),
  getData: (c) => c.getData('ndef'),
};

async function expectOnlyOurErrors(call: Call, opened: Awaited<ReturnType<typeof openedClient>>): Promise<void> {
  try {
    await call(opened.client, opened.pairing);
  } catch (error) {
    if (isKeycardError(error) || isDriverError(error)) return;
    throw error;
  }
}

const statusWord = fc.oneof(
  fc.constantFrom(0x9000, 0x6982, 0x6985, 0x6a80, 0x6a84, 0x6a86, 0x6a88, 0x6b00, 0x6d00, 0x63c0, 0x63c2, 0x6f00),
  fc.integer({ min: 0, max: 0xffff }),
);
const wireAnswer = fc.record({ data: fc.uint8Array({ maxLength: 260 }), sw: statusWord });

/** A plaintext derived from the valid one: truncated, a byte changed, extended, or random; then maybe another SW. */
const plaintextMutation = fc.record({
  kind: fc.constantFrom('truncate', 'flip', 'extend', 'random', 'swap-sw', 'valid'),
  at: fc.nat(),
  byte: fc.integer({ min: 0, max: 255 }),
  extra: fc.uint8Array({ maxLength: 40 }),
  random: fc.uint8Array({ maxLength: 220 }),
  sw: statusWord,
});

function mutate(valid: Uint8Array, m: { kind: string; at: number; byte: number; extra: Uint8Array; random: Uint8Array; sw: number }): Uint8Array {
  switch (m.kind) {
    case 'truncate':
      return valid.slice(0, valid.length === 0 ? 0 : m.at % valid.length);
    case 'flip': {
      const copy = Uint8Array.from(valid);
      if (copy.length) copy[m.at % copy.length]! ^= m.byte || 1;
      return copy;
    }
    case 'extend':
      return Uint8Array.from([...valid.slice(0, -2), ...m.extra, ...valid.slice(-2)]);
    case 'random':
      return m.random;
    case 'swap-sw':
      return Uint8Array.from([...valid.slice(0, -2), m.sw >> 8, m.sw & 0xff]);
    default:
      return valid;
  }
}

describe('fuzzed card answers only ever give KeycardError / DriverError', () => {
  for (const [name, call] of Object.entries(CALLS)) {
    it(`${name}: any wire answer`, { timeout: 30_000 }, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(wireAnswer, { minLength: 1, maxLength: 4 }), async (answers) => {
          const opened = await openedClient();
          let i = 0;
          opened.setMode({ kind: 'wire', answer: () => answers[i++ % answers.length]! });
          await expectOnlyOurErrors(call, opened);
          expect(opened.apdus()).toBeLessThanOrEqual(MAX_APDUS);
        }),
        { numRuns: 15 },
      );
    });

    it(`${name}: correctly wrapped, mutated plaintext`, { timeout: 30_000 }, async () => {
      await fc.assert(
        fc.asyncProperty(plaintextMutation, async (m) => {
          const opened = await openedClient();
          opened.card.answerHook = (_inner, wrap, valid) => wrap(mutate(valid(), m));
          await expectOnlyOurErrors(call, opened);
          expect(opened.apdus()).toBeLessThanOrEqual(MAX_APDUS);
        }),
        { numRuns: 15 },
      );
    });
  }

  it('a transport failure mid-channel closes the channel and stays a DriverError', { timeout: 30_000 }, async () => {
    const opened = await openedClient();
    opened.setMode({ kind: 'throw' });
    await expect(opened.client.getStatus()).rejects.toSatisfy((e: unknown) => isDriverError(e, 'CARD_REMOVED'));
    expect(opened.client.channelOpen).toBe(false);
  });
});

describe('a flipped bit in a wrapped answer aborts the channel', () => {
  const wrappedCalls: Record<string, Call> = {
    getStatus: CALLS.getStatus!,
    verifyPin: CALLS.verifyPin!,
    exportPublicKey: CALLS.exportPublicKey!,
    signPath: CALLS.signPath!,
    getXpub: CALLS.getXpub!,
  };
  for (const [name, call] of Object.entries(wrappedCalls)) {
    it(`${name}: SECURE_CHANNEL_FAILED, channelOpen false, further commands refused without an APDU`, { timeout: 30_000 }, async () => {
      await fc.assert(
        fc.asyncProperty(fc.nat(), async (bit) => {
          const opened = await openedClient();
          opened.card.answerHook = (_inner, wrap, valid) => {
            const answer = wrap(valid());
            const data = Uint8Array.from(answer.data);
            const index = bit % (data.length * 8);
            data[index >> 3]! ^= 1 << (index & 7);
            return { data, sw: answer.sw };
          };
          let error: unknown = null;
          try {
            await call(opened.client, opened.pairing);
          } catch (e) {
            error = e;
          }
          expect(isKeycardError(error, 'SECURE_CHANNEL_FAILED'), String(error)).toBe(true);
          expect(opened.client.channelOpen).toBe(false);
          const before = opened.apdus();
          await expect(opened.client.getStatus()).rejects.toSatisfy((e: unknown) => isKeycardError(e, 'SECURE_CHANNEL_REQUIRED'));
          expect(opened.apdus()).toBe(before);
        }),
        { numRuns: 25 },
      );
    });
  }
});

describe('invalid arguments: INVALID_ARGUMENT and no APDU', () => {
  const notDigits = (length: number) => fc.oneof(fc.string({ maxLength: 20 }), fc.stringMatching(/^[0-9]{0,14}$/)).filter((s) => !new RegExp(`^[0-9]{${length}}$`).test(s));
  const wrongLength = (length: number) => fc.uint8Array({ maxLength: 100 }).filter((b) => b.length !== length);
  const deepPath = fc.array(fc.nat({ max: 0xffffffff }), { minLength: 11, maxLength: 20 });
  const badPathString = fc.oneof(
    fc.string({ maxLength: 12 }).filter((s) => !/^m(\/\d{1,10}['hH]?)*$/.test(s.trim())),
    fc.constant('m/2147483648'),
    fc.constant('m/1/2/3/4/5/6/7/8/9/10/11'),
  );
  const cases: Record<string, fc.Arbitrary<Call>> = {
    verifyPin: notDigits(6).map((pin) => (c: KeycardClient) => c.verifyPin(pin)),
    changePin: notDigits(6).map((pin) => (c: KeycardClient) => c.changePin(pin)),
    changePuk: notDigits(12).map((puk) => (c: KeycardClient) => c.changePuk(puk)),
    unblockPinPuk: notDigits(12).map((puk) => (c: KeycardClient) => c.unblockPin(puk, '123456')),
    unblockPinPin: notDigits(6).map((pin) => (c: KeycardClient) => c.unblockPin('123456789012', pin)),
    initPin: notDigits(6).map((pin) => (c: KeycardClient) => c.init({ pin, puk: '123456789012', pairingSecret: SECRET })),
    initTries: fc.integer({ min: -5, max: 30 }).filter((n) => n < 2 || n > 10).map((pinTries) => (c: KeycardClient) => c.init({ pin: '123456', puk: '123456789012', pairingSecret: SECRET, pinTries })),
    pair: wrongLength(32).map((secret) => (c: KeycardClient) => c.pair(secret)),
    changePairingSecret: wrongLength(32).map((secret) => (c: KeycardClient) => c.changePairingSecret(secret)),
    loadSeed: wrongLength(64).map((seed) => (c: KeycardClient) => c.loadSeed(seed)),
    loadKeyPair: wrongLength(32).map((privateKey) => (c: KeycardClient) => c.loadKeyPair({ privateKey })),
    signDigest: wrongLength(32).map((digest) => (c: KeycardClient) => c.sign({ path: PATH }, digest)),
    signPinlessDigest: wrongLength(32).map((digest) => (c: KeycardClient) => c.sign({ pinless: true }, digest)),
    signDeepPath: deepPath.map((path) => (c: KeycardClient) => c.sign({ path }, DIGEST)),
    exportBadPath: badPathString.map((path) => (c: KeycardClient) => c.exportPublicKey(path)),
    exportDeepPath: deepPath.map((path) => (c: KeycardClient) => c.exportPublicKey(path)),
    deriveDeepPath: deepPath.map((path) => (c: KeycardClient) => c.deriveKey(path)),
    setPinlessDeep: deepPath.map((path) => (c: KeycardClient) => c.setPinlessPath(path)),
    unpair: fc.oneof(fc.integer({ min: -10, max: -1 }), fc.integer({ min: 5, max: 300 }), fc.double()).filter((n) => !(Number.isInteger(n) && n >= 0 && n <= 4)).map((index) => (c: KeycardClient) => c.unpair(index)),
    openSecureChannel: fc.integer({ min: 5, max: 255 }).map((index) => (c: KeycardClient) => c.openSecureChannel({ index, key: SECRET })),
    ident: wrongLength(32).map((challenge) => (c: KeycardClient) => c.ident(challenge)),
    storeData: fc.integer({ min: 128, max: 300 }).map((n) => (c: KeycardClient) => c.storeData('public', new Uint8Array(n))),
    generateMnemonic: fc.integer({ min: 0, max: 40 }).filter((n) => ![12, 15, 18, 21, 24].includes(n)).map((n) => (c: KeycardClient) => c.generateMnemonic(n as 12)),
    factoryReset: fc.string().filter((s) => s !== FACTORY_RESET_CONFIRMATION).map((s) => (c: KeycardClient) => c.factoryReset(s as typeof FACTORY_RESET_CONFIRMATION)),
    getXpubMaster: fc.constant((c: KeycardClient) => c.getXpub('m')),
  };
  for (const [name, arbitrary] of Object.entries(cases)) {
    it(name, { timeout: 30_000 }, async () => {
      const opened = await openedClient();
      await fc.assert(
        fc.asyncProperty(arbitrary, async (call) => {
          const before = opened.apdus();
          let error: unknown = null;
          try {
            await call(opened.client, opened.pairing);
          } catch (e) {
            error = e;
          }
          expect(isKeycardError(error, 'INVALID_ARGUMENT'), String(error)).toBe(true);
          expect(opened.apdus()).toBe(before);
        }),
        { numRuns: 40 },
      );
    });
  }
});
