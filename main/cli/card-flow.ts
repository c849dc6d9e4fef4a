/**
 * What the card-to-card commands (backup, restore-satochip) share: which readers (--from/--to, or
 * --swap --reader with one reader), the PIN of each role asked once and only when the card opener
 * first needs it, the opener's prompts printed as they come, and the resume loop: a card pulled
 * mid-step (CARD_REMOVED / NO_CARD) is put back and the SAME flow state runs on, a few times at most.
 * A wrong PIN is never retried.
 */
import { isDriverError } from '../../drivers/errors.ts';
import type { CardOpenerOptions, CardPrompt } from '../core/backup/card-opener.ts';
import { type CliContext, type CliIo, type CliValues, CliFailure, EXIT, UsageError, missingPin, pinAvailable, readPin, requireReader, wrongPinFailure } from './common.ts';

/** Interruptions (card pulled) the commands resume from before giving up. */
export const MAX_INTERRUPTIONS = 5;

export interface RoleSpec {
  /** How the person calls the card: "master Seedkeeper". */
  readonly title: string;
  /** Where its PIN may come from instead of a prompt. */
  readonly pinEnv: string;
}

export interface FlowReaders<Role extends string> {
  readonly byRole: Readonly<Record<Role, string>>;
  readonly swap: boolean;
}

/**
 * `--from A --to B` (a reader per role; the same name twice means swapping on it) or
 * `--swap --reader R` (one reader, the person swaps the cards when told).
 */
export function flowReaders<Role extends string>(values: CliValues, command: string, fromRole: Role, toRole: Role): FlowReaders<Role> {
  if (values.swap) {
    if (values.from || values.to) throw new UsageError(`${command}: use either --from/--to (two readers) or --swap --reader NAME (one reader), not both`);
    if (!values.reader) throw new UsageError(`${command} --swap needs --reader NAME`);
    return { byRole: { [fromRole]: values.reader, [toRole]: values.reader } as Record<Role, string>, swap: true };
  }
  if (values.reader) throw new UsageError(`${command}: --reader goes with --swap (one reader); with two readers use --from and --to`);
  if (!values.from || !values.to) throw new UsageError(`${command} needs --from READER --to READER, or --swap --reader READER`);
  return { byRole: { [fromRole]: values.from, [toRole]: values.to } as Record<Role, string>, swap: values.from === values.to };
}

/** Fails (exit 2) before any card is touched when a role's PIN can come from nowhere. */
export function checkPins<Role extends string>(io: CliIo, roles: Readonly<Record<Role, RoleSpec>>, command: string): void {
  for (const spec of Object.values<RoleSpec>(roles)) {
    if (!pinAvailable(io, spec.pinEnv)) throw missingPin(spec.pinEnv, `${command} (${spec.title})`);
  }
}

/**
 * The opener's `pin`, `onPrompt` and how to name the last role asked for, for a flow's roles:
 * each PIN is read once (environment or prompt) when first needed, then kept in memory for this
 * run only (a resume after a pulled card does not ask again).
 */
export function flowPins<Role extends string>(io: CliIo, roles: Readonly<Record<Role, RoleSpec>>) {
  const asked = new Map<Role, Promise<string>>();
  let last: Role | null = null;
  const pin = (role: Role): Promise<string> => {
    last = role;
    let known = asked.get(role);
    if (!known) {
      const spec = roles[role];
      known = readPin(io, spec.pinEnv, `PIN of the ${spec.title}: `, `the ${spec.title}`);
      asked.set(role, known);
    }
    return known;
  };
  const onPrompt = (prompt: CardPrompt): void => {
    io.err(prompt.message);
    io.onCardPrompt?.(prompt);
  };
  const options: Pick<CardOpenerOptions<Role>, 'pin' | 'onPrompt'> = { pin, onPrompt };
  return {
    options,
    /** The wrong-PIN failure naming the card whose PIN was last handed to the opener. */
    wrongPin(error: unknown): CliFailure | null {
      if (last === null) return null;
      return wrongPinFailure(error, roles[last].title, roles[last].pinEnv);
    },
  };
}

/** The named readers must be there (exit 1 naming the readers, or 3 without PC/SC). */
export function requireFlowReaders<Role extends string>(context: CliContext, readers: FlowReaders<Role>): void {
  for (const name of new Set(Object.values<string>(readers.byRole))) requireReader(context.snapshot, name, context.io);
}

/**
 * Runs `run` (a flow's run() over one state) until it completes. A card pulled mid-step: the person
 * is told to put it back, the opener asks for it, and `run` goes on from where it stopped, at most
 * MAX_INTERRUPTIONS times. Any other error goes to the caller.
 */
export async function runResuming<T, Role extends string>(
  context: CliContext,
  run: () => Promise<T>,
  describe: { readonly what: string; readonly readers: FlowReaders<Role>; readonly roles: Readonly<Record<Role, RoleSpec>>; readonly giveUpHint: string },
): Promise<{ readonly result: T; readonly interruptions: number }> {
  // Which card was pulled, as the person calls it ("card" when one reader holds each in turn).
  const titleOf = (reader: string | undefined): string => {
    if (describe.readers.swap || !reader) return 'card';
    const role = (Object.keys(describe.roles) as Role[]).find((r) => describe.readers.byRole[r] === reader);
    return role ? describe.roles[role].title : 'card';
  };
  for (let interruptions = 0; ; ) {
    try {
      return { result: await run(), interruptions };
    } catch (error) {
      if (!isDriverError(error, 'CARD_REMOVED') && !isDriverError(error, 'NO_CARD')) throw error;
      interruptions += 1;
      const reader = typeof error.info.reader === 'string' ? error.info.reader : undefined;
      const where = reader ? ` on ${reader}` : '';
      if (interruptions > MAX_INTERRUPTIONS) {
        throw new CliFailure(EXIT.CARD, `stopped: the card left the reader ${interruptions} times during the ${describe.what} (at most ${MAX_INTERRUPTIONS} resumes)`, describe.giveUpHint);
      }
      context.io.err(
        `The ${titleOf(reader)}${where} was taken off before the step finished. Put it back and hold it still: the ${describe.what} goes on where it stopped (interruption ${interruptions} of at most ${MAX_INTERRUPTIONS}).`,
      );
      // Let the reader state catch up with the removal, so the opener asks for the card again.
      if (reader && context.readers.snapshot().readers.find((r) => r.name === reader)?.card) {
        await context.readers.waitFor((s) => !s.readers.find((r) => r.name === reader)?.card, 1500).catch(() => undefined);
      }
    }
  }
}
