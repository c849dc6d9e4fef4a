/**
 * "Restore a Satochip from a Seedkeeper" (../shared/protocols/satochip-seedkeeper.md section 9) as a
 * resumable state machine over a CardOpener (one reader with swaps, or two readers):
 *
 *   read-seedkeeper   Seedkeeper: its authentikey, the master seed to copy (rights 01 or 02)
 *   prepare-satochip  Satochip: set up, not seeded; its authentikey
 *   export            Seedkeeper: the Satochip's key as a PUBKEY (unless there), A8 for it, and
 *                     (rights 01 only) the seed's public key at VERIFY_PATH for the last check
 *   import            Satochip: trust the Seedkeeper's key (unless it already does), AC
 *   verify            Satochip: seeded, and its key at VERIFY_PATH equals the Seedkeeper's
 *
 * The encrypted seed only lives in this state's memory (useless without the Satochip's key). A card
 * pulled at any step leaves both consistent: on resume, a Satochip already seeded by our AC (answer
 * lost) goes straight to verify; the PUBKEY and the trusted key are not written twice.
 */
import type { ExtendedPublicKey, SatochipClient } from '../../../drivers/satochip/client.ts';
import { bytesEqual } from '../../../drivers/satochip/bytes.ts';
import { type SatochipTransfer, SeedkeeperClient } from '../../../drivers/satochip/seedkeeper/client.ts';
import { authentikeyFingerprint, findPubkeySecret } from '../../../drivers/satochip/seedkeeper/pairing.ts';
import { importEncryptedSeed, importTrustedPubkey } from '../../../drivers/satochip/seedkeeper/satochip-import.ts';
import { EXPORT_RIGHTS, HALF_WRITTEN_FINGERPRINT, SECRET_TYPE, type SecretHeader } from '../../../drivers/satochip/seedkeeper/secrets.ts';
import type { CardOpener } from './card-opener.ts';
import { BackupError } from './errors.ts';

export type RestoreRole = 'seedkeeper' | 'satochip';
export type RestoreStep = 'read-seedkeeper' | 'prepare-satochip' | 'export' | 'import' | 'verify' | 'done';

/** Where both cards' keys are compared at the end (BIP44 Bitcoin account). */
export const VERIFY_PATH = "m/44'/0'/0'";

export interface RestoreState {
  step: RestoreStep;
  seedkeeperAuthentikey: Uint8Array | null;
  satochipAuthentikey: Uint8Array | null;
  /** The master seed on the Seedkeeper, and its export rights. */
  sid: number | null;
  label: string;
  exportRights: number;
  transfer: SatochipTransfer | null;
  /** The Seedkeeper's public key at VERIFY_PATH, when its rights allow deriving (01). */
  expectedKey: Uint8Array | null;
  /** How the copy was proved: the derived key compared, or only the Satochip's own fingerprint check (9C34). */
  verifiedBy: 'derived-key' | 'satochip-fingerprint-check' | null;
  satochipKey: ExtendedPublicKey | null;
  /** The Seedkeeper's headers, and the opening they were read in (current while it stays open). */
  listed: { readonly generation: number; readonly headers: SecretHeader[] } | null;
  /** The Satochip opening in which IMPORT ENCRYPTED SECRET succeeded. */
  importedIn: number | null;
}

export function newRestoreState(sid: number | null = null): RestoreState {
  return {
    step: 'read-seedkeeper',
    seedkeeperAuthentikey: null,
    satochipAuthentikey: null,
    sid,
    label: '',
    exportRights: 0,
    transfer: null,
    expectedKey: null,
    verifiedBy: null,
    satochipKey: null,
    listed: null,
    importedIn: null,
  };
}

export class SatochipRestore {
  constructor(
    private readonly opener: CardOpener<RestoreRole>,
    readonly state: RestoreState = newRestoreState(),
    private readonly onStep: (step: RestoreStep) => void = () => undefined,
  ) {}

  async run(): Promise<RestoreState> {
    while (this.state.step !== 'done') {
      this.onStep(this.state.step);
      await this.advance();
    }
    this.onStep('done');
    return this.state;
  }

  private seedkeeper<T>(work: (client: SatochipClient, store: SeedkeeperClient, headers: () => Promise<SecretHeader[]>) => Promise<T>): Promise<T> {
    return this.opener.withClient('seedkeeper', this.state.seedkeeperAuthentikey, (client, generation) => {
      const store = new SeedkeeperClient(client);
      const headers = async () => {
        if (this.state.listed?.generation !== generation) this.state.listed = { generation, headers: await store.listHeaders() };
        return this.state.listed.headers;
      };
      return work(client, store, headers);
    });
  }

  private satochip<T>(work: (client: SatochipClient, generation: number) => Promise<T>): Promise<T> {
    return this.opener.withClient('satochip', this.state.satochipAuthentikey, work);
  }

  private async advance(): Promise<void> {
    const s = this.state;
    switch (s.step) {
      case 'read-seedkeeper':
        return this.seedkeeper(async (client, _store, listHeaders) => {
          const seeds = (await listHeaders()).filter((h) => h.type === SECRET_TYPE.MASTER_SEED && h.fingerprint !== HALF_WRITTEN_FINGERPRINT);
          const chosen = s.sid === null ? seeds : seeds.filter((h) => h.sid === s.sid);
          if (chosen.length === 0) throw new BackupError('NOTHING_TO_COPY', s.sid === null ? 'the Seedkeeper holds no master seed' : `the Seedkeeper has no master seed with id ${s.sid}`, { sid: s.sid ?? undefined });
          if (chosen.length > 1) {
            throw new BackupError('CHOOSE_SECRET', 'the Seedkeeper holds several master seeds: choose one by id', { reason: chosen.map((h) => `${h.sid} "${h.label}"`).join(', ') });
          }
          const seed = chosen[0]!;
          if (seed.exportRights !== EXPORT_RIGHTS.PLAIN_OR_ENCRYPTED && seed.exportRights !== EXPORT_RIGHTS.ENCRYPTED_ONLY) {
            throw new BackupError('EXPORT_NOT_ALLOWED', 'this seed may never leave the Seedkeeper', { sid: seed.sid });
          }
          s.seedkeeperAuthentikey = client.authentikey ?? (await client.exportAuthentikey());
          s.sid = seed.sid;
          s.label = seed.label;
          s.exportRights = seed.exportRights;
          s.step = 'prepare-satochip';
        });
      case 'prepare-satochip':
        return this.satochip(async (client) => {
          if (client.status?.seeded) throw new BackupError('TARGET_SEEDED', 'the Satochip already has a seed: reset it first, nothing was changed');
          s.satochipAuthentikey = await client.exportAuthentikey();
          this.opener.remember('satochip', s.satochipAuthentikey);
          s.step = 'export';
        });
      case 'export':
        return this.seedkeeper(async (_client, store, listHeaders) => {
          const headers = await listHeaders();
          const satochipKey = s.satochipAuthentikey!;
          let pubkeySid = findPubkeySecret(headers, satochipKey);
          if (pubkeySid === null) {
            // What an interrupted import left (fingerprint 00000000) goes first.
            for (const half of headers.filter((h) => h.fingerprint === HALF_WRITTEN_FINGERPRINT)) await store.deleteSecret(half.sid);
            s.listed = null;
            pubkeySid = (await store.importSecret({ kind: 'pubkey', publicKey: satochipKey }, { label: `satochip authentikey #${authentikeyFingerprint(satochipKey)}` })).sid;
          }
          s.transfer = await store.exportToSatochip(s.sid!, pubkeySid);
          if (s.exportRights === EXPORT_RIGHTS.PLAIN_OR_ENCRYPTED) s.expectedKey = (await store.getExtendedKey(s.sid!, VERIFY_PATH)).publicKey;
          s.step = 'import';
        });
      case 'import':
        return this.satochip(async (client, generation) => {
          // client.status is from this opening's GET STATUS. An unseeded Satochip takes the trusted
          // key again whatever it held (section 9 step 4), so no read-back first.
          if (!client.status?.seeded) {
            await importTrustedPubkey(client, s.seedkeeperAuthentikey!);
            await importEncryptedSeed(client, s.transfer!);
            s.importedIn = generation;
          }
          // Seeded already: our AC reached the card before it was pulled; verify says whether it is our seed.
          s.step = 'verify';
        });
      case 'verify':
        return this.satochip(async (client, generation) => {
          // Seeded for sure when IMPORT ENCRYPTED SECRET answered in this same opening; else ask.
          const seeded = s.importedIn === generation || (await client.getStatus()).seeded;
          if (!seeded) {
            s.step = 'import';
            throw new BackupError('VERIFY_FAILED', 'the Satochip has no seed after the import; run again to import it');
          }
          const key = await client.getExtendedKey(VERIFY_PATH);
          if (s.expectedKey && !bytesEqual(key.publicKey, s.expectedKey)) {
            throw new BackupError('VERIFY_FAILED', 'the Satochip derives another key than the Seedkeeper seed', {
              expected: Buffer.from(s.expectedKey).toString('hex'),
              actual: Buffer.from(key.publicKey).toString('hex'),
            });
          }
          s.satochipKey = key;
          s.verifiedBy = s.expectedKey ? 'derived-key' : 'satochip-fingerprint-check';
          s.transfer = null;
          s.step = 'done';
        });
      case 'done':
        return;
    }
  }
}
