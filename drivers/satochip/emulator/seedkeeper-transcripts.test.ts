/**
 * Card-side replay of the recorded Seedkeeper transcripts (../shared/vectors/satochip/seedkeeper-transcript-*.json):
 * a master and a backup Seedkeeper (encrypted backup on two readers), then the same master and a
 * fresh Satochip (seed transfer). Every response must equal the recorded one byte for byte; the
 * real applets' ECDSA nonces are not recorded, so recorded signatures are handed out by
 * `recordedSigner` only for the same key and digest (see replay.ts).
 */
import { describe, expect, it } from 'vitest';
import { fromHex, hex } from './bytes.ts';
import { ScriptedRandom } from './random.ts';
import { loadVector, recordedSigner, replay, type Step } from './replay.ts';
import { SatochipEmulator } from './satochip.ts';
import { SeedkeeperEmulator } from './seedkeeper.ts';

function expectExact(results: ReturnType<typeof replay>): void {
  for (const { step, response, rngProblems } of results) {
    expect({ step: step.step, name: step.name, rngProblems }).toEqual({ step: step.step, name: step.name, rngProblems: [] });
    expect({ step: step.step, name: step.name, response }).toEqual({ step: step.step, name: step.name, response: step.response });
  }
}

describe('Seedkeeper backup on two readers, then Seedkeeper -> Satochip', () => {
  const backup = loadVector('seedkeeper-transcript-backup-two-readers.json');
  const transfer = loadVector('seedkeeper-transcript-to-satochip.json');
  const signer = recordedSigner([...backup.checks.signatures, ...transfer.checks.signatures]);
  const card = (info: { construction_rng: string[] }, make: (rng: ScriptedRandom) => SeedkeeperEmulator | SatochipEmulator) => {
    const rng = new ScriptedRandom(info.construction_rng.map(fromHex));
    return { rng, emulator: make(rng) };
  };
  const master = card(backup.cards['master (reader 0)'], (rng) => new SeedkeeperEmulator({ rng, signer: signer.sign }));
  const copy = card(backup.cards['backup (reader 1)'], (rng) => new SeedkeeperEmulator({ rng, signer: signer.sign }));
  const satochip = card(transfer.cards['satochip (reader 1)'], (rng) => new SatochipEmulator({ rng, signer: signer.sign }));

  it('construction draws the recorded authentikeys', () => {
    expect(hex(master.emulator.authentikeyPublic)).toBe(backup.cards['master (reader 0)'].authentikey_public_key);
    expect(hex(copy.emulator.authentikeyPublic)).toBe(backup.cards['backup (reader 1)'].authentikey_public_key);
    expect(hex(satochip.emulator.authentikeyPublic)).toBe(transfer.cards['satochip (reader 1)'].authentikey_public_key);
  });

  it('backup-two-readers: every response byte-exact', () => {
    expectExact(replay(backup.transcript as Step[], { 'master (reader 0)': master, 'backup (reader 1)': copy }));
  });

  it('to-satochip: every response byte-exact (including the 2 trailing bytes of the A8 answer)', () => {
    expectExact(replay(transfer.transcript as Step[], { 'master (reader 0)': master, 'satochip (reader 1)': satochip }));
  });

  it('used only recorded signatures, every one of them', () => {
    expect(signer.misses).toEqual([]);
    expect(signer.used).toBe(backup.checks.signatures.length + transfer.checks.signatures.length);
    for (const c of [master, copy, satochip]) expect(c.emulator.lastInternalError).toBeNull();
  });
});
