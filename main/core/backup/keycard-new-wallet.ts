/**
 * "New wallet with a backup card" for Keycard 3.x (../shared/protocols/keycard.md sections 14-15).
 * The applet has no card-to-card copy, so the backup is a wallet born on two cards at once:
 *
 *  1. the first card draws the mnemonic (GENERATE MNEMONIC: word indexes, nothing changes on it);
 *  2. the words are shown to the person once (optional: `showMnemonic`, the approval window in the
 *     app, the terminal in the CLI), the host computes the BIP39 seed (empty passphrase);
 *  3. the seed is loaded into the first card (VERIFY PIN, LOAD KEY P1=03) and its key on
 *     m/44'/60'/0'/0/0 read back, then the same on the backup card, on a second reader or on the
 *     same reader after a swap; each card is told apart by its instance UID (SELECT, before any
 *     pairing or PIN), so the wrong card is refused before anything is sent to it;
 *  4. both cards must give the same key UID and the same public key (VERIFY_FAILED otherwise).
 *
 * The seed lives only in this object, in main's memory, and is zeroed when the flow ends (success
 * or `wipe()`); the mnemonic's words are dropped then too (JS strings cannot be zeroed). Nothing
 * of it is returned. A card pulled at any point leaves the flow resumable: `run()` again continues
 * where it stopped (LOAD KEY is idempotent: a card loaded but not yet checked is simply loaded again).
 * A card that already holds a key is refused unless `replaceExistingKeys` (its wallet would be lost).
 * A card in factory state is set up first when `setup` gives its PIN and PUK (INIT, 58-byte form).
 */
import { mnemonicToSeed } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { KeycardClient, type MnemonicWordCount, type RandomSource } from '../../../drivers/keycard/client.ts';
import { hex, openKeycard, type InitializedSelect } from '../keycard/open.ts';
import type { PairingStore } from '../keycard/pairings.ts';
import { type CardPrompt, type CardSlots, type PresenceOptions, DEFAULT_PRESENT_TIMEOUT_MS, waitForFamily, waitForRemoval } from './card-presence.ts';
import { BackupError } from './errors.ts';

export type NewWalletRole = 'first' | 'backup';

/** The path both cards must agree on (the first Ethereum account, section 15). */
export const NEW_WALLET_CHECK_PATH = "m/44'/60'/0'/0/0";

export type NewWalletStep =
  | { readonly kind: 'mnemonic-generated'; readonly words: number }
  | { readonly kind: 'mnemonic-shown' }
  | { readonly kind: 'loaded'; readonly role: NewWalletRole; readonly keyUid: string }
  | { readonly kind: 'verified'; readonly keyUid: string };

export interface KeycardNewWalletOptions {
  readonly slots: CardSlots;
  /** The reader of each card; the same reader for both means the person swaps cards. */
  readonly readers: Readonly<Record<NewWalletRole, string>>;
  /** A card's PIN (asked once per card by the caller; a wrong PIN throws with the tries left, never retried). */
  readonly pin: (role: NewWalletRole) => Promise<string>;
  readonly pairings: PairingStore;
  /** Pairing password of cards we have no pairing with (default: the factory default). */
  readonly pairingPassword?: string;
  /** Sets up a card in factory state with this PIN and PUK (else such a card is refused). */
  readonly setup?: (role: NewWalletRole) => Promise<{ readonly pin: string; readonly puk: string }>;
  /** 12 (default), 15, 18, 21 or 24 words. */
  readonly words?: MnemonicWordCount;
  /** Shows the words once; resolves when the person has written them down (rejects to stop the flow). */
  readonly showMnemonic?: (words: readonly string[]) => Promise<void>;
  /** Load even onto a card that already holds a key (that wallet is replaced). Default false. */
  readonly replaceExistingKeys?: boolean;
  readonly onPrompt?: (prompt: CardPrompt) => void;
  readonly onStep?: (step: NewWalletStep) => void;
  readonly presentTimeoutMs?: number;
  readonly signal?: AbortSignal;
  /** Host randomness for the Keycard clients (tests). */
  readonly random?: RandomSource;
}

export interface CardResult {
  readonly instanceUid: string;
  readonly keyUid: string;
  /** The card's key on NEW_WALLET_CHECK_PATH, 65 bytes hex. */
  readonly publicKey: string;
}

export interface NewWalletResult {
  readonly keyUid: string;
  readonly checkPath: string;
  readonly publicKey: string;
  readonly cards: Readonly<Record<NewWalletRole, CardResult>>;
  readonly mnemonicShown: boolean;
}

const TITLES: Record<NewWalletRole, string> = { first: 'first Keycard', backup: 'backup Keycard' };

/** The card on the reader is not the one this step wants (told apart by instance UID before anything else). */
class NotThisCard extends Error {}

export class KeycardNewWallet {
  private indexes: number[] | null = null;
  private seed: Uint8Array | null = null;
  private mnemonicShown = false;
  private readonly uids = new Map<NewWalletRole, string>();
  private readonly done = new Map<NewWalletRole, CardResult>();
  private finished: NewWalletResult | null = null;

  constructor(private readonly options: KeycardNewWalletOptions) {
    if (options.words !== undefined && ![12, 15, 18, 21, 24].includes(options.words)) throw new RangeError('words must be 12, 15, 18, 21 or 24');
  }

  get swapping(): boolean {
    return this.options.readers.first === this.options.readers.backup;
  }

  /** Runs (or resumes) the flow; see the module comment. */
  async run(): Promise<NewWalletResult> {
    if (this.finished) return this.finished;
    if (!this.seed) {
      if (!this.indexes) {
        this.indexes = await this.withCard('first', (client) => client.generateMnemonic(this.options.words ?? 12));
        this.options.onStep?.({ kind: 'mnemonic-generated', words: this.indexes.length });
      }
      const words = this.indexes.map((i) => wordlist[i]!);
      if (this.options.showMnemonic && !this.mnemonicShown) {
        await this.options.showMnemonic(words);
        this.mnemonicShown = true;
        this.options.onStep?.({ kind: 'mnemonic-shown' });
      }
      this.seed = await mnemonicToSeed(words.join(' '));
    }
    for (const role of ['first', 'backup'] as const) {
      if (this.done.has(role)) continue;
      const seed = this.seed;
      const result = await this.withCard(role, async (client, select) => {
        await client.verifyPin(await this.options.pin(role));
        const keyUid = hex(await client.loadSeed(seed));
        const publicKey = hex(await client.exportPublicKey(NEW_WALLET_CHECK_PATH));
        return { instanceUid: hex(select.instanceUid), keyUid, publicKey };
      });
      this.done.set(role, result);
      this.options.onStep?.({ kind: 'loaded', role, keyUid: result.keyUid });
    }
    const first = this.done.get('first')!;
    const backup = this.done.get('backup')!;
    if (first.keyUid !== backup.keyUid || first.publicKey !== backup.publicKey) {
      this.wipe();
      throw new BackupError('VERIFY_FAILED', 'the two cards do not derive the same wallet', { expected: first.keyUid, actual: backup.keyUid });
    }
    this.options.onStep?.({ kind: 'verified', keyUid: first.keyUid });
    this.finished = { keyUid: first.keyUid, checkPath: NEW_WALLET_CHECK_PATH, publicKey: first.publicKey, cards: { first, backup }, mnemonicShown: this.mnemonicShown };
    this.wipe();
    return this.finished;
  }

  /** Zeroes the seed and drops the mnemonic (the flow cannot continue afterwards unless it finished). */
  wipe(): void {
    this.seed?.fill(0);
    this.seed = null;
    this.indexes?.fill(0);
    this.indexes = null;
  }

  /** True while the seed is held (tests check it is gone at the end). */
  get holdsSeed(): boolean {
    return this.seed !== null;
  }

  private presence(role: NewWalletRole): PresenceOptions {
    return {
      role,
      reader: this.options.readers[role],
      family: 'keycard',
      title: TITLES[role],
      product: 'Keycard',
      swapping: this.swapping,
      timeoutMs: this.options.presentTimeoutMs ?? DEFAULT_PRESENT_TIMEOUT_MS,
      ...(this.options.onPrompt ? { onPrompt: this.options.onPrompt } : {}),
    };
  }

  /** Which card may play `role`: the one seen in that role before, never the other role's card. */
  private check(role: NewWalletRole, select: InitializedSelect): void {
    const uid = hex(select.instanceUid);
    const other: NewWalletRole = role === 'first' ? 'backup' : 'first';
    if (this.uids.get(other) === uid) throw new NotThisCard(`it is the ${TITLES[other]}`);
    const known = this.uids.get(role);
    if (known !== undefined && known !== uid) throw new NotThisCard(`another card than the ${TITLES[role]} started with`);
    if (select.keyUid && !this.options.replaceExistingKeys && !this.done.has(role) && (known === undefined || this.seed === null)) {
      throw new BackupError('TARGET_SEEDED', `the ${TITLES[role]} already holds a wallet (key UID ${hex(select.keyUid).slice(0, 16)}...): it would be replaced`, {
        role,
        reader: this.options.readers[role],
        actual: hex(select.keyUid),
      });
    }
    this.uids.set(role, uid);
  }

  /** Opens the role's card (waiting for it, swapping when one reader) and runs `work` on it. */
  private async withCard<T>(role: NewWalletRole, work: (client: KeycardClient, select: InitializedSelect) => Promise<T>): Promise<T> {
    const reader = this.options.readers[role];
    for (;;) {
      await waitForFamily(this.options.slots, this.presence(role));
      const outcome = await this.options.slots.withSession<{ kind: 'done'; value: T } | { kind: 'wrong'; reason: string }>(
        reader,
        async (session) => {
          const client = new KeycardClient({ send: (command) => session.send(command), ...(this.options.random ? { random: this.options.random } : {}) });
          try {
            const opened = await openKeycard(client, {
              pairings: this.options.pairings,
              ...(this.options.pairingPassword === undefined ? {} : { pairingPassword: this.options.pairingPassword }),
              accept: (select) => this.check(role, select),
              ...(this.options.setup ? { setup: () => this.setupFor(role) } : {}),
            });
            this.options.onPrompt?.({ kind: 'opened', role, reader, message: `${TITLES[role]} ready` });
            return { kind: 'done', value: await work(client, opened.select) };
          } catch (error) {
            if (error instanceof NotThisCard) return { kind: 'wrong', reason: error.message };
            throw error;
          }
        },
        this.options.signal ? { signal: this.options.signal } : {},
      );
      if (outcome.kind === 'done') return outcome.value;
      if (!this.swapping) throw new BackupError('WRONG_CARD', `the card on ${reader} is not the ${TITLES[role]}`, { role, reader, reason: outcome.reason });
      await waitForRemoval(this.options.slots, this.presence(role), `This is not the ${TITLES[role]} (${outcome.reason}). Take it off the reader.`);
    }
  }

  /** The PIN and PUK for a card of `role` in factory state; a role whose card was seen initialised refuses it (another card). */
  private async setupFor(role: NewWalletRole): Promise<{ readonly pin: string; readonly puk: string }> {
    if (this.uids.has(role)) throw new NotThisCard('a card in factory state');
    return this.options.setup!(role);
  }
}
