/**
 * The Seedkeeper client replayed against the transcripts recorded from the real applets: every
 * command byte equals the recording (host randomness injected), every recorded answer is accepted,
 * and the results the files list come out (secret ids, headers, fingerprints, derived keys).
 */
import { HDKey } from '@scure/bip32';
import { mnemonicToSeedSync } from '@scure/bip39';
import { describe, expect, it } from 'vitest';
import { SatochipClient } from '../client.ts';
import { HostReplay, bytes, hex, loadVector } from '../test-support/host-replay.ts';
import { SeedkeeperClient } from './client.ts';
import { exportTrustedPubkey, importEncryptedSeed, importTrustedPubkey } from './satochip-import.ts';
import { encodeSecret, secretFingerprint } from './secrets.ts';
import { authentikeyFingerprint } from './pairing.ts';

const backupVector = loadVector('seedkeeper-transcript-backup-two-readers.json');
const toSatochipVector = loadVector('seedkeeper-transcript-to-satochip.json');
const MASTER = 'master (reader 0)';
const BACKUP = 'backup (reader 1)';
const SATOCHIP = 'satochip (reader 1)';
const ascii = (hexText: string) => Buffer.from(hexText, 'hex').toString('utf8');

describe('seedkeeper-transcript-backup-two-readers.json', () => {
  const inputs = backupVector.inputs;
  const results = backupVector.results;

  it('encodes the BIP39 record byte for byte (section 7.1) and fingerprints it like the card', async () => {
    const encoded = await encodeSecret({ kind: 'bip39', mnemonic: inputs.bip39_mnemonic, passphrase: '', descriptor: inputs.wallet_descriptor });
    expect(hex(encoded.blob)).toBe(inputs.secret_blob);
    expect(encoded).toMatchObject({ type: 0x10, subtype: 0x01 });
    expect(secretFingerprint(encoded.blob)).toBe(results.seed_fingerprint);
  });

  it('replays the two-reader backup: pairing, encrypted export, encrypted import, checks', async () => {
    const replay = new HostReplay(backupVector.transcript, backupVector.host_random);
    const master = new SatochipClient({ send: replay.sendOn(MASTER), random: replay.random });
    const backup = new SatochipClient({ send: replay.sendOn(BACKUP), random: replay.random });
    const masterStore = new SeedkeeperClient(master, { random: replay.random });
    const backupStore = new SeedkeeperClient(backup, { random: replay.random });
    const akMaster = backupVector.cards[MASTER].authentikey_public_key as string;
    const akBackup = backupVector.cards[BACKUP].authentikey_public_key as string;

    // Master: open, set up, store the seed, read its headers and authentikey.
    expect(await master.select('seedkeeper')).toMatchObject({ setupDone: false });
    await master.getStatus();
    const masterChannel = await master.initSecureChannel();
    expect(hex(masterChannel.authentikey!)).toBe(akMaster); // a Seedkeeper sends it in INIT SC
    await master.setup({ pin: ascii(inputs.master_pin), puk: ascii(inputs.master_puk) });
    await master.verifyPin(ascii(inputs.master_pin));
    const seed = await masterStore.importSecret(
      { kind: 'bip39', mnemonic: inputs.bip39_mnemonic, passphrase: '', descriptor: inputs.wallet_descriptor },
      { label: inputs.secret_label_ascii },
    );
    expect(seed).toEqual({ sid: results.secret_ids.seed_on_master, fingerprint: results.seed_fingerprint });
    const masterHeaders = await masterStore.listHeaders();
    expect(masterHeaders.map((h) => hex(Uint8Array.of(h.sid >> 8, h.sid & 0xff)) + hex(h.raw))).toEqual(results.master_headers);
    expect(masterHeaders[0]).toMatchObject({ type: 0x10, typeName: 'master seed', origin: 'plain-import', exportRights: 1, subtype: 1, label: inputs.secret_label_ascii });
    expect(hex(await master.exportAuthentikey())).toBe(akMaster);

    // Backup: open, set up, learn its key, pair with the master.
    await backup.select('seedkeeper');
    await backup.initSecureChannel();
    await backup.setup({ pin: ascii(inputs.backup_pin), puk: ascii(inputs.backup_puk) });
    await backup.verifyPin(ascii(inputs.backup_pin));
    expect(hex(await backup.exportAuthentikey())).toBe(akBackup);
    expect(await backupStore.listHeaders()).toEqual([]);
    const masterOnBackup = await backupStore.importSecret(
      { kind: 'pubkey', publicKey: bytes(akMaster) },
      { label: `master authentikey #${authentikeyFingerprint(bytes(akMaster))}` },
    );
    expect(masterOnBackup).toEqual({ sid: results.secret_ids.master_authentikey_on_backup, fingerprint: authentikeyFingerprint(bytes(akMaster)) });

    // Master: pair with the backup, export the seed for it.
    const backupOnMaster = await masterStore.importSecret(
      { kind: 'pubkey', publicKey: bytes(akBackup) },
      { label: `backup authentikey #${authentikeyFingerprint(bytes(akBackup))}` },
    );
    expect(backupOnMaster.sid).toBe(results.secret_ids.backup_authentikey_on_master);
    const exported = await masterStore.exportEncrypted(seed.sid, backupOnMaster.sid);
    expect(hex(exported.header)).toBe(results.encrypted_export.header_from_card);
    expect(hex(exported.iv)).toBe(results.encrypted_export.iv);
    expect(hex(exported.ciphertext)).toBe(results.encrypted_export.ciphertext);
    expect(hex(exported.mac)).toBe(results.encrypted_export.hmac);
    expect(exported.fingerprint).toBe(results.seed_fingerprint);

    // Backup: import it, then check what arrived.
    const copy = await backupStore.importEncrypted(exported, masterOnBackup.sid);
    expect(copy).toEqual({ sid: results.secret_ids.seed_on_backup, fingerprint: results.seed_fingerprint });
    const backupHeaders = await backupStore.listHeaders();
    expect(backupHeaders.map((h) => hex(Uint8Array.of(h.sid >> 8, h.sid & 0xff)) + hex(h.raw))).toEqual(results.backup_headers_after_copy);
    expect(backupHeaders[0]).toMatchObject({ origin: 'encrypted-import', fingerprint: results.seed_fingerprint });
    const plain = await backupStore.exportSecret(copy.sid);
    expect(hex(plain.blob)).toBe(inputs.secret_blob);
    expect(plain.content).toEqual({ kind: 'bip39', mnemonic: inputs.bip39_mnemonic, passphrase: '', descriptor: inputs.wallet_descriptor });
    expect(plain.header.plainExports).toBe(1); // the header already counts this export
    const status = await backupStore.status();
    expect(status).toMatchObject({ secrets: 2, logCapacity: 100 });
    const node = await backupStore.getExtendedKey(copy.sid, results.bip32_from_copied_seed.path);
    expect(hex(node.publicKeyUncompressed)).toBe(results.bip32_from_copied_seed.pubkey);
    expect(hex(node.chainCode)).toBe(results.bip32_from_copied_seed.chaincode);
    // And independently of both cards: the same node from the mnemonic.
    const independent = HDKey.fromMasterSeed(mnemonicToSeedSync(inputs.bip39_mnemonic)).derive(results.bip32_from_copied_seed.path);
    expect(hex(node.publicKey)).toBe(hex(independent.publicKey!));
    replay.assertComplete();
  });

  it('refuses the backup card when the master was expected: the channel is pinned to an authentikey', async () => {
    const replay = new HostReplay(backupVector.transcript, backupVector.host_random);
    const backup = new SatochipClient({ send: replay.sendOn(BACKUP), random: replay.random });
    replay.skipTo(12);
    await backup.select('seedkeeper');
    await expect(backup.initSecureChannel({ authentikey: bytes(backupVector.cards[MASTER].authentikey_public_key) })).rejects.toMatchObject({
      code: 'AUTHENTIKEY_MISMATCH',
    });
  });
});

describe('seedkeeper-transcript-to-satochip.json', () => {
  const inputs = toSatochipVector.inputs;
  const results = toSatochipVector.results;

  it('replays Seedkeeper -> Satochip: pairing, A8, trusted pubkey, encrypted seed import, same keys as a plain seed', async () => {
    const replay = new HostReplay(toSatochipVector.transcript, toSatochipVector.host_random);
    const seedkeeper = new SatochipClient({ send: replay.sendOn(MASTER), random: replay.random });
    const satochip = new SatochipClient({ send: replay.sendOn(SATOCHIP), random: replay.random });
    const store = new SeedkeeperClient(seedkeeper, { random: replay.random });

    await seedkeeper.select('seedkeeper');
    const akSeedkeeper = (await seedkeeper.initSecureChannel()).authentikey!;
    await seedkeeper.verifyPin(ascii(inputs.seedkeeper_pin));

    await satochip.select('satochip');
    expect(await satochip.getStatus()).toMatchObject({ setupDone: false, seeded: false });
    await satochip.initSecureChannel();
    await satochip.setup({ pin: ascii(inputs.satochip_pin), puk: ascii(inputs.satochip_puk) });
    await satochip.verifyPin(ascii(inputs.satochip_pin));
    const akSatochip = await satochip.exportAuthentikey();

    const satochipOnSeedkeeper = await store.importSecret({ kind: 'pubkey', publicKey: akSatochip }, { label: `satochip authentikey #${authentikeyFingerprint(akSatochip)}` });
    expect(satochipOnSeedkeeper.sid).toBe(2);
    const transfer = await store.exportToSatochip(0, satochipOnSeedkeeper.sid);
    expect(hex(transfer.header)).toBe(results.a8_header);
    expect(hex(transfer.iv)).toBe(results.a8_iv);
    expect(hex(transfer.ciphertext)).toBe(results.a8_ciphertext);
    expect(hex(transfer.mac)).toBe(results.a8_hmac);
    // Section 9: the card recomputed the fingerprint over `len | seed` only.
    expect(transfer.fingerprint).toBe(secretFingerprint(bytes(results.a8_plaintext)));

    await importTrustedPubkey(satochip, akSeedkeeper);
    expect(hex(await importEncryptedSeed(satochip, transfer))).toBe(hex(akSatochip));
    const key = await satochip.getExtendedKey("m/84'/0'/0'/0/0");
    expect(hex(key.publicKeyUncompressed)).toBe(results.satochip_pubkey_m84_0_0_0_0);
    expect(await satochip.getStatus()).toMatchObject({ seeded: true });
    replay.assertComplete();
  });

  it('refuses Satochip-side transfer commands on a client that has not selected a Satochip', async () => {
    const replay = new HostReplay([], []);
    const client = new SatochipClient({ send: replay.send, random: replay.random });
    await expect(exportTrustedPubkey(client)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(new SeedkeeperClient(client).listHeaders()).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(replay.sent).toEqual([]);
  });
});
