/**
 * primitives.json, reproduced exactly: secure-channel KDF, wrapped commands (IV, padding, MAC),
 * encrypted answers, INIT SC of the setup transcript, x -> point recovery, path bytes, the BIP-137
 * digest, the PKI challenge signature, and (card-side crypto the host never runs, kept here so the
 * vector file is checked end to end) the export KDF, blobs and fingerprints of sections 8-9.
 */
import { cbc } from '@noble/ciphers/aes.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha1 } from '@noble/hashes/legacy.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { encodeCommand } from '../pcsc/apdu.ts';
import { encodeBip32Path, parseBip32Path } from './bip32-path.ts';
import { bitcoinMessageDigest, pointFromX, recoverSigners, verifySha256Signature } from './card-signatures.ts';
import { exportAuthentikeyCommand, verifyPinCommand } from './commands.ts';
import { isSatochipError } from './errors.ts';
import {
  SecureChannel,
  decryptResponse,
  deriveSecureChannelKeys,
  encryptCommand,
  openSecureChannel,
  parseInitSecureChannelAnswer,
} from './secure-channel.ts';
import { HostReplay, bytes, hex, loadVector } from './test-support/host-replay.ts';

const primitives = loadVector('primitives.json');
const setupTranscript = loadVector('satochip-transcript-setup-seed-sign.json');
const pkiTranscript = loadVector('satochip-transcript-pki.json');

/** A random source that serves fixed values in order. */
function fixedRandom(...values: string[]): (n: number) => Uint8Array {
  const queue = values.map(bytes);
  return (n) => {
    const next = queue.shift();
    if (!next || next.length !== n) throw new Error(`unexpected draw of ${n} bytes`);
    return next;
  };
}

describe('secure channel KDF (section 3.1)', () => {
  for (const kdf of primitives.secure_channel_kdf) {
    it(kdf.name, () => {
      const keys = deriveSecureChannelKeys(bytes(kdf.shared_x));
      expect(hex(keys.encKey)).toBe(kdf.sc_enc_key);
      expect(hex(keys.macKey)).toBe(kdf.sc_mac_key);
    });
  }

  it('the transcript ECDH: host key x card ephemeral key gives the recorded shared_x', () => {
    const kdf = primitives.secure_channel_kdf[1];
    expect(hex(secp256k1.getPublicKey(bytes(kdf.host_ephemeral_private_key), false))).toBe(kdf.host_ephemeral_public_key);
    const shared = secp256k1.getSharedSecret(bytes(kdf.host_ephemeral_private_key), bytes(kdf.card_ephemeral_public_key), true);
    expect(hex(shared.slice(1))).toBe(kdf.shared_x);
  });
});

describe('wrapped commands (section 3.2, worked example 3.4)', () => {
  const fixedKeys = deriveSecureChannelKeys(bytes(primitives.secure_channel_kdf[0].shared_x));
  const transcriptKeys = deriveSecureChannelKeys(bytes(primitives.secure_channel_kdf[1].shared_x));

  for (const c of primitives.wrapped_commands.cases) {
    it(`${c.name}: padding, ciphertext, MAC input, MAC and APDU`, () => {
      const keys = c.validated_against_applet ? transcriptKeys : fixedKeys;
      const data = encryptCommand(keys, bytes(c.iv), bytes(c.plain_command));
      const ciphertext = cbc(keys.encKey, bytes(c.iv)).encrypt(bytes(c.plain_command));
      expect(hex(ciphertext)).toBe(c.ciphertext);
      expect(hex(cbc(keys.encKey, bytes(c.iv), { disablePadding: true }).decrypt(ciphertext))).toBe(c.padded_plaintext);
      expect(hex(data.slice(0, 16 + 2 + ciphertext.length))).toBe(c.mac_input);
      expect(hex(hmac(sha1, keys.macKey, bytes(c.mac_input)))).toBe(c.mac);
      expect(hex(encodeCommand({ cla: 0xb0, ins: 0x82, p1: 0, p2: 0, data }))).toBe(c.command_apdu);
    });
  }

  it('SecureChannel.wrap: IV = 12 random bytes | counter 1, 3, ...; outer APDU as recorded; flags follow the inner command', () => {
    const [first, second] = primitives.wrapped_commands.cases;
    const channel = new SecureChannel(fixedKeys, fixedRandom('a0a1a2a3a4a5a6a7a8a9aaab', 'a0a1a2a3a4a5a6a7a8a9aaab'));
    const verify = channel.wrap(verifyPinCommand(new TextEncoder().encode('123456')));
    expect(hex(encodeCommand(verify.inner))).toBe(first.plain_command);
    expect(verify.counter).toBe(1);
    expect(hex(encodeCommand(verify.apdu))).toBe(first.command_apdu);
    expect(verify.apdu.sensitive).toBe(true);
    const authentikey = channel.wrap(exportAuthentikeyCommand());
    expect(authentikey.counter).toBe(3);
    expect(hex(encodeCommand(authentikey.apdu))).toBe(second.command_apdu);
    expect(authentikey.apdu.sensitive).toBeFalsy();
    expect(channel.nextCounter).toBe(5);
  });

  it('refuses an inner APDU over 159 bytes (inner Lc 155) before sending (the card answers 9C1F)', () => {
    const channel = new SecureChannel(fixedKeys, fixedRandom('a0a1a2a3a4a5a6a7a8a9aaab'));
    const ok = channel.wrap({ cla: 0xb0, ins: 0x3d, p1: 0, p2: 0, data: new Uint8Array(154) });
    expect(ok.apdu.data!.length).toBe(16 + 2 + 160 + 2 + 20);
    expect(() => channel.wrap({ cla: 0xb0, ins: 0x3d, p1: 0, p2: 0, data: new Uint8Array(155) })).toThrowError(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});

describe('encrypted answers (section 3.3)', () => {
  const fixedKeys = deriveSecureChannelKeys(bytes(primitives.secure_channel_kdf[0].shared_x));
  const transcriptKeys = deriveSecureChannelKeys(bytes(primitives.secure_channel_kdf[1].shared_x));

  for (const c of primitives.encrypted_responses.cases) {
    it(c.name, () => {
      const keys = c.validated_against_applet ? transcriptKeys : fixedKeys;
      const response = bytes(c.response_apdu);
      const data = response.slice(0, -2);
      const { iv, plaintext } = decryptResponse(keys, data);
      expect(hex(iv)).toBe(c.iv);
      expect(hex(plaintext)).toBe(c.plain_response);
      expect(hex(data.slice(18))).toBe(c.ciphertext);
    });
  }

  it('unwrap checks the answer IV counter is the command counter + 1', () => {
    const c = primitives.encrypted_responses.cases[0];
    const response = { data: bytes(c.response_apdu).slice(0, -2), sw: 0x9000 };
    const channel = new SecureChannel(fixedKeys, fixedRandom('a0a1a2a3a4a5a6a7a8a9aaab', 'a0a1a2a3a4a5a6a7a8a9aaab'));
    const first = channel.wrap({ cla: 0xb0, ins: 0x3d, p1: 0, p2: 1 });
    expect(hex(channel.unwrap(first, response))).toBe(c.plain_response);
    const second = channel.wrap({ cla: 0xb0, ins: 0x3d, p1: 0, p2: 1 });
    expect(() => channel.unwrap(second, response)).toThrowError(expect.objectContaining({ code: 'SECURE_CHANNEL_FAILED' }));
  });

  it('a bare 9000 is an empty answer; an error status word maps per section 11', () => {
    const channel = new SecureChannel(fixedKeys, fixedRandom('a0a1a2a3a4a5a6a7a8a9aaab', 'a0a1a2a3a4a5a6a7a8a9aaab'));
    const verify = channel.wrap(verifyPinCommand(new TextEncoder().encode('123456')));
    expect(channel.unwrap(verify, { data: new Uint8Array(0), sw: 0x9000 })).toEqual(new Uint8Array(0));
    try {
      channel.unwrap(channel.wrap(verifyPinCommand(new TextEncoder().encode('000000'))), { data: new Uint8Array(0), sw: 0x63c4 });
      expect.unreachable();
    } catch (error) {
      expect(isSatochipError(error, 'PIN_INVALID') && error.info.triesLeft).toBe(4);
    }
  });
});

describe('INIT SC of satochip-transcript-setup-seed-sign.json (section 3.1)', () => {
  const init = setupTranscript.transcript.find((s: { name?: string }) => s.name === 'INIT SECURE CHANNEL');
  const sc = setupTranscript.secure_channel;

  it('parses the answer and verifies sig1 with the recovered card ephemeral point', () => {
    const answer = parseInitSecureChannelAnswer(bytes(init.response).slice(0, -2));
    expect(hex(answer.cardEphemeralX)).toBe(sc.card_ephemeral_x);
    expect(answer.authentikeyX).toBeNull();
    expect(hex(pointFromX(answer.cardEphemeralX, answer.ephemeralSignedMessage, answer.ephemeralSignature)!)).toBe(
      sc.card_ephemeral_public_key_recovered,
    );
    expect(verifySha256Signature(bytes(setupTranscript.card.authentikey_public_key), answer.authentikeySignedMessage, answer.authentikeySignature)).toBe(true);
    expect(recoverSigners(answer.authentikeySignedMessage, answer.authentikeySignature).map(hex)).toContain(setupTranscript.card.authentikey_public_key);
  });

  it('openSecureChannel sends the recorded INIT and then wraps VERIFY PIN as recorded (primitives case 3)', async () => {
    const replay = new HostReplay([init], setupTranscript.host_random.slice(0, 1));
    const opened = await openSecureChannel(replay.send, replay.random, null);
    replay.assertComplete();
    expect(hex(opened.cardEphemeralPublicKey)).toBe(sc.card_ephemeral_public_key_recovered);
    expect(opened.authentikey).toBeNull();
    expect(opened.authentikeyCandidates.map(hex)).toContain(setupTranscript.card.authentikey_public_key);
    const verifyCase = primitives.wrapped_commands.cases[2];
    const channel = new SecureChannel(
      deriveSecureChannelKeys(bytes(sc.shared_x)),
      fixedRandom(verifyCase.iv.slice(0, 24)),
    );
    channel.resyncCounter(3);
    expect(hex(encodeCommand(channel.wrap(verifyPinCommand(new TextEncoder().encode('123456'))).apdu))).toBe(verifyCase.command_apdu);
  });

  it('refuses a pinned authentikey that did not sign the channel', async () => {
    const replay = new HostReplay([init], setupTranscript.host_random.slice(0, 1));
    const other = secp256k1.getPublicKey(new Uint8Array(32).fill(7), false);
    await expect(openSecureChannel(replay.send, replay.random, other)).rejects.toMatchObject({ code: 'AUTHENTIKEY_MISMATCH' });
  });
});

describe('other primitives', () => {
  it('pubkey_from_x: the parity whose point verifies the signature', () => {
    const v = primitives.pubkey_from_x;
    const data = bytes(v.response_data);
    expect(hex(data.slice(0, 34))).toBe(v.signed_message);
    const der = data.slice(36);
    expect(verifySha256Signature(bytes(v.candidate_even_y), bytes(v.signed_message), der)).toBe(v.verifies_with_even);
    expect(verifySha256Signature(bytes(v.candidate_odd_y), bytes(v.signed_message), der)).toBe(v.verifies_with_odd);
    expect(hex(pointFromX(bytes(v.x), bytes(v.signed_message), der)!)).toBe(v.result);
  });

  for (const p of primitives.bip32_path_bytes) {
    it(`path bytes ${p.path}`, () => {
      const indexes = parseBip32Path(p.path);
      expect(indexes.length).toBe(p.p1_depth);
      expect(hex(encodeBip32Path(indexes))).toBe(p.data);
    });
  }

  it('sign_message_digest: BIP-137 preimage and double SHA-256', () => {
    const v = primitives.sign_message_digest;
    const message = new TextEncoder().encode(v.message_ascii);
    expect(hex(bitcoinMessageDigest(message))).toBe(v['ecdsa_digest (double SHA-256)']);
    expect(hex(sha256(bytes(v.preimage)))).toBe(v.card_hashes_once);
  });

  it('pki_challenge: "Challenge:" | card | host, signed by the authentikey', () => {
    const v = primitives.pki_challenge;
    const message = new Uint8Array([...new TextEncoder().encode('Challenge:'), ...bytes(v.card_challenge), ...bytes(v.host_challenge)]);
    expect(hex(message)).toBe(v.signed_message);
    expect(verifySha256Signature(bytes(pkiTranscript.card.authentikey_public_key), message, bytes(v.signature_der))).toBe(true);
  });
});

describe('card-to-card export crypto (sections 8-9; card-side, the host never holds these keys)', () => {
  const exportKeys = (sharedX: Uint8Array) => ({
    enc: hmac(sha1, sharedX, new TextEncoder().encode('seckey')).slice(0, 16),
    mac: hmac(sha1, sharedX, new TextEncoder().encode('secmac')),
  });
  const ecdhX = (priv: string, pub: string) => secp256k1.getSharedSecret(bytes(priv), bytes(pub), true).slice(1);
  const fingerprint = (blob: Uint8Array) => hex(sha256(blob).slice(0, 4));

  it('export_kdf (fixed input)', () => {
    for (const v of primitives.export_kdf) {
      const keys = exportKeys(bytes(v.shared_x));
      expect([hex(keys.enc), hex(keys.mac)]).toEqual([v.export_enc_key, v.export_mac_key]);
    }
  });

  it('export_blob_fixed and export_blob_from_transcript: ECDH, keys, AES-CBC, MAC over SHA-256(header[0..12] | ct)', () => {
    const fixed = primitives.export_blob_fixed;
    for (const v of [fixed, primitives.export_blob_from_transcript]) {
      const sharedX = ecdhX(v.master_authentikey_private_key, v.backup_authentikey_public_key);
      expect(hex(sharedX)).toBe(v.shared_x);
      const keys = exportKeys(sharedX);
      expect([hex(keys.enc), hex(keys.mac)]).toEqual([v.export_enc_key, v.export_mac_key]);
      const ciphertext = cbc(keys.enc, bytes(v.iv)).encrypt(bytes(v.secret_plain));
      expect(hex(ciphertext)).toBe(v.ciphertext);
      const header = bytes(v.header_13_plus_label ?? v.header_from_card);
      const macInput = sha256(new Uint8Array([...header.slice(0, 12), ...ciphertext]));
      expect(hex(macInput)).toBe(v.mac_input_sha256_of_header12_and_ciphertext ?? v.mac_input_sha256);
      expect(hex(hmac(sha1, keys.mac, macInput))).toBe(v.hmac);
    }
    expect(fingerprint(bytes(fixed.secret_plain))).toBe(fixed.secret_fingerprint);
    expect(hex(secp256k1.getPublicKey(bytes(fixed.backup_authentikey_private_key), false))).toBe(fixed.backup_authentikey_public_key);
  });

  it('export_to_satochip (fixed and from the transcript)', () => {
    const fixed = primitives.export_to_satochip_fixed;
    const recorded = primitives.export_to_satochip_from_transcript;
    for (const v of [
      { ...fixed, plain: fixed.plaintext, header: fixed.header_13, ct: fixed.ciphertext, mac: fixed.hmac, ivHex: fixed.iv },
      { ...recorded, plain: recorded.a8_plaintext, header: recorded.a8_header, ct: recorded.a8_ciphertext, mac: recorded.a8_hmac, ivHex: recorded.a8_iv },
    ]) {
      const sharedX = ecdhX(v.seedkeeper_authentikey_private_key, v.satochip_authentikey_public_key);
      expect(hex(sharedX)).toBe(v.shared_x);
      const keys = exportKeys(sharedX);
      expect([hex(keys.enc), hex(keys.mac)]).toEqual([v.export_enc_key, v.export_mac_key]);
      const ciphertext = cbc(keys.enc, bytes(v.ivHex)).encrypt(bytes(v.plain));
      expect(hex(ciphertext)).toBe(v.ct);
      expect(hex(hmac(sha1, keys.mac, sha256(new Uint8Array([...bytes(v.header).slice(0, 12), ...ciphertext]))))).toBe(v.mac);
      expect(v.ac_command_data).toBe(`${v.header.slice(0, 24)}${v.ivHex}${ciphertext.length.toString(16).padStart(4, '0')}${v.ct}14${v.mac}`);
    }
    expect(fingerprint(bytes(fixed.plaintext))).toBe(fixed.fingerprint);
  });

  it('fingerprints', () => {
    for (const c of primitives.fingerprints.cases) expect(fingerprint(bytes(c.secret))).toBe(c.fingerprint);
  });
});
