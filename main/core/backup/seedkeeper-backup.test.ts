/**
 * The backup state machine's orchestration: resumability at every interruption point, no double
 * writes, the same-card refusal and the final fingerprint check. The cards here are an in-memory
 * model of the Seedkeeper's secret store (what the port promises); the APDU-level path through the
 * real client, the emulator and pcscd is tested where those parts are wired to this flow.
 */
import { describe, expect, it } from 'vitest';
import { DriverError } from '../../../drivers/errors.ts';
import { type EncryptedSecret, type SecretHeader, type SeedkeeperPort, HALF_WRITTEN_FINGERPRINT, TYPE_PUBKEY } from './seedkeeper-port.ts';
import { type BackupRole, type CardAccess, BackupError, SeedkeeperBackup, authentikeyFingerprint, newBackupState } from './seedkeeper-backup.ts';

class StoreModel {
  private nextSid = 1;
  readonly secrets: SecretHeader[] = [];
  constructor(readonly authentikey: Uint8Array) {}
  add(type: number, fingerprint: string, label: string): SecretHeader {
    const header = { sid: this.nextSid++, type, exportRights: 1, fingerprint, label };
    this.secrets.push(header);
    return header;
  }
}

/** One reader: `calls` counts port calls; `failAt` makes that call fail as if the card were pulled. */
class OneReader implements CardAccess {
  calls = 0;
  failAt = -1;
  /** What a pulled import leaves behind: nothing, a half-written object, or the whole secret (answer lost). */
  leftOnPull: 'nothing' | 'half' | 'whole' = 'nothing';
  opens: BackupRole[] = [];
  constructor(private readonly cards: Record<BackupRole, StoreModel>) {}

  async withCard<T>(role: BackupRole, expected: Uint8Array | null, work: (card: SeedkeeperPort) => Promise<T>): Promise<T> {
    return work(await this.open(role, expected));
  }

  async open(role: BackupRole, expected: Uint8Array | null): Promise<SeedkeeperPort> {
    this.opens.push(role);
    const card = this.cards[role];
    if (expected && !Buffer.from(expected).equals(Buffer.from(card.authentikey))) throw new BackupError('WRONG_CARD', 'not that card');
    const step = async <T>(work: () => T, onPull?: () => void): Promise<T> => {
      if (this.calls++ === this.failAt) {
        onPull?.();
        throw new DriverError('CARD_REMOVED', 'card pulled');
      }
      return work();
    };
    return {
      session: this.opens.length,
      authentikey: () => step(() => card.authentikey),
      listHeaders: () => step(() => [...card.secrets]),
      importPubkey: (key, label) => step(() => card.add(TYPE_PUBKEY, authentikeyFingerprint(key), label)),
      exportEncrypted: (sid) =>
        step(() => {
          const header = card.secrets.find((h) => h.sid === sid)!;
          return { sourceSid: sid, header: Uint8Array.of(header.type, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), iv: new Uint8Array(16), ciphertext: new Uint8Array(32), mac: new Uint8Array(20), fingerprint: header.fingerprint } satisfies EncryptedSecret;
        }),
      importEncrypted: (secret) =>
        step(
          () => card.add(secret.header[0]!, secret.fingerprint, 'copy'),
          () => {
            if (this.leftOnPull === 'half') card.add(secret.header[0]!, HALF_WRITTEN_FINGERPRINT, 'half');
            if (this.leftOnPull === 'whole') card.add(secret.header[0]!, secret.fingerprint, 'copy');
          },
        ),
      deleteSecret: (sid) =>
        step(() => {
          card.secrets.splice(card.secrets.findIndex((h) => h.sid === sid), 1);
        }),
    };
  }
}

function cards(): Record<BackupRole, StoreModel> {
  const master = new StoreModel(Uint8Array.from({ length: 65 }, (_, i) => (i === 0 ? 4 : i)));
  const backup = new StoreModel(Uint8Array.from({ length: 65 }, (_, i) => (i === 0 ? 4 : 200 - i)));
  master.add(0x10, 'aaaa0001', 'seed');
  master.add(0x90, 'bbbb0002', 'password');
  master.add(0xc1, 'cccc0003', 'descriptor');
  return { master, backup };
}

const nonKeys = (m: StoreModel) => m.secrets.filter((h) => h.type !== TYPE_PUBKEY).map((h) => h.fingerprint).sort();
const keys = (m: StoreModel) => m.secrets.filter((h) => h.type === TYPE_PUBKEY).map((h) => h.fingerprint);

describe('Seedkeeper backup flow', () => {
  it('copies every secret once with one reader, asking for the cards in the reference order', async () => {
    const c = cards();
    const reader = new OneReader(c);
    const progress: string[] = [];
    const state = await new SeedkeeperBackup(reader, newBackupState(), (p) => progress.push(`${p.step}:${p.copied}/${p.total}`)).run();
    expect(state.step).toBe('done');
    expect(nonKeys(c.backup)).toEqual(nonKeys(c.master));
    expect(keys(c.backup)).toEqual([authentikeyFingerprint(c.master.authentikey)]);
    expect(keys(c.master)).toEqual([authentikeyFingerprint(c.backup.authentikey)]);
    expect(reader.opens).toEqual(['master', 'backup', 'master', 'backup', 'backup']);
    expect(progress.at(-1)).toBe('done:3/3');
  });

  it('refuses to back a card up onto itself', async () => {
    const c = cards();
    const same = new OneReader({ master: c.master, backup: c.master });
    await expect(new SeedkeeperBackup(same).run()).rejects.toMatchObject({ code: 'SAME_CARD' });
  });

  it('detects the wrong card presented for a role', async () => {
    const c = cards();
    const state = newBackupState();
    const flow = new SeedkeeperBackup(new OneReader(c), state);
    await flow.run();
    const stranger = new StoreModel(Uint8Array.from({ length: 65 }, () => 9));
    state.step = 'verify';
    await expect(new SeedkeeperBackup(new OneReader({ master: c.master, backup: stranger }), state).run()).rejects.toMatchObject({ code: 'WRONG_CARD' });
  });

  it('resumes after a card pulled at any point, leaving both cards consistent', async () => {
    const clean = cards();
    const total = new OneReader(clean);
    await new SeedkeeperBackup(total).run();
    for (let failAt = 0; failAt < total.calls; failAt += 1) {
      for (const left of ['nothing', 'half', 'whole'] as const) {
        const c = cards();
        const reader = new OneReader(c);
        reader.failAt = failAt;
        reader.leftOnPull = left;
        const state = newBackupState();
        const error = await new SeedkeeperBackup(reader, state).run().catch((e: unknown) => e);
        expect(error, `call ${failAt}`).toBeInstanceOf(DriverError);
        reader.failAt = -1;
        await new SeedkeeperBackup(reader, state).run();
        expect(nonKeys(c.backup), `call ${failAt}`).toEqual(nonKeys(c.master));
        expect(keys(c.backup)).toHaveLength(1);
        expect(keys(c.master)).toHaveLength(1);
        expect(c.backup.secrets.some((h) => h.fingerprint === HALF_WRITTEN_FINGERPRINT)).toBe(false);
      }
    }
  });

  it('stops on a fingerprint the backup card did not reproduce', async () => {
    const c = cards();
    const reader = new OneReader(c);
    const original = reader.open.bind(reader);
    reader.open = async (role, expected) => {
      const port = await original(role, expected);
      return role === 'backup' ? { ...port, importEncrypted: async (s, peer) => ({ ...(await port.importEncrypted(s, peer)), fingerprint: 'deadbeef' }) } : port;
    };
    await expect(new SeedkeeperBackup(reader).run()).rejects.toMatchObject({ code: 'FINGERPRINT_MISMATCH' });
  });

  it('has nothing to do for an empty master', async () => {
    const c = cards();
    c.master.secrets.length = 0;
    await expect(new SeedkeeperBackup(new OneReader(c)).run()).rejects.toMatchObject({ code: 'NOTHING_TO_COPY' });
  });
});
