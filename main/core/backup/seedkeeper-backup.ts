/**
 * "Back up this Seedkeeper to another one" (../shared/protocols/satochip-seedkeeper.md section 10),
 * as a resumable state machine. It works with one reader (the person swaps cards when told) or two
 * (both cards stay), because cards are only ever reached through `CardAccess.open(role)`, which
 * says which card to present and checks it is the right one by its authentikey.
 *
 * Every step can be interrupted (card pulled, PIN prompt cancelled): the state keeps what is done,
 * `run()` again continues where it stopped, and nothing is written twice:
 *  - a peer authentikey is imported only if no PUBKEY with its fingerprint exists yet;
 *  - encrypted exports are kept in memory (they are useless without both cards);
 *  - before importing, the backup's headers are read again: a secret whose fingerprint is already
 *    there is not imported again, and a half-written object (fingerprint 00000000, left by an
 *    interrupted import) is deleted first;
 *  - the last step checks every copied fingerprint on the backup card.
 * The two cards must be different cards (their authentikeys differ).
 */
import { authentikeyFingerprint, findPubkeySecret } from '../../../drivers/satochip/seedkeeper/pairing.ts';
import type { CardOpener } from './card-opener.ts';
import { BackupError } from './errors.ts';
import { type EncryptedSecret, type SecretHeader, type SeedkeeperPort, HALF_WRITTEN_FINGERPRINT, TYPE_PUBKEY, seedkeeperPort } from './seedkeeper-port.ts';

export { authentikeyFingerprint } from '../../../drivers/satochip/seedkeeper/pairing.ts';

export type BackupRole = 'master' | 'backup';

export { BackupError, isBackupError, type BackupErrorCode } from './errors.ts';

export interface CardAccess {
  /**
   * Run `work` with the card for `role` opened (prompting the person to present it, SELECT, secure
   * channel, PIN); the card session ends when `work` does. `expectedAuthentikey` is set once the
   * flow knows which card that role is: another card is refused (WRONG_CARD) or, with one reader,
   * the person is asked to swap.
   */
  withCard<T>(role: BackupRole, expectedAuthentikey: Uint8Array | null, work: (card: SeedkeeperPort) => Promise<T>): Promise<T>;
}

export type BackupStep = 'read-master' | 'prepare-backup' | 'export-from-master' | 'import-to-backup' | 'verify' | 'done';

export interface BackupProgress {
  readonly step: BackupStep;
  readonly copied: number;
  readonly total: number;
}

export interface BackupState {
  step: BackupStep;
  masterAuthentikey: Uint8Array | null;
  backupAuthentikey: Uint8Array | null;
  /** Secrets on the master to copy (everything but PUBKEYs), by sid. */
  plan: SecretHeader[];
  /** sid, on the backup, of the master's authentikey. */
  masterKeyOnBackup: number | null;
  /** sid, on the master, of the backup's authentikey. */
  backupKeyOnMaster: number | null;
  exports: Map<number, EncryptedSecret>;
  /** master sid -> fingerprint confirmed on the backup. */
  copied: Map<number, string>;
  /** Headers last read from each card, and in which opening (still current while the card stays open). */
  listed: Partial<Record<BackupRole, { readonly session: number; headers: SecretHeader[] }>>;
}

export function newBackupState(): BackupState {
  return {
    step: 'read-master',
    masterAuthentikey: null,
    backupAuthentikey: null,
    plan: [],
    masterKeyOnBackup: null,
    backupKeyOnMaster: null,
    exports: new Map(),
    copied: new Map(),
    listed: {},
  };
}

const sameKey = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

/** Deletes what interrupted imports left (fingerprint 00000000), from the card and from `headers`. */
async function dropHalfWritten(card: SeedkeeperPort, headers: SecretHeader[]): Promise<void> {
  for (const half of headers.filter((h) => h.fingerprint === HALF_WRITTEN_FINGERPRINT)) {
    await card.deleteSecret(half.sid);
    headers.splice(headers.indexOf(half), 1);
  }
}

/** The peer's PUBKEY sid on this card; imported (after deleting what an interrupted import left) if missing. */
async function findOrImportKey(card: SeedkeeperPort, headers: SecretHeader[], key: Uint8Array, label: string): Promise<number> {
  const found = findPubkeySecret(headers, key);
  if (found !== null) return found;
  await dropHalfWritten(card, headers);
  const imported = await card.importPubkey(key, `${label} #${authentikeyFingerprint(key)}`);
  headers.push(imported);
  return imported.sid;
}

export class SeedkeeperBackup {
  readonly state: BackupState;

  constructor(
    private readonly access: CardAccess,
    state: BackupState = newBackupState(),
    private readonly onProgress: (progress: BackupProgress) => void = () => undefined,
  ) {
    this.state = state;
  }

  /** Run from the current step to the end. Throws on interruption; call again to resume. */
  async run(): Promise<BackupState> {
    while (this.state.step !== 'done') {
      this.report();
      await this.advance();
    }
    this.report();
    return this.state;
  }

  private report(): void {
    this.onProgress({ step: this.state.step, copied: this.state.copied.size, total: this.state.plan.length });
  }

  private async advance(): Promise<void> {
    const s = this.state;
    switch (s.step) {
      case 'read-master':
        return this.access.withCard('master', s.masterAuthentikey, async (master) => {
          const key = await master.authentikey();
          const headers = await this.headersOf('master', master);
          const plan = headers.filter((h) => h.type !== TYPE_PUBKEY && h.fingerprint !== HALF_WRITTEN_FINGERPRINT);
          if (plan.length === 0) throw new BackupError('NOTHING_TO_COPY', 'the master card holds no secret to back up');
          s.masterAuthentikey = key;
          s.plan = plan;
          s.step = 'prepare-backup';
        });
      case 'prepare-backup':
        return this.access.withCard('backup', s.backupAuthentikey, async (backup) => {
          const key = await backup.authentikey();
          if (sameKey(key, s.masterAuthentikey!)) throw new BackupError('SAME_CARD', 'the backup card is the master card itself');
          s.backupAuthentikey = key;
          const headers = await this.headersOf('backup', backup);
          // Secrets an earlier backup already copied are neither exported nor imported again.
          for (const secret of s.plan) {
            if (headers.some((h) => h.type === secret.type && h.fingerprint === secret.fingerprint)) s.copied.set(secret.sid, secret.fingerprint);
          }
          s.masterKeyOnBackup = await findOrImportKey(backup, headers, s.masterAuthentikey!, 'master authentikey');
          s.step = 'export-from-master';
        });
      case 'export-from-master':
        return this.access.withCard('master', s.masterAuthentikey, async (master) => {
          s.backupKeyOnMaster ??= await findOrImportKey(master, await this.headersOf('master', master), s.backupAuthentikey!, 'backup authentikey');
          for (const secret of s.plan) {
            if (s.exports.has(secret.sid) || s.copied.has(secret.sid)) continue;
            s.exports.set(secret.sid, await master.exportEncrypted(secret.sid, s.backupKeyOnMaster));
          }
          s.step = 'import-to-backup';
        });
      case 'import-to-backup':
        return this.access.withCard('backup', s.backupAuthentikey, (backup) => this.importAll(backup));
      case 'verify':
        return this.access.withCard('backup', s.backupAuthentikey, (backup) => this.verify(backup));
      case 'done':
        return;
    }
  }

  private async importAll(backup: SeedkeeperPort): Promise<void> {
    const s = this.state;
    const headers = await this.headersOf('backup', backup);
    await dropHalfWritten(backup, headers);
    for (const secret of s.plan) {
      if (s.copied.has(secret.sid)) continue;
      if (headers.some((h) => h.type === secret.type && h.fingerprint === secret.fingerprint)) {
        s.copied.set(secret.sid, secret.fingerprint); // already there (earlier run or earlier backup)
        continue;
      }
      const exported = s.exports.get(secret.sid)!;
      const imported = await backup.importEncrypted(exported, s.masterKeyOnBackup!);
      if (imported.fingerprint !== exported.fingerprint) {
        throw new BackupError('FINGERPRINT_MISMATCH', `secret ${secret.sid} arrived with fingerprint ${imported.fingerprint}, expected ${exported.fingerprint}`);
      }
      headers.push(imported);
      s.copied.set(secret.sid, imported.fingerprint);
      this.report();
    }
    s.step = 'verify';
  }

  /**
   * A card's headers: read again unless read in this same opening of the card (then they are
   * current: this flow is the only writer, and keeps the list up to date with its own writes).
   */
  private async headersOf(role: BackupRole, card: SeedkeeperPort): Promise<SecretHeader[]> {
    const known = this.state.listed[role];
    if (known && known.session === card.session) return known.headers;
    const headers = await card.listHeaders();
    this.state.listed[role] = { session: card.session, headers };
    return headers;
  }

  private async verify(backup: SeedkeeperPort): Promise<void> {
    const s = this.state;
    // The final check reads the backup card again, whatever we think it holds.
    const headers = await backup.listHeaders();
    const missing = s.plan.filter((p) => !headers.some((h) => h.type === p.type && h.fingerprint === p.fingerprint));
    if (missing.length) {
      // Go back and copy what is missing (e.g. deleted between runs).
      for (const m of missing) s.copied.delete(m.sid);
      s.step = missing.every((m) => s.exports.has(m.sid)) ? 'import-to-backup' : 'export-from-master';
      throw new BackupError('FINGERPRINT_MISMATCH', `${missing.length} secret(s) are not on the backup card; run again to copy them`);
    }
    s.exports.clear(); // done with the encrypted blobs
    s.step = 'done';
  }
}

/** The flow's card access over a CardOpener (readers, prompts, PINs) and the real Seedkeeper client. */
export function readerCardAccess(opener: CardOpener<BackupRole>): CardAccess {
  return { withCard: (role, expected, work) => opener.withClient(role, expected, (client, generation) => work(seedkeeperPort(client, generation))) };
}
