/**
 * Keycard operations (issue 5, "Benchmarks"): per operation, the APDUs our client sends against the
 * protocol minimum (../shared/protocols/keycard.md) and the host time excluding the card, over the
 * real stack: KeycardClient -> ApduTransport -> InProcessChannel -> the Keycard emulator
 * (drivers/keycard/emulator), initialised once with a PIN and the seed of "abandon ... about".
 *
 * "First tap" pairs (PAIR x2) before the channel; "stored pairing" reuses the pairing main/core
 * keeps per card (main/core/keycard/pairings.ts), so it needs no PAIR. Host time includes the
 * PBKDF2 of the pairing password only where a pairing is made (cached per password afterwards,
 * as main/core does). Per-run preparation (a fresh channel + PIN where stated, unpairing the slot
 * the previous first tap used) is not timed.
 */
import { randomBytes } from 'node:crypto';
import { HDKey } from '@scure/bip32';
import { mnemonicToSeedSync } from '@scure/bip39';
import { attestKeycard } from '../drivers/keycard/attestation/attest.ts';
import { KEYCARD_VECTORS_TEST_CA_PUBLIC_KEY } from '../drivers/keycard/attestation/trust.ts';
import { DEFAULT_PAIRING_PASSWORD, KeycardClient, type KeycardPairing } from '../drivers/keycard/client.ts';
import { demoKeycard, DEMO_KEYCARD_MNEMONIC, DEMO_KEYCARD_PIN } from '../drivers/keycard/emulator/demo.ts';
import { ApduTransport } from '../drivers/pcsc/transport.ts';
import { InProcessChannel } from '../drivers/virtual/in-process.ts';
import { pairingSecretFor } from '../main/core/keycard/open.ts';
import { type Operation, type OperationsResult, TimedCard, measureOperations } from './operations.ts';

const XPUB_PATH = "m/44'/60'/0'/0";
const SIGN_PATH = "m/44'/60'/0'/0/0";

export const KEYCARD_OPS_METHOD =
  'host_ms = wall time of the operation minus the time inside the Keycard emulator process() for its APDUs ' +
  '(client + secure channel: ECDH, SHA-512, AES-CBC, CBC-MAC, signature checks + codecs + ApduTransport); median and nearest-rank p95 over `runs` runs ' +
  'after warm-up; per-run preparation is not timed. apdus = APDUs that reached the card; each must match the protocol-minimum sequence in apdu_breakdown.';

export async function benchKeycardOperations(runs = 30, warmup = 5): Promise<OperationsResult> {
  const card = new TimedCard(demoKeycard({ label: 'Tapdesk bench Keycard' }));
  const transport = new ApduTransport(new InProcessChannel('Bench reader', card));
  const sent: string[] = [];
  const client = new KeycardClient({
    send: (command) => {
      sent.push(command.name ?? `INS ${command.ins.toString(16).padStart(2, '0')}`);
      return transport.send(command);
    },
  });
  const secret = pairingSecretFor(DEFAULT_PAIRING_PASSWORD);

  // Once, untimed: a stored pairing, and a check that the card derives what we expect.
  await client.select();
  const stored: KeycardPairing = await client.pair(secret);
  await client.openSecureChannel(stored);
  await client.verifyPin(DEMO_KEYCARD_PIN);
  const root = HDKey.fromMasterSeed(mnemonicToSeedSync(DEMO_KEYCARD_MNEMONIC));
  if ((await client.getXpub(XPUB_PATH)) !== root.derive(XPUB_PATH).publicExtendedKey) throw new Error(`card xpub for ${XPUB_PATH} differs from @scure/bip32`);
  const hash = Uint8Array.from(randomBytes(32));
  const hashes = Array.from({ length: 20 }, () => Uint8Array.from(randomBytes(32)));
  let firstTapPairing: KeycardPairing | null = null;
  const freshChannel = async () => {
    await client.select();
    await client.openSecureChannel(stored);
    await client.verifyPin(DEMO_KEYCARD_PIN);
  };

  const SELECT = { command: 'SELECT', count: 1, why: 'section 2: the Keycard applet (a power-up selects nothing); its answer is the instance UID and secure-channel key, so no other read is needed' };
  const OPEN = [
    { command: 'OPEN SECURE CHANNEL', count: 1, why: 'section 6.1: ECDH with the card key from SELECT + the pairing key; the card returns salt and IV' },
    { command: 'SC MUTUALLY AUTHENTICATE', count: 1, why: 'section 6.2: the channel is not open until this wrapped exchange (the card refuses every other wrapped command)' },
  ];
  const VERIFY = { command: 'SC VERIFY PIN', count: 1, why: 'section 7: key commands answer 6985 without it; SELECT clears it' };
  const operations: Operation[] = [
    {
      name: 'open_verify_pin_first_tap',
      minimum: [
        SELECT,
        { command: 'PAIR step 1', count: 1, why: 'section 5: client challenge -> card cryptogram (checked: proves the card knows the pairing secret) and card challenge; an unknown card has no pairing key yet' },
        { command: 'PAIR step 2', count: 1, why: 'section 5: client cryptogram -> slot index and salt, from which both sides derive the pairing key' },
        ...OPEN,
        VERIFY,
      ],
      prepare: async () => {
        // Free the slot the previous run's first tap took (5 slots only).
        if (firstTapPairing) {
          await freshChannel();
          await client.unpair(firstTapPairing.index);
          firstTapPairing = null;
        }
      },
      run: async () => {
        await client.select();
        firstTapPairing = await client.pair(pairingSecretFor(DEFAULT_PAIRING_PASSWORD));
        await client.openSecureChannel(firstTapPairing);
        await client.verifyPin(DEMO_KEYCARD_PIN);
      },
    },
    {
      name: 'open_verify_pin_stored_pairing',
      minimum: [SELECT, ...OPEN, VERIFY],
      run: freshChannel,
    },
    {
      name: 'xpub',
      minimum: [
        {
          command: 'SC EXPORT KEY',
          count: 2,
          why: "section 9 twice: the parent's public key (its HASH160 is the xpub's parent fingerprint; the card returns nothing about a parent), then the node with its chain code (P2=02)",
        },
      ],
      prepare: freshChannel,
      run: async () => {
        await client.getXpub(XPUB_PATH);
      },
    },
    {
      name: 'sign_1_hash',
      minimum: [{ command: 'SC SIGN', count: 1, why: 'section 10: SIGN P1=01 derives the path and signs in one command, and returns the public key with the signature' }],
      prepare: freshChannel,
      run: async () => {
        await client.sign({ path: SIGN_PATH }, hash);
      },
    },
    {
      name: 'sign_20_hashes',
      minimum: [{ command: 'SC SIGN', count: 20, why: 'section 10: one command per 32-byte digest' }],
      prepare: freshChannel,
      run: async () => {
        for (const h of hashes) await client.sign({ path: SIGN_PATH }, h);
      },
    },
    {
      name: 'ident',
      minimum: [
        SELECT,
        { command: 'IDENT', count: 1, why: 'section 13: plain, no pairing or PIN; the answer carries the certificate and the signature of the fresh challenge' },
      ],
      run: async () => {
        const result = await attestKeycard({
          send: (command) => {
            sent.push(command.name ?? '?');
            return transport.send(command);
          },
          random: (n) => Uint8Array.from(randomBytes(n)),
          extraTrustedCaKeys: [KEYCARD_VECTORS_TEST_CA_PUBLIC_KEY],
        });
        if (result.report.verdict !== 'test') throw new Error(`IDENT verdict ${result.report.verdict}, expected test (TEST CA card)`);
      },
    },
  ];
  const { results, problems } = await measureOperations(operations, card, sent, runs, warmup);
  return {
    method: KEYCARD_OPS_METHOD,
    card: 'in-process Keycard 3.1 emulator, initialised, seed from the "abandon ... about" mnemonic, TEST CA ident certificate',
    operations: results,
    ...(problems.length ? { error: problems.join('; ') } : {}),
  };
}
