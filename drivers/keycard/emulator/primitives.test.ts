/**
 * Card-side crypto against the known answers of ../shared/vectors/keycard/primitives.json: pairing
 * secret and cryptograms, session keys and the wrapped exchanges with a fixed IV (byte for byte from
 * the card side), INIT decryption of the three recorded forms, key UID, duress chain code, BIP32
 * keys of the test seed, path encoding, the DER quirk and the mnemonic bit layout.
 */
import { readFileSync } from 'node:fs';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { HDKey } from '@scure/bip32';
import { mnemonicToSeedSync } from '@scure/bip39';
import { describe, expect, it } from 'vitest';
import { encodePath, masterFromSeed, pathFromString } from './bip32.ts';
import { EMPTY, fromHex, hex } from './bytes.ts';
import { deriveSessionKeys, ecdhX, keycardDer, pairingHash, publicKeyOf, sha256 } from './crypto.ts';
import { KeycardEmulator } from './emulator.ts';
import { mnemonicIndexes } from './keycard-applet.ts';
import { CardSecureChannel } from './secure-channel.ts';
import { KeycardTestHost, apdu, initData, initPlaintext, pairingSecretFromPassword, parseSelect, scriptedRandom } from './test-host.ts';
import { TEST_CA_PRIVATE_KEY, caPublicKey, makeIdentCertificate } from './test-ca.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const P: any = JSON.parse(readFileSync(new URL('../../../../shared/vectors/keycard/primitives.json', import.meta.url), 'utf8'));
const b = (h: string) => fromHex(h);

describe('pairing (section 5)', () => {
  it('derives the pairing secret from a password (PBKDF2, 50 000 rounds)', () => {
    for (const c of P.pairing_secret_from_password.cases) expect(hex(pairingSecretFromPassword(c.password))).toBe(c.pairing_secret);
  });

  it('answers both PAIR steps byte for byte with the recorded card challenge and salt', () => {
    const v = P.pairing;
    const script = scriptedRandom();
    const card = new KeycardEmulator({ random: script.random });
    card.keycard.personalise({ pin: '123456', puk: '123456789012', pairingSecret: b(v.pairing_secret), duressPin: '999999' });
    const host = new KeycardTestHost(card);
    host.select();
    script.push(b(v.card_challenge));
    expect(hex(card.process(b(v.pair_step1_command)))).toBe(v.pair_step1_response);
    script.push(b(v.salt));
    expect(hex(card.process(b(v.pair_step2_command)))).toBe(v.pair_step2_response);
    expect(hex(pairingHash(b(v.pairing_secret), b(v.client_challenge)))).toBe(v.card_cryptogram);
    expect(hex(pairingHash(b(v.pairing_secret), b(v.card_challenge)))).toBe(v.client_cryptogram);
    expect(hex(pairingHash(b(v.pairing_secret), b(v.salt)))).toBe(v.pairing_key);
  });
});

describe('secure channel (section 6)', () => {
  const k = P.secure_channel_keys;

  it('derives ECDH X and the session keys from ECDH + pairing key + salt', () => {
    expect(hex(publicKeyOf(b(k.card_sc_private_key)))).toBe(k.card_sc_public_key);
    expect(hex(ecdhX(b(k.card_sc_private_key), b(k.host_ephemeral_public_key)))).toBe(k.ecdh_check_card_side);
    const keys = deriveSessionKeys(b(k.ecdh_shared_x), b(k.pairing_key), b(k.salt));
    expect(hex(keys.encKey)).toBe(k.enc_key);
    expect(hex(keys.macKey)).toBe(k.mac_key);
  });

  it('unwraps the recorded commands and produces the recorded wrapped responses (fixed IV)', () => {
    const script = scriptedRandom();
    const channel = new CardSecureChannel();
    script.push(b(k.salt), b(k.first_iv));
    const opened = channel.open(b(k.card_sc_private_key), b(k.host_ephemeral_public_key), b(k.pairing_key), script.random);
    expect(hex(opened) + '9000').toBe(k.open_secure_channel_response);
    const seq = P.wrapped_apdus.sequence;
    const exchange = (command: (typeof seq)[number], response: (typeof seq)[number], requireOpen: boolean) => {
      const wire = b(command.apdu);
      const plain = channel.unwrap(wire[0]!, wire[1]!, wire[2]!, wire[3]!, wire[4]!, wire.slice(5), requireOpen);
      expect(hex(plain)).toBe(command.plaintext_data);
      const dataAndSw = b(response.plaintext_data_and_sw);
      const sw = (dataAndSw[dataAndSw.length - 2]! << 8) | dataAndSw[dataAndSw.length - 1]!;
      expect(hex(channel.wrap(dataAndSw.slice(0, -2), sw))).toBe(response.response_apdu);
    };
    exchange(seq[0], seq[1], false);
    channel.authenticate();
    expect(channel.isOpen).toBe(true);
    exchange(seq[2], seq[3], true);
    exchange(seq[4], seq[5], true);
  });

  it('runs OPEN SECURE CHANNEL, MUTUALLY AUTHENTICATE and VERIFY PIN on the emulated card byte for byte', () => {
    const script = scriptedRandom();
    const card = new KeycardEmulator({ random: script.random });
    script.push(b(k.card_sc_private_key));
    card.keycard.personalise({ pin: '000000', puk: '000000000000', pairingSecret: b(P.pairing.pairing_secret), duressPin: '999999' });
    const host = new KeycardTestHost(card);
    host.select();
    expect(hex(host.info!.publicKey)).toBe(k.card_sc_public_key);
    script.push(b(P.pairing.card_challenge));
    card.process(b(P.pairing.pair_step1_command));
    script.push(b(P.pairing.salt));
    card.process(b(P.pairing.pair_step2_command));
    script.push(b(k.salt), b(k.first_iv));
    expect(hex(card.process(b(k.open_secure_channel_command)))).toBe(k.open_secure_channel_response);
    const seq = P.wrapped_apdus.sequence;
    script.push(b(seq[1].plaintext_data_and_sw).slice(0, 32));
    expect(hex(card.process(b(seq[0].apdu)))).toBe(seq[1].response_apdu);
    expect(hex(card.process(b(seq[2].apdu)))).toBe(seq[3].response_apdu);
    expect(script.pending).toBe(0);
  });
});

describe('INIT (section 4)', () => {
  const v = P.init;
  const forms = [
    ['short_form', 50],
    ['with_retries', 52],
    ['with_retries_and_duress', 58],
  ] as const;

  for (const [form, length] of forms) {
    it(`decrypts the ${length}-byte form with the pre-init key`, () => {
      const script = scriptedRandom();
      script.push(b(v.card_pre_init_sc_private_key));
      const card = new KeycardEmulator({ random: script.random });
      const host = new KeycardTestHost(card);
      host.select();
      expect(hex(host.info!.publicKey)).toBe(v.card_pre_init_sc_public_key);
      expect(hex(ecdhX(b(v.card_pre_init_sc_private_key), b(v.host_ephemeral_public_key)))).toBe(v.aes_key);
      expect(host.transmit(v[form].apdu).sw).toBe(0x9000);
      host.select();
      expect(host.info!.initialized).toBe(true);
      expect(host.info!.publicKey).not.toEqual(b(v.card_pre_init_sc_public_key));
      const pairing = host.session(b(P.pairing.pairing_secret));
      expect(pairing.index).toBe(0);
      expect(hex(host.send(0xf2, 0, 0).data)).toBe('a30902010302010501010' + '0');
      const seed = b(P.keys.bip39_seed);
      expect(host.verifyPin('123456').sw).toBe(0x9000);
      expect(host.send(0xd0, 0x03, 0, seed).sw).toBe(0x9000);
      const exported = host.send(0xc2, 0x01, 0x01, encodePath(pathFromString("m/44'/60'/0'/0/0"))).data;
      // Short and 52-byte forms: duress PIN = first half of the PUK = the PIN -> duress wallet.
      const derived = P.keys.derived[0];
      expect(hex(exported.slice(4))).toBe(length === 58 ? derived.public_key : derived.duress_public_key);
      if (length === 58) {
        host.session(b(P.pairing.pairing_secret), pairing);
        expect(host.verifyPin('999999').sw).toBe(0x9000);
        expect(hex(host.send(0xc2, 0x01, 0x01, encodePath(pathFromString("m/44'/60'/0'/0/0"))).data.slice(4))).toBe(derived.duress_public_key);
      }
    });
  }
});

describe('keys of the test seed (sections 7, 8)', () => {
  const k = P.keys;

  it('BIP32 master, key UID and duress chain code', () => {
    expect(hex(mnemonicToSeedSync(k.bip39_mnemonic, k.bip39_passphrase))).toBe(k.bip39_seed);
    const master = masterFromSeed(b(k.bip39_seed))!;
    expect(hex(master.privateKey)).toBe(k.master_private_key);
    expect(hex(master.chainCode!)).toBe(k.master_chain_code);
    expect(hex(publicKeyOf(master.privateKey))).toBe(k.master_public_key);
    expect(hex(sha256(publicKeyOf(master.privateKey)))).toBe(k.key_uid);
    expect(hex(sha256(master.chainCode!))).toBe(k.duress_chain_code);
  });

  it('exports the recorded public keys (normal and duress) and the EIP-1581 private key', () => {
    const card = new KeycardEmulator({ random: scriptedRandom().random });
    card.keycard.personalise({ pin: '123456', puk: '111111111111', pairingSecret: b(P.pairing.pairing_secret), duressPin: '999999' });
    const host = new KeycardTestHost(card);
    const pairing = host.session(b(P.pairing.pairing_secret));
    host.verifyPin('123456');
    expect(hex(host.send(0xd0, 0x03, 0, b(k.bip39_seed)).data)).toBe(k.key_uid);
    const hd = HDKey.fromMasterSeed(b(k.bip39_seed));
    for (const d of k.derived) {
      expect(hex(encodePath(pathFromString(d.path)))).toBe(d.path_bytes);
      expect(hex(host.send(0xc2, 0x01, 0x01, b(d.path_bytes)).data)).toBe('a1438041' + d.public_key);
      expect(hex(secp256k1.getPublicKey(hd.derive(d.path).privateKey!, false))).toBe(d.public_key);
    }
    expect(hex(host.send(0xc2, 0x01, 0x00, encodePath(pathFromString("m/43'/60'/1581'/0'/0"))).data)).toBe('a1228120' + k.eip1581_private_key);
    host.session(b(P.pairing.pairing_secret), pairing);
    host.verifyPin('999999');
    for (const d of k.derived) expect(hex(host.send(0xc2, 0x01, 0x01, b(d.path_bytes)).data)).toBe('a1438041' + d.duress_public_key);
    // Same master public key in the duress wallet.
    expect(hex(host.send(0xc2, 0x01, 0x01, EMPTY).data)).toBe('a1438041' + k.master_public_key);
  });

  it('encodes paths as 4-byte big-endian elements', () => {
    for (const p of P.path_encoding) expect(hex(encodePath(pathFromString(p.path)))).toBe(p.bytes);
  });
});

describe('signatures (sections 10, 13)', () => {
  it('writes s as exactly 32 bytes after low-S (the real card DER quirk)', () => {
    const e = P.sign_der_encoding.example_real_card;
    expect(hex(keycardDer(BigInt('0x' + e.r), BigInt('0x' + e.s)))).toBe(e.der_signature);
    const r = P.signature_recovery;
    expect(hex(keycardDer(BigInt('0x' + r.r), BigInt('0x' + r.s)))).toBe(r.der_signature);
  });

  it('makes the recorded test-CA certificate; the card answers IDENT that verifies to the test CA', () => {
    const v = P.ident;
    expect(hex(TEST_CA_PRIVATE_KEY)).toBe(v.test_ca_private_key);
    expect(hex(caPublicKey(TEST_CA_PRIVATE_KEY))).toBe('0386cb87db7b7f34ff5abcf4cec7ea212e2e5c224aebe1c06b815f567c94598d13');
    expect(hex(caPublicKey(TEST_CA_PRIVATE_KEY))).toBe(v.test_ca_public_key);
    const made = makeIdentCertificate(TEST_CA_PRIVATE_KEY, b(v.ident_private_key));
    // RFC 6979, low-S: the same certificate as the vectors'.
    expect(hex(made.certificate)).toBe(v.cert);
    expect(hex(made.certificate.slice(0, 33))).toBe(v.ident_public_key_compressed);
    expect(hex(sha256(made.certificate.slice(0, 33)))).toBe(v.cert_signed_digest);
    const recover = (cert: Uint8Array) =>
      hex(secp256k1.recoverPublicKey(Uint8Array.from([cert[97]!, ...cert.slice(33, 97)]), sha256(cert.slice(0, 33)), { prehash: false }));
    expect(recover(made.certificate)).toBe(v.test_ca_public_key);
    expect(recover(b(v.cert))).toBe(v.test_ca_public_key);
    expect(recover(b(v.negative_case.cert))).toBe(v.negative_case.recovered_ca_public_key);

    const card = new KeycardEmulator();
    const host = new KeycardTestHost(card);
    host.select(fromHex('a00000080400010401'));
    expect(host.transmit(v.factory_store_data_apdu).sw).toBe(0x9000);
    expect(hex(host.select(fromHex('a00000080400010401')).data)).toBe(v.cert);
    host.select();
    const answer = host.transmit(v.ident_command);
    expect(answer.sw).toBe(0x9000);
    // A0 81 len { 8A 62 cert, 30 signature }
    expect(hex(answer.data.slice(0, 2))).toBe('a081');
    expect(answer.data[2]).toBe(answer.data.length - 3);
    expect(hex(answer.data.slice(3, 5 + 98))).toBe('8a62' + v.cert);
    const der = answer.data.slice(5 + 98);
    expect(secp256k1.verify(der, b(v.challenge), b(v.ident_public_key_compressed), { prehash: false, lowS: false, format: 'der' })).toBe(true);
  });
});

describe('GENERATE MNEMONIC (section 8)', () => {
  it('cuts entropy || checksum into 11-bit word indexes', () => {
    const g = P.generate_mnemonic;
    const indexes = mnemonicIndexes(b(g.entropy));
    expect(hex(indexes) + '9000').toBe(g.response_plain);
    const words = Array.from({ length: indexes.length / 2 }, (_, i) => (indexes[2 * i]! << 8) | indexes[2 * i + 1]!);
    expect(words).toEqual(g.word_indexes);
    for (const size of g.sizes) expect(mnemonicIndexes(new Uint8Array(size.entropy_bytes)).length + 2).toBe(size.plaintext_bytes_including_sw);
  });

  it('answers the card-drawn entropy through the channel', () => {
    const g = P.generate_mnemonic;
    const script = scriptedRandom();
    const card = new KeycardEmulator({ random: script.random });
    card.keycard.personalise({ pin: '123456', puk: '111111111111', pairingSecret: b(P.pairing.pairing_secret) });
    const host = new KeycardTestHost(card);
    host.session(b(P.pairing.pairing_secret));
    script.push(b(g.entropy));
    const answer = host.send(0xd2, 0x04, 0x00);
    expect(hex(answer.data) + answer.sw.toString(16)).toBe(g.response_plain);
  });
});

describe('test host INIT encryption', () => {
  it('builds the recorded INIT APDUs of the three forms', () => {
    const v = P.init;
    for (const form of ['short_form', 'with_retries', 'with_retries_and_duress'] as const) {
      const data = initData(b(v.card_pre_init_sc_public_key), b(v.host_ephemeral_private_key), b(v.iv), b(v[form].plaintext));
      expect(hex(apdu(0x80, 0xfe, 0, 0, data))).toBe(v[form].apdu);
    }
    expect(hex(initPlaintext({ pin: '123456', puk: '123456789012', pairingSecret: b(P.pairing.pairing_secret), pinTries: 3, pukTries: 5, duressPin: '999999' }))).toBe(
      v.with_retries_and_duress.plaintext,
    );
    expect(parseSelect(fromHex('8041' + v.card_pre_init_sc_public_key)).initialized).toBe(false);
  });
});
