/**
 * APDUs per Satochip operation against the in-process emulator: the counts in the comment at the
 * top of client.ts, which are the protocol minimum (../shared/protocols/satochip-seedkeeper.md).
 * `npm run bench` (bench/satochip-ops.ts) reports the same operations with their host time; this
 * keeps the minimum guarded by `npm test`. The exact command sequence is asserted, not just its length.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeResponse, encodeCommand } from '../pcsc/apdu.ts';
import { CERTIFICATE_CHUNK, attestCard, readDeviceCertificate } from './attestation/attest.ts';
import { SatochipClient } from './client.ts';
import { SatochipEmulator, createTestCa, issueDeviceCertificate, seededRandom } from './emulator/index.ts';

const MNEMONIC = 'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about';
const PIN = '123456';
const SIGN_PATH = "m/84'/0'/0'/0/0";

describe('Satochip client: APDUs per operation (protocol minimum)', () => {
  const ca = createTestCa('apdu-count TEST CA');
  const card = new SatochipEmulator({ rng: seededRandom('apdu-count'), certificate: (key) => issueDeviceCertificate(ca, 'Satochip', key) });
  const sent: string[] = [];
  const client = new SatochipClient({
    send: async (command) => {
      sent.push(command.name ?? '?');
      return decodeResponse(card.process(encodeCommand(command)));
    },
  });
  /** The commands `work` sends. */
  const commandsOf = async (work: () => Promise<unknown>) => {
    sent.length = 0;
    await work();
    return [...sent];
  };
  const freshChannel = async () => {
    await client.initSecureChannel();
    await client.verifyPin(PIN);
  };
  let certificateChunks = 0;
  const attest = () =>
    attestCard({ client, product: 'Satochip', identifier: new Uint8Array(0), random: () => new Uint8Array(32).fill(7), extraTrust: [ca.root.certificate, ca.subCas.Satochip.certificate] });

  beforeAll(async () => {
    await client.select('satochip');
    await client.getStatus();
    await client.initSecureChannel();
    await client.setup({ pin: PIN, puk: '11223344' });
    await client.verifyPin(PIN);
    await client.importSeed(MNEMONIC);
    certificateChunks = Math.ceil((await readDeviceCertificate(client)).length / CERTIFICATE_CHUNK);
  });

  it('status: GET STATUS (1)', async () => {
    expect(await commandsOf(() => client.getStatus())).toEqual(['GET STATUS']);
  });

  it('open channel + verify PIN: INIT SC, VERIFY PIN (2)', async () => {
    expect(await commandsOf(freshChannel)).toEqual(['INIT SECURE CHANNEL', 'SC VERIFY PIN']);
  });

  it("xpub of m/84'/0'/0': parent for the fingerprint, then the node (2)", async () => {
    await freshChannel();
    expect(await commandsOf(() => client.getXpub("m/84'/0'/0'"))).toEqual(['SC GET EXTENDED KEY', 'SC GET EXTENDED KEY']);
  });

  it('one hash on a fresh channel: derive, sign (2)', async () => {
    await freshChannel();
    expect(await commandsOf(() => client.signHash({ path: SIGN_PATH }, new Uint8Array(32).fill(1)))).toEqual(['SC GET EXTENDED KEY', 'SC SIGN HASH']);
  });

  it('20 hashes on one path in one session: one derive, 20 signatures (21)', async () => {
    await freshChannel();
    const commands = await commandsOf(async () => {
      for (let i = 0; i < 20; i += 1) await client.signHash({ path: SIGN_PATH }, new Uint8Array(32).fill(i + 1));
    });
    expect(commands).toEqual(['SC GET EXTENDED KEY', ...Array<string>(20).fill('SC SIGN HASH')]);
  });

  it('attestation on a channel bound to a pinned authentikey: certificate size, chunks, challenge (minimum)', async () => {
    await freshChannel();
    const authentikey = await client.exportAuthentikey();
    await client.initSecureChannel({ authentikey });
    await client.verifyPin(PIN);
    let verdict = '';
    const commands = await commandsOf(async () => {
      verdict = (await attest()).verdict;
    });
    expect(verdict).toBe('test');
    expect(certificateChunks).toBeGreaterThan(0);
    expect(commands).toEqual([
      'SC EXPORT PKI CERTIFICATE (size)',
      ...Array<string>(certificateChunks).fill('SC EXPORT PKI CERTIFICATE (chunk)'),
      'SC CHALLENGE-RESPONSE',
    ]);
  });

  it('attestation on a fresh, unpinned channel is also the minimum: the challenge signature settles which INIT SC key is the authentikey', async () => {
    await freshChannel();
    const commands = await commandsOf(() => attest());
    expect(commands).toEqual([
      'SC EXPORT PKI CERTIFICATE (size)',
      ...Array<string>(certificateChunks).fill('SC EXPORT PKI CERTIFICATE (chunk)'),
      'SC CHALLENGE-RESPONSE',
    ]);
  });
});
