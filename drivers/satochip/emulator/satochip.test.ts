/**
 * Satochip emulator behaviour beyond the transcripts: PIN counters and blocking, the secure-channel
 * refusals, factory reset, BIP32 derivation against an independent implementation, signing, 2FA,
 * cache limits. Status words per section 11 of ../shared/protocols/satochip-seedkeeper.md.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { HDKey } from '@scure/bip32';
import { mnemonicToSeedSync } from '@scure/bip39';
import { describe, expect, it } from 'vitest';
import { SATOCHIP_AID } from '../identify.ts';
import { ascii, concat, fromHex, hex, u16 } from './bytes.ts';
import { hmacSha1, sha256 } from './crypto.ts';
import { seededRandom } from './random.ts';
import { SatochipEmulator } from './satochip.ts';
import { TestHost, setupData } from './test-host.ts';

const PIN = '123456';
const PUK = '11223344';
const SEED = mnemonicToSeedSync('abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about');
const verifyDer = (sig: Uint8Array, digest: Uint8Array, pub: Uint8Array) => secp256k1.verify(sig, digest, pub, { prehash: false, lowS: false, format: 'der' });
const path = (...levels: number[]) => concat(...levels.map((l) => Uint8Array.of(l >>> 24, (l >> 16) & 0xff, (l >> 8) & 0xff, l & 0xff)));
const H = 0x80000000;

function card(label = 'satochip unit', setupOptions: Parameters<typeof setupData>[2] = {}) {
  const emulator = new SatochipEmulator({ rng: seededRandom(label) });
  const host = new TestHost(emulator);
  host.select(SATOCHIP_AID);
  host.openChannel();
  expect(host.send(0xb0, 0x2a, 0, 0, setupData(PIN, PUK, setupOptions)).sw).toBe(0x9000);
  return { emulator, host };
}

function verified(label?: string, setupOptions?: Parameters<typeof setupData>[2]) {
  const c = card(label, setupOptions);
  expect(c.host.send(0xb0, 0x42, 0, 0, ascii(PIN)).sw).toBe(0x9000);
  return c;
}

const status = (host: TestHost) => hex(host.raw('b03c0000').data);

describe('PIN and PUK', () => {
  it('counts wrong PINs down to 63C0, then 9C0C; a right PIN restores the counter', () => {
    const { host } = card();
    expect(host.send(0xb0, 0x42, 0, 0, ascii('000000')).sw).toBe(0x63c4);
    expect(status(host)).toBe('000c000604030101000001' + '01');
    expect(host.send(0xb0, 0x42, 0, 0, ascii(PIN)).sw).toBe(0x9000);
    expect(status(host).slice(8, 10)).toBe('05');
    for (const left of [4, 3, 2, 1, 0]) expect(host.send(0xb0, 0x42, 0, 0, ascii('000000')).sw).toBe(0x63c0 + left);
    expect(host.send(0xb0, 0x42, 0, 0, ascii(PIN)).sw).toBe(0x9c0c);
    expect(status(host).slice(8, 12)).toBe('0003');
  });

  it('UNBLOCK only while blocked (9C03); wrong PUKs count down, the last one blocks the PUK (no self-reset)', () => {
    const { host } = card();
    expect(host.send(0xb0, 0x46, 0, 0, ascii(PUK)).sw).toBe(0x9c03);
    for (let i = 0; i < 5; i += 1) host.send(0xb0, 0x42, 0, 0, ascii('000000'));
    expect(host.send(0xb0, 0x46, 0, 0, ascii('00000000')).sw).toBe(0x63c2);
    expect(host.send(0xb0, 0x46, 0, 0, ascii(PUK)).sw).toBe(0x9000);
    expect(host.send(0xb0, 0x42, 0, 0, ascii(PIN)).sw).toBe(0x9000);
    for (let i = 0; i < 5; i += 1) host.send(0xb0, 0x42, 0, 0, ascii('000000'));
    expect([0, 1, 2].map(() => host.send(0xb0, 0x46, 0, 0, ascii('00000000')).sw)).toEqual([0x63c2, 0x63c1, 0x63c0]);
    expect(host.send(0xb0, 0x46, 0, 0, ascii(PUK)).sw).toBe(0x9c0c);
    expect(status(host).slice(8, 20)).toBe('000001010000');
  });

  it('the verified state ends with SELECT, power loss, LOGOUT ALL and CHANGE PIN', () => {
    const { host, emulator } = verified();
    expect(host.send(0xb0, 0xad, 0, 0).sw).toBe(0x9000);
    host.select(SATOCHIP_AID);
    host.openChannel();
    expect(host.send(0xb0, 0xad, 0, 0).sw).toBe(0x9c06);
    expect(host.send(0xb0, 0x42, 0, 0, ascii(PIN)).sw).toBe(0x9000);
    emulator.reset();
    expect(host.raw('b03c0000').sw).toBe(0x6986);
    host.select(SATOCHIP_AID);
    host.openChannel();
    expect(host.send(0xb0, 0xad, 0, 0).sw).toBe(0x9c06);
    host.send(0xb0, 0x42, 0, 0, ascii(PIN));
    expect(host.send(0xb0, 0x60, 0, 0).sw).toBe(0x9000);
    expect(host.send(0xb0, 0xad, 0, 0).sw).toBe(0x9c06);
    host.send(0xb0, 0x42, 0, 0, ascii(PIN));
    expect(host.send(0xb0, 0x44, 0, 0, concat(Uint8Array.of(6), ascii(PIN), Uint8Array.of(4), ascii('4321'))).sw).toBe(0x9000);
    expect(host.send(0xb0, 0xad, 0, 0).sw).toBe(0x9c06);
    expect(host.send(0xb0, 0x42, 0, 0, ascii(PIN)).sw).toBe(0x63c4);
    expect(host.send(0xb0, 0x42, 0, 0, ascii('4321')).sw).toBe(0x9000);
  });

  it('PIN policy: 4..16 bytes (9C0F); legacy PIN1 needs P1 01, other numbers 9C10', () => {
    const { host } = card();
    expect(host.send(0xb0, 0x42, 0, 0, ascii('123')).sw).toBe(0x9c0f);
    expect(host.send(0xb0, 0x42, 0, 0, ascii('12345678901234567')).sw).toBe(0x9c0f);
    expect(host.send(0xb0, 0x42, 2, 0, ascii(PIN)).sw).toBe(0x9c10);
    expect(host.send(0xb0, 0x42, 1, 0, new Uint8Array(16).fill(0x55)).sw).toBe(0x9000);
  });

  it('SETUP checks the factory PIN (3 tries), and only once', () => {
    const emulator = new SatochipEmulator({ rng: seededRandom('setup') });
    const host = new TestHost(emulator);
    host.select(SATOCHIP_AID);
    host.openChannel();
    const wrong = setupData(PIN, PUK);
    wrong.set(ascii('Muscle01'), 1);
    expect(host.send(0xb0, 0x2a, 0, 0, wrong).sw).toBe(0x63c2);
    expect(host.send(0xb0, 0x2a, 0, 0, setupData(PIN, PUK)).sw).toBe(0x9000);
    expect(host.send(0xb0, 0x2a, 0, 0, setupData(PIN, PUK)).sw).toBe(0x9c07);
  });
});

describe('secure channel refusals (section 3)', () => {
  it('plaintext commands 9C20, wrapped before INIT 9C21, wrong CLA 6E00, unknown inner INS 6D00', () => {
    const emulator = new SatochipEmulator({ rng: seededRandom('sc') });
    const host = new TestHost(emulator);
    expect(host.raw('b03c0000').sw).toBe(0x6986);
    expect(host.raw(concat(fromHex('00a4040008'), SATOCHIP_AID)).sw).toBe(0x9000);
    expect(host.raw('b0420000').sw).toBe(0x9c20);
    expect(host.raw(concat(fromHex('b082000038'), new Uint8Array(56))).sw).toBe(0x9c21);
    expect(host.raw('80ca9f7f00').sw).toBe(0x6e00);
    expect(host.raw('00a4040002ffff').sw).toBe(0x6a82);
    host.openChannel();
    expect(host.send(0xb0, 0xee, 0, 0).sw).toBe(0x9c04);
    expect(host.send(0xb0, 0x2a, 0, 0, setupData(PIN, PUK)).sw).toBe(0x9000);
    expect(host.send(0xb0, 0xee, 0, 0).sw).toBe(0x6d00);
  });

  it('a wrong MAC is refused (9C23) without advancing the counter; even and old counters 9C22', () => {
    const { host } = verified('mac');
    const counter = host.counter;
    const flip = (wire: Uint8Array) => {
      const out = wire.slice();
      out[out.length - 1]! ^= 0x01;
      return out;
    };
    expect(host.raw(host.wrap(fromHex('b03d0001'), counter, flip)).sw).toBe(0x9c23);
    const badLength = (wire: Uint8Array) => {
      const out = wire.slice();
      out[5 + 16 + 2 + 16 + 1] = 0x13;
      return out;
    };
    expect(host.raw(host.wrap(fromHex('b03d0001'), counter, badLength)).sw).toBe(0x9c23);
    expect(host.raw(host.wrap(fromHex('b03d0001'), counter + 1)).sw).toBe(0x9c22);
    expect(host.raw(host.wrap(fromHex('b03d0001'), counter)).sw).toBe(0x9000);
    expect(host.raw(host.wrap(fromHex('b03d0001'), counter)).sw).toBe(0x9c22);
    expect(host.raw(host.wrap(fromHex('b03d0001'), counter - 2)).sw).toBe(0x9c22);
    expect(host.raw(host.wrap(fromHex('b03d0001'), counter + 100)).sw).toBe(0x9000);
  });

  it('inner commands up to 154 data bytes reach the applet; 155 exceed the card HMAC (9C1F)', () => {
    const { host } = verified('size');
    // 154: unwrapped, then refused by the label handler (label > 64); 155: refused by the channel.
    expect(host.send(0xb0, 0x3d, 0, 0, concat(Uint8Array.of(153), new Uint8Array(153).fill(0x41))).sw).toBe(0x9c0f);
    expect(host.send(0xb0, 0x3d, 0, 0, concat(Uint8Array.of(154), new Uint8Array(154).fill(0x41))).sw).toBe(0x9c1f);
    expect(host.send(0xb0, 0x3d, 0, 0, concat(Uint8Array.of(64), new Uint8Array(153).fill(0x41))).sw).toBe(0x9000);
  });

  it('answers are encrypted with IV = 12 card bytes | command counter + 1; GET STATUS inside answers in clear', () => {
    const { host } = verified('iv');
    host.send(0xb0, 0x3d, 0, 0, concat(Uint8Array.of(4), ascii('Demo')));
    const counter = host.counter;
    const wire = host.raw(host.wrap(fromHex('b03d0001'), counter));
    host.counter += 2;
    expect(hex(wire.data.slice(12, 16))).toBe(hex(Uint8Array.of(0, 0, 0, counter + 1)));
    expect(hex(host.decrypt(wire.data))).toBe(hex(concat(Uint8Array.of(4), ascii('Demo'))));
    expect(hex(host.send(0xb0, 0x3c, 0, 0).data)).toBe('000c000605030101000001' + '01');
  });
});

describe('factory reset (section 13)', () => {
  it('five power-up + SELECT + FF rounds reset the card; any other command aborts with FFFF', () => {
    const { host, emulator } = verified('reset');
    const authentikey = hex(emulator.authentikeyPublic);
    host.send(0xb0, 0x6c, 64, 0, SEED);
    const round = () => {
      emulator.reset();
      host.select(SATOCHIP_AID);
      return host.raw('b0ff000000').sw;
    };
    expect([round(), round()]).toEqual([0xff04, 0xff03]);
    emulator.reset();
    host.select(SATOCHIP_AID);
    expect(host.raw('b03c0000').sw).toBe(0x9000);
    expect(host.raw('b0ff000000').sw).toBe(0xffff);
    expect([round(), round(), round(), round(), round()]).toEqual([0xff04, 0xff03, 0xff02, 0xff01, 0xff00]);
    expect(status(host)).toBe('000c00060000000000000001');
    expect(hex(emulator.authentikeyPublic)).toBe(authentikey);
    // A second FF in the same power-up also aborts.
    emulator.reset();
    host.select(SATOCHIP_AID);
    expect(host.raw('b0ff000000').sw).toBe(0xff04);
    expect(host.raw('b0ff000000').sw).toBe(0xffff);
  });
});

describe('seed, derivation and signatures (section 5)', () => {
  it('derives like BIP32, signs a hash as given, authentikey signs the derived key', () => {
    const { host, emulator } = verified('bip32');
    const imported = host.send(0xb0, 0x6c, 64, 0, SEED);
    expect(imported.sw).toBe(0x9000);
    expect(hex(imported.data.slice(2, 34))).toBe(hex(emulator.authentikeyPublic.slice(1, 33)));
    expect(host.send(0xb0, 0x6c, 64, 0, SEED).sw).toBe(0x9c17);
    const expected = HDKey.fromMasterSeed(SEED).derive("m/84'/0'/0'/0/0");
    const answer = host.send(0xb0, 0x6d, 5, 0x40, path(84 + H, H, H, 0, 0));
    expect(answer.sw).toBe(0x9000);
    const data = answer.data;
    expect(hex(data.slice(0, 32))).toBe(hex(expected.chainCode!));
    expect(hex(data.slice(34, 66))).toBe(hex(expected.publicKey!.slice(1)));
    const sig1Len = (data[66]! << 8) | data[67]!;
    const sig1 = data.slice(68, 68 + sig1Len);
    expect(verifyDer(sig1, sha256(data.slice(0, 66)), expected.publicKey!)).toBe(true);
    const sig2 = data.slice(70 + sig1Len);
    expect(verifyDer(sig2, sha256(data.slice(0, 68 + sig1Len)), emulator.authentikeyPublic)).toBe(true);
    const hash = sha256(ascii('a transaction'));
    const signature = host.send(0xb0, 0x7a, 0xff, 0, hash);
    expect(verifyDer(signature.data, hash, expected.publicKey!)).toBe(true);
    expect(host.send(0xb0, 0x7a, 0x00, 0, hash).sw).toBe(0x9c10);
  });

  it('signs a long message in chunks with the BIP-137 digest', () => {
    const { host } = verified('message');
    host.send(0xb0, 0x6c, 64, 0, SEED);
    host.send(0xb0, 0x6d, 1, 0x40, path(0));
    const pub = HDKey.fromMasterSeed(SEED).derive('m/0').publicKey!;
    const message = new Uint8Array(300).map((_, i) => i & 0xff);
    expect(host.send(0xb0, 0x6e, 0xff, 0x02, concat(u16(1), Uint8Array.of(0))).sw).toBe(0x9c13);
    expect(host.send(0xb0, 0x6e, 0xff, 0x01, Uint8Array.of(0, 0, 0x01, 0x2c)).sw).toBe(0x9000);
    expect(host.send(0xb0, 0x6e, 0xff, 0x02, concat(u16(128), message.slice(0, 128))).sw).toBe(0x9000);
    expect(host.send(0xb0, 0x6e, 0xff, 0x02, concat(u16(128), message.slice(128, 256))).sw).toBe(0x9000);
    const final = host.send(0xb0, 0x6e, 0xff, 0x03, concat(u16(44), message.slice(256)));
    const digest = sha256(sha256(concat(Uint8Array.of(0x18), ascii('Bitcoin Signed Message:\n'), fromHex('fd2c01'), message)));
    expect(verifyDer(final.data, digest, pub)).toBe(true);
  });

  it('unseeded 9C14; signing before any derivation is the uninitialised key (simulator 0002); depth > 10 9C10', () => {
    const { host } = verified('unseeded');
    expect(host.send(0xb0, 0x73, 0, 0).sw).toBe(0x9c14);
    expect(host.send(0xb0, 0x7a, 0xff, 0, new Uint8Array(32)).sw).toBe(0x9c14);
    host.send(0xb0, 0x6c, 64, 0, SEED);
    expect(host.send(0xb0, 0x7a, 0xff, 0, new Uint8Array(32)).sw).toBe(0x0002);
    expect(host.send(0xb0, 0x6d, 11, 0x40, new Uint8Array(44)).sw).toBe(0x9c10);
    expect(host.send(0xb0, 0x77, 0, 0, ascii(PIN)).sw).toBe(0x9c0f);
    expect(host.send(0xb0, 0x77, 6, 0, ascii('000000')).sw).toBe(0x63c4);
    expect(host.send(0xb0, 0x77, 6, 0, ascii(PIN)).sw).toBe(0x9000);
    expect(host.raw('b03c0000').data[9]).toBe(0);
    expect(host.send(0xb0, 0xad, 0, 0).sw).toBe(0x9c06);
  });

  it('the BIP32 cache has secmemsize slots (9C01), emptied by P2 80', () => {
    const { host } = verified('cache', { slots: 3 });
    host.send(0xb0, 0x6c, 64, 0, SEED);
    expect(host.send(0xb0, 0x6d, 2, 0x40, path(H, 1)).sw).toBe(0x9000);
    expect(hex(host.send(0xb0, 0x75, 0, 0).data)).toBe('00010002');
    expect(host.send(0xb0, 0x6d, 2, 0x40, path(H, 2)).sw).toBe(0x9000);
    expect(host.send(0xb0, 0x6d, 2, 0x40, path(H, 3)).sw).toBe(0x9c01);
    expect(host.send(0xb0, 0x6d, 2, 0xc0, path(H, 3)).sw).toBe(0x9000);
    expect(host.send(0xb0, 0x6d, 4, 0xc0, path(H, 3, 4, 5)).sw).toBe(0x9c01);
  });

  it('label: up to 64 bytes, 65 refused (9C0F), Lc 00 clears', () => {
    const { host } = verified('label');
    expect(host.send(0xb0, 0x3d, 0, 0, concat(Uint8Array.of(65), new Uint8Array(65))).sw).toBe(0x9c0f);
    expect(host.send(0xb0, 0x3d, 0, 0, concat(Uint8Array.of(5), ascii('Hello'))).sw).toBe(0x9000);
    expect(hex(host.send(0xb0, 0x3d, 0, 1).data)).toBe('0548656c6c6f');
    expect(host.sendInner(fromHex('b03d000000')).sw).toBe(0x9000);
    expect(hex(host.send(0xb0, 0x3d, 0, 1).data)).toBe('00');
  });

  it('a wrapped command without data sees its first padding byte as Lc (the applet decrypts in place)', () => {
    const { host } = verified('in place');
    // B0 3D 00 00 | 0C x 12 after decryption: Lc = 0C, label length byte 0C, label = 10 x 0C + 2 bytes of the wire APDU.
    expect(host.sendInner(fromHex('b03d0000')).sw).toBe(0x9000);
    const label = host.send(0xb0, 0x3d, 0, 1).data;
    expect(label.length).toBe(13);
    expect(hex(label.slice(0, 11))).toBe('0c'.repeat(11));
  });
});

describe('2FA (section 5.4)', () => {
  const key = new Uint8Array(20).fill(7);
  it('every signature needs the HMAC: missing 6700, wrong 9C0B; seed reset needs it too', () => {
    const { host } = verified('2fa', { twoFactor: { key, limit: new Uint8Array(8) } });
    expect(host.raw('b03c0000').data[8]).toBe(1);
    host.send(0xb0, 0x6c, 64, 0, SEED);
    host.send(0xb0, 0x6d, 0, 0x40);
    const hash = sha256(ascii('tx'));
    expect(host.send(0xb0, 0x7a, 0xff, 0, hash).sw).toBe(0x6700);
    expect(host.send(0xb0, 0x7a, 0xff, 0, concat(hash, fromHex('8000'), new Uint8Array(20))).sw).toBe(0x9c0b);
    const hmac = hmacSha1(key, concat(hash, new Uint8Array(32).fill(0xcc)));
    expect(host.send(0xb0, 0x7a, 0xff, 0, concat(hash, fromHex('8000'), hmac)).sw).toBe(0x9000);
    expect(host.send(0xb0, 0x77, 6, 0, ascii(PIN)).sw).toBe(0x6700);
  });
});
