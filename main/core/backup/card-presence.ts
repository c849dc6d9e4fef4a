/**
 * Waiting for the right kind of card on a reader during a card-to-card flow, and for a card to be
 * taken off: what the flows tell the person (present / remove prompts) and how long they wait.
 * With one reader for every role (the person swaps cards) a card of another family means "take it
 * off"; with a reader per role it is an error (WRONG_CARD).
 */
import type { CardFamily } from '../../../drivers/card.ts';
import { DriverError } from '../../../drivers/errors.ts';
import type { ReadersSnapshot } from '../../../preload/contract.ts';
import type { CardSession, SessionOptions } from '../sessions.ts';
import { BackupError } from './errors.ts';

/** What the flows need from the reader service (ReaderService implements it). */
export interface CardSlots {
  snapshot(): ReadersSnapshot;
  waitFor(predicate: (snapshot: ReadersSnapshot) => boolean, timeoutMs: number): Promise<ReadersSnapshot>;
  withSession<T>(reader: string, work: (session: CardSession) => Promise<T>, options?: SessionOptions): Promise<T>;
}

export type CardPrompt =
  /** Put the card for `role` on `reader`. */
  | { readonly kind: 'present'; readonly role: string; readonly reader: string; readonly message: string }
  /** The card on the reader is not the one wanted: take it off (then `present` follows). */
  | { readonly kind: 'remove'; readonly role: string; readonly reader: string; readonly message: string }
  /** The card for `role` is open (progress). */
  | { readonly kind: 'opened'; readonly role: string; readonly reader: string; readonly message: string };

export const DEFAULT_PRESENT_TIMEOUT_MS = 5 * 60_000;

export interface PresenceOptions {
  readonly role: string;
  readonly reader: string;
  readonly family: CardFamily;
  /** How the person calls this card, e.g. "backup Keycard". */
  readonly title: string;
  /** The product name for "This is not a ..." messages. */
  readonly product: string;
  /** True when every role shares the reader. */
  readonly swapping: boolean;
  readonly timeoutMs?: number;
  readonly onPrompt?: (prompt: CardPrompt) => void;
}

export async function waitForRemoval(slots: CardSlots, options: PresenceOptions, message: string): Promise<void> {
  options.onPrompt?.({ kind: 'remove', role: options.role, reader: options.reader, message });
  await slots.waitFor((s) => !s.readers.find((r) => r.name === options.reader)?.card, options.timeoutMs ?? DEFAULT_PRESENT_TIMEOUT_MS);
}

/** Resolves when an identified card of `options.family` is on the reader, asking for it (and for wrong cards to go) meanwhile. */
export async function waitForFamily(slots: CardSlots, options: PresenceOptions): Promise<void> {
  const { role, reader, family, title } = options;
  const timeoutMs = options.timeoutMs ?? DEFAULT_PRESENT_TIMEOUT_MS;
  const view = slots.snapshot().readers.find((r) => r.name === reader);
  if (!view) throw new DriverError('NO_READER', 'no such reader', { reader });
  if (view.card?.status === 'identified' && view.card.family === family) return;
  if (view.card && view.card.status !== 'identifying') {
    if (!options.swapping) throw new BackupError('WRONG_CARD', `the card on ${reader} is not a ${options.product}`, { role, reader, actual: view.card.product ?? view.card.status });
    await waitForRemoval(slots, options, `This is not the ${title}. Take it off the reader.`);
  }
  options.onPrompt?.({ kind: 'present', role, reader, message: `Present the ${title} on ${reader}.` });
  for (;;) {
    const snapshot = await slots.waitFor((s) => {
      const c = s.readers.find((r) => r.name === reader)?.card;
      return Boolean(c && c.status !== 'identifying');
    }, timeoutMs);
    const present = snapshot.readers.find((r) => r.name === reader)?.card;
    if (present?.status === 'identified' && present.family === family) return;
    await waitForRemoval(slots, options, `This is not a ${options.product}. Take it off and present the ${title}.`);
  }
}
