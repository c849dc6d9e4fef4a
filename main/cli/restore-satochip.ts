/**
 * `tapdesk restore-satochip --from SEEDKEEPER_READER --to SATOCHIP_READER [--sid N] [--json]` or
 * `tapdesk restore-satochip --swap --reader READER [--sid N] [--json]`: seeds an empty Satochip
 * with a master seed of a Seedkeeper, encrypted card to card (main/core/backup/satochip-restore.ts),
 * then proves the copy. PINs: TAPDESK_PIN (Seedkeeper) and TAPDESK_SATOCHIP_PIN (Satochip), else
 * hidden prompts, each asked once when first needed.
 */
import { type RestoreRole, type RestoreStep, SatochipRestore, VERIFY_PATH, newRestoreState } from '../core/backup/satochip-restore.ts';
import { CardOpener } from '../core/backup/card-opener.ts';
import { type CliCommand, EXIT, UsageError, hex } from './common.ts';
import { type FlowReaders, type RoleSpec, checkPins, flowPins, flowReaders, requireFlowReaders, runResuming } from './card-flow.ts';

export const RESTORE_ROLES: Readonly<Record<RestoreRole, RoleSpec>> = {
  seedkeeper: { title: 'Seedkeeper', pinEnv: 'TAPDESK_PIN' },
  satochip: { title: 'Satochip', pinEnv: 'TAPDESK_SATOCHIP_PIN' },
};

const STEPS: readonly RestoreStep[] = ['read-seedkeeper', 'prepare-satochip', 'export', 'import', 'verify', 'done'];
const STEP_TEXT: Readonly<Record<RestoreStep, string>> = {
  'read-seedkeeper': 'finding the master seed on the Seedkeeper',
  'prepare-satochip': 'checking the Satochip is empty',
  export: 'exporting the seed from the Seedkeeper (encrypted for the Satochip)',
  import: 'importing the seed into the Satochip',
  verify: 'checking the Satochip derives the same keys',
  done: 'done',
};

const VERIFIED_BY_TEXT = {
  'derived-key': `the Satochip's public key at ${VERIFY_PATH} equals the one the Seedkeeper derives from its seed`,
  'satochip-fingerprint-check':
    'the seed may leave the Seedkeeper only encrypted, so the Seedkeeper cannot derive a key to compare; the Satochip checked the seed fingerprint itself on import',
} as const;

interface RestoreOptions extends FlowReaders<RestoreRole> {
  readonly sid: number | null;
}

function parseSid(value: string | undefined): number | null {
  if (value === undefined) return null;
  if (!/^\d{1,5}$/.test(value) || Number(value) > 0xffff) throw new UsageError(`bad --sid ${JSON.stringify(value)}: the secret id, a number 0..65535`);
  return Number(value);
}

export const restoreSatochipCommand: CliCommand<RestoreOptions> = {
  usage: [
    'tapdesk restore-satochip --from READER --to READER [--sid N] [--json]   (Seedkeeper seed -> empty Satochip; PINs: TAPDESK_PIN, TAPDESK_SATOCHIP_PIN or prompts)',
    'tapdesk restore-satochip --swap --reader READER [--sid N] [--json]',
  ],

  prepare(values, io) {
    const readers = flowReaders<RestoreRole>(values, 'restore-satochip', 'seedkeeper', 'satochip');
    const sid = parseSid(values.sid);
    checkPins(io, RESTORE_ROLES, 'restore-satochip');
    return { ...readers, sid };
  },

  async run(options, context) {
    const { io } = context;
    requireFlowReaders(context, options);
    const pins = flowPins(io, RESTORE_ROLES);
    const opener = new CardOpener<RestoreRole>(context.readers, {
      roles: {
        seedkeeper: { reader: options.byRole.seedkeeper, applet: 'seedkeeper', title: RESTORE_ROLES.seedkeeper.title },
        satochip: { reader: options.byRole.satochip, applet: 'satochip', title: RESTORE_ROLES.satochip.title },
      },
      ...pins.options,
    });
    if (options.swap) io.err(`One reader (${options.byRole.seedkeeper}): put on and take off the cards when told.`);
    const flow = new SatochipRestore(opener, newRestoreState(options.sid), (step) => io.err(`[${STEPS.indexOf(step) + 1}/${STEPS.length}] ${STEP_TEXT[step]}`));
    let outcome;
    try {
      outcome = await runResuming(context, () => flow.run(), {
        what: 'restore',
        readers: options,
        roles: RESTORE_ROLES,
        giveUpHint: `Run the command again. If the Satochip already took the seed, it will refuse a second one (TARGET_SEEDED): check its key at ${VERIFY_PATH} with tapdesk xpub instead.`,
      });
    } catch (error) {
      throw pins.wrongPin(error) ?? error;
    }
    const state = outcome.result;
    const key = state.satochipKey!;
    const verifiedBy = state.verifiedBy!;
    const result = {
      from: options.byRole.seedkeeper,
      to: options.byRole.satochip,
      swap: options.swap,
      interruptions: outcome.interruptions,
      seed: { sid: state.sid, label: state.label, exportRights: state.exportRights },
      verifiedBy,
      verifyPath: VERIFY_PATH,
      publicKey: hex(key.publicKey),
      chainCode: hex(key.chainCode),
    };
    if (context.json) io.out(JSON.stringify(result, null, 2));
    else {
      io.out(`Restored the Satochip (${options.byRole.satochip}) from the Seedkeeper's master seed #${state.sid} ${JSON.stringify(state.label)}.`);
      io.out(`verified by: ${verifiedBy} (${VERIFIED_BY_TEXT[verifiedBy]})`);
      io.out(`Satochip key at ${VERIFY_PATH}: ${result.publicKey}`);
      io.out(`chain code:  ${result.chainCode}`);
    }
    return EXIT.OK;
  },
};
