/**
 * The "New Keycard wallet" screen's own logic (pure, tested without a DOM): which readers to offer,
 * the form's checks as the person types (main validates again), the progress line, and error
 * sentences that say which card and what to do.
 */
import type { KeycardNewWalletProgressView, KeycardNewWalletRequest, ReaderView, ReadersSnapshot } from '../../../preload/contract.ts';

export interface KeycardWalletForm {
  first: string;
  backup: string;
  words: 12 | 24;
  firstPin: string;
  backupPin: string;
  replaceExisting: boolean;
  showWords: boolean;
  /** Set up cards in factory state: each gets its PIN (typed twice) and a PUK (typed twice). */
  setupNew: boolean;
  firstPinAgain: string;
  backupPinAgain: string;
  firstPuk: string;
  backupPuk: string;
  firstPukAgain: string;
  backupPukAgain: string;
}

/** Every PC/SC reader (a Keycard may be presented later); the demo reader holds a Satochip, never offered. */
export function keycardReaders(snapshot: ReadersSnapshot | null): ReaderView[] {
  return (snapshot?.readers ?? []).filter((r) => r.kind === 'pcsc');
}

/** A Keycard still in factory state (SELECT answered with its public key only): no PIN, PUK or pairing yet. */
export function holdsNewKeycard(reader: ReaderView | undefined): boolean {
  const card = reader?.card;
  return card?.status === 'identified' && card.family === 'keycard' && (card.details?.initialized ?? '').startsWith('no');
}

export function keycardReaderLabel(reader: ReaderView): string {
  const card = reader.card;
  if (!card) return `${reader.name} (no card yet)`;
  if (holdsNewKeycard(reader)) return `${reader.name} (new Keycard, not set up)`;
  if (card.status === 'identified') return `${reader.name} (${card.product ?? 'card'}${card.family === 'keycard' ? '' : ', not a Keycard'})`;
  return `${reader.name} (${card.status === 'identifying' ? 'reading the card' : 'unknown card'})`;
}

export const PIN_PATTERN = /^[0-9]{6}$/;
export const PUK_PATTERN = /^[0-9]{12}$/;

/** Field -> what is wrong, for the fields that are wrong. */
export function checkForm(form: KeycardWalletForm): Partial<Record<keyof KeycardWalletForm, string>> {
  const problems: Partial<Record<keyof KeycardWalletForm, string>> = {};
  if (!form.first) problems.first = 'Choose the reader of the first Keycard.';
  if (!form.backup) problems.backup = 'Choose the reader of the backup Keycard.';
  for (const role of ['first', 'backup'] as const) {
    const pin = form[`${role}Pin`];
    if (!PIN_PATTERN.test(pin)) problems[`${role}Pin`] = 'A Keycard PIN is 6 digits.';
    if (!form.setupNew) continue;
    // A PIN or PUK mistyped while setting a card up would lock the person out: each is typed twice.
    if (form[`${role}PinAgain`] !== pin) problems[`${role}PinAgain`] = 'The two PINs differ.';
    if (!PUK_PATTERN.test(form[`${role}Puk`])) problems[`${role}Puk`] = 'A Keycard PUK is 12 digits.';
    else if (form[`${role}PukAgain`] !== form[`${role}Puk`]) problems[`${role}PukAgain`] = 'The two PUKs differ.';
  }
  return problems;
}

/** What goes to main: the PUKs only when new cards are to be set up, never the repeated entries. */
export function newWalletRequest(form: KeycardWalletForm): KeycardNewWalletRequest {
  const { first, backup, words, firstPin, backupPin, replaceExisting, showWords } = form;
  return { first, backup, words, firstPin, backupPin, replaceExisting, showWords, ...(form.setupNew ? { firstPuk: form.firstPuk, backupPuk: form.backupPuk } : {}) };
}

/** What the person does with one reader for both cards. */
export function readerNote(form: Pick<KeycardWalletForm, 'first' | 'backup'>): string {
  if (form.first && form.first === form.backup) return 'One reader for both: put the first Keycard on it, then swap to the backup Keycard when asked.';
  return 'A reader for each card: put both Keycards on their readers.';
}

const ROLE_TITLE = { first: 'First Keycard', backup: 'Backup Keycard' } as const;

/** The card the flow worked on last (from 'opened' / 'present' / 'loaded' events): errors name it. */
export function lastRole(progress: readonly KeycardNewWalletProgressView[]): 'first' | 'backup' | null {
  for (let i = progress.length - 1; i >= 0; i -= 1) {
    const p = progress[i]!;
    if (p.role && (p.kind === 'opened' || p.kind === 'present' || p.kind === 'remove')) return p.role;
  }
  return null;
}

/** A failed request as the screen says it: which card, what happened, what to do. */
export function failureText(error: unknown, role: 'first' | 'backup' | null): { message: string; hint?: string } {
  const code = typeof (error as { code?: unknown })?.code === 'string' ? (error as { code: string }).code : '';
  const message = error instanceof Error ? error.message : String(error);
  const rawHint = (error as { hint?: unknown })?.hint;
  const hint = typeof rawHint === 'string' && rawHint ? rawHint : undefined;
  const who = role ? `${ROLE_TITLE[role]}: ` : '';
  const withHint = (text: string, h = hint) => (h ? { message: text, hint: h } : { message: text });
  switch (code) {
    case 'PIN_INVALID':
      return withHint(`${who}${message}.`, 'Correct that PIN and start again with the same readers: it resumes where it stopped.');
    case 'PIN_BLOCKED':
      return withHint(`${who}the PIN is blocked.`, 'Unblock it with the PUK (tapdesk keycard unblock-pin), then start again.');
    case 'REJECTED':
      return withHint('Stopped: the words were not confirmed in the approval window. Nothing was loaded onto the cards and the words are forgotten.', 'Start again for new words.');
    case 'CARD_REMOVED':
    case 'NO_CARD':
    case 'TIMEOUT':
      return withHint(`${who}${message}.`, 'Put the card back and start again with the same readers: it resumes where it stopped (the same words).');
    default:
      return withHint(`${who}${message}`);
  }
}
