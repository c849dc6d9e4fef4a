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
import { sha256 } from '@noble/hashes/sha2.js';
import { type EncryptedSecret, type SecretHeader, type SeedkeeperPort, HALF_WRITTEN_FINGERPRINT, TYPE_PUBKEY } from './seedkeeper-port.ts';

export type BackupRole = 'master' | 'backup';

export type BackupErrorCode = 'SAME_CARD' | 'WRONG_CARD' | 'FINGERPRINT_MISMATCH' | 'NOTHING_TO_COPY';

export class BackupError extends Error {
  constructor(
    readonly code: BackupErrorCode,
    message: string,
  ) {
    super(`${message} (code=${code})`);
    this.name = 'BackupError';
  }
}

export interface CardAccess {
  /**
   * Open the card for `role` (prompting the person to present it, SELECT, secure channel, PIN).
   * `expectedAuthentikey` is set once the flow knows which card that role is.
   */
  open(role: BackupRole, expectedAuthentikey: Uint8Array | null): Promise<SeedkeeperPort>;
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
  };
}

/** How the apps find an authentikey among PUBKEY headers: SHA-256(41 | pub)[0..4]. */
export function authentikeyFingerprint(authentikey: Uint8Array): string {
  return Buffer.from(sha256(Uint8Array.from([0x41, ...authentikey])).slice(0, 4)).toString('hex');
}

const sameKey = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

async function findOrImportKey(card: SeedkeeperPort, headers: SecretHeader[], key: Uint8Array, label: string): Promise<number> {
  const fingerprint = authentikeyFingerprint(key);
  const existing = headers.find((h) => h.type === TYPE_PUBKEY && h.fingerprint === fingerprint);
  if (existing) return existing.sid;
  return (await card.importPubkey(key, `${label} #${fingerprint}`)).sid;
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
      case 'read-master': {
        const master = await this.access.open('master', s.masterAuthentikey);
        const key = await master.authentikey();
        const headers = await master.listHeaders();
        const plan = headers.filter((h) => h.type !== TYPE_PUBKEY && h.fingerprint !== HALF_WRITTEN_FINGERPRINT);
        if (plan.length === 0) throw new BackupError('NOTHING_TO_COPY', 'the master card holds no secret to back up');
        s.masterAuthentikey = key;
        s.plan = plan;
        s.step = 'prepare-backup';
        return;
      }
      case 'prepare-backup': {
        const backup = await this.access.open('backup', s.backupAuthentikey);
        const key = await backup.authentikey();
        if (sameKey(key, s.masterAuthentikey!)) throw new BackupError('SAME_CARD', 'the backup card is the master card itself');
        s.backupAuthentikey = key;
        s.masterKeyOnBackup = await findOrImportKey(backup, await backup.listHeaders(), s.masterAuthentikey!, 'master authentikey');
        s.step = 'export-from-master';
        return;
      }
      case 'export-from-master': {
        const master = await this.access.open('master', s.masterAuthentikey);
        s.backupKeyOnMaster ??= await findOrImportKey(master, await master.listHeaders(), s.backupAuthentikey!, 'backup authentikey');
        for (const secret of s.plan) {
          if (s.exports.has(secret.sid) || s.copied.has(secret.sid)) continue;
          s.exports.set(secret.sid, await master.exportEncrypted(secret.sid, s.backupKeyOnMaster));
        }
        s.step = 'import-to-backup';
        return;
      }
      case 'import-to-backup': {
        const backup = await this.access.open('backup', s.backupAuthentikey);
        let headers = await backup.listHeaders();
        for (const half of headers.filter((h) => h.fingerprint === HALF_WRITTEN_FINGERPRINT)) await backup.deleteSecret(half.sid);
        headers = headers.filter((h) => h.fingerprint !== HALF_WRITTEN_FINGERPRINT);
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
          s.copied.set(secret.sid, imported.fingerprint);
          this.report();
        }
        s.step = 'verify';
        return;
      }
      case 'verify': {
        const backup = await this.access.open('backup', s.backupAuthentikey);
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
        return;
      }
      case 'done':
        return;
    }
  }
}
