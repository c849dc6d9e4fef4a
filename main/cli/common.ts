/**
 * What every `tapdesk` command shares: the I/O seam (tests capture it), the readers it runs on,
 * failures with their exit status, error display, and PINs (never from argv).
 */
import { isDriverError } from '../../drivers/errors.ts';
import { isKeycardError } from '../../drivers/keycard/errors.ts';
import { isSatochipError } from '../../drivers/satochip/errors.ts';
import type { CardView, ReadersSnapshot, ReaderView } from '../../preload/contract.ts';
import type { CardPrompt, CardSlots } from '../core/backup/card-opener.ts';
import { isBackupError } from '../core/backup/errors.ts';
import type { PairingStore } from '../core/keycard/pairings.ts';

/** Exit status (also in the header comment of main/cli.ts and in README.md). */
export const EXIT = {
  OK: 0,
  /** The reader or card is not there, or the card (or a flow) failed: wrong PIN, wrong card, ... */
  CARD: 1,
  USAGE: 2,
  /** PC/SC is not usable (service not running, binding missing). */
  NO_PCSC: 3,
} as const;

export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  /**
   * Environment (TAPDESK_PIN, TAPDESK_BACKUP_PIN, TAPDESK_SATOCHIP_PIN; Keycard: TAPDESK_PUK,
   * TAPDESK_NEW_PIN, TAPDESK_NEW_PUK, TAPDESK_PAIRING_PASSWORD; TAPDESK_CONFIG_DIR for the pairings).
   */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Ask for a secret without echo; absent when there is no terminal. */
  readonly promptSecret?: (question: string) => Promise<string>;
  /** Sees every card prompt of the card-to-card flows after it is printed (tests play the person). */
  readonly onCardPrompt?: (prompt: CardPrompt) => void;
  /** Keycard pairings to use instead of keycard-pairings.json in the config folder (tests). */
  readonly keycardPairings?: PairingStore;
}

/** The readers a command runs on: the ReaderService, or in tests any CardSlots with change events (InProcessSlots). */
export interface CliReaders extends CardSlots {
  onChange(listener: (snapshot: ReadersSnapshot) => void): () => void;
}

/** Options as parsed from argv (main/cli.ts holds the parseArgs table). */
export interface CliValues {
  readonly json: boolean;
  readonly demo: boolean;
  readonly wait: string;
  readonly swap: boolean;
  readonly reader?: string | undefined;
  readonly 'trust-root'?: string | undefined;
  readonly 'trust-key'?: string | undefined;
  readonly path?: string | undefined;
  readonly hex?: string | undefined;
  readonly version?: string | undefined;
  readonly from?: string | undefined;
  readonly to?: string | undefined;
  readonly sid?: string | undefined;
  readonly 'pin-tries'?: string | undefined;
  readonly 'puk-tries'?: string | undefined;
  readonly index?: string | undefined;
  /** keycard change-pin: change the PUK instead of the PIN. */
  readonly puk?: boolean | undefined;
  /** backup: a new Keycard wallet on two cards instead of a Seedkeeper copy. */
  readonly 'new-wallet'?: boolean | undefined;
  readonly 'no-show'?: boolean | undefined;
  readonly replace?: boolean | undefined;
  /** backup --new-wallet: set up Keycards in factory state (their PIN, and a PUK). */
  readonly 'setup-new'?: boolean | undefined;
  readonly words?: string | undefined;
}

export interface CliContext {
  readonly io: CliIo;
  readonly readers: CliReaders;
  /** The readers once enumerated and their cards identified. */
  readonly snapshot: ReadersSnapshot;
  readonly json: boolean;
}

/**
 * One `tapdesk` sub-command: `prepare` checks argv (and that the PINs can be had) before any
 * reader or card is touched; `run` does the work.
 */
export interface CliCommand<Options> {
  readonly usage: readonly string[];
  prepare(values: CliValues, io: CliIo): Options | Promise<Options>;
  run(options: Options, context: CliContext): Promise<number>;
}

/** A decided failure: the message is printed as is, the process exits with `exitCode`. */
export class CliFailure extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'CliFailure';
  }
}

/** Bad arguments (exit 2, the usage follows). */
export class UsageError extends CliFailure {
  constructor(message: string) {
    super(EXIT.USAGE, message);
    this.name = 'UsageError';
  }
}

/** Hints for the card and flow errors a person can act on (DriverError brings its own). */
const HINTS: Readonly<Record<string, string>> = {
  PIN_BLOCKED: 'The PIN is blocked: unblock it with the PUK in the Tapdesk app.',
  SETUP_NOT_DONE: 'The card has no PIN yet: set it up in the Tapdesk app first.',
  CARD_NOT_SET_UP: 'Give that card a PIN in the Tapdesk app first.',
  NOT_SEEDED: 'The Satochip has no seed yet: import or restore one first.',
  WRONG_CARD: 'Put the right card on that reader (or use --swap --reader NAME with a single reader).',
  SAME_CARD: 'Use two different cards.',
  CHOOSE_SECRET: 'Say which master seed to restore with --sid N.',
  TARGET_SEEDED: 'Restore onto an empty Satochip.',
  NOTHING_TO_COPY: 'Nothing was changed on either card.',
  TWO_FACTOR_REQUIRED: 'This card signs only with its 2FA device, which Tapdesk does not speak.',
  TIMEOUT: 'Nothing happened in time; run the command again (what was already copied is not copied twice).',
};

/** Hints for Keycard errors (the same code can mean another thing on a Satochip). */
const KEYCARD_HINTS: Readonly<Record<string, string>> = {
  PIN_BLOCKED: 'The PIN is blocked: unblock it with the PUK (tapdesk keycard unblock-pin --reader NAME).',
  PUK_BLOCKED: 'The PUK is used up: only a factory reset makes this Keycard usable again (its wallet is lost unless you have the words).',
  NOT_INITIALIZED: 'The Keycard is in factory state: set it up first with tapdesk keycard init --reader NAME (backup --new-wallet sets new cards up with --setup-new).',
  ALREADY_INITIALIZED: 'The Keycard is already set up: pair with it (tapdesk keycard pair --reader NAME) instead.',
  PAIRING_FAILED: 'Wrong pairing password for this Keycard: set TAPDESK_PAIRING_PASSWORD (or type it at the prompt of tapdesk keycard pair).',
  NO_FREE_PAIRING_SLOT: 'All 5 pairing slots of this Keycard are taken: free one from a host that is paired (tapdesk keycard unpair --reader NAME --index N).',
  NO_KEY: 'The Keycard holds no wallet yet: make one with tapdesk backup --new-wallet.',
  EXPORT_NOT_ALLOWED: "A Keycard exports no extended key inside m/43'/60'/1581' (EIP-1581).",
  UNSUPPORTED_VERSION: 'Only Keycard applet 3.x is supported.',
};

/**
 * The lines that describe a card, reader or flow error (their messages name the code and fields),
 * or null for an error we do not know (main() reports those without details).
 */
export function describeError(error: unknown): string[] | null {
  if (error instanceof CliFailure) return [`error: ${error.message}`, ...(error.hint ? [`hint: ${error.hint}`] : [])];
  if (isDriverError(error)) {
    const hint = error.hint ?? HINTS[error.code];
    return [`error: ${error.message}`, ...(hint ? [`hint: ${hint}`] : [])];
  }
  if (isKeycardError(error)) {
    const hint = KEYCARD_HINTS[error.code] ?? HINTS[error.code];
    return [`error: ${error.message}`, ...(hint ? [`hint: ${hint}`] : [])];
  }
  if (isSatochipError(error) || isBackupError(error)) {
    const hint = HINTS[error.code];
    return [`error: ${error.message}`, ...(hint ? [`hint: ${hint}`] : [])];
  }
  return null;
}

/** Print `error` when we know it and return its exit status; rethrow an unknown one. */
export function reportError(error: unknown, io: CliIo): number {
  const lines = describeError(error);
  if (!lines) throw error;
  for (const line of lines) io.err(line);
  return error instanceof CliFailure ? error.exitCode : EXIT.CARD;
}

/** A wrong PIN (Satochip, Seedkeeper or Keycard) is never retried: say so, with the tries left (exit 1). */
export function wrongPinFailure(error: unknown, whose: string, source: string): CliFailure | null {
  if (isKeycardError(error, 'PIN_INVALID') || isKeycardError(error, 'PUK_INVALID')) {
    const what = error.code === 'PIN_INVALID' ? 'PIN' : 'PUK';
    const left = error.info.triesLeft;
    return new CliFailure(
      EXIT.CARD,
      `wrong ${what} for the ${whose}: ${left === undefined ? 'some' : left} ${left === 1 ? 'try' : 'tries'} left (code=${error.code}, triesLeft=${left})`,
      `Not retried. Check the ${what} (${source}) before running the command again; the card blocks after the last try.`,
    );
  }
  if (isKeycardError(error, 'PIN_BLOCKED') || isKeycardError(error, 'PUK_BLOCKED')) {
    const what = error.code === 'PIN_BLOCKED' ? 'PIN' : 'PUK';
    return new CliFailure(EXIT.CARD, `the ${what} of the ${whose} is blocked (code=${error.code})`, KEYCARD_HINTS[error.code]);
  }
  if (isSatochipError(error, 'PIN_INVALID')) {
    const left = (error.info as { triesLeft?: number }).triesLeft;
    return new CliFailure(
      EXIT.CARD,
      `wrong PIN for the ${whose}: ${left === undefined ? 'some' : left} ${left === 1 ? 'try' : 'tries'} left (code=PIN_INVALID, triesLeft=${left})`,
      `Not retried. Check the PIN (${source}) before running the command again; the card blocks after the last try.`,
    );
  }
  if (isSatochipError(error, 'PIN_BLOCKED')) {
    return new CliFailure(EXIT.CARD, `the PIN of the ${whose} is blocked (code=PIN_BLOCKED)`, HINTS.PIN_BLOCKED);
  }
  return null;
}

export function serviceProblem(snapshot: ReadersSnapshot, io: CliIo): boolean {
  if (snapshot.service === 'running') return false;
  if (snapshot.readers.length > 0) return false; // demo reader only
  io.err(snapshot.service === 'not-running' ? 'PC/SC service is not running.' : 'PC/SC is unavailable.');
  if (snapshot.hint) io.err(`hint: ${snapshot.hint}`);
  return true;
}

/** The named reader, or a failure: exit 3 when PC/SC itself is the problem, else 1 naming the readers there are. */
export function requireReader(snapshot: ReadersSnapshot, name: string, io: CliIo): ReaderView {
  const reader = snapshot.readers.find((r) => r.name === name);
  if (reader) return reader;
  if (serviceProblem(snapshot, io)) throw new CliFailure(EXIT.NO_PCSC, `cannot reach reader ${JSON.stringify(name)} without PC/SC`);
  const known = snapshot.readers.map((r) => JSON.stringify(r.name)).join(', ') || 'none';
  throw new CliFailure(EXIT.CARD, `no reader named ${JSON.stringify(name)} (readers: ${known})`);
}

export function describeCard(card: CardView | null): string {
  if (!card) return 'no card';
  switch (card.status) {
    case 'identified':
      return `${card.product} (${card.family})`;
    case 'unknown':
      return `unknown card, ATR ${card.atr}`;
    case 'identifying':
      return 'identifying...';
    case 'error':
      return `error: ${card.error?.message ?? 'unknown'}`;
  }
}

/**
 * A PIN from the environment, else from the hidden prompt; UsageError when neither can give one
 * (no terminal) or the answer is empty.
 */
export async function readPin(io: CliIo, envName: string, question: string, purpose: string): Promise<string> {
  const fromEnv = io.env?.[envName];
  if (fromEnv) return fromEnv;
  if (!io.promptSecret) throw missingPin(envName, purpose);
  const typed = await io.promptSecret(question);
  if (!typed) throw new UsageError(`no PIN given for ${purpose}`);
  return typed;
}

/** True when `envName` is set or a prompt can ask. */
export function pinAvailable(io: CliIo, envName: string): boolean {
  return Boolean(io.env?.[envName]) || Boolean(io.promptSecret);
}

export function missingPin(envName: string, purpose: string): UsageError {
  return new UsageError(`${purpose} needs a PIN: set ${envName} or run it in a terminal to be asked (never on the command line)`);
}

export const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
