/**
 * Seedkeeper emulator behaviour beyond the transcripts: export rights, the sequencing lock, the
 * encrypted card-to-card backup between two emulators, Seedkeeper -> Satochip, PIN/PUK blocking and
 * the factory reset it triggers, memory limits, logs (sections 7 - 10, 13 of the protocol reference).
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { HDKey } from '@scure/bip32';
import { describe, expect, it } from 'vitest';
import { SATOCHIP_AID, SEEDKEEPER_AID } from '../identify.ts';
import { ascii, concat, fromHex, hex, u16 } from './bytes.ts';
import { sha256, sha512 } from './crypto.ts';
import { seededRandom } from './random.ts';
import { SatochipEmulator } from './satochip.ts';
import { SeedkeeperEmulator } from './seedkeeper.ts';
import { TestHost, setupData, type Answer } from './test-host.ts';

const PIN = '123456';
const verifyDer = (sig: Uint8Array, digest: Uint8Array, pub: Uint8Array) => secp256k1.verify(sig, digest, pub, { prehash: false, lowS: false, format: 'der' });

function seedkeeper(label: string, memorySize?: number) {
  const emulator = new SeedkeeperEmulator({ rng: seededRandom(label), ...(memorySize ? { memorySize } : {}) });
  const host = new TestHost(emulator);
  expect(hex(host.select(SEEDKEEPER_AID).data)).toBe('00020001000000000001000100');
  host.openChannel();
  expect(host.send(0xb0, 0x2a, 0, 0, setupData(PIN, '11223344')).sw).toBe(0x9000);
  expect(host.send(0xb0, 0x42, 0, 0, ascii(PIN)).sw).toBe(0x9000);
  return { emulator, host };
}

/** Header for IMPORT (section 7.1): type, origin (ignored), rights, counters, fp, subtype, RFU, label. */
function header(type: number, rights: number, label: string, subtype = 0): Uint8Array {
  return concat(Uint8Array.of(type, 0x01, rights, 0, 0, 0, 0, 0, 0, 0, subtype, 0, label.length), ascii(label));
}

/** Plain import in 128-byte chunks (section 7.2): answers `sid | fp`. */
function importPlain(host: TestHost, type: number, rights: number, label: string, blob: Uint8Array): Answer {
  const padded = blob.length + (16 - (blob.length % 16));
  const init = host.send(0xb0, 0xa1, 0x01, 0x01, concat(header(type, rights, label), u16(padded)));
  if (init.sw !== 0x9000) return init;
  let offset = 0;
  while (blob.length - offset > 128) {
    const chunk = host.send(0xb0, 0xa1, 0x01, 0x02, concat(u16(128), blob.slice(offset, offset + 128)));
    if (chunk.sw !== 0x9000) return chunk;
    offset += 128;
  }
  return host.send(0xb0, 0xa1, 0x01, 0x03, concat(u16(blob.length - offset), blob.slice(offset)));
}

/** Plain export: answers the header and the blob, checking the authentikey signature. */
function exportPlain(host: TestHost, sid: number, authentikey: Uint8Array): { sw: number; header?: Uint8Array; blob?: Uint8Array } {
  const init = host.send(0xb0, 0xa2, 0x01, 0x01, u16(sid));
  if (init.sw !== 0x9000) return { sw: init.sw };
  const parts: Uint8Array[] = [];
  for (;;) {
    const next = host.send(0xb0, 0xa2, 0x01, 0x02, u16(sid));
    if (next.sw !== 0x9000) return { sw: next.sw };
    const len = (next.data[0]! << 8) | next.data[1]!;
    parts.push(next.data.slice(2, 2 + len));
    if (next.data.length > 2 + len) {
      const sig = next.data.slice(4 + len);
      expect(verifyDer(sig, sha256(concat(init.data, ...parts)), authentikey)).toBe(true);
      return { sw: 0x9000, header: init.data.slice(2), blob: concat(...parts) };
    }
  }
}

function listHeaders(host: TestHost): string[] {
  const out: string[] = [];
  for (let a = host.send(0xb0, 0xa6, 0, 1); a.sw === 0x9000; a = host.send(0xb0, 0xa6, 0, 2)) out.push(hex(a.data));
  return out;
}

const pubkeyBlob = (pub: Uint8Array) => concat(Uint8Array.of(0x41), pub);
const seedBlob = concat(Uint8Array.of(64), new Uint8Array(64).map((_, i) => i));

describe('secrets and export rights (section 7)', () => {
  it('imports, lists newest first, exports the exact blob with counters, deletes', () => {
    const { host, emulator } = seedkeeper('rights');
    const seed = importPlain(host, 0x10, 0x01, 'seed', seedBlob);
    expect(hex(seed.data)).toBe('0000' + hex(sha256(seedBlob).slice(0, 4)));
    const pw = importPlain(host, 0x90, 0x01, 'password', concat(Uint8Array.of(4), ascii('hunter')));
    expect(pw.sw).toBe(0x9000);
    expect(listHeaders(host).map((h) => h.slice(0, 4))).toEqual(['0001', '0000']);
    const exported = exportPlain(host, 0, emulator.authentikeyPublic);
    expect(hex(exported.blob!)).toBe(hex(seedBlob));
    expect(hex(exported.header!.slice(0, 6))).toBe('100101010000');
    expect(host.send(0xb0, 0xa5, 0, 0, u16(1)).sw).toBe(0x9000);
    expect(host.send(0xb0, 0xa5, 0, 0, u16(1)).sw).toBe(0x9c08);
    expect(host.send(0xb0, 0xa2, 0x01, 0x01, u16(7)).sw).toBe(0x9c08);
  });

  it('refuses exports the rights forbid (9C31): never, encrypted only', () => {
    const { host, emulator } = seedkeeper('refusals');
    const peer = secp256k1.getPublicKey(secp256k1.utils.randomSecretKey(), false);
    importPlain(host, 0x10, 0x00, 'never', seedBlob); // sid 0
    importPlain(host, 0x10, 0x02, 'encrypted only', seedBlob); // sid 1
    importPlain(host, 0x70, 0x01, 'peer', pubkeyBlob(peer)); // sid 2
    expect(exportPlain(host, 0, emulator.authentikeyPublic).sw).toBe(0x9c31);
    expect(host.send(0xb0, 0xa2, 0x02, 0x01, concat(u16(0), u16(2))).sw).toBe(0x9c31);
    expect(host.send(0xb0, 0xa8, 0, 0, concat(u16(0), u16(2))).sw).toBe(0x9c31);
    expect(host.send(0xb0, 0x6d, 0, 0, u16(0)).sw).toBe(0x9c31);
    expect(exportPlain(host, 1, emulator.authentikeyPublic).sw).toBe(0x9c31);
    expect(host.send(0xb0, 0x6d, 0, 0, u16(1)).sw).toBe(0x9c31);
    expect(host.send(0xb0, 0xa2, 0x02, 0x01, concat(u16(1), u16(2))).sw).toBe(0x9000);
    // The refused attempts are not counted; the started encrypted export is (even once cancelled).
    expect(host.send(0xb0, 0xa6, 0, 1).sw).toBe(0x9c30);
    expect(listHeaders(host).find((h) => h.startsWith('0001'))!.slice(4, 16)).toBe('100102000100');
    expect(host.send(0xb0, 0xa2, 0x02, 0x01, concat(u16(1), u16(0))).sw).toBe(0x9c38);
  });

  it('an import or export in progress is cancelled by another INS (9C30); the half import stays with fp 00000000', () => {
    const { host } = seedkeeper('lock');
    expect(host.send(0xb0, 0xa1, 0x01, 0x01, concat(header(0x10, 0x01, 'half'), u16(80))).sw).toBe(0x9000);
    expect(host.send(0xb0, 0xa6, 0, 1).sw).toBe(0x9c30);
    expect(listHeaders(host)).toEqual(['0000' + '100101000000' + '00000000' + '0000' + '04' + hex(ascii('half'))]);
    expect(host.send(0xb0, 0xa1, 0x01, 0x03, concat(u16(1), Uint8Array.of(1))).sw).toBe(0x9c30);
    // The lock survives SELECT and power loss.
    importPlain(host, 0x10, 0x01, 'ok', seedBlob);
    host.send(0xb0, 0xa2, 0x01, 0x01, u16(1));
    host.select(SEEDKEEPER_AID);
    host.openChannel();
    expect(host.send(0xb0, 0x42, 0, 0, ascii(PIN)).sw).toBe(0x9c30);
    expect(host.send(0xb0, 0x42, 0, 0, ascii(PIN)).sw).toBe(0x9000);
    expect(host.send(0xb0, 0xa7, 0, 0).sw).toBe(0x9000);
  });

  it('generates secrets on the card; the entropy record proves the user entropy was used', () => {
    const { host, emulator } = seedkeeper('generate');
    const entropy = new Uint8Array(16).fill(0xee);
    const gen = host.send(0xb0, 0xa3, 32, 0x01, concat(Uint8Array.of(0x10, 0x00, 0x01, 4), ascii('gen1'), Uint8Array.of(16), entropy));
    expect(gen.sw).toBe(0x9000);
    expect(gen.data.length).toBe(12);
    const secret = exportPlain(host, 0, emulator.authentikeyPublic).blob!;
    const record = exportPlain(host, 1, emulator.authentikeyPublic).blob!;
    expect(record[0]).toBe(48);
    expect(hex(record.slice(1, 17))).toBe(hex(entropy));
    expect(hex(secret)).toBe(hex(concat(Uint8Array.of(32), sha512(record.slice(1)).slice(0, 32))));
    expect(host.send(0xb0, 0xa3, 32, 0x01, concat(Uint8Array.of(0x30, 0x00, 0x00, 0), Uint8Array.of(0))).sw).toBe(0x9c38);
    expect(host.send(0xb0, 0xa0, 15, 0x01, Uint8Array.of(0)).sw).toBe(0x9c10);
    expect(host.send(0xb0, 0xa0, 16, 0x01, Uint8Array.of(0)).sw).toBe(0x9000);
  });

  it('memory runs out (9C01) and SEEDKEEPER STATUS reports it; deleting frees it again', () => {
    const { host } = seedkeeper('memory', 400);
    const before = host.send(0xb0, 0xa7, 0, 0).data;
    expect(hex(before.slice(0, 6))).toBe('0000' + '0190' + hex(u16(398)));
    expect(importPlain(host, 0x10, 0x01, 'a', seedBlob).sw).toBe(0x9000);
    expect(importPlain(host, 0x10, 0x01, 'b', seedBlob).sw).toBe(0x9000);
    expect(importPlain(host, 0x10, 0x01, 'c', seedBlob).sw).toBe(0x9000);
    expect(importPlain(host, 0x10, 0x01, 'd', seedBlob).sw).toBe(0x9c01);
    expect(hex(host.send(0xb0, 0xa7, 0, 0).data.slice(0, 2))).toBe('0003');
    host.send(0xb0, 0xa5, 0, 0, u16(1));
    expect(importPlain(host, 0x10, 0x01, 'e', seedBlob).sw).toBe(0x9000);
  });

  it('logs operations newest first (A9)', () => {
    const { host } = seedkeeper('logs');
    host.send(0xb0, 0x42, 0, 0, ascii('000000'));
    host.send(0xb0, 0x42, 0, 0, ascii(PIN));
    importPlain(host, 0x10, 0x01, 'a', seedBlob);
    const first = host.send(0xb0, 0xa9, 0, 1);
    expect(hex(first.data)).toBe('0002' + '0064' + 'a1' + '0000' + 'ffff' + '9000');
    // Then older records; the ring's empty slots read as zero records (19 records per answer at most).
    const next = host.send(0xb0, 0xa9, 0, 2).data;
    expect(hex(next.slice(0, 7))).toBe('42' + 'ffff' + 'ffff' + '63c4');
    expect(next.length).toBe(19 * 7);
    expect(next.slice(7).every((b) => b === 0)).toBe(true);
  });
});

describe('encrypted backup between two Seedkeepers (sections 8, 10)', () => {
  it('copies a secret; rights travel; the fingerprint matches; a wrong MAC is refused (9C33)', () => {
    const master = seedkeeper('master');
    const backup = seedkeeper('backup');
    const akM = master.emulator.authentikeyPublic;
    const akB = backup.emulator.authentikeyPublic;
    const secret = importPlain(master.host, 0x10, 0x02, 'wallet', seedBlob);
    const fp = secret.data.slice(2);
    const sidB = importPlain(master.host, 0x70, 0x01, 'backup ak', pubkeyBlob(akB)).data;
    const sidM = importPlain(backup.host, 0x70, 0x01, 'master ak', pubkeyBlob(akM)).data;

    const init = master.host.send(0xb0, 0xa2, 0x02, 0x01, concat(u16(0), sidB.slice(0, 2)));
    expect(init.sw).toBe(0x9000);
    const hdr = init.data.slice(2, init.data.length - 16);
    const iv = init.data.slice(init.data.length - 16);
    const chunks: Uint8Array[] = [];
    let last: Uint8Array;
    for (;;) {
      const next = master.host.send(0xb0, 0xa2, 0x02, 0x02, concat(u16(0), sidB.slice(0, 2))).data;
      const len = (next[0]! << 8) | next[1]!;
      chunks.push(next.slice(2, 2 + len));
      if (next.length > 2 + len) {
        last = next.slice(4 + len);
        break;
      }
    }
    const ct = concat(...chunks);
    const send = (mac: Uint8Array) => {
      const start = backup.host.send(0xb0, 0xa1, 0x02, 0x01, concat(hdr, sidM.slice(0, 2), iv, u16(ct.length)));
      expect(start.sw).toBe(0x9000);
      return backup.host.send(0xb0, 0xa1, 0x02, 0x03, concat(u16(ct.length), ct, Uint8Array.of(20), mac));
    };
    const bad = last.slice();
    bad[0]! ^= 1;
    expect(send(bad).sw).toBe(0x9c33);
    expect(listHeaders(backup.host).length).toBe(1);
    const done = send(last);
    expect(done.sw).toBe(0x9000);
    expect(hex(done.data.slice(2))).toBe(hex(fp));
    const copied = listHeaders(backup.host)[0]!;
    expect(copied.slice(4, 16)).toBe('100202000000');
    // Encrypted only stays encrypted only on the copy.
    expect(exportPlain(backup.host, (done.data[0]! << 8) | done.data[1]!, akB).sw).toBe(0x9c31);
  });

  it('Seedkeeper -> Satochip: A8, AA, AC give the Satochip the same wallet', () => {
    const sk = seedkeeper('to-satochip');
    const bip39Seed = new Uint8Array(64).map((_, i) => 255 - i);
    const blob = concat(Uint8Array.of(64), bip39Seed, fromHex('0010'), new Uint8Array(16), fromHex('00'), u16(3), ascii('abc'));
    importPlain(sk.host, 0x10, 0x01, 'bip39 seed', blob);
    const satochip = new SatochipEmulator({ rng: seededRandom('satochip target') });
    const sat = new TestHost(satochip);
    sat.select(SATOCHIP_AID);
    sat.openChannel();
    sat.send(0xb0, 0x2a, 0, 0, setupData(PIN, '11223344'));
    sat.send(0xb0, 0x42, 0, 0, ascii(PIN));
    const satAk = sat.send(0xb0, 0xad, 0, 0).data;
    expect(hex(satAk.slice(2, 34))).toBe(hex(satochip.authentikeyPublic.slice(1, 33)));
    const sid = importPlain(sk.host, 0x70, 0x01, 'satochip', pubkeyBlob(satochip.authentikeyPublic)).data.slice(0, 2);
    const a8 = sk.host.send(0xb0, 0xa8, 0, 0, concat(u16(0), sid)).data;
    const hdr = a8.slice(2, 15);
    expect(hex(hdr.slice(10, 13))).toBe('000000');
    expect(hex(hdr.slice(6, 10))).toBe(hex(sha256(concat(Uint8Array.of(64), bip39Seed)).slice(0, 4)));
    const ctLen = (a8[31]! << 8) | a8[32]!;
    const body = concat(hdr.slice(0, 12), a8.slice(15, 31), u16(ctLen), a8.slice(33, 33 + ctLen), Uint8Array.of(20), a8.slice(35 + ctLen, 55 + ctLen));
    expect(sat.send(0xb0, 0xac, 0, 0, body).sw).toBe(0x9c35);
    expect(sat.send(0xb0, 0xaa, 0, 0, concat(u16(65), sk.emulator.authentikeyPublic)).sw).toBe(0x9000);
    const wrongFp = body.slice();
    wrongFp[6]! ^= 1;
    expect(sat.send(0xb0, 0xac, 0, 0, wrongFp).sw).toBe(0x9c33);
    expect(sat.send(0xb0, 0xac, 0, 0, body).sw).toBe(0x9000);
    expect(sat.send(0xb0, 0xac, 0, 0, body).sw).toBe(0x9c17);
    const key = sat.send(0xb0, 0x6d, 1, 0x40, fromHex('80000000')).data;
    expect(hex(key.slice(34, 66))).toBe(hex(HDKey.fromMasterSeed(bip39Seed).derive("m/0'").publicKey!.slice(1)));
  });
});

describe('PIN blocking and factory reset (section 13)', () => {
  it('the wrong UNBLOCK that uses the last PUK try wipes secrets, label and setup (FF00)', () => {
    const { host, emulator } = seedkeeper('wipe');
    importPlain(host, 0x10, 0x01, 'seed', seedBlob);
    host.send(0xb0, 0x3d, 0, 0, concat(Uint8Array.of(4), ascii('mine')));
    for (const left of [4, 3, 2, 1, 0]) expect(host.send(0xb0, 0x42, 0, 0, ascii('0000')).sw).toBe(0x63c0 + left);
    expect(host.send(0xb0, 0x42, 0, 0, ascii(PIN)).sw).toBe(0x9c0c);
    expect([0, 1].map(() => host.send(0xb0, 0x46, 0, 0, ascii('0000')).sw)).toEqual([0x63c2, 0x63c1]);
    expect(host.send(0xb0, 0x46, 0, 0, ascii('0000')).sw).toBe(0xff00);
    expect(hex(host.raw('b03c0000').data)).toBe('00020001000000000001000100');
    expect(host.send(0xb0, 0x42, 0, 0, ascii(PIN)).sw).toBe(0x9c04);
    expect(host.send(0xb0, 0x2a, 0, 0, setupData('9999', '8888')).sw).toBe(0x9000);
    expect(host.send(0xb0, 0x42, 0, 0, ascii('9999')).sw).toBe(0x9000);
    expect(listHeaders(host)).toEqual([]);
    expect(hex(host.send(0xb0, 0x3d, 0, 1).data)).toBe('00');
    // Logs survive, with the reset recorded; the authentikey survives.
    expect(hex(host.send(0xb0, 0xa9, 0, 1).data.slice(0, 2))).not.toBe('0000');
    expect(emulator.authentikeyPublic.length).toBe(65);
  });

  it('before SETUP: no PIN (VERIFY 9000), 98 without PIN, everything else 9C04; FF is refused (9C20)', () => {
    const emulator = new SeedkeeperEmulator({ rng: seededRandom('fresh') });
    const host = new TestHost(emulator);
    host.select(SEEDKEEPER_AID);
    expect(host.raw('b0ff000000').sw).toBe(0x9c20);
    host.openChannel();
    expect(host.send(0xb0, 0x42, 0, 0, ascii('anything')).sw).toBe(0x9000);
    expect(hex(host.send(0xb0, 0x98, 0, 0).data)).toBe(hex(emulator.authentikeyPublic));
    expect(host.send(0xb0, 0xad, 0, 0).sw).toBe(0x9c04);
    expect(host.send(0xb0, 0xa6, 0, 1).sw).toBe(0x9c04);
  });
});
