/**
 * Property tests: whatever a card (or a broken reader) answers, every client call ends with a result,
 * a SatochipError or a DriverError: never a TypeError/RangeError, never a hang or an unbounded
 * number of APDUs. Answers are fuzzed at two levels:
 *   - on the wire: any data and any status word;
 *   - inside the secure channel: answers correctly encrypted under the recorded channel keys (with
 *     the right IV counter) whose plaintext is a truncated / mutated recorded answer or random bytes,
 *     so the parsers behind the decryption are exercised too.
 * The client is first brought to an open, PIN-verified, seeded channel by replaying the recorded
 * setup transcript (steps 1-8).
 */
import { randomBytes } from '@noble/hashes/utils.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isDriverError } from '../errors.ts';
import { type CommandApdu, type ResponseApdu, encodeCommand } from '../pcsc/apdu.ts';
import { SatochipClient } from './client.ts';
import { getLabelCommand } from './commands.ts';
import { isSatochipError } from './errors.ts';
import { deriveSecureChannelKeys } from './secure-channel.ts';
import { HostReplay, bytes, loadVector } from './test-support/host-replay.ts';
import { encryptedAnswer, mutate, plainMutation } from './test-support/fuzz-answers.ts';

const setupVector = loadVector('satochip-transcript-setup-seed-sign.json');
const pinVector = loadVector('satochip-transcript-pin-label-message.json');
const keys = deriveSecureChannelKeys(bytes(setupVector.secure_channel.shared_x));
const PREFIX_STEPS = setupVector.transcript.filter((s: { step: number }) => s.step <= 8);
const PREFIX_RANDOM = setupVector.host_random.filter((r: { index: number }) => r.index <= 6);
const INIT_ANSWER = bytes(setupVector.transcript.find((s: { name?: string }) => s.name === 'INIT SECURE CHANNEL').response).slice(0, -2);

/** A valid decrypted answer per inner INS, from the recordings (the base the mutations start from). */
const VALID_PLAIN: Record<number, Uint8Array> = {};
for (const step of [...setupVector.transcript, ...pinVector.transcript]) {
  if (step.plain_command && step.plain_response) VALID_PLAIN[bytes(step.plain_command)[1]!] = bytes(step.plain_response);
}

/** Brings a client to: selected, channel open (authentikey known), setup, PIN verified, seeded. */
async function openedClient(answer: (command: CommandApdu) => ResponseApdu): Promise<{ client: SatochipClient; apdus: () => number }> {
  const replay = new HostReplay(PREFIX_STEPS, PREFIX_RANDOM);
  let fuzzing = false;
  let count = 0;
  const client = new SatochipClient({
    send: async (command) => {
      if (!fuzzing) return replay.send(command);
      count += 1;
      if (count > 64) throw new Error('unbounded number of APDUs');
      return answer(command);
    },
    random: (n) => (fuzzing ? randomBytes(n) : replay.random(n)),
  });
  await client.select('satochip');
  await client.getStatus();
  await client.initSecureChannel();
  await client.setup({ pin: '123456', puk: '11223344' });
  await client.getStatus();
  await client.verifyPin('123456');
  await client.exportAuthentikey();
  await client.importSeedBytes(bytes(setupVector.inputs.bip39_seed)); // same APDU as importSeed, without the PBKDF2
  replay.assertComplete();
  fuzzing = true;
  return { client, apdus: () => count };
}

type Call = (client: SatochipClient) => Promise<unknown>;
const PATH = "m/84'/0'/0'/0/0";
const HASH = bytes(setupVector.inputs.hash_btc);
const CALLS: Record<string, Call> = {
  select: (c) => c.select('satochip'),
  selectSeedkeeper: (c) => c.select('seedkeeper'),
  getStatus: (c) => c.getStatus(),
  initSecureChannel: (c) => c.initSecureChannel(),
  setup: (c) => c.setup({ pin: '123456', puk: '11223344' }),
  verifyPin: (c) => c.verifyPin('123456'),
  changePin: (c) => c.changePin('123456', '654321'),
  unblockPin: (c) => c.unblockPin('11223344'),
  logout: (c) => c.logout(),
  setLabel: (c) => c.setLabel('label'),
  getLabel: (c) => c.getLabel(),
  importSeedBytes: (c) => c.importSeedBytes(new Uint8Array(64).fill(1)),
  resetSeed: (c) => c.resetSeed('123456'),
  exportAuthentikey: (c) => c.exportAuthentikey(),
  getAuthentikey: (c) => c.getAuthentikey(),
  getExtendedKey: (c) => c.getExtendedKey(PATH),
  getXpub: (c) => c.getXpub("m/84'/0'/0'"),
  signHashPath: (c) => c.signHash({ path: PATH }, HASH),
  signHashSlot: (c) => c.signHash({ keySlot: 0, publicKey: bytes(setupVector.results.btc.expected_pubkey) }, HASH),
  signMessage: (c) => c.signMessage({ path: PATH }, 'Hello from the Satochip test vectors'),
  signLongMessage: (c) => c.signMessage({ path: PATH }, 'x'.repeat(300)),
  factoryResetSignal: (c) => c.factoryResetSignal(),
  sendSecure: (c) => c.sendSecure(getLabelCommand()),
};

async function expectOnlyOurErrors(call: Call, client: SatochipClient): Promise<void> {
  try {
    await call(client);
  } catch (error) {
    if (isSatochipError(error) || isDriverError(error)) return;
    throw error;
  }
}

const statusWord = fc.oneof(
  fc.constantFrom(0x9000, 0x63c0, 0x63c3, 0x9c01, 0x9c04, 0x9c06, 0x9c0c, 0x9c14, 0x9c21, 0x9c23, 0xff00, 0xff02, 0xffff, 0x6100, 0x0002),
  fc.integer({ min: 0, max: 0xffff }),
);
const wireAnswer = fc.record({ data: fc.uint8Array({ maxLength: 300 }), sw: statusWord });

describe('fuzzed card answers only ever give SatochipError / DriverError', () => {
  for (const [name, call] of Object.entries(CALLS)) {
    it(`${name}: any wire answer`, { timeout: 60_000 }, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(wireAnswer, { minLength: 1, maxLength: 8 }), async (answers) => {
          let i = 0;
          const { client, apdus } = await openedClient(() => answers[i++ % answers.length]!);
          await expectOnlyOurErrors(call, client);
          expect(apdus()).toBeLessThanOrEqual(8);
        }),
        { numRuns: 20 },
      );
    });

    it(`${name}: mutated answers inside the secure channel`, { timeout: 60_000 }, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(plainMutation, { minLength: 1, maxLength: 8 }), async (mutations) => {
          let i = 0;
          const { client } = await openedClient((command) => {
            const apdu = encodeCommand(command);
            const mutation = mutations[i++ % mutations.length]!;
            if (apdu[1] === 0x81) return { data: mutate(INIT_ANSWER, mutation), sw: 0x9000 };
            return encryptedAnswer(keys, command, (inner) => mutate(VALID_PLAIN[inner[1]!] ?? new Uint8Array(0), mutation));
          });
          await expectOnlyOurErrors(call, client);
        }),
        { numRuns: 20 },
      );
    });
  }

  it('truncated wire answers of every recorded exchange of the setup transcript', { timeout: 60_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.nat(), async (stepPick, cut) => {
        const steps = setupVector.transcript.filter((s: { step: number }) => s.step > 8);
        const step = steps[stepPick % steps.length];
        const wire = bytes(step.response);
        const body = wire.slice(0, -2);
        const truncated = body.slice(0, body.length ? cut % body.length : 0);
        const { client } = await openedClient(() => ({ data: truncated, sw: 0x9000 }));
        await expectOnlyOurErrors(CALLS.signHashPath!, client);
        await expectOnlyOurErrors(CALLS.getExtendedKey!, client);
      }),
      { numRuns: 60 },
    );
  });
});
