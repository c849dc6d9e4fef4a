/**
 * Pure mapping from the bridge's reader/card views to what the Readers screen shows: display
 * states (the `data-state` values tests rely on), labels, hints, formatted hex, and the short
 * sentences announced to screen readers when something changes. No Svelte, no DOM.
 */
import type {
  CardCapabilitiesView,
  CardFamily,
  CardView,
  ReadersSnapshot,
  ReaderView,
  ServiceState,
} from '../../../preload/contract.ts';

// ---------------------------------------------------------------------------------------------
// Snapshots

/** Loose shape check: the browser-mode bridge hands event payloads over without validation. */
export function isReadersSnapshot(value: unknown): value is ReadersSnapshot {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<Record<keyof ReadersSnapshot, unknown>>;
  return (
    typeof v.service === 'string' &&
    typeof v.revision === 'number' &&
    Number.isFinite(v.revision) &&
    Array.isArray(v.readers) &&
    v.readers.every((r: unknown) => typeof r === 'object' && r !== null && typeof (r as ReaderView).name === 'string')
  );
}

/**
 * The snapshot to keep when `incoming` arrives: `incoming` unless it is older (lower revision)
 * than `current`, in which case `current` is kept. An equal revision replaces (same content).
 */
export function pickSnapshot(current: ReadersSnapshot | null, incoming: ReadersSnapshot): ReadersSnapshot {
  if (current !== null && incoming.revision < current.revision) return current;
  return incoming;
}

// ---------------------------------------------------------------------------------------------
// Service banner

export type ServiceDisplayState = 'loading' | 'starting' | 'no-pcsc' | 'pcsc-unavailable' | 'no-reader';

export interface ServiceDisplay {
  readonly state: ServiceDisplayState;
  readonly tone: 'info' | 'warning' | 'error';
  readonly title: string;
  readonly hint: string;
}

export const DEFAULT_HINTS = {
  starting: 'Readers appear here as soon as the PC/SC service (pcscd) answers.',
  'not-running': 'Start it with: sudo systemctl start pcscd',
  unavailable: 'Install the PC/SC service and library (pcscd and libpcsclite), then restart Tapdesk.',
  'no-reader': 'Plug a USB NFC/smart-card reader (PC/SC, e.g. ACS ACR1252U) into this computer.',
} as const satisfies Partial<Record<ServiceState | 'no-reader', string>>;

/**
 * The banner above the reader list, or null when there is nothing to say (service running and at
 * least one reader). `null` snapshot means nothing has arrived from main yet.
 */
export function serviceDisplay(snapshot: ReadersSnapshot | null): ServiceDisplay | null {
  if (snapshot === null) {
    return { state: 'loading', tone: 'info', title: 'Connecting to Tapdesk…', hint: 'Asking for the list of readers.' };
  }
  const hint = snapshot.hint?.trim() || undefined;
  switch (snapshot.service) {
    case 'starting':
      return { state: 'starting', tone: 'info', title: 'Looking for the PC/SC service…', hint: hint ?? DEFAULT_HINTS.starting };
    case 'not-running':
      return { state: 'no-pcsc', tone: 'warning', title: 'PC/SC service is not running', hint: hint ?? DEFAULT_HINTS['not-running'] };
    case 'unavailable':
      return { state: 'pcsc-unavailable', tone: 'error', title: 'PC/SC is not available on this computer', hint: hint ?? DEFAULT_HINTS.unavailable };
    case 'running':
      if (snapshot.readers.length === 0) {
        return { state: 'no-reader', tone: 'info', title: 'No reader connected', hint: hint ?? DEFAULT_HINTS['no-reader'] };
      }
      return null;
    default:
      // A service state this renderer does not know yet: say so rather than show nothing.
      return { state: 'starting', tone: 'info', title: `PC/SC service: ${String(snapshot.service)}`, hint: hint ?? '' };
  }
}

/**
 * Splits a hint into prose and a shell command to show in monospace, when it ends with one
 * ("Start it with: sudo systemctl start pcscd" -> lead "Start it with:", command "sudo ...").
 */
export function splitHintCommand(hint: string): { lead: string; command: string | null } {
  const text = hint.trim();
  const m = /(?:^|\s)((?:sudo|systemctl|apt|apt-get|dnf|yum|pacman|zypper|brew|npm|npx)\s[^\n]+)$/.exec(text);
  if (!m) return { lead: text, command: null };
  return { lead: text.slice(0, m.index).trim(), command: m[1]!.trim() };
}

// ---------------------------------------------------------------------------------------------
// Readers and cards

export function readerKindLabel(reader: Pick<ReaderView, 'kind'>): string {
  return reader.kind === 'demo' ? 'Demo' : 'PC/SC reader';
}

const FAMILY_LABELS: Record<CardFamily, string> = {
  satochip: 'Satochip',
  seedkeeper: 'Seedkeeper',
  keycard: 'Status Keycard',
  cktap: 'Coinkite Tap (TAPSIGNER / SATSCARD)',
  test: 'Test card',
};

export function familyLabel(family: CardFamily | undefined): string | undefined {
  if (family === undefined) return undefined;
  return FAMILY_LABELS[family] ?? String(family);
}

const SIGN_LABELS: Record<string, string> = { btc: 'Signs Bitcoin', eth: 'Signs Ethereum' };
const BACKUP_LABELS: Record<string, string> = {
  'seedkeeper-export': 'Backup: Seedkeeper secure export',
  'keycard-duplicate': 'Backup: Keycard duplication',
  'cktap-backup': 'Backup: encrypted backup file',
};
const ATTESTATION_LABELS: Record<string, string> = {
  'satochip-pki': 'Attestation: Satochip certificate',
  'keycard-ident': 'Attestation: Keycard identity',
  'cktap-certificate': 'Attestation: Coinkite certificate',
};

/** Plain-language list of what the card can do; empty when nothing is known. */
export function capabilityLabels(caps: CardCapabilitiesView | undefined): string[] {
  if (!caps) return [];
  const out: string[] = [];
  for (const chain of caps.sign ?? []) out.push(SIGN_LABELS[chain] ?? `Signs ${String(chain)}`);
  if (caps.backup && caps.backup !== 'none') out.push(BACKUP_LABELS[caps.backup] ?? `Backup: ${caps.backup}`);
  if (caps.attestation && caps.attestation !== 'none') {
    out.push(ATTESTATION_LABELS[caps.attestation] ?? `Attestation: ${caps.attestation}`);
  }
  return out;
}

/**
 * Hex for people: upper case, one space between bytes ("3B 8F 80 01"). Separators in the input
 * (spaces, colons, dashes) are ignored; a trailing odd nibble stays as its own group. Input that is
 * not hex at all is returned trimmed, unchanged, so nothing is hidden.
 */
export function formatHex(hex: string | undefined | null): string {
  if (hex === undefined || hex === null) return '';
  const compact = hex.replace(/[\s:-]/g, '');
  if (compact.length === 0) return '';
  if (!/^[0-9a-fA-F]+$/.test(compact)) return hex.trim();
  return (compact.toUpperCase().match(/.{1,2}/g) ?? []).join(' ');
}

/** Byte count of a hex string (ignoring separators), or null when it is not whole-byte hex. */
export function hexByteLength(hex: string | undefined | null): number | null {
  const compact = (hex ?? '').replace(/[\s:-]/g, '');
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(compact)) return null;
  return compact.length / 2;
}

/** "protocolVersion" / "pin_tries" / "pin-tries" -> "Protocol version" / "Pin tries". */
export function detailLabel(key: string): string {
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_-]+/g, ' ')
    .trim()
    .toLowerCase();
  return words ? words[0]!.toUpperCase() + words.slice(1) : key;
}

export type CardDisplayState = 'waiting' | 'identifying' | 'identified' | 'unknown' | 'error';

export interface CardDisplay {
  readonly state: CardDisplayState;
  /** Headline: the product name for an identified card. */
  readonly title: string;
  /** A sentence under the headline (the error message for `error`). */
  readonly message?: string;
  /** What to do about it. */
  readonly hint?: string;
  readonly family?: string;
  /** Formatted AID ("53 61 74 6F ..."). */
  readonly aid?: string;
  /** Formatted ATR, or "" when the card gave none / no card. */
  readonly atr: string;
  readonly details: readonly { readonly key: string; readonly label: string; readonly value: string }[];
  readonly capabilities: readonly string[];
  readonly errorCode?: string;
}

export const WAITING_TEXT = 'Waiting for a card - tap or insert it';
export const SUPPORTED_CARDS = 'Tapdesk knows Satochip, Seedkeeper, Status Keycard, TAPSIGNER and SATSCARD.';

export function cardDisplay(card: CardView | null | undefined): CardDisplay {
  if (!card) return { state: 'waiting', title: WAITING_TEXT, atr: '', details: [], capabilities: [] };
  const atr = formatHex(card.atr);
  switch (card.status) {
    case 'identifying':
      return { state: 'identifying', title: 'Identifying the card…', message: 'Keep the card on the reader.', atr, details: [], capabilities: [] };
    case 'identified': {
      const family = familyLabel(card.family);
      const details = Object.entries(card.details ?? {}).map(([key, value]) => ({ key, label: detailLabel(key), value: String(value) }));
      const aid = formatHex(card.aid) || undefined;
      return {
        state: 'identified',
        title: card.product?.trim() || family || 'Identified card',
        ...(family !== undefined ? { family } : {}),
        ...(aid !== undefined ? { aid } : {}),
        atr,
        details,
        capabilities: capabilityLabels(card.capabilities),
      };
    }
    case 'unknown':
      return { state: 'unknown', title: 'Unknown card', message: 'This card did not answer as a supported wallet.', hint: SUPPORTED_CARDS, atr, details: [], capabilities: [] };
    case 'error':
    default: {
      const message = card.error?.message?.trim() || 'The card could not be read.';
      const hint = card.error?.hint?.trim() || 'Lift the card and tap it again, or reinsert it.';
      return {
        state: 'error',
        title: 'Card error',
        message,
        hint,
        atr,
        details: [],
        capabilities: [],
        ...(card.error?.code ? { errorCode: card.error.code } : {}),
      };
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Announcements (for the aria-live region)

function cardSentence(reader: string, card: CardView | null): string {
  const d = cardDisplay(card);
  switch (d.state) {
    case 'waiting':
      return `${reader}: card removed`;
    case 'identifying':
      return `${reader}: identifying card`;
    case 'identified':
      return `${reader}: ${d.title} ready`;
    case 'unknown':
      return `${reader}: unknown card`;
    case 'error':
      return `${reader}: card error, ${d.message}`;
  }
}

function sameCard(a: CardView | null, b: CardView | null): boolean {
  if (a === null || b === null) return a === b;
  return a.status === b.status && a.atr === b.atr && a.product === b.product && a.error?.message === b.error?.message;
}

/** Short sentences describing what changed from `prev` to `next` (empty on the first snapshot). */
export function describeChanges(prev: ReadersSnapshot | null, next: ReadersSnapshot): string[] {
  if (prev === null || prev === next) return [];
  const out: string[] = [];
  const prevBanner = serviceDisplay(prev);
  const nextBanner = serviceDisplay(next);
  if (nextBanner && nextBanner.state !== prevBanner?.state) out.push(nextBanner.title);
  const before = new Map(prev.readers.map((r) => [r.name, r]));
  const after = new Set(next.readers.map((r) => r.name));
  for (const reader of prev.readers) {
    if (!after.has(reader.name)) out.push(`Reader ${reader.name} disconnected`);
  }
  for (const reader of next.readers) {
    const old = before.get(reader.name);
    if (!old) {
      out.push(`Reader ${reader.name} connected`);
      if (reader.card) out.push(cardSentence(reader.name, reader.card));
    } else if (!sameCard(old.card, reader.card)) {
      out.push(cardSentence(reader.name, reader.card));
    }
  }
  return out;
}

/** The message and hint of anything thrown by the bridge (BridgeError carries a hint). */
export function errorText(error: unknown): { message: string; hint?: string } {
  if (error instanceof Error) {
    const hint = (error as { hint?: unknown }).hint;
    return typeof hint === 'string' && hint ? { message: error.message, hint } : { message: error.message };
  }
  return { message: String(error) };
}
