import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FilePairingStore, MemoryPairingStore } from './pairings.ts';

const UID_A = '00112233445566778899aabbccddeeff';
const UID_B = 'ffeeddccbbaa99887766554433221100';
const key = (fill: number) => new Uint8Array(32).fill(fill);

describe('Keycard pairing store', () => {
  it('keeps pairings per instance UID, across a restart, in a file only the user can read', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tapdesk-pairings-'));
    const store = new FilePairingStore(dir);
    expect(store.get(UID_A)).toBeUndefined();
    store.set(UID_A, { index: 2, key: key(7) });
    store.set(UID_B, { index: 0, key: key(9) });
    expect(statSync(store.file).mode & 0o777).toBe(0o600);
    const again = new FilePairingStore(dir);
    expect(again.problem).toBeUndefined();
    expect(again.get(UID_A)).toEqual({ index: 2, key: key(7) });
    again.delete(UID_A);
    expect(new FilePairingStore(dir).get(UID_A)).toBeUndefined();
    expect(new FilePairingStore(dir).get(UID_B)?.index).toBe(0);
  });

  it('ignores a file that is not pairings, entirely, and says why', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tapdesk-pairings-'));
    const file = path.join(dir, 'keycard-pairings.json');
    for (const bad of ['{', '[]', JSON.stringify({ [UID_A]: { index: 5, key: '00'.repeat(32) } }), JSON.stringify({ [UID_A]: { index: 1, key: '00'.repeat(32) }, nope: { index: 1, key: '00'.repeat(32) } })]) {
      writeFileSync(file, bad);
      const store = new FilePairingStore(dir);
      expect(store.problem).toMatch(/ignored/);
      expect(store.get(UID_A)).toBeUndefined();
    }
    // Saving afterwards writes a good file again.
    const store = new FilePairingStore(dir);
    store.set(UID_A, { index: 1, key: key(1) });
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ [UID_A]: { index: 1, key: '01'.repeat(32) } });
  });

  it('refuses an instance UID that is not 16 bytes of hex, and copies the key it is given', () => {
    const store = new MemoryPairingStore();
    expect(() => store.set('xyz', { index: 0, key: key(1) })).toThrow(RangeError);
    const given = key(3);
    store.set(UID_A, { index: 0, key: given });
    given.fill(0);
    expect(store.get(UID_A)?.key).toEqual(key(3));
  });
});
