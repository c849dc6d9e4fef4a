/**
 * `tapdesk backup --new-wallet --from READER --to READER` or `--new-wallet --swap --reader READER`:
 * a new Keycard wallet born on two cards at once (main/core/backup/keycard-new-wallet.ts; Keycard
 * 3.x has no card-to-card copy). The first card draws the words; they are shown ONCE on the
 * terminal (stderr, never stdout, never in --json) unless --no-show; the seed is loaded into both
 * cards and both must give the same key UID and key on m/44'/60'/0'/0/0.
 *
 * PINs: TAPDESK_PIN (first card), TAPDESK_BACKUP_PIN (backup card), else hidden prompts, each asked
 * once when its card is open. Pairing: the stored one, else PAIR with TAPDESK_PAIRING_PASSWORD or
 * the factory default (stored). --replace lets it overwrite cards that already hold a wallet.
 * --words 12|15|18|21|24 (default 12). A card pulled mid-step: put it back, the flow goes on.
 * --setup-new: a card in factory state is set up (INIT) with its PIN above (typed twice when asked at
 * the prompt) and a PUK: TAPDESK_PUK (first card) / TAPDESK_BACKUP_PUK (backup card), else typed
 * twice at a hidden prompt; without it such a card is refused (NOT_INITIALIZED).
 */
import type { MnemonicWordCount } from '../../drivers/keycard/client.ts';
import { isBackupError } from '../core/backup/errors.ts';
import { KeycardNewWallet, type NewWalletRole, type NewWalletStep } from '../core/backup/keycard-new-wallet.ts';
import { type CliContext, type CliIo, type CliValues, CliFailure, EXIT, UsageError } from './common.ts';
import { type FlowReaders, type RoleSpec, checkPins, flowPins, flowReaders, requireFlowReaders, runResuming } from './card-flow.ts';
import { KEYCARD_ENV, cliPairings, implicitPairingPassword, readNewKeycardSecret } from './keycard.ts';

export const NEW_WALLET_ROLES: Readonly<Record<NewWalletRole, RoleSpec>> = {
  first: { title: 'first Keycard', pinEnv: KEYCARD_ENV.pin },
  backup: { title: 'backup Keycard', pinEnv: KEYCARD_ENV.backupPin },
};

/** Where --setup-new reads the PUK of a card in factory state. */
const PUK_ENV: Readonly<Record<NewWalletRole, string>> = { first: KEYCARD_ENV.puk, backup: KEYCARD_ENV.backupPuk };

const WORD_COUNTS: readonly MnemonicWordCount[] = [12, 15, 18, 21, 24];

export interface NewWalletOptions {
  readonly readers: FlowReaders<NewWalletRole>;
  readonly show: boolean;
  readonly replace: boolean;
  readonly words: MnemonicWordCount;
  /** Set up cards in factory state (their PIN, a PUK) instead of refusing them. */
  readonly setupNew: boolean;
}

export function prepareNewWallet(values: CliValues, io: CliIo): NewWalletOptions {
  const readers = flowReaders<NewWalletRole>(values, 'backup --new-wallet', 'first', 'backup');
  let words: MnemonicWordCount = 12;
  if (values.words !== undefined) {
    const count = Number(values.words);
    if (!/^[0-9]+$/.test(values.words) || !WORD_COUNTS.includes(count as MnemonicWordCount)) throw new UsageError(`bad --words ${JSON.stringify(values.words)}: one of ${WORD_COUNTS.join(', ')}`);
    words = count as MnemonicWordCount;
  }
  checkPins(io, NEW_WALLET_ROLES, 'backup --new-wallet');
  return { readers, show: !values['no-show'], replace: Boolean(values.replace), words, setupNew: Boolean(values['setup-new']) };
}

/** The words, numbered, with the warning; printed once to stderr (the terminal), never to stdout. */
function showWords(io: CliIo, words: readonly string[]): void {
  const width = Math.max(...words.map((w) => w.length));
  io.err('');
  io.err(`WRITE DOWN THESE ${words.length} WORDS NOW, in this order, on paper. They are shown this once and never again.`);
  io.err('With them anyone can take this wallet; without them (and without both cards) it is lost. Never type them into a computer or phone.');
  io.err('');
  for (let row = 0; row < words.length; row += 4) {
    const cells = words.slice(row, row + 4).map((word, i) => `${String(row + i + 1).padStart(2)}. ${word.padEnd(width)}`);
    io.err(`  ${cells.join('   ')}`.trimEnd());
  }
  io.err('');
}

const STEP_TEXT = (step: NewWalletStep): string => {
  switch (step.kind) {
    case 'mnemonic-generated':
      return `The first Keycard drew ${step.words} words.`;
    case 'mnemonic-shown':
      return 'The words were shown; the wallet goes onto the cards now.';
    case 'loaded':
      return `Loaded the wallet onto the ${NEW_WALLET_ROLES[step.role].title} (key UID ${step.keyUid}).`;
    case 'verified':
      return 'Both cards derive the same wallet.';
  }
};

/**
 * The PIN and PUK a card of `role` in factory state is set up with: its PIN as given for the flow
 * (typed once more when it came from the prompt: it becomes the card's PIN), and a new PUK.
 */
async function setupSecrets(io: CliIo, role: NewWalletRole, pinOf: (role: NewWalletRole) => Promise<string>): Promise<{ pin: string; puk: string }> {
  const { title, pinEnv } = NEW_WALLET_ROLES[role];
  io.err(`The ${title} is new (factory state): it is set up with the PIN given for it and a PUK.`);
  const pin = await pinOf(role);
  if (!io.env?.[pinEnv] && io.promptSecret) {
    const again = await io.promptSecret(`PIN of the ${title} again (it becomes the card's PIN): `);
    if (again !== pin) throw new UsageError(`the two PINs typed for the ${title} differ; the card was not set up`);
  }
  const puk = await readNewKeycardSecret(io, 'PUK', PUK_ENV[role], `New PUK of the ${title} (12 digits)`, `backup --new-wallet --setup-new (${title})`);
  return { pin, puk };
}

export async function runNewWallet(options: NewWalletOptions, context: CliContext): Promise<number> {
  const { io } = context;
  const { readers } = options;
  requireFlowReaders(context, readers);
  const pins = flowPins(io, NEW_WALLET_ROLES);
  const password = implicitPairingPassword(io);
  if (readers.swap) io.err(`One reader (${readers.byRole.first}): put on and take off the cards when told.`);
  if (!options.show) {
    io.err('WARNING: --no-show: the words of this wallet are never shown, so there is NO paper backup.');
    io.err('If both cards are lost, broken or blocked, the wallet and its funds are gone for good.');
  }
  const flow = new KeycardNewWallet({
    slots: context.readers,
    readers: readers.byRole,
    pin: pins.options.pin,
    ...(options.setupNew ? { setup: (role: NewWalletRole) => setupSecrets(io, role, pins.options.pin) } : {}),
    pairings: cliPairings(io),
    ...(password !== undefined ? { pairingPassword: password } : {}),
    words: options.words,
    replaceExistingKeys: options.replace,
    onPrompt: pins.options.onPrompt,
    onStep: (step) => io.err(STEP_TEXT(step)),
    ...(options.show
      ? {
          showMnemonic: async (words: readonly string[]) => {
            showWords(io, words);
            if (io.promptSecret) await io.promptSecret('Press Enter once the words are written down (they will not be shown again): ');
          },
        }
      : {}),
  });
  let outcome;
  try {
    outcome = await runResuming(context, () => flow.run(), {
      what: 'new wallet',
      readers,
      roles: NEW_WALLET_ROLES,
      giveUpHint: 'Run the command again: a new wallet (new words) is made from the start; cards already loaded are replaced only with --replace.',
    });
  } catch (error) {
    flow.wipe();
    if (isBackupError(error, 'TARGET_SEEDED')) {
      throw new CliFailure(EXIT.CARD, error.message, 'Use a card without a wallet, or add --replace to overwrite it (that wallet is lost unless its words are written down).');
    }
    throw pins.wrongPin(error) ?? error;
  }
  const result = outcome.result;
  if (context.json) {
    io.out(
      JSON.stringify(
        {
          from: readers.byRole.first,
          to: readers.byRole.backup,
          swap: readers.swap,
          interruptions: outcome.interruptions,
          keyUid: result.keyUid,
          checkPath: result.checkPath,
          publicKey: result.publicKey,
          mnemonicShown: result.mnemonicShown,
          cards: {
            first: { reader: readers.byRole.first, ...result.cards.first },
            backup: { reader: readers.byRole.backup, ...result.cards.backup },
          },
        },
        null,
        2,
      ),
    );
  } else {
    const where = readers.swap ? `on ${readers.byRole.first}` : `${readers.byRole.first} and ${readers.byRole.backup}`;
    io.out(`New wallet on two Keycards (${where}), both checked to derive the same keys${result.mnemonicShown ? '' : ' (words NOT shown: no paper backup)'}:`);
    io.out(`key UID:              ${result.keyUid}`);
    io.out(`public key at ${result.checkPath}: ${result.publicKey}`);
    io.out(`first Keycard:        ${result.cards.first.instanceUid}`);
    io.out(`backup Keycard:       ${result.cards.backup.instanceUid}`);
  }
  return EXIT.OK;
}
