/**
 * Known answers of ../shared/vectors/keycard/primitives.json for every host-side primitive this
 * driver implements: pairing secret (PBKDF2), PAIR cryptograms and pairing key, ECDH + SHA-512 session
 * keys, ISO 9797-1 M2 padding, wrapped commands and responses with a fixed IV (MACs, IV chain),
 * the three INIT payload forms, key UID, path encoding, recovery id, the DER quirk, mnemonic bits.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { decodeResponse, encodeCommand } from '../pcsc/apdu.ts';
import { ascii } from './bytes.ts';
import { getStatusCommand, mutuallyAuthenticateCommand, pairCommand, verifyPinCommand, openSecureChannelCommand, initCommand } from './commands.ts';
import { encryptInitPayload, initPlaintext } from './init-payload.ts';
import { keyPairTemplate, keyUidForSeed, keyUidOf } from './key-load.ts';
import { entropyFromMnemonicIndexes, mnemonicIndexesFromEntropy, parseMnemonicAnswer } from './mnemonic.ts';
import { decodePath, encodePath, keycardPath } from './paths.ts';
import {
  DEFAULT_PAIRING_PASSWORD,
  SecureChannelSession,
  commandMac,
  deriveSessionKeys,
  ecdhSharedX,
  padIso9797M2,
  pairingCryptogram,
  pairingKeyFrom,
  pairingSecretFromPassword,
  responseMac,
  unpadIso9797M2,
} from './secure-channel.ts';
import { checkCardSignature, recoveryIdFor } from './signing.ts';
import { bytes, hex, loadKeycardVector } from './test-support/replay.ts';

const P = loadKeycardVector('primitives.json');

describe('pairing (section 5)', () => {
  it('pairing secret from password: every case, and the default password constant', () => {
    expect(P.pairing_secret_from_password.cases.length).toBeGreaterThanOrEqual(4);
    for (const c of P.pairing_secret_from_password.cases) expect(hex(pairingSecretFromPassword(c.password))).toBe(c.pairing_secret);
    expect(DEFAULT_PAIRING_PASSWORD).toBe('KeycardDefaultPairing');
  });

  it('PAIR cryptograms, commands and pairing key', () => {
    const v = P.pairing;
    const secret = bytes(v.pairing_secret);
    expect(hex(pairingCryptogram(secret, bytes(v.client_challenge)))).toBe(v.card_cryptogram);
    expect(hex(pairingCryptogram(secret, bytes(v.card_challenge)))).toBe(v.client_cryptogram);
    expect(hex(encodeCommand(pairCommand(0, bytes(v.client_challenge))))).toBe(v.pair_step1_command);
    expect(hex(encodeCommand(pairCommand(1, bytes(v.client_cryptogram))))).toBe(v.pair_step2_command);
    expect(v.pair_step2_response).toBe('00' + v.salt + '9000');
    expect(hex(pairingKeyFrom(secret, bytes(v.salt)))).toBe(v.pairing_key);
  });
});

describe('secure channel (section 6)', () => {
  const k = P.secure_channel_keys;
  it('ECDH X (both sides), SHA-512 session keys, OPEN SECURE CHANNEL command', () => {
    const x = ecdhSharedX(bytes(k.host_ephemeral_private_key), bytes(k.card_sc_public_key));
    expect(hex(x)).toBe(k.ecdh_shared_x);
    expect(hex(ecdhSharedX(bytes(k.card_sc_private_key), bytes(k.host_ephemeral_public_key)))).toBe(k.ecdh_check_card_side);
    expect(hex(secp256k1.getPublicKey(bytes(k.host_ephemeral_private_key), false))).toBe(k.host_ephemeral_public_key);
    const keys = deriveSessionKeys(x, bytes(k.pairing_key), bytes(k.salt));
    expect(hex(keys.encKey)).toBe(k.enc_key);
    expect(hex(keys.macKey)).toBe(k.mac_key);
    expect(hex(encodeCommand(openSecureChannelCommand(0, bytes(k.host_ephemeral_public_key))))).toBe(k.open_secure_channel_command);
    expect(k.open_secure_channel_response).toBe(k.salt + k.first_iv + '9000');
  });

  it('ISO 9797-1 M2 padding examples, and unpadding refuses what is not padding', () => {
    for (const e of P.padding_examples) {
      expect(hex(padIso9797M2(bytes(e.data)))).toBe(e.padded);
      expect(hex(unpadIso9797M2(bytes(e.padded))!)).toBe(e.data);
    }
    expect(unpadIso9797M2(new Uint8Array(16))).toBeNull();
    expect(unpadIso9797M2(bytes('0102030405060708090a0b0c0d0e0f10'))).toBeNull();
    expect(unpadIso9797M2(bytes('80' + '00'.repeat(16)))).toBeNull(); // more than a block of zeros
  });

  it('wrapped commands and responses with the fixed IV: APDUs, MAC inputs, inner SW, IV chain', () => {
    const keys = { encKey: bytes(k.enc_key), macKey: bytes(k.mac_key) };
    const session = new SecureChannelSession(keys, bytes(k.first_iv));
    const [ma, maAnswer, verify, verifyAnswer, status, statusAnswer] = P.wrapped_apdus.sequence;
    const commands = [mutuallyAuthenticateCommand(bytes(ma.plaintext_data)), verifyPinCommand(ascii('123456')), getStatusCommand(0)];
    const pairs = [
      [ma, maAnswer],
      [verify, verifyAnswer],
      [status, statusAnswer],
    ];
    pairs.forEach(([command, answer], i) => {
      expect(hex(session.currentIv)).toBe(command.iv);
      const wrapped = session.wrap(commands[i]!);
      expect(hex(encodeCommand(wrapped))).toBe(command.apdu);
      expect(hex(commandMac(keys.macKey, wrapped, bytes(command.ciphertext)))).toBe(command.mac);
      expect(command.mac_input.slice(32)).toBe(command.ciphertext);
      expect(hex(session.currentIv)).toBe(command.iv_after);
      expect(hex(responseMac(keys.macKey, bytes(answer.ciphertext)))).toBe(answer.mac);
      const result = session.unwrap(decodeResponse(bytes(answer.response_apdu)));
      expect(hex(result.data) + result.sw.toString(16).padStart(4, '0')).toBe(answer.plaintext_data_and_sw);
      expect(result.sw.toString(16)).toBe(answer.inner_sw);
      expect(result.previousIv).toBe(false);
      expect(hex(session.currentIv)).toBe(answer.iv_after);
    });
  });

  it('a flipped response MAC bit fails the session for good', () => {
    const keys = { encKey: bytes(k.enc_key), macKey: bytes(k.mac_key) };
    const session = new SecureChannelSession(keys, bytes(k.first_iv));
    const [ma, maAnswer] = P.wrapped_apdus.sequence;
    session.wrap(mutuallyAuthenticateCommand(bytes(ma.plaintext_data)));
    const response = bytes(maAnswer.response_apdu);
    response[3]! ^= 0x01;
    expect(() => session.unwrap(decodeResponse(response))).toThrow(/SECURE_CHANNEL_FAILED/);
    expect(session.failed).toBe(true);
    expect(() => session.wrap(getStatusCommand(0))).toThrow(/SECURE_CHANNEL_FAILED/);
  });
});

describe('INIT payload (section 4)', () => {
  const v = P.init;
  const base = { pin: '123456', puk: '123456789012', pairingSecret: bytes(P.pairing_secret_from_password.cases[0].pairing_secret) };
  const forms = [
    ['short_form', base, 50],
    ['with_retries', { ...base, pinTries: 3, pukTries: 5 }, 52],
    ['with_retries_and_duress', { ...base, pinTries: 3, pukTries: 5, duressPin: '999999' }, 58],
  ] as const;
  for (const [name, fields, length] of forms) {
    it(`${name}: ${length}-byte plaintext, ciphertext and APDU`, () => {
      const plaintext = initPlaintext(fields);
      expect(plaintext.length).toBe(length);
      expect(hex(plaintext)).toBe(v[name].plaintext);
      expect(hex(ecdhSharedX(bytes(v.host_ephemeral_private_key), bytes(v.card_pre_init_sc_public_key)))).toBe(v.aes_key);
      const payload = encryptInitPayload({
        plaintext,
        cardPublicKey: bytes(v.card_pre_init_sc_public_key),
        hostPrivateKey: bytes(v.host_ephemeral_private_key),
        hostPublicKey: bytes(v.host_ephemeral_public_key),
        iv: bytes(v.iv),
      });
      expect(hex(payload.slice(82))).toBe(v[name].ciphertext);
      expect(hex(encodeCommand(initCommand(payload)))).toBe(v[name].apdu);
    });
  }
});

describe('keys, paths, signatures, mnemonic (sections 8-10)', () => {
  it('key UID from the seed and from the master public key; LOAD KEY template', () => {
    const keys = P.keys;
    expect(hex(keyUidForSeed(bytes(keys.bip39_seed)))).toBe(keys.key_uid);
    expect(hex(keyUidOf(bytes(keys.master_public_key)))).toBe(keys.key_uid);
    expect(hex(sha256(bytes(keys.master_chain_code)))).toBe(keys.duress_chain_code);
    const template = keyPairTemplate({ privateKey: bytes(keys.master_private_key), chainCode: bytes(keys.master_chain_code), publicKey: bytes(keys.master_public_key) });
    expect(hex(template.keyUid)).toBe(keys.key_uid);
    expect(hex(template.data.slice(0, 3))).toBe('a18187');
    expect(template.extended).toBe(true);
    for (const d of keys.derived) expect(hex(encodePath(keycardPath(d.path)))).toBe(d.path_bytes);
  });

  it('path encoding, both ways; depth 11 refused', () => {
    for (const e of P.path_encoding) {
      const indexes = keycardPath(e.path);
      expect(hex(encodePath(indexes))).toBe(e.bytes);
      expect(decodePath(bytes(e.bytes))).toEqual(indexes);
    }
    expect(() => keycardPath('m/1/2/3/4/5/6/7/8/9/10/11')).toThrow(/INVALID_ARGUMENT/);
    expect(() => keycardPath("m/44'/x")).toThrow(/INVALID_ARGUMENT/);
    expect(decodePath(bytes('000000'))).toBeNull();
  });

  it('recovery id of the recorded SIGN, and the Ethereum v', () => {
    const v = P.signature_recovery;
    const signature = checkCardSignature(bytes(v.der_signature), bytes(v.hash), bytes(v.public_key));
    expect(hex(signature.compact)).toBe(v.r + v.s);
    expect(signature.recoveryId).toBe(v.recovery_id);
    expect(27 + signature.recoveryId).toBe(v.eth_v_legacy);
    expect(hex(signature.compact) + (27 + signature.recoveryId).toString(16)).toBe(v.compact_65_r_s_v);
    expect(recoveryIdFor(signature.compact, bytes(v.hash), bytes(v.public_key))).toBe(v.recovery_id);
  });

  it('DER quirk: a real card signature with a non-minimal s verifies', () => {
    const e = P.sign_der_encoding.example_real_card;
    const signature = checkCardSignature(bytes(e.der_signature), bytes(e.hash), bytes(e.public_key));
    expect(hex(signature.compact)).toBe(e.r + e.s);
    expect(hex(signature.der)).toBe(e.der_signature);
  });

  it('GENERATE MNEMONIC bit layout: indexes from the entropy, the answer parsed and checksum-checked', () => {
    const m = P.generate_mnemonic;
    expect(mnemonicIndexesFromEntropy(bytes(m.entropy))).toEqual(m.word_indexes);
    expect(hex(entropyFromMnemonicIndexes(m.word_indexes)!)).toBe(m.entropy);
    const plain = bytes(m.response_plain);
    expect(parseMnemonicAnswer(plain.slice(0, -2), 12)).toEqual(m.word_indexes);
    const bad = [...m.word_indexes];
    bad[11] ^= 1;
    expect(entropyFromMnemonicIndexes(bad)).toBeNull();
    for (const size of m.sizes) expect(mnemonicIndexesFromEntropy(new Uint8Array(size.entropy_bytes)).length).toBe(size.words);
  });
});
