/**
 * What the Keycard commands share: the secrets (PIN, PUK, new PIN/PUK, pairing password: from the
 * environment or a hidden prompt, never argv, checked for their format before any card is touched),
 * the pairing store (keycard-pairings.json in the config folder, TAPDESK_CONFIG_DIR honoured), and
 * one Keycard session on a reader: SELECT, the stored pairing or PAIR, secure channel, VERIFY PIN
 * (once, never retried).
 */
import { DEFAULT_PAIRING_PASSWORD, KeycardClient } from '../../drivers/keycard/client.ts';
import { type InitializedSelect, type OpenedKeycard, openKeycard } from '../core/keycard/open.ts';
import { FilePairingStore, type PairingStore } from '../core/keycard/pairings.ts';
import { keycardPairings } from '../core/keycard/app-pairings.ts';
import { type CliContext, type CliIo, CliFailure, EXIT, UsageError, describeCard, missingPin, requireReader, wrongPinFailure } from './common.ts';

export const KEYCARD_ENV = {
  pin: 'TAPDESK_PIN',
  puk: 'TAPDESK_PUK',
  newPin: 'TAPDESK_NEW_PIN',
  newPuk: 'TAPDESK_NEW_PUK',
  pairingPassword: 'TAPDESK_PAIRING_PASSWORD',
  backupPin: 'TAPDESK_BACKUP_PIN',
  backupPuk: 'TAPDESK_BACKUP_PUK',
} as const;

export type SecretKind = 'PIN' | 'PUK';

const FORMAT: Readonly<Record<SecretKind, { digits: number }>> = { PIN: { digits: 6 }, PUK: { digits: 12 } };

/** Null when `value` is a Keycard PIN (6 digits) / PUK (12 digits), else why not (never echoing it). */
export function keycardSecretProblem(kind: SecretKind, value: string): string | null {
  const { digits } = FORMAT[kind];
  return new RegExp(`^[0-9]{${digits}}$`).test(value) ? null : `a Keycard ${kind} is exactly ${digits} digits`;
}

/**
 * A Keycard PIN or PUK from `envName`, else the hidden prompt; UsageError (exit 2) when neither can
 * give one, or the value is not in the Keycard's format (the value itself is never printed).
 */
export async function readKeycardSecret(io: CliIo, kind: SecretKind, envName: string, question: string, purpose: string): Promise<string> {
  const fromEnv = io.env?.[envName];
  if (fromEnv) {
    const problem = keycardSecretProblem(kind, fromEnv);
    if (problem) throw new UsageError(`${envName} is not usable for ${purpose}: ${problem}`);
    return fromEnv;
  }
  if (!io.promptSecret) throw missingSecret(kind, envName, purpose);
  const typed = await io.promptSecret(question);
  if (!typed) throw new UsageError(`no ${kind} given for ${purpose}`);
  const problem = keycardSecretProblem(kind, typed);
  if (problem) throw new UsageError(`the ${kind} typed for ${purpose} is not usable: ${problem}`);
  return typed;
}

/** A new PIN or PUK: from `envName`, else typed twice at the hidden prompt (both must match). */
export async function readNewKeycardSecret(io: CliIo, kind: SecretKind, envName: string, what: string, purpose: string): Promise<string> {
  const fromEnv = io.env?.[envName];
  if (fromEnv) return readKeycardSecret(io, kind, envName, '', purpose);
  if (!io.promptSecret) throw missingSecret(kind, envName, purpose);
  const first = await readKeycardSecret(io, kind, envName, `${what}: `, purpose);
  const again = await io.promptSecret(`${what} again: `);
  if (again !== first) throw new UsageError(`the two ${kind}s typed for ${purpose} differ; nothing was changed`);
  return first;
}

function missingSecret(kind: SecretKind, envName: string, purpose: string): UsageError {
  if (kind === 'PIN') return missingPin(envName, purpose);
  return new UsageError(`${purpose} needs a ${kind}: set ${envName} or run it in a terminal to be asked (never on the command line)`);
}

/** The Keycard PIN of the single-card commands (TAPDESK_PIN or "Keycard PIN: "). */
export function keycardPin(io: CliIo, command: string): Promise<string> {
  return readKeycardSecret(io, 'PIN', KEYCARD_ENV.pin, 'Keycard PIN: ', command);
}

/**
 * The pairing password for a card we have no pairing with: TAPDESK_PAIRING_PASSWORD, else (only when
 * `ask` and there is a terminal) the hidden prompt where Enter means the factory default, else the
 * factory default. `confirm`: a typed non-default password is asked twice (setting it on a card).
 */
export async function pairingPassword(io: CliIo, options: { readonly ask: boolean; readonly confirm?: boolean }): Promise<{ password: string; isDefault: boolean; source: string }> {
  const fromEnv = io.env?.[KEYCARD_ENV.pairingPassword];
  if (fromEnv) return { password: fromEnv, isDefault: fromEnv === DEFAULT_PAIRING_PASSWORD, source: KEYCARD_ENV.pairingPassword };
  if (options.ask && io.promptSecret) {
    const typed = await io.promptSecret('Pairing password (Enter for the factory default): ');
    if (!typed) return { password: DEFAULT_PAIRING_PASSWORD, isDefault: true, source: 'the factory default' };
    if (options.confirm) {
      const again = await io.promptSecret('Pairing password again: ');
      if (again !== typed) throw new UsageError('the two pairing passwords typed differ; nothing was sent to the card');
    }
    return { password: typed, isDefault: typed === DEFAULT_PAIRING_PASSWORD, source: 'the prompt' };
  }
  return { password: DEFAULT_PAIRING_PASSWORD, isDefault: true, source: 'the factory default' };
}

/** The password to pair with when a command finds no stored pairing (no prompt: TAPDESK_PAIRING_PASSWORD or the default). */
export function implicitPairingPassword(io: CliIo): string | undefined {
  return io.env?.[KEYCARD_ENV.pairingPassword] || undefined;
}

/**
 * The Keycard pairings of this run: the injected store (tests), else keycard-pairings.json in
 * TAPDESK_CONFIG_DIR when the command's environment names one, else the app's store.
 */
export function cliPairings(io: CliIo): PairingStore {
  if (io.keycardPairings) return io.keycardPairings;
  const dir = io.env?.TAPDESK_CONFIG_DIR;
  const store = dir ? new FilePairingStore(dir) : keycardPairings();
  if (store instanceof FilePairingStore && store.problem) io.err(`warning: ${store.problem} (cards will be paired again)`);
  return store;
}

/** The reader must hold an identified Keycard (exit 1 naming what is there). */
export function requireKeycardReader(context: CliContext, readerName: string): void {
  const reader = requireReader(context.snapshot, readerName, context.io);
  if (!reader.card) throw new CliFailure(EXIT.CARD, `no card in ${JSON.stringify(readerName)}`);
  if (reader.card.status !== 'identified' || reader.card.family !== 'keycard') {
    throw new CliFailure(EXIT.CARD, `this needs a Keycard on ${JSON.stringify(readerName)}; the card there is: ${describeCard(reader.card)}`);
  }
}

/** The family of the identified card on the reader (undefined when none or not identified); exit 1/3 when there is no such reader. */
export function familyOn(context: CliContext, readerName: string): string | undefined {
  const card = requireReader(context.snapshot, readerName, context.io).card;
  return card?.status === 'identified' ? card.family : undefined;
}

/** A raw Keycard client in a session on the reader (the reader must hold a Keycard). */
export async function withKeycardClient<T>(context: CliContext, readerName: string, work: (client: KeycardClient) => Promise<T>): Promise<T> {
  requireKeycardReader(context, readerName);
  return context.readers.withSession(readerName, (session) => work(new KeycardClient({ send: (command) => session.send(command) })));
}

export interface KeycardSessionOptions {
  readonly pairings: PairingStore;
  /** Verify this PIN (once, never retried) before `work`; no PIN: a channel only. */
  readonly pin?: string;
  /** Where the PIN came from, for the wrong-PIN hint. */
  readonly pinSource?: string;
  readonly accept?: (select: InitializedSelect) => void;
}

/**
 * SELECT, the stored pairing (or PAIR with TAPDESK_PAIRING_PASSWORD / the default, stored), secure
 * channel, VERIFY PIN when given, then `work`. A wrong PIN: exit 1 with the tries left.
 */
export async function withKeycard<T>(
  context: CliContext,
  readerName: string,
  options: KeycardSessionOptions,
  work: (client: KeycardClient, opened: OpenedKeycard) => Promise<T>,
): Promise<T> {
  const password = implicitPairingPassword(context.io);
  return withKeycardClient(context, readerName, async (client) => {
    const opened = await openKeycard(client, {
      pairings: options.pairings,
      ...(password !== undefined ? { pairingPassword: password } : {}),
      ...(options.accept ? { accept: options.accept } : {}),
    });
    if (opened.paired) context.io.err(`Paired with the Keycard ${opened.instanceUid} (slot ${options.pairings.get(opened.instanceUid)?.index}); the pairing is kept for next time.`);
    if (options.pin !== undefined) {
      try {
        await client.verifyPin(options.pin);
      } catch (error) {
        throw wrongPinFailure(error, 'Keycard', options.pinSource ?? KEYCARD_ENV.pin) ?? error;
      }
    }
    return work(client, opened);
  });
}

export function keycardHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

/** A count option (--pin-tries N): an integer in [min, max] or UsageError; undefined when absent. */
export function intOption(value: string | undefined, option: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^[0-9]+$/.test(value) || Number(value) < min || Number(value) > max) throw new UsageError(`bad --${option} ${JSON.stringify(value)}: a whole number from ${min} to ${max}`);
  return Number(value);
}

/** Turns a Keycard applet version into "3.1". */
export function versionText(select: InitializedSelect): string {
  return `${select.version.major}.${select.version.minor}`;
}
