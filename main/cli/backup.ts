/**
 * `tapdesk backup --from READER --to READER [--json]` or `tapdesk backup --swap --reader READER [--json]`:
 * copies every secret of the master Seedkeeper to a backup Seedkeeper, encrypted card to card
 * (main/core/backup/seedkeeper-backup.ts over the card opener). PINs: TAPDESK_PIN (master) and
 * TAPDESK_BACKUP_PIN (backup), else hidden prompts, each asked once when first needed.
 * Prompts and progress go to stderr, the list of copied secrets to stdout.
 *
 * With --new-wallet: a new Keycard wallet on two Keycards (keycard-new-wallet.ts).
 */
import { secretTypeName } from '../../drivers/satochip/seedkeeper/secrets.ts';
import { CardOpener } from '../core/backup/card-opener.ts';
import { type BackupRole, type BackupStep, SeedkeeperBackup, newBackupState, readerCardAccess } from '../core/backup/seedkeeper-backup.ts';
import { type CliCommand, EXIT, UsageError } from './common.ts';
import { type NewWalletOptions, prepareNewWallet, runNewWallet } from './keycard-new-wallet.ts';
import { type FlowReaders, type RoleSpec, checkPins, flowPins, flowReaders, requireFlowReaders, runResuming } from './card-flow.ts';

export const BACKUP_ROLES: Readonly<Record<BackupRole, RoleSpec>> = {
  master: { title: 'master Seedkeeper', pinEnv: 'TAPDESK_PIN' },
  backup: { title: 'backup Seedkeeper', pinEnv: 'TAPDESK_BACKUP_PIN' },
};

const STEPS: readonly BackupStep[] = ['read-master', 'prepare-backup', 'export-from-master', 'import-to-backup', 'verify', 'done'];
const STEP_TEXT: Readonly<Record<BackupStep, string>> = {
  'read-master': 'reading the secrets on the master',
  'prepare-backup': 'preparing the backup card',
  'export-from-master': 'exporting the secrets from the master (encrypted for the backup card)',
  'import-to-backup': 'importing the secrets into the backup card',
  verify: 'checking every fingerprint on the backup card',
  done: 'done',
};

type BackupOptions = { readonly kind: 'seedkeeper'; readonly readers: FlowReaders<BackupRole> } | ({ readonly kind: 'keycard' } & NewWalletOptions);

export const backupCommand: CliCommand<BackupOptions> = {
  usage: [
    'tapdesk backup --from READER --to READER [--json]   (Seedkeeper -> Seedkeeper; PINs: TAPDESK_PIN, TAPDESK_BACKUP_PIN or prompts)',
    'tapdesk backup --swap --reader READER [--json]      (one reader: swap the cards when told)',
    'tapdesk backup --new-wallet --from READER --to READER [--no-show] [--replace] [--setup-new] [--words 12|15|18|21|24] [--json]',
    'tapdesk backup --new-wallet --swap --reader READER [...]',
    '    a new Keycard wallet on two Keycards, its words shown once (PINs: TAPDESK_PIN first card, TAPDESK_BACKUP_PIN backup card, or prompts;',
    '    --setup-new sets up cards in factory state with that PIN and a PUK: TAPDESK_PUK / TAPDESK_BACKUP_PUK, or prompts)',
  ],

  prepare(values, io) {
    if (values['new-wallet']) return { kind: 'keycard', ...prepareNewWallet(values, io) };
    for (const option of ['no-show', 'replace', 'setup-new', 'words'] as const) {
      if (values[option] !== undefined && values[option] !== false) throw new UsageError(`backup: --${option} goes with --new-wallet (Keycard)`);
    }
    const readers = flowReaders<BackupRole>(values, 'backup', 'master', 'backup');
    checkPins(io, BACKUP_ROLES, 'backup');
    return { kind: 'seedkeeper', readers };
  },

  async run(options, context) {
    if (options.kind === 'keycard') return runNewWallet(options, context);
    const { readers } = options;
    const { io } = context;
    requireFlowReaders(context, readers);
    const pins = flowPins(io, BACKUP_ROLES);
    const opener = new CardOpener<BackupRole>(context.readers, {
      roles: {
        master: { reader: readers.byRole.master, applet: 'seedkeeper', title: BACKUP_ROLES.master.title },
        backup: { reader: readers.byRole.backup, applet: 'seedkeeper', title: BACKUP_ROLES.backup.title },
      },
      ...pins.options,
    });
    if (readers.swap) io.err(`One reader (${readers.byRole.master}): put on and take off the cards when told.`);
    let lastLine = '';
    const flow = new SeedkeeperBackup(readerCardAccess(opener), newBackupState(), (p) => {
      const line = `[${STEPS.indexOf(p.step) + 1}/${STEPS.length}] ${STEP_TEXT[p.step]} (${p.copied}/${p.total} copied)`;
      if (line !== lastLine) io.err(line);
      lastLine = line;
    });
    let outcome;
    try {
      outcome = await runResuming(context, () => flow.run(), {
        what: 'backup',
        readers,
        roles: BACKUP_ROLES,
        giveUpHint: 'Run the command again: secrets already on the backup card are recognised by fingerprint and not copied twice.',
      });
    } catch (error) {
      throw pins.wrongPin(error) ?? error;
    }
    const state = outcome.result;
    const copied = state.plan
      .filter((secret) => state.copied.has(secret.sid))
      .map((secret) => ({ sid: secret.sid, label: secret.label, type: secretTypeName(secret.type), typeCode: secret.type, fingerprint: state.copied.get(secret.sid)! }));
    if (context.json) {
      io.out(JSON.stringify({ from: readers.byRole.master, to: readers.byRole.backup, swap: readers.swap, interruptions: outcome.interruptions, copied }, null, 2));
    } else {
      const where = readers.swap ? `on ${readers.byRole.master}` : `${readers.byRole.master} -> ${readers.byRole.backup}`;
      io.out(`Backed up ${copied.length} secret${copied.length === 1 ? '' : 's'} from the master to the backup Seedkeeper (${where}), every fingerprint checked on the backup card:`);
      const width = Math.max(...copied.map((c) => c.type.length));
      for (const c of copied) io.out(`  ${c.fingerprint}  ${c.type.padEnd(width)}  ${JSON.stringify(c.label)}`);
    }
    return EXIT.OK;
  },
};
