/**
 * The client replayed against the recorded real-applet transcripts: every command byte must equal
 * the recording (host randomness injected from `host_random`), and every result the files list
 * (status, authentikey, public keys, chain codes, signatures, addresses, error codes) must come out.
 */
import { ripemd160 } from '@noble/hashes/legacy.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { bech32 } from '@scure/base';
import { HDKey } from '@scure/bip32';
import { mnemonicToSeedSync } from '@scure/bip39';
import { describe, expect, it } from 'vitest';
import { redactCommand } from '../pcsc/apdu-log.ts';
import { encodeCommand, fromHex } from '../pcsc/apdu.ts';
import { XPUB_VERSIONS } from './bip32-path.ts';
import { SatochipClient } from './client.ts';
import { getStatusCommand, signHashCommand } from './commands.ts';
import { type SatochipErrorCode, errorForStatusWord, isSatochipError } from './errors.ts';
import { HostReplay, bytes, hex, loadVector } from './test-support/host-replay.ts';
import { ScriptedSatochip } from './test-support/scripted-satochip.ts';
import { exportTrustedPubkey } from './seedkeeper/satochip-import.ts';

const setupVector = loadVector('satochip-transcript-setup-seed-sign.json');
const pinVector = loadVector('satochip-transcript-pin-label-message.json');
const resetVector = loadVector('satochip-transcript-factory-reset.json');
const errorVector = loadVector('error-cases.json');

/** Resolves to the SatochipError the promise rejected with (fails if it resolved or threw something else). */
async function rejection(promise: Promise<unknown>, code: SatochipErrorCode) {
  try {
    await promise;
  } catch (error) {
    if (isSatochipError(error)) {
      expect(error.code, error.message).toBe(code);
      return error;
    }
    throw error;
  }
  throw new Error(`expected ${code}, the call succeeded`);
}

function p2wpkhAddress(compressedPublicKey: Uint8Array): string {
  const program = ripemd160(sha256(compressedPublicKey));
  return bech32.encode('bc', [0, ...bech32.toWords(program)]);
}

function ethereumAddress(uncompressedPublicKey: Uint8Array): string {
  const address = hex(keccak_256(uncompressedPublicKey.slice(1)).slice(12));
  const hash = hex(keccak_256(new TextEncoder().encode(address)));
  return '0x' + [...address].map((c, i) => (parseInt(hash[i]!, 16) >= 8 ? c.toUpperCase() : c)).join('');
}

const MNEMONIC = setupVector.inputs.bip39_mnemonic as string;
const SEED = bytes(setupVector.inputs.bip39_seed);

describe('satochip-transcript-setup-seed-sign.json', () => {
  it('replays setup -> channel -> PIN -> authentikey -> seed import -> derive + sign (BTC, ETH) byte for byte', async () => {
    const replay = new HostReplay(setupVector.transcript, setupVector.host_random);
    const client = new SatochipClient({ send: replay.send, random: replay.random });
    const results = setupVector.results;

    expect(await client.select('satochip')).toBeNull();
    const fresh = await client.getStatus();
    expect(fresh).toMatchObject({ protocolVersion: 0x000c, appletVersion: 0x0006, setupDone: false, seeded: false, needsSecureChannel: true });

    const channel = await client.initSecureChannel();
    expect(channel.authentikey).toBeNull();
    expect(channel.authentikeyCandidates.map(hex)).toContain(results.authentikey_public_key);
    expect(hex(channel.cardEphemeralPublicKey)).toBe(setupVector.secure_channel.card_ephemeral_public_key_recovered);

    await client.setup({ pin: '123456', puk: '11223344' });
    expect(await client.getStatus()).toMatchObject({ pinTriesLeft: 5, pukTriesLeft: 3, setupDone: true, seeded: false });
    await client.verifyPin('123456');
    expect(client.isPinVerified).toBe(true);

    expect(hex(await client.exportAuthentikey())).toBe(results.authentikey_public_key);
    expect(hex(client.authentikey!)).toBe(results.authentikey_public_key);
    expect(hex(await client.importSeed(MNEMONIC, setupVector.inputs.bip39_passphrase))).toBe(results.authentikey_public_key);

    for (const chain of [results.btc, results.eth]) {
      const signed = await client.signHash({ path: chain.path }, bytes(chain.hash));
      expect(hex(signed.key!.publicKeyUncompressed)).toBe(chain.expected_pubkey);
      expect(hex(signed.key!.publicKey)).toBe(chain.expected_pubkey_compressed);
      expect(hex(signed.key!.chainCode)).toBe(chain.expected_chaincode);
      expect(signed.key!.path).toBe(chain.path);
      expect(hex(signed.cardDer)).toBe(chain.signature_der);
      expect(hex(signed.compact)).toBe(chain.r + chain.s_low);
      expect(signed.flippedHighS).toBe(chain.s_is_high);
      expect(signed.recoveryId).toBe(chain.recid_for_low_s);
      // The same node from an independent host derivation of the BIP39 seed.
      const node = HDKey.fromMasterSeed(SEED).derive(chain.path);
      expect(hex(node.publicKey!)).toBe(chain.expected_pubkey_compressed);
      expect(hex(node.chainCode!)).toBe(chain.expected_chaincode);
    }
    const btcKey = HDKey.fromMasterSeed(SEED).derive(results.btc.path).publicKey!;
    expect(p2wpkhAddress(btcKey)).toBe(results.btc.address_p2wpkh);
    const ethKey = bytes(results.eth.expected_pubkey);
    expect(ethereumAddress(ethKey)).toBe(results.eth.eth_address);

    expect(await client.getStatus()).toMatchObject({ seeded: true, setupDone: true, pinTriesLeft: 5 });
    replay.assertComplete();

    // PIN, PUK and seed never reach a log line, even though the outer APDU is ciphertext.
    const sensitive = replay.sent.filter((c) => c.sensitive).map((c) => c.name);
    expect(sensitive).toEqual(['SC SETUP', 'SC VERIFY PIN', 'SC IMPORT SEED']);
    for (const command of replay.sent.filter((c) => c.sensitive)) {
      expect(redactCommand(command, encodeCommand(command))).toMatch(/^b0820000 <redacted \d+ bytes>$/);
    }
  });
});

describe('satochip-transcript-pin-label-message.json', () => {
  it('replays wrong PIN, label, sign message, change PIN, blocking, unblock, logout byte for byte', async () => {
    const replay = new HostReplay(pinVector.transcript, pinVector.host_random);
    const client = new SatochipClient({ send: replay.send, random: replay.random });
    const results = pinVector.results;
    const authentikey = bytes(pinVector.card.authentikey_public_key);
    const hashBtc = bytes(setupVector.inputs.hash_btc);
    const btcPath = "m/84'/0'/0'/0/0";

    await client.select('satochip');
    await client.getStatus();
    // The authentikey pinned from the first session: sig2 of INIT SC is checked at once.
    expect(hex((await client.initSecureChannel({ authentikey })).authentikey!)).toBe(hex(authentikey));

    const wrong = await rejection(client.verifyPin('000000'), 'PIN_INVALID');
    expect(wrong.info).toMatchObject({ triesLeft: 4, sw: '63c4', command: 'VERIFY PIN' });
    expect(await client.getStatus()).toMatchObject({ pinTriesLeft: 4 });
    await client.verifyPin('123456');
    expect(hex(await client.getAuthentikey())).toBe(hex(authentikey));

    await client.setLabel('Test card A');
    expect(await client.getLabel()).toBe('Test card A');

    const signed = await client.signMessage({ path: btcPath }, results.message_signature.message_ascii);
    expect(hex(signed.key.publicKeyUncompressed)).toBe(results.message_signature.pubkey);
    expect(hex(signed.digest)).toBe(results.message_signature.double_sha256);
    expect(hex(signed.cardDer)).toBe(results.message_signature.signature_der);
    expect(hex(signed.compact)).toBe(results.message_signature.r + results.message_signature.s_low);
    expect(signed.recoveryId).toBe(results.message_signature.recid_for_low_s);
    expect(signed.bip137Base64).toBe(results.message_signature.bitcoin_signmessage_base64);

    await client.changePin('123456', '654321');
    expect(client.isPinVerified).toBe(false);
    // The path is still the card's current key: only SIGN HASH goes out, and it needs the PIN.
    await rejection(client.signHash({ path: btcPath }, hashBtc), 'PIN_NOT_VERIFIED');

    for (const triesLeft of [4, 3, 2, 1]) {
      expect((await rejection(client.verifyPin('000000'), 'PIN_INVALID')).info.triesLeft).toBe(triesLeft);
    }
    expect((await rejection(client.verifyPin('000000'), 'PIN_BLOCKED')).info).toMatchObject({ triesLeft: 0, sw: '63c0' });
    expect((await rejection(client.verifyPin('654321'), 'PIN_BLOCKED')).info).toMatchObject({ triesLeft: 0, sw: '9c0c' });
    expect(await client.getStatus()).toMatchObject({ pinTriesLeft: 0, setupDone: true });

    await client.unblockPin('11223344');
    await client.verifyPin('654321');
    await client.logout();
    await rejection(client.signHash({ path: btcPath }, hashBtc), 'PIN_NOT_VERIFIED');
    expect(await client.getStatus()).toMatchObject({ pinTriesLeft: 5 });
    replay.assertComplete();
    expect(results.status_at_end).toBe('000c00060503010100010101');
  });
});

describe('satochip-transcript-factory-reset.json', () => {
  it('five signals count down FF04..FF00, then another command first makes the signal abort (FFFF)', async () => {
    const replay = new HostReplay(resetVector.transcript, resetVector.host_random);
    const client = new SatochipClient({ send: replay.send, random: replay.random });
    const progress = [];
    for (let round = 0; round < 5; round++) {
      await client.select('satochip');
      progress.push(await client.factoryResetSignal());
    }
    expect(progress).toEqual([
      { kind: 'counting', signalsLeft: 4 },
      { kind: 'counting', signalsLeft: 3 },
      { kind: 'counting', signalsLeft: 2 },
      { kind: 'counting', signalsLeft: 1 },
      { kind: 'reset' },
    ]);
    expect(await client.getStatus()).toMatchObject({ setupDone: false, seeded: false, pinTriesLeft: 0 });
    await client.select('satochip');
    await client.getStatus();
    expect(await client.factoryResetSignal()).toEqual({ kind: 'aborted' });
    replay.assertComplete();
  });
});

describe('error-cases.json through the client', () => {
  const part = errorVector.satochip;
  const zeros = new Uint8Array(32);
  const step = (n: number) => part.transcript.find((s: { step: number }) => s.step === n);
  const plain = (n: number) => fromHex(step(n).plain_command);
  /** An inner command from a recorded plain command, for the ones the client refuses to build. */
  const raw = (n: number) => {
    const p = plain(n);
    return p.length > 4 ? { cla: p[0]!, ins: p[1]!, p1: p[2]!, p2: p[3]!, data: p.slice(5) } : { cla: p[0]!, ins: p[1]!, p1: p[2]!, p2: p[3]! };
  };

  it('Satochip part: setup state, PIN policy, seed state, BIP32 cache, depth, size limits, PKI lock, seed reset', async () => {
    const replay = new HostReplay(part.transcript, part.host_random);
    const client = new SatochipClient({ send: replay.send, random: replay.random });
    await client.select('satochip');
    replay.skipTo(4); // 2-3: plaintext SETUP and 82 before INIT: not something the client sends (mapped below)
    const channel = await client.initSecureChannel();
    expect(channel.authentikey).toBeNull();

    replay.skipTo(7); // 5-6: wrapping tampered on purpose (bad MAC, even counter)
    client.secureChannel!.resyncCounter(7);
    await rejection(client.sendSecure(getStatusCommand()), 'SETUP_NOT_DONE');
    replay.skipTo(9); // 8: old counter on purpose
    client.secureChannel!.resyncCounter(11);

    await rejection(client.verifyPin('123'), 'INVALID_ARGUMENT'); // refused before sending
    expect((await rejection(client.sendSecure(raw(9)), 'CARD_ERROR')).info).toMatchObject({ sw: '9c0f', meaning: 'invalid parameter' });
    expect((await rejection(client.sendSecure(raw(10)), 'CARD_ERROR')).info).toMatchObject({ sw: '9c10', meaning: 'wrong P1' });
    await rejection(client.getLabel(), 'SETUP_NOT_DONE');

    const pin1 = bytes(part.host_random[8].hex);
    const puk1 = bytes(part.host_random[9].hex);
    await client.setup({ pin: '123456', puk: '11223344', bip32CacheSlots: 3 });
    await rejection(client.setup({ pin: '123456', puk: '11223344', bip32CacheSlots: 3, legacyPin1: pin1, legacyPuk1: puk1 }), 'SETUP_ALREADY_DONE');
    await rejection(client.getLabel(), 'PIN_NOT_VERIFIED');
    await client.verifyPin('123456');
    expect(hex(await client.sendSecure(raw(16)))).toBe(step(16).plain_response);
    expect((await rejection(client.sendSecure(raw(17)), 'CARD_ERROR')).info).toMatchObject({ sw: '6d00' });
    const outer = await replay.send({ cla: 0x80, ins: 0xee, p1: 0, p2: 0 });
    expect(errorForStatusWord(outer.sw, { ins: 0xee }).info.sw).toBe('6e00');

    await rejection(client.sendSecure(signHashCommand(0xff, zeros)), 'NOT_SEEDED');
    await rejection(client.getAuthentikey(), 'NOT_SEEDED');
    const authentikey = await client.importSeed(MNEMONIC);
    expect(hex(authentikey)).toBe(hex(client.authentikey!));
    await rejection(client.importSeed(MNEMONIC), 'ALREADY_SEEDED');
    expect((await rejection(client.sendSecure(signHashCommand(0xff, zeros)), 'CARD_ERROR')).info).toMatchObject({
      sw: '0002',
      meaning: 'uncaught card exception',
    });
    expect((await rejection(client.signHash({ keySlot: 0, publicKey: authentikey }, zeros), 'CARD_ERROR')).info.sw).toBe('9c10');

    // 3 cache slots: depth 5 fails, and so does the automatic retry with the cache-reset bit (steps 25, 26).
    await rejection(client.getExtendedKey("m/84'/0'/0'/0/0"), 'CARD_MEMORY_FULL');
    const account = await client.getExtendedKey("m/84'/0'/0'", { resetCache: true });
    const expectedAccount = HDKey.fromMasterSeed(SEED).derive("m/84'/0'/0'");
    expect(hex(account.publicKey)).toBe(hex(expectedAccount.publicKey!));
    expect(hex(account.chainCode)).toBe(hex(expectedAccount.chainCode!));
    const master = await client.getExtendedKey('m');
    expect(hex(master.publicKey)).toBe(hex(HDKey.fromMasterSeed(SEED).publicKey!));
    await rejection(client.getExtendedKey(Array.from({ length: 11 }, () => 0)), 'INVALID_ARGUMENT');
    expect((await rejection(client.sendSecure(raw(29)), 'CARD_ERROR')).info.sw).toBe('9c10');

    await rejection(client.setLabel('x'.repeat(153)), 'INVALID_ARGUMENT');
    expect((await rejection(client.sendSecure(raw(30)), 'CARD_ERROR')).info.sw).toBe('9c0f');
    // 155 data bytes: refused here (the card would answer 9C1F), so step 31 never goes out.
    await rejection(client.sendSecure(raw(31)), 'INVALID_ARGUMENT');
    replay.skipTo(32);
    client.secureChannel!.resyncCounter(0x37);
    await client.setLabel('L'.repeat(64));
    await rejection(client.setLabel('L'.repeat(65)), 'INVALID_ARGUMENT');
    expect((await rejection(client.sendSecure(raw(33)), 'CARD_ERROR')).info.sw).toBe('9c0f');

    // EXPORT TRUSTED PUBKEY before any import: 9C35, which the helper reads as "none".
    expect(await exportTrustedPubkey(client)).toBeNull();
    await rejection(client.sendSecure(raw(35)), 'ALREADY_SEEDED');
    expect(hex(await client.sendSecure(raw(36)))).toBe('0000');
    expect(hex(await client.sendSecure(raw(37)))).toBe(hex(authentikey));
    expect((await rejection(client.sendSecure(raw(38)), 'CARD_ERROR')).info).toMatchObject({ sw: '9c40', meaning: 'PKI already locked' });
    expect(await client.sendSecure(raw(39))).toEqual(new Uint8Array(0));
    expect((await rejection(client.sendSecure(raw(40)), 'CARD_ERROR')).info.sw).toBe('9c0f');
    await client.resetSeed('123456');
    expect(client.isPinVerified).toBe(false);
    expect(await client.getStatus()).toMatchObject({ seeded: false, setupDone: true });
    replay.assertComplete();
  });

  it('Seedkeeper part: before setup, PIN blocking, the PUK-exhaustion factory reset (FF00), setup again', async () => {
    const sk = errorVector.seedkeeper;
    const skStep = (n: number) => sk.transcript.find((s: { step: number }) => s.step === n);
    const skRaw = (n: number) => {
      const p = fromHex(skStep(n).plain_command);
      return { cla: p[0]!, ins: p[1]!, p1: p[2]!, p2: p[3]! };
    };
    const replay = new HostReplay(sk.transcript, sk.host_random);
    const client = new SatochipClient({ send: replay.send, random: replay.random });
    expect(await client.select('seedkeeper')).toMatchObject({ protocolVersion: 0x0002, appletVersion: 0x0001, setupDone: false, nfcPolicy: 0 });
    const channel = await client.initSecureChannel();
    // The Seedkeeper appends its authentikey x: the channel is bound at once.
    expect(channel.authentikey).not.toBeNull();
    await client.verifyPin('0000'); // before setup: accepted without a check
    expect(hex(await client.sendSecure(skRaw(4)))).toBe(hex(channel.authentikey!)); // EXPORT PKI PUBKEY
    await rejection(client.sendSecure(skRaw(5)), 'SETUP_NOT_DONE');
    await rejection(client.exportAuthentikey(), 'SETUP_NOT_DONE');
    await client.setup({ pin: '1234', puk: '9999', defaultPin: 'XXXXXXXX' });
    expect(hex(await client.exportAuthentikey())).toBe(hex(channel.authentikey!));
    await rejection(client.sendSecure(skRaw(9)), 'PIN_NOT_VERIFIED');
    await rejection(client.sendSecure(skRaw(10)), 'PIN_NOT_VERIFIED');
    expect(await client.getStatus()).toMatchObject({ pinTriesLeft: 5, pukTriesLeft: 3, setupDone: true });
    for (const triesLeft of [4, 3, 2, 1]) {
      expect((await rejection(client.verifyPin('0000'), 'PIN_INVALID')).info.triesLeft).toBe(triesLeft);
    }
    await rejection(client.verifyPin('0000'), 'PIN_BLOCKED');
    await rejection(client.verifyPin('1234'), 'PIN_BLOCKED');
    expect(await client.getStatus()).toMatchObject({ pinTriesLeft: 0 });
    for (const triesLeft of [2, 1]) {
      expect((await rejection(client.unblockPin('0000'), 'PUK_INVALID')).info).toMatchObject({ triesLeft, command: 'UNBLOCK PIN' });
    }
    expect((await rejection(client.unblockPin('0000'), 'CARD_WIPED')).info.sw).toBe('ff00');
    expect(await client.getStatus()).toMatchObject({ setupDone: false, pinTriesLeft: 0 });
    await rejection(client.verifyPin('1234'), 'SETUP_NOT_DONE');
    // The recorder re-used the PIN1/PUK1 of the first SETUP (step 24 draws only its IV).
    const pin1 = bytes(sk.host_random[5].hex);
    const puk1 = bytes(sk.host_random[6].hex);
    await client.setup({ pin: '1234', puk: '9999', defaultPin: 'XXXXXXXX', legacyPin1: pin1, legacyPuk1: puk1 });
    expect(await client.getStatus()).toMatchObject({ setupDone: true, pinTriesLeft: 5 });
    await rejection(client.factoryResetSignal(), 'SECURE_CHANNEL_REQUIRED'); // Seedkeeper 0.2 has no FF
    replay.assertComplete();
  });
});

describe('xpub (no transcript derives a parent node: checked against an independent BIP32 derivation)', () => {
  const authentikeyPrivateKey = bytes(setupVector.card.authentikey_private_key);

  it('getXpub = GET EXTENDED KEY of the parent + of the path; equals @scure/bip32 from the BIP39 seed', async () => {
    const card = new ScriptedSatochip({ authentikeyPrivateKey, seed: mnemonicToSeedSync(MNEMONIC), pin: '123456' });
    const client = new SatochipClient({ send: card.send });
    await client.select('satochip');
    await client.initSecureChannel({ authentikey: card.authentikey });
    await client.verifyPin('123456');
    const root = HDKey.fromMasterSeed(SEED);

    const before = card.apdus;
    const account = await client.getXpub("m/84'/0'/0'");
    expect(card.apdus - before).toBe(2);
    expect(account.xpub).toBe(root.derive("m/84'/0'/0'").publicExtendedKey);
    expect(account.parentFingerprint).toBe(root.derive("m/84'/0'").fingerprint);

    const zpub = await client.getXpub("m/84'/0'/0'", { version: XPUB_VERSIONS.zpub });
    expect(zpub.xpub).toBe(HDKey.fromMasterSeed(SEED, { public: XPUB_VERSIONS.zpub, private: 0x04b2430c }).derive("m/84'/0'/0'").publicExtendedKey);
    // BIP84's own test vector for this mnemonic.
    expect(zpub.xpub).toBe('zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31mGDtKsAYz2oz2AGutZYs');

    const m = await client.getXpub('m');
    expect(m.xpub).toBe(root.publicExtendedKey);

    // Signing right after deriving the same path costs one APDU (the node is the card's current key).
    await client.getExtendedKey("m/44'/60'/0'/0/0");
    const beforeSign = card.apdus;
    const signed = await client.signHash({ path: "m/44'/60'/0'/0/0" }, sha256(new Uint8Array([1])));
    expect(card.apdus - beforeSign).toBe(1);
    expect(hex(signed.publicKey)).toBe(hex(root.derive("m/44'/60'/0'/0/0").publicKey!));
    await client.signHash({ path: "m/84'/0'/0'/0/0" }, sha256(new Uint8Array([2])));
    expect(card.apdus - beforeSign).toBe(3);
  });

  it('signMessage chunks as section 5.5: INIT, UPDATE per 128 bytes but the last, FINAL with the rest', async () => {
    const card = new ScriptedSatochip({ authentikeyPrivateKey, seed: SEED, pin: '123456' });
    const client = new SatochipClient({ send: card.send });
    await client.select('satochip');
    await client.initSecureChannel({ authentikey: card.authentikey });
    await client.verifyPin('123456');
    const path = "m/84'/0'/0'/0/0";
    const expectedKey = HDKey.fromMasterSeed(SEED).derive(path).publicKey!;
    for (const [length, updates] of [[0, 0], [128, 0], [129, 1], [300, 2]] as const) {
      const message = new Uint8Array(length).fill(0x61);
      card.innerCommands.length = 0;
      const signed = await client.signMessage({ path }, message);
      const sent = card.innerCommands.filter((c) => c.startsWith('b06e'));
      expect(sent.map((c) => c.slice(6, 8))).toEqual(['01', ...Array(updates).fill('02'), '03']);
      expect(sent[0]).toBe(`b06eff0104${length.toString(16).padStart(8, '0')}`);
      const finalChunk = length - updates * 128;
      expect(sent.at(-1)!.slice(10, 14)).toBe(finalChunk.toString(16).padStart(4, '0'));
      expect(hex(signed.publicKey)).toBe(hex(expectedKey));
      expect(signed.bip137Base64.length).toBe(88);
    }
  });

  it('a card whose authentikey differs from the pinned one is refused at INIT SC', async () => {
    const card = new ScriptedSatochip({ authentikeyPrivateKey, seed: SEED, pin: '123456' });
    const client = new SatochipClient({ send: card.send });
    await client.select('satochip');
    await rejection(client.initSecureChannel({ authentikey: bytes(errorVector.satochip.transcript[36].plain_response) }), 'AUTHENTIKEY_MISMATCH');
  });
});
