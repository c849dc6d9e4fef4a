/**
 * The Seedkeeper client against the emulated applet for what the recorded transcripts do not
 * cover: generation on the card, every secret kind Tapdesk imports and shows, export rights,
 * deletion, errors by name, and the 9C30 sequencing lock left by an interrupted import.
 * (The client's bytes are pinned by the real-applet replays in seedkeeper.replay.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { ApduTransport } from '../../pcsc/transport.ts';
import { InProcessChannel } from '../../virtual/in-process.ts';
import { SatochipClient } from '../client.ts';
import { demoSatochip, demoSeedkeeper } from '../emulator/index.ts';
import type { SatochipEmulator, SeedkeeperEmulator } from '../emulator/index.ts';
import { isSatochipError } from '../errors.ts';
import { SeedkeeperClient } from './client.ts';
import { exportTrustedPubkey } from './satochip-import.ts';
import { type SecretContent, SECRET_TYPE, secretFingerprint, encodeSecret } from './secrets.ts';

const MNEMONIC = 'legal winner thank year wave sausage worth useful legal winner thank yellow';

async function open(card: SeedkeeperEmulator | SatochipEmulator, applet: 'seedkeeper' | 'satochip' = 'seedkeeper') {
  const channel = new InProcessChannel('t', card);
  const transport = new ApduTransport(channel);
  const client = new SatochipClient({ send: (command) => transport.send(command) });
  await client.select(applet);
  if (applet === 'satochip') await client.getStatus();
  await client.initSecureChannel();
  if (!client.status!.setupDone) await client.setup({ pin: '1234', puk: '12345678' });
  await client.verifyPin('1234');
  return { client, store: new SeedkeeperClient(client), channel };
}

const KINDS: { content: SecretContent; type: number }[] = [
  { content: { kind: 'bip39', mnemonic: MNEMONIC, passphrase: 'ünïcode passphrase', descriptor: '' }, type: SECRET_TYPE.MASTER_SEED },
  { content: { kind: 'master-seed', seed: new Uint8Array(32).fill(7) }, type: SECRET_TYPE.MASTER_SEED },
  { content: { kind: 'descriptor', text: 'tr([12345678/86h/0h/0h]xpub.../0/*)' }, type: SECRET_TYPE.WALLET_DESCRIPTOR },
  { content: { kind: 'password', password: 'hunter2', login: 'bob', url: 'https://example.com' }, type: SECRET_TYPE.PASSWORD },
  { content: { kind: 'text', text: 'x'.repeat(300) }, type: SECRET_TYPE.DATA }, // 3 chunks
];

describe('Seedkeeper client on the emulated applet', () => {
  it('imports every kind, lists headers newest first, exports each back byte for byte with a verified signature', async () => {
    const { store } = await open(demoSeedkeeper('kinds'));
    const stored = [];
    for (const [i, kind] of KINDS.entries()) {
      const secret = await store.importSecret(kind.content, { label: `secret ${i}` });
      expect(secret.fingerprint).toBe(secretFingerprint((await encodeSecret(kind.content)).blob));
      stored.push(secret);
    }
    const headers = await store.listHeaders();
    expect(headers.map((h) => h.label)).toEqual(KINDS.map((_, i) => `secret ${i}`).reverse());
    for (const [i, kind] of KINDS.entries()) {
      const exported = await store.exportSecret(stored[i]!.sid);
      expect(exported.header).toMatchObject({ type: kind.type, origin: 'plain-import', plainExports: 1, label: `secret ${i}` });
      expect(exported.content).toEqual(kind.content);
    }
    expect((await store.status()).secrets).toBe(KINDS.length);
  });

  it('generates a master seed on the card that never shows when its rights say never', async () => {
    const { store } = await open(demoSeedkeeper('generate'));
    const hidden = await store.generateMasterSeed({ label: 'on-card', exportRights: 0x00 });
    const shown = await store.generateMasterSeed({ label: 'exportable', size: 32 });
    const headers = await store.listHeaders();
    expect(headers.find((h) => h.sid === hidden.sid)).toMatchObject({ origin: 'generated', exportRights: 0, fingerprint: hidden.fingerprint });
    const error = await store.exportSecret(hidden.sid).catch((e: unknown) => e);
    expect(isSatochipError(error, 'EXPORT_NOT_ALLOWED')).toBe(true);
    const exported = await store.exportSecret(shown.sid);
    expect(exported.content).toMatchObject({ kind: 'master-seed' });
    expect((exported.content as { seed: Uint8Array }).seed).toHaveLength(32);
    expect(secretFingerprint(exported.blob)).toBe(shown.fingerprint);
  });

  it('deletes, and names unknown ids and encrypted-only exports', async () => {
    const { store } = await open(demoSeedkeeper('delete'));
    const a = await store.importSecret(KINDS[2]!.content, { label: 'a', exportRights: 0x02 });
    expect(isSatochipError(await store.exportSecret(a.sid).catch((e: unknown) => e), 'EXPORT_NOT_ALLOWED')).toBe(true);
    await store.deleteSecret(a.sid);
    expect(await store.listHeaders()).toEqual([]);
    expect(isSatochipError(await store.deleteSecret(a.sid).catch((e: unknown) => e), 'SECRET_NOT_FOUND')).toBe(true);
  });

  it('an import interrupted by a pulled card: the next command meets 9C30 once, is sent again, and the half-written object shows as 00000000', async () => {
    const card = demoSeedkeeper('lock');
    const first = await open(card);
    // Start a 3-chunk plain import and pull the card after its second APDU.
    let sent = 0;
    const original = card.process.bind(card);
    card.process = (apdu: Uint8Array) => {
      const answer = original(apdu);
      if (++sent === 2) first.channel.remove();
      return answer;
    };
    const interrupted = await first.store.importSecret(KINDS[4]!.content, { label: 'long' }).catch((e: unknown) => e);
    expect(String(interrupted)).toMatch(/CARD_REMOVED|NO_CARD/);
    const statusWords: string[] = [];
    card.process = (apdu: Uint8Array) => {
      const answer = original(apdu) as Uint8Array;
      statusWords.push(Buffer.from(answer.subarray(-2)).toString('hex'));
      return answer;
    };
    const again = await open(card); // power-up: SELECT, INIT SC, VERIFY PIN (this one meets 9C30 once)
    expect(statusWords.filter((sw) => sw === '9c30')).toHaveLength(1);
    expect(again.client.isPinVerified).toBe(true);
    const headers = await again.store.listHeaders();
    expect(headers).toHaveLength(1);
    expect(headers[0]!.fingerprint).toBe('00000000');
    await again.store.deleteSecret(headers[0]!.sid);
    const redone = await again.store.importSecret(KINDS[4]!.content, { label: 'long' });
    expect((await again.store.exportSecret(redone.sid)).content).toEqual(KINDS[4]!.content);
  });

  it('a Satochip with no trusted Seedkeeper key reads it as none', async () => {
    const { client } = await open(demoSatochip('no trusted'), 'satochip');
    expect(await exportTrustedPubkey(client)).toBeNull();
  });
});
