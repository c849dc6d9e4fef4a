/**
 * Keycard emulator behaviour, driven through the minimal test host: the state table (section 3),
 * SELECT layouts (2), INIT (4), PAIR (5), the secure channel and its IV quirk (6), PINs and the
 * duress wallet (7), keys (8), EXPORT with the EIP-1581 rules (9), SIGN and the PIN-less path (10),
 * data and the small applets (11), FACTORY RESET (12), IDENT (13), power loss, seeded randomness.
 * Status words per section 16 of ../shared/protocols/keycard.md.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { HDKey } from '@scure/bip32';
import { mnemonicToSeedSync, validateMnemonic } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { describe, expect, it } from 'vitest';
import { parseTlvs } from '../tlv.ts';
import { encodePath, pathFromString } from './bip32.ts';
import { EMPTY, ascii, bytesToBigint, concat, fromHex, hex } from './bytes.ts';
import { CURVE_ORDER, sha256 } from './crypto.ts';
import { KeycardEmulator } from './emulator.ts';
import { CASH_AID, IDENT_AID, NDEF_AID } from './other-applets.ts';
import { seededRandom } from './random.ts';
import { KeycardTestHost, apdu, unwrapResponse, type Pairing } from './test-host.ts';
import { TEST_CA_PRIVATE_KEY, caPublicKey, makeIdentCertificate } from './test-ca.ts';

const PIN = '123456';
const PUK = '123456789012';
const DURESS = '999999';
const SECRET = fromHex('675deabb0d7c724b4a36caad0e280826159e89886f7082535d431e924848bcf1');
const MNEMONIC = 'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about';
const SEED = mnemonicToSeedSync(MNEMONIC);
const DIGEST = sha256(ascii('Keycard 3.1 test vector'));
const ETH_PATH = encodePath(pathFromString("m/44'/60'/0'/0/0"));
const BTC_PATH = encodePath(pathFromString("m/84'/0'/0'/0/0"));
const EIP1581_KEY = encodePath(pathFromString("m/43'/60'/1581'/0'/0"));
const HD = HDKey.fromMasterSeed(SEED);

const INS = { SIGN: 0xc0, PINLESS: 0xc1, EXPORT: 0xc2, GET_DATA: 0xca, LOAD: 0xd0, DERIVE: 0xd1, MNEMONIC: 0xd2, REMOVE: 0xd3, GENERATE: 0xd4, STORE: 0xe2, STATUS: 0xf2 };

function freshCard(label = 'flows') {
  const card = new KeycardEmulator({ random: seededRandom(label) });
  const host = new KeycardTestHost(card, seededRandom(`${label}/host`));
  return { card, host };
}

/** INIT (58-byte form unless told otherwise), SELECT, PAIR, channel. */
function initialised(label = 'flows', init: Partial<Parameters<KeycardTestHost['init']>[0]> = {}) {
  const { card, host } = freshCard(label);
  host.select();
  expect(host.init({ pin: PIN, puk: PUK, pairingSecret: SECRET, pinTries: 3, pukTries: 5, duressPin: DURESS, ...init }).sw).toBe(0x9000);
  const pairing = host.session(SECRET);
  return { card, host, pairing };
}

/** Initialised, PIN verified, test seed loaded. */
function loaded(label = 'flows') {
  const c = initialised(label);
  expect(c.host.verifyPin(PIN).sw).toBe(0x9000);
  expect(c.host.send(INS.LOAD, 0x03, 0, SEED).sw).toBe(0x9000);
  return c;
}

function ethAddress(uncompressed: Uint8Array): string {
  const lower = hex(keccak_256(uncompressed.slice(1)).slice(-20));
  const hash = hex(keccak_256(ascii(lower)));
  return '0x' + [...lower].map((ch, i) => (parseInt(hash[i]!, 16) >= 8 ? ch.toUpperCase() : ch)).join('');
}

/** Parses `A0 { 80 pub, 30 DER }` and returns the pieces plus the raw r/s encodings. */
function parseSignAnswer(data: Uint8Array) {
  const outer = parseTlvs(data)!;
  expect(outer[0]!.tag).toBe(0xa0);
  expect(data[1]).toBe(0x81);
  const inner = parseTlvs(outer[0]!.value)!;
  expect(inner.map((t) => t.tag)).toEqual([0x80, 0x30]);
  const publicKey = inner[0]!.value;
  const der = inner[1]!.value;
  expect(der[0]).toBe(0x02);
  const rLen = der[1]!;
  const r = der.slice(2, 2 + rLen);
  expect(der[2 + rLen]).toBe(0x02);
  const s = der.slice(4 + rLen, 4 + rLen + der[3 + rLen]!);
  return { publicKey, r, s, compact: concat(pad32(r), pad32(s)) };
}

function pad32(v: Uint8Array): Uint8Array {
  const n = bytesToBigint(v);
  const out = new Uint8Array(32);
  let x = n;
  for (let i = 31; i >= 0; i -= 1) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}

describe('full wallet flow (sections 2-10)', () => {
  it('SELECT, INIT, PAIR, channel, VERIFY PIN, LOAD seed, EXPORT, SIGN, GET STATUS, UNPAIR', () => {
    const { card, host } = freshCard('full');
    const pre = host.select();
    expect(pre.sw).toBe(0x9000);
    expect(hex(pre.data.slice(0, 2))).toBe('8041');
    expect(pre.data.length).toBe(67);
    expect(host.info!.initialized).toBe(false);
    const preKey = host.info!.publicKey;
    expect(host.init({ pin: PIN, puk: PUK, pairingSecret: SECRET, pinTries: 3, pukTries: 5, duressPin: DURESS }).sw).toBe(0x9000);
    expect(host.transmit('80fe000000').sw).toBe(0x6d00);

    const after = host.select();
    expect(hex(after.data.slice(0, 2))).toBe('a461');
    const info = host.info!;
    expect(info.tags).toEqual([0x8f, 0x80, 0x02, 0x02, 0x8e, 0x8d]);
    expect(info.instanceUid!.length).toBe(16);
    expect(hex(info.version!)).toBe('0301');
    expect(info.freeSlots).toBe(5);
    expect(info.keyUid!.length).toBe(0);
    expect(info.capabilities).toBe(0x1f);
    expect(info.publicKey).not.toEqual(preKey);

    const pairing = host.session(SECRET);
    expect(pairing.index).toBe(0);
    expect(hex(host.send(INS.STATUS, 0, 0).data)).toBe('a309020103020105010100');
    expect(host.verifyPin(PIN).sw).toBe(0x9000);
    const load = host.send(INS.LOAD, 0x03, 0, SEED);
    expect(load.sw).toBe(0x9000);
    expect(hex(load.data)).toBe('16f5b9c7657df5e0b45016292d852a36622fb39b63c28017ccf21633270858f1');

    const eth = host.send(INS.EXPORT, 0x01, 0x01, ETH_PATH);
    expect(eth.sw).toBe(0x9000);
    expect(hex(eth.data.slice(0, 4))).toBe('a1438041');
    expect(ethAddress(eth.data.slice(4))).toBe('0x9858EfFD232B4033E47d90003D41EC34EcaEda94');
    const btc = host.send(INS.EXPORT, 0x01, 0x01, BTC_PATH);
    expect(btc.data.slice(4)).toEqual(secp256k1.getPublicKey(HD.derive("m/84'/0'/0'/0/0").privateKey!, false));

    for (const path of [ETH_PATH, BTC_PATH]) {
      const signed = host.send(INS.SIGN, 0x01, 0x00, concat(DIGEST, path));
      expect(signed.sw).toBe(0x9000);
      const sig = parseSignAnswer(signed.data);
      expect(sig.publicKey).toEqual(path === ETH_PATH ? eth.data.slice(4) : btc.data.slice(4));
      expect(secp256k1.verify(sig.compact, DIGEST, sig.publicKey, { prehash: false, lowS: true })).toBe(true);
    }
    expect(hex(host.send(INS.STATUS, 0, 0).data)).toBe('a3090201030201050101ff');
    expect(host.send(INS.STATUS, 1, 0).data.length).toBe(0);
    expect(host.send(0x13, pairing.index, 0).sw).toBe(0x9000);

    const final = host.select();
    expect(hex(final.data.slice(0, 3))).toBe('a48181');
    expect(host.info!.longForm).toBe(true);
    expect(host.info!.freeSlots).toBe(5);
    expect(hex(host.info!.keyUid!)).toBe('16f5b9c7657df5e0b45016292d852a36622fb39b63c28017ccf21633270858f1');
    expect(card.lastInternalError).toBeNull();
  });

  it('signs low-S with r minimal and s written as exactly 32 bytes', () => {
    const { host } = loaded('low-s');
    let sawShortR = false;
    let saw33R = false;
    for (let i = 0; i < 60; i += 1) {
      const digest = sha256(Uint8Array.of(i, 1, 2));
      const sig = parseSignAnswer(host.send(INS.SIGN, 0x00, 0x00, digest).data);
      expect(sig.s.length).toBe(32);
      expect(bytesToBigint(sig.s) <= CURVE_ORDER / 2n).toBe(true);
      if (sig.r.length === 33) {
        saw33R = true;
        expect(sig.r[0]).toBe(0);
        expect(sig.r[1]! & 0x80).toBe(0x80);
      } else {
        expect(sig.r[0]! & 0x80).toBe(0);
        if (sig.r.length < 32) sawShortR = true;
      }
      expect(secp256k1.verify(sig.compact, digest, sig.publicKey, { prehash: false, lowS: true })).toBe(true);
    }
    expect(saw33R).toBe(true);
    void sawShortR;
  });
});

describe('PIN, PUK and the duress wallet (section 7)', () => {
  it('counts wrong PINs, blocks at 0 (even the right PIN), UNBLOCK PIN with the PUK', () => {
    const { host } = loaded('pins');
    expect(host.verifyPin('000000').sw).toBe(0x63c2);
    expect(hex(host.send(INS.STATUS, 0, 0).data)).toBe('a3090201020201050101ff');
    expect(host.send(0x22, 0, 0, ascii(PUK + PIN)).sw).toBe(0x6985);
    expect(host.verifyPin(PIN).sw).toBe(0x9000);
    expect(host.verifyPin('12345a').sw).toBe(0x6a80);
    expect(host.verifyPin('12345').sw).toBe(0x6a80);
    expect(hex(host.send(INS.STATUS, 0, 0).data)).toBe('a3090201030201050101ff');
    expect(host.verifyPin('111111').sw).toBe(0x63c2);
    expect(host.verifyPin('222222').sw).toBe(0x63c1);
    expect(host.verifyPin('333333').sw).toBe(0x63c0);
    expect(host.verifyPin(PIN).sw).toBe(0x63c0);
    expect(host.verifyPin(DURESS).sw).toBe(0x63c0);
    expect(host.send(INS.SIGN, 0x01, 0, concat(DIGEST, ETH_PATH)).sw).toBe(0x6985);
    expect(hex(host.send(INS.STATUS, 0, 0).data)).toBe('a3090201000201050101ff');
    expect(host.send(0x22, 0, 0, ascii(PUK)).sw).toBe(0x6a80);
    expect(host.send(0x22, 0, 0, ascii('000000000000' + PIN)).sw).toBe(0x63c4);
    expect(host.send(0x22, 0, 0, ascii(PUK + '654321')).sw).toBe(0x9000);
    expect(hex(host.send(INS.STATUS, 0, 0).data)).toBe('a3090201030201050101ff');
    // Verified by UNBLOCK.
    expect(host.send(INS.SIGN, 0x01, 0, concat(DIGEST, ETH_PATH)).sw).toBe(0x9000);
    expect(host.verifyPin(PIN).sw).toBe(0x63c2);
    expect(host.verifyPin('654321').sw).toBe(0x9000);
  });

  it('a PUK at 0 stays blocked', () => {
    const { host } = loaded('puk-blocked');
    for (const pin of ['000001', '000002', '000003']) host.verifyPin(pin);
    for (const left of [4, 3, 2, 1, 0]) expect(host.send(0x22, 0, 0, ascii('000000000000' + PIN)).sw).toBe(0x63c0 + left);
    expect(host.send(0x22, 0, 0, ascii(PUK + PIN)).sw).toBe(0x63c0);
  });

  it('the duress trap: short INIT with PIN 123456 / PUK 123456789012 serves the duress wallet', () => {
    const { card, host } = freshCard('trap');
    host.select();
    expect(host.init({ pin: PIN, puk: PUK, pairingSecret: SECRET }).sw).toBe(0x9000);
    host.session(SECRET);
    expect(host.verifyPin(PIN).sw).toBe(0x9000);
    expect(hex(host.send(INS.LOAD, 0x03, 0, SEED).data)).toBe('16f5b9c7657df5e0b45016292d852a36622fb39b63c28017ccf21633270858f1');
    const eth = host.send(INS.EXPORT, 0x01, 0x01, ETH_PATH).data.slice(4);
    expect(ethAddress(eth)).not.toBe('0x9858EfFD232B4033E47d90003D41EC34EcaEda94');
    const duress = new HDKey({ privateKey: HD.privateKey!, chainCode: sha256(HD.chainCode!) });
    expect(eth).toEqual(secp256k1.getPublicKey(duress.derive("m/44'/60'/0'/0/0").privateKey!, false));
    expect(ethAddress(eth).toLowerCase().startsWith('0xe1a2')).toBe(true);
    // Same master public key.
    expect(host.send(INS.EXPORT, 0x01, 0x01, EMPTY).data.slice(4)).toEqual(secp256k1.getPublicKey(HD.privateKey!, false));
    expect(card.lastInternalError).toBeNull();
  });

  it('CHANGE PIN in a duress session changes the duress PIN; P1 01/02 change PUK and pairing secret', () => {
    const { host, pairing } = loaded('change');
    expect(host.send(0x21, 0x00, 0, ascii('12345')).sw).toBe(0x6a80);
    expect(host.send(0x21, 0x03, 0, ascii('123456')).sw).toBe(0x6a86);
    expect(host.send(0x21, 0x01, 0, ascii('210987654321')).sw).toBe(0x9000);
    host.session(SECRET, pairing);
    expect(host.verifyPin(DURESS).sw).toBe(0x9000);
    expect(host.send(0x21, 0x00, 0, ascii('888888')).sw).toBe(0x9000);
    host.session(SECRET, pairing);
    expect(host.verifyPin(DURESS).sw).toBe(0x63c2);
    expect(host.verifyPin('888888').sw).toBe(0x9000);
    const duressKey = host.send(INS.EXPORT, 0x01, 0x01, ETH_PATH).data;
    host.session(SECRET, pairing);
    expect(host.verifyPin(PIN).sw).toBe(0x9000);
    expect(host.send(INS.EXPORT, 0x01, 0x01, ETH_PATH).data).not.toEqual(duressKey);
    // New pairing secret: existing pairings stay valid, a new PAIR needs the new secret.
    const newSecret = sha256(ascii('new'));
    expect(host.send(0x21, 0x02, 0, newSecret).sw).toBe(0x9000);
    host.select();
    expect(() => host.pair(SECRET)).toThrow(/cryptogram/);
    host.select();
    const second = host.pair(newSecret);
    expect(second.index).toBe(1);
    host.session(SECRET, pairing);
    expect(host.send(INS.STATUS, 0, 0).sw).toBe(0x9000);
    // PUK changed above.
    for (const pin of ['000001', '000002', '000003']) host.verifyPin(pin);
    expect(host.send(0x22, 0, 0, ascii(PUK + PIN)).sw).toBe(0x63c4);
    expect(host.send(0x22, 0, 0, ascii('210987654321' + PIN)).sw).toBe(0x9000);
  });
});

describe('state table and secure channel (sections 3, 6)', () => {
  it('pre-initialized: only SELECT, INIT, IDENT', () => {
    const { host } = freshCard('pre');
    host.select();
    for (const command of ['80f2000000', '80ca000000', '80fdaa55', '8012000020' + '00'.repeat(32), '8010000041' + '04'.repeat(65), '80c0030020' + '00'.repeat(32)]) {
      expect(host.transmit(command).sw).toBe(0x6d00);
    }
    expect(host.transmit('8014000020' + '11'.repeat(32)).sw).toBe(0x6985);
    expect(host.transmit('8014000010' + '11'.repeat(16)).sw).toBe(0x6a80);
  });

  it('before any SELECT every command is 6D00; unknown AIDs are 6A82; short APDUs 6700', () => {
    const { host } = freshCard('no-select');
    expect(host.transmit('80f2000000').sw).toBe(0x6d00);
    expect(host.transmit('00a4040003a00000').sw).toBe(0x6a82);
    expect(host.transmit('80f2').sw).toBe(0x6700);
    expect(host.transmit('80f2000005aabb').sw).toBe(0x6700);
  });

  it('INIT validates its payload', () => {
    const { host } = freshCard('init-errors');
    host.select();
    expect(host.init({ pin: PIN, puk: PUK, pairingSecret: SECRET, pinTries: 11, pukTries: 5 }).sw).toBe(0x6a80);
    expect(host.init({ pin: PIN, puk: PUK, pairingSecret: SECRET, pinTries: 1, pukTries: 5 }).sw).toBe(0x6a80);
    expect(host.init({ pin: PIN, puk: PUK, pairingSecret: SECRET, pinTries: 3, pukTries: 13 }).sw).toBe(0x6a80);
    expect(host.init({ pin: '12345a', puk: PUK, pairingSecret: SECRET }).sw).toBe(0x6a80);
    expect(host.init({ pin: PIN, puk: '12345678901x', pairingSecret: SECRET }).sw).toBe(0x6a80);
    expect(host.init({ pin: PIN, puk: PUK, pairingSecret: SECRET.slice(1) }).sw).toBe(0x6a80);
    expect(host.transmit(apdu(0x80, 0xfe, 0, 0, concat(Uint8Array.of(0x41, 0x04), new Uint8Array(64 + 16 + 64)))).sw).toBe(0x6a80);
    expect(host.transmit('80fe000000').sw).toBe(0x6a80);
    // The card is still pre-initialized, with the same key.
    expect(host.select().data.slice(0, 2)).toEqual(Uint8Array.of(0x80, 0x41));
    expect(host.init({ pin: PIN, puk: PUK, pairingSecret: SECRET, pinTries: 10, pukTries: 12, duressPin: DURESS }).sw).toBe(0x9000);
    host.session(SECRET);
    expect(hex(host.send(INS.STATUS, 0, 0).data)).toBe('a30902010a02010c010100');
  });

  it('initialized without a channel: 6985 for channel commands, 6D00 for unknown INS', () => {
    const { host } = initialised('no-channel');
    host.select();
    expect(host.transmit('80f2000000').sw).toBe(0x6985);
    expect(host.transmit('8020000006' + hex(ascii(PIN))).sw).toBe(0x6985);
    expect(host.transmit('8011000020' + '00'.repeat(32)).sw).toBe(0x6985);
    expect(host.transmit('80ab000000').sw).toBe(0x6d00);
    expect(host.transmit('80fe000000').sw).toBe(0x6d00);
    expect(host.transmit('80ca000000').sw).toBe(0x9000);
    expect(host.transmit('80ca030000').sw).toBe(0x6a86);
    expect(host.transmit('80c0030020' + hex(DIGEST)).sw).toBe(0x6a88);
    expect(host.transmit('80c0040020' + hex(DIGEST)).sw).toBe(0x6b00);
    expect(host.transmit('80fd0000').sw).toBe(0x6a86);
  });

  it('MUTUALLY AUTHENTICATE: bad length closes the channel (plain 6982), a second one is wrapped 6985', () => {
    const { host, pairing } = initialised('ma');
    expect(host.mutuallyAuthenticate().sw).toBe(0x6985);
    expect(host.last).not.toBeNull();
    host.openChannel(pairing);
    const bad = host.send(0x11, 0, 0, new Uint8Array(31));
    expect(bad.sw).toBe(0x6982);
    expect(host.last).toBeNull();
    expect(host.keys).toBeNull();
    expect(host.transmit('80f2000000').sw).toBe(0x6985);
    // OPEN SECURE CHANNEL without MUTUALLY AUTHENTICATE: wrapped commands are refused plain.
    host.openChannel(pairing);
    expect(host.send(INS.STATUS, 0, 0).sw).toBe(0x6985);
  });

  it('a wrong MAC or a plain APDU aborts the channel (plain 6982); afterwards plain 6985', () => {
    const { host, pairing } = initialised('mac');
    const tampered = host.send(INS.STATUS, 0, 0, EMPTY, 0x80, (wire) => {
      const copy = wire.slice();
      copy[5] = copy[5]! ^ 0x01;
      return copy;
    });
    expect(tampered.sw).toBe(0x6982);
    expect(host.transmit('80f2000020' + '00'.repeat(32)).sw).toBe(0x6985);
    host.openChannel(pairing);
    host.mutuallyAuthenticate();
    expect(host.transmit('80ca000000').sw).toBe(0x6982);
    host.openChannel(pairing);
    host.mutuallyAuthenticate();
    // PAIR while the channel is open: 6985, wrapped under the previous response MAC (not read).
    const pair = host.transmit('8012000020' + '00'.repeat(32));
    expect(pair.sw).toBe(0x9000);
    expect(unwrapResponse(host.keys!, host.iv, host.iv, pair.data)!.sw).toBe(0x6985);
  });

  it('the IV quirk: errors raised before the payload is read use the previous response MAC', () => {
    const { host } = loaded('quirk');
    const quirky: [number, number, number, Uint8Array, number][] = [
      [0xab, 0, 0, EMPTY, 0x6d00],
      [INS.SIGN, 0x04, 0, DIGEST, 0x6b00],
      [0xfd, 0x00, 0x00, EMPTY, 0x6a86],
      [0xfe, 0x00, 0x00, EMPTY, 0x6d00],
    ];
    for (const [ins, p1, p2, data, status] of quirky) {
      expect(host.send(ins, p1, p2, data).sw).toBe(status);
      expect(host.last!.usedPreviousIv).toBe(true);
      expect(host.send(INS.STATUS, 0, 0).sw).toBe(0x9000);
      expect(host.last!.usedPreviousIv).toBe(false);
    }
    // Errors after the payload: the command MAC as usual.
    for (const [ins, p1, p2, data, status] of [
      [INS.STATUS, 0x02, 0, EMPTY, 0x6a86],
      [INS.MNEMONIC, 0x03, 0, EMPTY, 0x6a86],
      [INS.EXPORT, 0x01, 0x03, ETH_PATH, 0x6a86],
      [INS.DERIVE, 0x00, 0, new Uint8Array(44), 0x6a80],
      [0x11, 0, 0, new Uint8Array(32), 0x6985],
    ] as [number, number, number, Uint8Array, number][]) {
      expect(host.send(ins, p1, p2, data).sw).toBe(status);
      expect(host.last!.usedPreviousIv).toBe(false);
    }
  });

  it('PAIR: 5 slots then 6A84; step errors; UNPAIR frees a slot', () => {
    const { host } = freshCard('slots');
    host.select();
    host.init({ pin: PIN, puk: PUK, pairingSecret: SECRET, pinTries: 3, pukTries: 5, duressPin: DURESS });
    host.select();
    expect(host.pairStep2(new Uint8Array(32)).sw).toBe(0x6a86);
    expect(host.pairStep1(new Uint8Array(31)).sw).toBe(0x6a80);
    expect(host.pairStep1(new Uint8Array(32)).sw).toBe(0x9000);
    expect(host.pairStep2(new Uint8Array(32)).sw).toBe(0x6982);
    expect(host.pairStep1(new Uint8Array(32)).sw).toBe(0x9000);
    expect(host.transmit('80ca000000').sw).toBe(0x9000);
    expect(host.pairStep2(new Uint8Array(32)).sw).toBe(0x6a86);
    expect(host.transmit('8012020020' + '00'.repeat(32)).sw).toBe(0x6a86);
    const pairings: Pairing[] = [];
    for (let i = 0; i < 5; i += 1) pairings.push(host.pair(SECRET));
    expect(pairings.map((p) => p.index)).toEqual([0, 1, 2, 3, 4]);
    expect(host.pairStep1(new Uint8Array(32)).sw).toBe(0x6a84);
    host.select();
    expect(host.info!.freeSlots).toBe(0);
    expect(host.openChannel({ index: 5, pairingKey: pairings[0]!.pairingKey }).sw).toBe(0x6a86);
    expect(host.transmit('8010000010' + '04'.repeat(16)).sw).toBe(0x6a80);
    host.session(SECRET, pairings[2]);
    expect(host.verifyPin(PIN).sw).toBe(0x9000);
    expect(host.send(0x13, 5, 0).sw).toBe(0x6a86);
    expect(host.send(0x13, 2, 0).sw).toBe(0x9000);
    // Unpairing the own slot does not end the session.
    expect(host.send(INS.STATUS, 0, 0).sw).toBe(0x9000);
    expect(host.send(0x13, 2, 0).sw).toBe(0x9000);
    host.select();
    expect(host.info!.freeSlots).toBe(1);
    expect(host.openChannel(pairings[2]!).sw).toBe(0x6a86);
    expect(host.pair(SECRET).index).toBe(2);
  });

  it('reset() (power loss) closes the channel and forgets the PIN; keys, counters, pairings, paths stay', () => {
    const { card, host, pairing } = loaded('power');
    expect(host.send(INS.DERIVE, 0x00, 0, encodePath(pathFromString("m/44'/60'/0'")))).toEqual({ sw: 0x9000, data: EMPTY });
    expect(host.verifyPin('000000').sw).toBe(0x63c2);
    expect(host.verifyPin(PIN).sw).toBe(0x9000);
    expect(host.verifyPin('000000').sw).toBe(0x63c2);
    card.reset();
    expect(host.transmit('80f2000000').sw).toBe(0x6d00);
    host.session(SECRET, pairing);
    expect(host.send(INS.SIGN, 0x00, 0, DIGEST).sw).toBe(0x6985);
    expect(hex(host.send(INS.STATUS, 0, 0).data)).toBe('a3090201020201050101ff');
    expect(hex(host.send(INS.STATUS, 1, 0).data)).toBe('8000002c8000003c80000000');
    // A new OPEN SECURE CHANNEL alone keeps the verified PIN (section 6.7); SELECT clears it.
    expect(host.verifyPin(PIN).sw).toBe(0x9000);
    host.openChannel(pairing);
    host.mutuallyAuthenticate();
    expect(host.send(INS.SIGN, 0x00, 0, DIGEST).sw).toBe(0x9000);
    host.session(SECRET, pairing);
    expect(host.send(INS.SIGN, 0x00, 0, DIGEST).sw).toBe(0x6985);
  });

  it('seeded randomness: same seed, same card; different seeds, different cards', () => {
    const uid = (label: string) => {
      const { host } = initialised(label);
      host.select();
      return hex(concat(host.info!.instanceUid!, host.info!.publicKey));
    };
    expect(uid('card A')).toBe(uid('card A'));
    expect(uid('card A')).not.toBe(uid('card B'));
  });
});

describe('keys (sections 8, 9)', () => {
  it('EXPORT KEY: private only inside EIP-1581 with >= 5 levels; no xpub inside EIP-1581', () => {
    const { host, pairing } = loaded('eip1581');
    const priv = host.send(INS.EXPORT, 0x01, 0x00, EIP1581_KEY);
    expect(priv.sw).toBe(0x9000);
    expect(hex(priv.data)).toBe('a1228120' + '20e61d44eb73cb7d5ff4526bac8c0b96451d8e018b2d6c79022e7ce3b583a754');
    expect(host.send(INS.EXPORT, 0x01, 0x00, encodePath(pathFromString("m/43'/60'/1581'/0'"))).sw).toBe(0x6985);
    expect(host.send(INS.EXPORT, 0x01, 0x00, encodePath(pathFromString("m/43'/60'/1581'/1/2/3"))).sw).toBe(0x9000);
    expect(host.send(INS.EXPORT, 0x01, 0x00, ETH_PATH).sw).toBe(0x6985);
    expect(host.send(INS.EXPORT, 0x01, 0x00, EMPTY).sw).toBe(0x6985);
    expect(host.send(INS.EXPORT, 0x01, 0x02, EIP1581_KEY).sw).toBe(0x6985);
    expect(host.send(INS.EXPORT, 0x01, 0x02, encodePath(pathFromString("m/43'/60'/1581'"))).sw).toBe(0x6985);
    expect(host.send(INS.EXPORT, 0x01, 0x01, EIP1581_KEY).sw).toBe(0x9000);
    const xpub = host.send(INS.EXPORT, 0x01, 0x02, encodePath(pathFromString("m/44'/60'/0'/0")));
    expect(hex(xpub.data.slice(0, 4))).toBe('a1658041');
    const node = HD.derive("m/44'/60'/0'/0");
    expect(xpub.data.slice(4, 69)).toEqual(secp256k1.getPublicKey(node.privateKey!, false));
    expect(hex(xpub.data.slice(69, 71))).toBe('8220');
    expect(xpub.data.slice(71)).toEqual(node.chainCode);
    // The master's chain code field is whatever the last derivation left (section 18 item 9).
    expect(host.send(INS.EXPORT, 0x01, 0x02, EMPTY).data.slice(71)).toEqual(node.chainCode);
    expect(host.send(INS.EXPORT, 0x01, 0x03, ETH_PATH).sw).toBe(0x6a86);
    expect(host.send(INS.EXPORT, 0x03, 0x01, ETH_PATH).sw).toBe(0x6a86);
    expect(host.send(INS.EXPORT, 0x01, 0x01, ETH_PATH.slice(1)).sw).toBe(0x6a80);
    // Without PIN: 6985.
    host.session(SECRET, pairing);
    expect(host.send(INS.EXPORT, 0x01, 0x01, ETH_PATH).sw).toBe(0x6985);
  });

  it('DERIVE KEY sources, relative paths, SIGN P1=02 makes the path current', () => {
    const { host } = loaded('derive');
    const path = (text: string) => encodePath(pathFromString(text));
    expect(host.send(INS.DERIVE, 0x40, 0, path('m/1')).sw).toBe(0x6b00);
    expect(host.send(INS.DERIVE, 0x00, 0, path("m/44'/60'/0'")).sw).toBe(0x9000);
    expect(host.send(INS.DERIVE, 0x80, 0, path('m/0/0')).sw).toBe(0x9000);
    expect(host.send(INS.STATUS, 1, 0).data).toEqual(ETH_PATH);
    const sig = parseSignAnswer(host.send(INS.SIGN, 0x00, 0, DIGEST).data);
    expect(ethAddress(sig.publicKey)).toBe('0x9858EfFD232B4033E47d90003D41EC34EcaEda94');
    expect(host.send(INS.DERIVE, 0x40, 0, path('m/1')).sw).toBe(0x9000);
    expect(host.send(INS.STATUS, 1, 0).data).toEqual(path("m/44'/60'/0'/0/1"));
    expect(host.send(INS.EXPORT, 0x00, 0x01).data.slice(4)).toEqual(secp256k1.getPublicKey(HD.derive("m/44'/60'/0'/0/1").privateKey!, false));
    expect(host.send(INS.EXPORT, 0x00, 0x01, path('m/7')).data.slice(4)).toEqual(secp256k1.getPublicKey(HD.derive("m/44'/60'/0'/0/1/7").privateKey!, false));
    expect(host.send(INS.DERIVE, 0x00, 0, path('m/1/2/3/4/5/6/7/8/9/10/11')).sw).toBe(0x6a80);
    expect(host.send(INS.DERIVE, 0x80, 0, path('m/1/2/3/4/5/6')).sw).toBe(0x6a80);
    expect(host.send(INS.DERIVE, 0x00, 0, path('m/1').slice(1)).sw).toBe(0x6a80);
    expect(host.send(INS.DERIVE, 0x20, 0, path('m/1')).sw).toBe(0x6a86);
    expect(host.send(INS.SIGN, 0x02, 0, concat(DIGEST, BTC_PATH)).sw).toBe(0x9000);
    expect(host.send(INS.STATUS, 1, 0).data).toEqual(BTC_PATH);
    expect(host.send(INS.SIGN, 0x01, 0, DIGEST).data.slice(5, 70)).toEqual(secp256k1.getPublicKey(HD.privateKey!, false));
    expect(host.send(INS.SIGN, 0x00, 0, DIGEST.slice(0, 31)).sw).toBe(0x6a80);
    expect(host.send(INS.SIGN, 0x41, 0, concat(DIGEST, path('m/0'))).data.slice(5, 70)).toEqual(
      secp256k1.getPublicKey(HD.derive("m/84'/0'/0'/0/0").privateKey!, false),
    );
    expect(host.send(INS.DERIVE, 0xc0, 0).sw).toBe(0x6a88);
    expect(host.send(INS.PINLESS, 0, 0, ETH_PATH).sw).toBe(0x9000);
    expect(host.send(INS.DERIVE, 0xc0, 0, path('m/1')).sw).toBe(0x6a80);
    expect(host.send(INS.DERIVE, 0xc0, 0).sw).toBe(0x9000);
    expect(host.send(INS.STATUS, 1, 0).data).toEqual(ETH_PATH);
  });

  it('LOAD KEY keypair TLV: tag 82 decides extendedness, not P1', () => {
    const { host } = loaded('keypair');
    const node = HD.derive("m/44'/60'/0'/0/0");
    const privateKey = node.privateKey!;
    const chain = sha256(ascii('chain'));
    const plain = concat(Uint8Array.of(0xa1, 0x22, 0x81, 0x20), privateKey);
    expect(host.send(INS.LOAD, 0x02, 0, plain).data).toEqual(sha256(secp256k1.getPublicKey(privateKey, false)));
    expect(host.send(INS.EXPORT, 0x01, 0x01, encodePath([0])).sw).toBe(0x6985);
    expect(host.send(INS.EXPORT, 0x00, 0x01).data.slice(4)).toEqual(secp256k1.getPublicKey(privateKey, false));
    expect(host.send(INS.SIGN, 0x00, 0, DIGEST).sw).toBe(0x9000);
    expect(host.send(INS.SIGN, 0x01, 0, concat(DIGEST, encodePath([0]))).sw).toBe(0x6985);
    const extended = concat(Uint8Array.of(0xa1, 0x44, 0x81, 0x20), privateKey, Uint8Array.of(0x82, 0x20), chain);
    expect(host.send(INS.LOAD, 0x01, 0, extended).sw).toBe(0x9000);
    const expected = new HDKey({ privateKey, chainCode: chain }).deriveChild(7);
    expect(host.send(INS.EXPORT, 0x01, 0x01, encodePath([7])).data.slice(4)).toEqual(secp256k1.getPublicKey(expected.privateKey!, false));
    const withPublic = concat(Uint8Array.of(0xa1, 0x81, 0x87, 0x80, 0x41), secp256k1.getPublicKey(HD.privateKey!, false), Uint8Array.of(0x81, 0x20), HD.privateKey!, Uint8Array.of(0x82, 0x20), HD.chainCode!);
    expect(hex(host.send(INS.LOAD, 0x02, 0, withPublic).data)).toBe('16f5b9c7657df5e0b45016292d852a36622fb39b63c28017ccf21633270858f1');
    expect(host.send(INS.LOAD, 0x02, 0, concat(Uint8Array.of(0xa1, 0x24, 0x81, 0x20), privateKey, Uint8Array.of(0x82, 0x00))).sw).toBe(0x6a80);
    expect(host.send(INS.LOAD, 0x02, 0, Uint8Array.of(0xa1, 0x02, 0x81, 0x00)).sw).toBe(0x6a80);
    expect(host.send(INS.LOAD, 0x03, 0, SEED.slice(1)).sw).toBe(0x6a80);
    expect(host.send(INS.LOAD, 0x04, 0, SEED).sw).toBe(0x6a86);
  });

  it('GENERATE MNEMONIC (no PIN), GENERATE KEY, REMOVE KEY', () => {
    const { host, pairing } = initialised('mnemonic');
    for (const p1 of [4, 5, 6, 7, 8]) {
      const answer = host.send(INS.MNEMONIC, p1, 0);
      expect(answer.sw).toBe(0x9000);
      const words = Array.from({ length: answer.data.length / 2 }, (_, i) => (answer.data[2 * i]! << 8) | answer.data[2 * i + 1]!);
      expect(words.length).toBe(p1 * 3);
      expect(validateMnemonic(words.map((w) => wordlist[w]!).join(' '), wordlist)).toBe(true);
    }
    expect(host.send(INS.MNEMONIC, 3, 0).sw).toBe(0x6a86);
    expect(host.send(INS.MNEMONIC, 9, 0).sw).toBe(0x6a86);
    expect(host.send(INS.GENERATE, 0, 0).sw).toBe(0x6985);
    expect(host.verifyPin(PIN).sw).toBe(0x9000);
    const generated = host.send(INS.GENERATE, 0, 0);
    expect(generated.data.length).toBe(32);
    expect(hex(host.send(INS.STATUS, 0, 0).data)).toBe('a3090201030201050101ff');
    expect(host.send(INS.PINLESS, 0, 0, ETH_PATH).sw).toBe(0x9000);
    expect(host.send(INS.EXPORT, 0x01, 0x00, EIP1581_KEY).sw).toBe(0x9000);
    expect(host.send(INS.REMOVE, 0, 0).sw).toBe(0x9000);
    expect(hex(host.send(INS.STATUS, 0, 0).data)).toBe('a309020103020105010100');
    expect(host.send(INS.SIGN, 0x00, 0, DIGEST).sw).toBe(0x6985);
    expect(host.send(INS.EXPORT, 0x01, 0x01, EMPTY).sw).toBe(0x6985);
    host.session(SECRET, pairing);
    expect(host.info!.keyUid!.length).toBe(0);
  });
});

describe('PIN-less path, data, other applets (sections 10-12)', () => {
  it('SET PINLESS PATH; SIGN P1=03 plain without channel or PIN; the same path needs no PIN in the channel', () => {
    const { host, pairing } = loaded('pinless');
    expect(host.send(INS.PINLESS, 0, 0, ETH_PATH.slice(2)).sw).toBe(0x6a80);
    expect(host.send(INS.PINLESS, 0, 0, ETH_PATH).sw).toBe(0x9000);
    host.select();
    const signed = host.transmit(apdu(0x80, INS.SIGN, 0x03, 0, DIGEST));
    expect(signed.sw).toBe(0x9000);
    const sig = parseSignAnswer(signed.data);
    expect(ethAddress(sig.publicKey)).toBe('0x9858EfFD232B4033E47d90003D41EC34EcaEda94');
    expect(secp256k1.verify(sig.compact, DIGEST, sig.publicKey, { prehash: false })).toBe(true);
    expect(host.transmit(apdu(0x80, INS.SIGN, 0x03, 0, concat(DIGEST, encodePath([0])))).sw).toBe(0x6a80);
    host.session(SECRET, pairing);
    expect(host.send(INS.SIGN, 0x03, 0, DIGEST).sw).toBe(0x9000);
    expect(host.send(INS.SIGN, 0x01, 0, concat(DIGEST, ETH_PATH)).sw).toBe(0x9000);
    expect(host.send(INS.SIGN, 0x01, 0, concat(DIGEST, BTC_PATH)).sw).toBe(0x6985);
    expect(host.send(INS.PINLESS, 0, 0, EMPTY).sw).toBe(0x6985);
    expect(host.verifyPin(PIN).sw).toBe(0x9000);
    expect(host.send(INS.PINLESS, 0, 0, EMPTY).sw).toBe(0x9000);
    expect(host.send(INS.SIGN, 0x03, 0, DIGEST).sw).toBe(0x6a88);
  });

  it('STORE DATA / GET DATA; NDEF and Cash applets read what Keycard stored', () => {
    const { card, host } = loaded('data');
    const ndef = fromHex('0011d1010d55046b6579636172642e74656368');
    expect(host.send(INS.STORE, 0x00, 0, ascii('hello keycard')).sw).toBe(0x9000);
    expect(host.send(INS.STORE, 0x00, 0, new Uint8Array(128)).sw).toBe(0x6a80);
    // 223 bytes is both the NDEF limit and the most a wrapped command can carry (6.6).
    expect(host.send(INS.STORE, 0x01, 0, new Uint8Array(223)).sw).toBe(0x9000);
    expect(host.send(INS.STORE, 0x02, 0, new Uint8Array(128)).sw).toBe(0x6a80);
    expect(host.send(INS.STORE, 0x01, 0, ndef).sw).toBe(0x9000);
    expect(host.send(INS.STORE, 0x02, 0, ascii('cash data')).sw).toBe(0x9000);
    expect(host.send(INS.STORE, 0x03, 0, ascii('x')).sw).toBe(0x6a86);
    expect(host.send(INS.GET_DATA, 0x00, 0).data).toEqual(ascii('hello keycard'));
    expect(host.send(INS.GET_DATA, 0x01, 0).data).toEqual(ndef);
    host.select();
    expect(host.transmit('80ca020000').data).toEqual(ascii('cash data'));
    expect(host.select(NDEF_AID)).toEqual({ sw: 0x9000, data: EMPTY });
    expect(host.transmit('00a4000c02e103').sw).toBe(0x9000);
    expect(hex(host.transmit('00b000000f').data)).toBe('000f2000ff00010406e104040000ff');
    expect(host.transmit('00a4000c02e104').sw).toBe(0x9000);
    expect(host.transmit('00b0000000').data).toEqual(ndef);
    expect(host.transmit('00b0000205').data).toEqual(ndef.slice(2, 7));
    expect(host.transmit('00a4000c02e105').sw).toBe(0x6a82);
    const cash = host.select(CASH_AID);
    const fields = parseTlvs(parseTlvs(cash.data)![0]!.value)!;
    expect(fields.map((f) => f.tag)).toEqual([0x80, 0x02, 0x82]);
    expect(hex(fields[1]!.value)).toBe('0301');
    expect(fields[2]!.value).toEqual(ascii('cash data'));
    const cashSig = parseSignAnswer(host.transmit(apdu(0x80, 0xc0, 0, 0, DIGEST)).data);
    expect(cashSig.publicKey).toEqual(fields[0]!.value);
    expect(secp256k1.verify(cashSig.compact, DIGEST, cashSig.publicKey, { prehash: false, lowS: true })).toBe(true);
    expect(host.transmit('8014000020' + '00'.repeat(32)).sw).toBe(0x6985);
    expect(card.lastInternalError).toBeNull();
  });

  it('IDENT: Ident provisioning once, IDENT on Keycard (plain and wrapped) and Cash, 6D00 on Ident; FACTORY RESET keeps it', () => {
    const { card, host } = freshCard('ident');
    expect(host.select(IDENT_AID)).toEqual({ sw: 0x9000, data: EMPTY });
    const material = makeIdentCertificate(TEST_CA_PRIVATE_KEY, sha256(ascii('ident key')));
    expect(host.transmit(apdu(0x80, 0xe2, 0, 0, concat(material.certificate, material.privateKey).slice(1))).sw).toBe(0x6a80);
    expect(host.transmit(apdu(0x80, 0xe2, 0, 0, concat(material.certificate, material.privateKey))).sw).toBe(0x9000);
    expect(host.transmit(apdu(0x80, 0xe2, 0, 0, concat(material.certificate, material.privateKey))).sw).toBe(0x6985);
    expect(host.select(IDENT_AID).data).toEqual(material.certificate);
    const challenge = sha256(ascii('challenge'));
    expect(host.transmit(apdu(0x80, 0x14, 0, 0, challenge)).sw).toBe(0x6d00);
    const check = (data: Uint8Array) => {
      const outer = parseTlvs(data)!;
      expect(outer[0]!.tag).toBe(0xa0);
      const inner = parseTlvs(outer[0]!.value)!;
      expect(inner.map((t) => t.tag)).toEqual([0x8a, 0x30]);
      const cert = inner[0]!.value;
      expect(cert).toEqual(material.certificate);
      const der = concat(Uint8Array.of(0x30, inner[1]!.value.length), inner[1]!.value);
      expect(secp256k1.verify(der, challenge, cert.slice(0, 33), { prehash: false, lowS: false, format: 'der' })).toBe(true);
      const ca = secp256k1.recoverPublicKey(Uint8Array.from([cert[97]!, ...cert.slice(33, 97)]), sha256(cert.slice(0, 33)), { prehash: false });
      expect(ca).toEqual(caPublicKey(TEST_CA_PRIVATE_KEY));
    };
    host.select();
    check(host.transmit(apdu(0x80, 0x14, 0, 0, challenge)).data);
    host.select(CASH_AID);
    check(host.transmit(apdu(0x80, 0x14, 0, 0, challenge)).data);
    host.select();
    host.init({ pin: PIN, puk: PUK, pairingSecret: SECRET, pinTries: 3, pukTries: 5, duressPin: DURESS });
    host.select();
    check(host.transmit(apdu(0x80, 0x14, 0, 0, challenge)).data);
    const pairing = host.session(SECRET);
    const wrapped = host.send(0x14, 0, 0, challenge);
    expect(wrapped.sw).toBe(0x9000);
    check(wrapped.data);
    expect(host.send(0x14, 0, 0, challenge.slice(1)).sw).toBe(0x6a80);
    expect(host.verifyPin(PIN).sw).toBe(0x9000);
    expect(host.send(INS.STORE, 0x01, 0, fromHex('0003d00000')).sw).toBe(0x9000);
    // FACTORY RESET in plain while the channel is open: plain 9000.
    const before = host.info!.publicKey;
    expect(host.transmit('80fdaa55')).toEqual({ sw: 0x9000, data: EMPTY });
    host.keys = null;
    expect(host.transmit('80f2000000').sw).toBe(0x6d00);
    host.select();
    expect(host.info!.initialized).toBe(false);
    expect(host.info!.publicKey).not.toEqual(before);
    check(host.transmit(apdu(0x80, 0x14, 0, 0, challenge)).data);
    expect(host.transmit('80fdaa55').sw).toBe(0x6d00);
    expect(host.select(IDENT_AID).data).toEqual(material.certificate);
    host.select(NDEF_AID);
    host.transmit('00a4000c02e104');
    expect(hex(host.transmit('00b0000000').data)).toBe('0003d00000');
    // Pairings are gone after a new INIT.
    host.select();
    host.init({ pin: PIN, puk: PUK, pairingSecret: SECRET });
    host.select();
    expect(host.info!.freeSlots).toBe(5);
    expect(host.openChannel(pairing).sw).toBe(0x6a86);
    expect(card.lastInternalError).toBeNull();
  });

  it('IDENT signatures are not low-S normalised (SIGN ones always are)', () => {
    const card = new KeycardEmulator({ random: seededRandom('ident high-s'), ident: makeIdentCertificate(TEST_CA_PRIVATE_KEY, sha256(ascii('k'))) });
    const host = new KeycardTestHost(card);
    host.select();
    let high = 0;
    for (let i = 0; i < 40; i += 1) {
      const inner = parseTlvs(parseTlvs(host.transmit(apdu(0x80, 0x14, 0, 0, sha256(Uint8Array.of(i)))).data)![0]!.value)!;
      const der = inner[1]!.value;
      const s = der.slice(4 + der[1]!);
      if (bytesToBigint(s) > CURVE_ORDER / 2n) {
        high += 1;
        expect(s.length).toBe(33);
      }
    }
    expect(high).toBeGreaterThan(0);
  });
});
