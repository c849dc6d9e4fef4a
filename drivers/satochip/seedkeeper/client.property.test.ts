/**
 * Property tests for the Seedkeeper commands: whatever the card answers (any wire answer, or a
 * correctly encrypted answer whose plaintext is a mutated recorded one or random bytes), every call
 * ends with a result, a SatochipError or a DriverError, after a bounded number of APDUs.
 * The client is opened by replaying the master card's first steps of the recorded backup transcript.
 */
import { randomBytes } from '@noble/hashes/utils.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isDriverError } from '../../errors.ts';
import type { CommandApdu, ResponseApdu } from '../../pcsc/apdu.ts';
import { SatochipClient } from '../client.ts';
import { isSatochipError } from '../errors.ts';
import { deriveSecureChannelKeys } from '../secure-channel.ts';
import { HostReplay, bytes, loadVector } from '../test-support/host-replay.ts';
import { encryptedAnswer, mutate, plainMutation } from '../test-support/fuzz-answers.ts';
import { SeedkeeperClient } from './client.ts';

const vector = loadVector('seedkeeper-transcript-backup-two-readers.json');
const MASTER = 'master (reader 0)';
const keys = deriveSecureChannelKeys(bytes(vector.secure_channels[MASTER].shared_x));
const PREFIX_STEPS = vector.transcript.filter((s: { step: number }) => s.step <= 5);
const PREFIX_RANDOM = vector.host_random.filter((r: { index: number }) => r.index <= 4);

/** Recorded decrypted answers keyed by inner INS|P1|P2, the bases the mutations start from. */
const VALID_PLAIN = new Map<string, Uint8Array>();
for (const step of vector.transcript) {
  if (step.plain_command && step.plain_response) VALID_PLAIN.set(step.plain_command.slice(2, 8), bytes(step.plain_response));
}

const MAX_APDUS = 40;

async function openedStore(answer: (command: CommandApdu) => ResponseApdu): Promise<{ store: SeedkeeperClient; apdus: () => number }> {
  const replay = new HostReplay(PREFIX_STEPS, PREFIX_RANDOM);
  let fuzzing = false;
  let count = 0;
  const client = new SatochipClient({
    send: async (command) => {
      if (!fuzzing) return replay.send(command);
      count += 1;
      if (count > MAX_APDUS) throw new Error('unbounded number of APDUs');
      return answer(command);
    },
    random: (n) => (fuzzing ? randomBytes(n) : replay.random(n)),
  });
  await client.select('seedkeeper');
  await client.getStatus();
  await client.initSecureChannel();
  await client.setup({ pin: '123456', puk: '11223344' });
  await client.verifyPin('123456');
  replay.assertComplete();
  fuzzing = true;
  return { store: new SeedkeeperClient(client, { random: (n) => randomBytes(n) }), apdus: () => count };
}

const exported = vector.results.encrypted_export;
const ENCRYPTED = {
  sourceSid: 0,
  header: bytes(exported.header_from_card),
  iv: bytes(exported.iv),
  ciphertext: bytes(exported.ciphertext),
  mac: bytes(exported.hmac),
  fingerprint: vector.results.seed_fingerprint as string,
};
type Call = (store: SeedkeeperClient) => Promise<unknown>;
const CALLS: Record<string, Call> = {
  status: (s) => s.status(),
  listHeaders: (s) => s.listHeaders(),
  deleteSecret: (s) => s.deleteSecret(1),
  generateMasterSeed: (s) => s.generateMasterSeed({ label: 'generated' }),
  importBip39: (s) => s.importSecret({ kind: 'bip39', mnemonic: vector.inputs.bip39_mnemonic, passphrase: 'p', descriptor: vector.inputs.wallet_descriptor }, { label: 'seed' }),
  importPassword: (s) => s.importSecret({ kind: 'password', password: 'pw', login: 'me', url: 'https://example.org' }, { label: 'pw' }),
  exportSecret: (s) => s.exportSecret(0),
  exportEncrypted: (s) => s.exportEncrypted(0, 1),
  importEncrypted: (s) => s.importEncrypted(ENCRYPTED, 0),
  exportToSatochip: (s) => s.exportToSatochip(0, 2),
  getExtendedKey: (s) => s.getExtendedKey(0, "m/84'/0'/0'/0/0"),
};

async function expectOnlyOurErrors(call: Call, store: SeedkeeperClient): Promise<void> {
  try {
    await call(store);
  } catch (error) {
    if (isSatochipError(error) || isDriverError(error)) return;
    throw error;
  }
}

const statusWord = fc.oneof(fc.constantFrom(0x9000, 0x9c08, 0x9c12, 0x9c30, 0x9c31, 0x9c33, 0x9c38, 0x9c21, 0x9c23, 0x6700), fc.integer({ min: 0, max: 0xffff }));
const wireAnswer = fc.record({ data: fc.uint8Array({ maxLength: 300 }), sw: statusWord });
describe('fuzzed Seedkeeper answers only ever give SatochipError / DriverError', () => {
  for (const [name, call] of Object.entries(CALLS)) {
    it(`${name}: any wire answer`, { timeout: 60_000 }, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(wireAnswer, { minLength: 1, maxLength: 8 }), async (answers) => {
          let i = 0;
          const { store, apdus } = await openedStore(() => answers[i++ % answers.length]!);
          await expectOnlyOurErrors(call, store);
          expect(apdus()).toBeLessThanOrEqual(MAX_APDUS);
        }),
        { numRuns: 15 },
      );
    });

    it(`${name}: mutated answers inside the secure channel`, { timeout: 60_000 }, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(plainMutation, { minLength: 1, maxLength: 8 }), async (mutations) => {
          let i = 0;
          const { store } = await openedStore((command) =>
            encryptedAnswer(keys, command, (inner) => mutate(VALID_PLAIN.get(Buffer.from(inner.slice(1, 4)).toString('hex')) ?? new Uint8Array(0), mutations[i++ % mutations.length]!)),
          );
          await expectOnlyOurErrors(call, store);
        }),
        { numRuns: 15 },
      );
    });
  }
});
