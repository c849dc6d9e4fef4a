/**
 * Opening a Keycard for work, whatever the work (../shared/protocols/keycard.md sections 2, 5, 6):
 * SELECT (an initialised card states its instance UID before anything else), then a secure channel
 * with the pairing stored for that card, pairing first when there is none. A stored pairing the card
 * no longer has (unpaired elsewhere, slot reused) fails at OPEN SECURE CHANNEL (6A86) or at MUTUALLY
 * AUTHENTICATE (MAC): it is forgotten and the card paired again, once. The PIN is not part of this:
 * callers verify it (never retried).
 *
 * APDUs: a known card SELECT + OPEN SECURE CHANNEL + MUTUALLY AUTHENTICATE = 3; a new one adds PAIR x2 = 5;
 * a card in factory state (with `setup`) adds INIT + SELECT = 7.
 */
import { KeycardClient, DEFAULT_PAIRING_PASSWORD, pairingSecretFromPassword, type KeycardSelectInfo } from '../../../drivers/keycard/client.ts';
import { KeycardError, isKeycardError } from '../../../drivers/keycard/errors.ts';
import type { PairingStore } from './pairings.ts';

export type InitializedSelect = Extract<KeycardSelectInfo, { initialized: true }>;

export interface OpenKeycardOptions {
  readonly pairings: PairingStore;
  /** The pairing password for a card we have no pairing with (default: the factory default). */
  readonly pairingPassword?: string;
  /** Called with the instance UID right after SELECT: throw to refuse this card before any pairing or PIN. */
  readonly accept?: (select: InitializedSelect) => void;
  /**
   * A card in factory state is set up with this PIN and PUK (INIT, 58-byte form with a random duress
   * PIN, the pairing password's secret) and selected again; without it such a card is NOT_INITIALIZED.
   */
  readonly setup?: () => Promise<{ readonly pin: string; readonly puk: string }>;
}

export interface OpenedKeycard {
  readonly select: InitializedSelect;
  /** Instance UID, hex: the card's identity. */
  readonly instanceUid: string;
  /** True when this opening paired with the card (a new pairing was stored). */
  readonly paired: boolean;
}

const secretCache = new Map<string, Uint8Array>();

/** PBKDF2 with 50 000 rounds is slow in JS: each password's secret is computed once per process. */
export function pairingSecretFor(password: string): Uint8Array {
  let secret = secretCache.get(password);
  if (!secret) {
    secret = pairingSecretFromPassword(password);
    secretCache.set(password, secret);
  }
  return Uint8Array.from(secret);
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

/** SELECT; NOT_INITIALIZED for a card in factory state (set it up first: `tapdesk keycard init`). */
export async function selectInitialized(client: KeycardClient): Promise<InitializedSelect> {
  return initialized(await client.select());
}

function initialized(select: KeycardSelectInfo): InitializedSelect {
  if (!select.initialized) throw new KeycardError('NOT_INITIALIZED', 'this Keycard is in factory state: set it up first (PIN, PUK, pairing password)', { command: 'SELECT' });
  return select;
}

export async function openKeycard(client: KeycardClient, options: OpenKeycardOptions): Promise<OpenedKeycard> {
  const first = await client.select();
  let select: InitializedSelect;
  if (!first.initialized && options.setup) {
    const { pin, puk } = await options.setup();
    await client.init({ pin, puk, pairingSecret: pairingSecretFor(options.pairingPassword ?? DEFAULT_PAIRING_PASSWORD) });
    select = await selectInitialized(client);
  } else {
    select = initialized(first);
  }
  options.accept?.(select);
  const instanceUid = hex(select.instanceUid);
  const stored = options.pairings.get(instanceUid);
  if (stored) {
    try {
      await client.openSecureChannel(stored);
      return { select, instanceUid, paired: false };
    } catch (error) {
      if (!isKeycardError(error, 'PAIRING_NOT_FOUND') && !isKeycardError(error, 'SECURE_CHANNEL_FAILED')) throw error;
      options.pairings.delete(instanceUid);
      select = await selectInitialized(client);
    }
  }
  const pairing = await client.pair(pairingSecretFor(options.pairingPassword ?? DEFAULT_PAIRING_PASSWORD));
  options.pairings.set(instanceUid, pairing);
  await client.openSecureChannel(pairing);
  return { select, instanceUid, paired: true };
}
