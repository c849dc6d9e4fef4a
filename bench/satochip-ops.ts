/**
 * Satochip operations (issue 3, "Benchmarks"): per operation, the number of APDUs our client sends
 * and the host time it costs, excluding the card.
 *
 * The real stack drives an in-process card: SatochipClient -> ApduTransport -> InProcessChannel ->
 * the Satochip emulator (drivers/satochip/emulator), set up once (SETUP with a PIN, IMPORT SEED of
 * the "abandon ... about" mnemonic, personalised by a TEST CA) before anything is measured.
 *
 * APDU count: every command the client hands to the transport is recorded by name, and every APDU
 * that reaches the card is counted (they must agree: no GET RESPONSE on this card). Each operation
 * lists the protocol minimum, one line per command with the reason it cannot be left out
 * (../shared/protocols/satochip-seedkeeper.md); the sequence sent must equal it exactly, else the
 * operation (and the benchmark) carries an `error`.
 *
 * Host time: the card emulator's `process` is wrapped with a clock, so each run knows how long the
 * card spent on its APDUs; host time = the operation's wall time minus that card time, i.e. our
 * client, secure channel (ECDH, AES, HMAC, signature checks), codecs and transport. Median and p95
 * (nearest rank) over `runs` runs, after a few warm-up runs. Per-run preparation (a fresh channel
 * where an operation needs one) is outside the timed part.
 */
import { randomBytes } from 'node:crypto';
import { HDKey } from '@scure/bip32';
import { mnemonicToSeedSync } from '@scure/bip39';
import { CERTIFICATE_CHUNK, attestCard, readDeviceCertificate } from '../drivers/satochip/attestation/attest.ts';
import { SatochipClient } from '../drivers/satochip/client.ts';
import { SatochipEmulator, createTestCa, issueDeviceCertificate, seededRandom } from '../drivers/satochip/emulator/index.ts';
import { ApduTransport } from '../drivers/pcsc/transport.ts';
import { InProcessChannel } from '../drivers/virtual/in-process.ts';
import { type Operation, type OperationsResult, TimedCard, measureOperations } from './operations.ts';


const MNEMONIC = 'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about';
const PIN = '123456';
const PUK = '11223344';
const XPUB_PATH = "m/84'/0'/0'";
const SIGN_PATH = "m/84'/0'/0'/0/0";

export const SATOCHIP_OPS_METHOD =
  'host_ms = wall time of the operation minus the time spent inside the card emulator process() for its APDUs ' +
  '(client + secure channel crypto + codecs + ApduTransport + in-process channel); median and nearest-rank p95 over `runs` runs ' +
  'after warm-up; per-run preparation (fresh channel + PIN where stated) is not timed. apdus = APDUs that reached the card; ' +
  'each must match the protocol-minimum sequence in apdu_breakdown (../shared/protocols/satochip-seedkeeper.md).';

export async function benchSatochipOperations(runs = 30, warmup = 5): Promise<OperationsResult> {
  const ca = createTestCa('Tapdesk bench TEST CA');
  const card = new TimedCard(
    new SatochipEmulator({ rng: seededRandom('Tapdesk bench Satochip'), certificate: (authentikey) => issueDeviceCertificate(ca, 'Satochip', authentikey) }),
  );
  const transport = new ApduTransport(new InProcessChannel('Bench reader', card));
  const sent: string[] = [];
  const client = new SatochipClient({
    send: (command) => {
      sent.push(command.name ?? `INS ${command.ins.toString(16).padStart(2, '0')}`);
      return transport.send(command);
    },
  });
  const freshChannel = async () => {
    await client.initSecureChannel();
    await client.verifyPin(PIN);
  };

  // Once, untimed: a set-up, seeded card, and checks that what we measure is right.
  await client.select('satochip');
  await client.getStatus();
  await client.initSecureChannel();
  await client.setup({ pin: PIN, puk: PUK });
  await client.verifyPin(PIN);
  await client.importSeed(MNEMONIC);
  const root = HDKey.fromMasterSeed(mnemonicToSeedSync(MNEMONIC));
  const xpub = await client.getXpub(XPUB_PATH);
  if (xpub.xpub !== root.derive(XPUB_PATH).publicExtendedKey) throw new Error(`card xpub for ${XPUB_PATH} differs from @scure/bip32`);
  const certificateSize = (await readDeviceCertificate(client)).length;
  const chunks = Math.ceil(certificateSize / CERTIFICATE_CHUNK);
  const extraTrust = [ca.root.certificate, ca.subCas.Satochip.certificate];
  const hash = Uint8Array.from(randomBytes(32));
  const hashes = Array.from({ length: 20 }, () => Uint8Array.from(randomBytes(32)));

  const DERIVE_FOR_SIGNING =
    'B0 6D (section 5.3): SIGN HASH signs only with the card\'s current key (P1 = FF), which is the last node GET EXTENDED KEY derived; ' +
    'it also returns the public key the host needs to check the signature, make it low-S and find its recovery id';
  const operations: Operation[] = [
    {
      name: 'status',
      minimum: [{ command: 'GET STATUS', count: 1, why: 'B0 3C in plaintext (section 2): versions, PIN/PUK tries, seeded, setup done in one 12-byte answer; no channel or PIN needed' }],
      run: async () => {
        await client.getStatus();
      },
    },
    {
      name: 'open_channel_verify_pin',
      minimum: [
        {
          command: 'INIT SECURE CHANNEL',
          count: 1,
          why: 'B0 81 (section 3.1): ECDH with the card\'s ephemeral key, signed by the authentikey; every command but SELECT/GET STATUS must be wrapped in it (section 1)',
        },
        {
          command: 'SC VERIFY PIN',
          count: 1,
          why: 'B0 42 wrapped (section 4.2): wallet and PKI commands answer 9C06 until the PIN is verified, and SELECT/power-up forgets it (section 1)',
        },
      ],
      run: freshChannel,
    },
    {
      name: 'xpub',
      minimum: [
        {
          command: 'SC GET EXTENDED KEY',
          count: 2,
          why:
            "B0 6D (section 5.3) twice: m/84'/0' for the parent public key, whose HASH160 is the xpub's parent fingerprint (the card returns only the requested node, nothing about its parent), " +
            "then m/84'/0'/0' itself for its public key and chain code",
        },
      ],
      prepare: freshChannel,
      run: async () => {
        await client.getXpub(XPUB_PATH);
      },
    },
    {
      name: 'sign_1_hash',
      minimum: [
        { command: 'SC GET EXTENDED KEY', count: 1, why: `${DERIVE_FOR_SIGNING}; the channel is fresh, so no key is current yet` },
        { command: 'SC SIGN HASH', count: 1, why: 'B0 7A FF (section 5.4): the signature of the 32-byte hash' },
      ],
      prepare: freshChannel,
      run: async () => {
        await client.signHash({ path: SIGN_PATH }, hash);
      },
    },
    {
      name: 'sign_20_hashes',
      minimum: [
        { command: 'SC GET EXTENDED KEY', count: 1, why: `${DERIVE_FOR_SIGNING}; once: the derived key stays current for the rest of the session` },
        { command: 'SC SIGN HASH', count: 20, why: 'B0 7A FF (section 5.4): one command per hash, the card signs one 32-byte hash per APDU' },
      ],
      prepare: freshChannel,
      run: async () => {
        for (const h of hashes) await client.signHash({ path: SIGN_PATH }, h);
      },
    },
    {
      name: 'attestation',
      minimum: [
        {
          command: 'SC EXPORT PKI CERTIFICATE (size)',
          count: 1,
          why: 'B0 93 P2 01 (section 6.1): the device certificate\'s length (0 = not personalised); a chunk read past it answers 6700',
        },
        {
          command: 'SC EXPORT PKI CERTIFICATE (chunk)',
          count: chunks,
          why: `B0 93 P2 02 offset|clen (sections 6.1, 6.2 step 2): the ${certificateSize}-byte DER certificate in ${CERTIFICATE_CHUNK}-byte chunks (the card's transfer chunk, section 12)`,
        },
        {
          command: 'SC CHALLENGE-RESPONSE',
          count: 1,
          why:
            'B0 9A (sections 6.1, 6.2 step 5): the card signs "Challenge:" | card_chal | a fresh host challenge with the certified key, proving it holds that key now ' +
            '(a certificate alone can be copied). The key binding (6.2, check 6) needs no APDU: sig2 of INIT SC already shows which key signed the channel',
        },
      ],
      prepare: freshChannel,
      run: async () => {
        const report = await attestCard({ client, product: 'Satochip', identifier: new Uint8Array(0), random: (n) => Uint8Array.from(randomBytes(n)), extraTrust });
        if (report.verdict !== 'test') throw new Error(`attestation verdict ${report.verdict}, expected test (TEST CA card)`);
      },
    },
  ];

  const { results, problems } = await measureOperations(operations, card, sent, runs, warmup);
  return {
    method: SATOCHIP_OPS_METHOD,
    card: `in-process Satochip emulator (protocol 0.12), TEST CA certificate of ${certificateSize} bytes, seed from the "abandon ... about" mnemonic`,
    operations: results,
    ...(problems.length ? { error: problems.join('; ') } : {}),
  };
}
