/**
 * The app's side of "new Keycard wallet with a backup card" (main/core/backup/keycard-new-wallet.ts):
 * runs the flow on the app's readers with the PINs the screen sent, shows the words once in the
 * approval window ('seed-display': the words never reach the app's renderer), and turns the flow's
 * prompts and steps into progress events for the screen.
 *
 * A flow that failed (card pulled, wrong PIN, timeout) is kept here, keyed by its readers, word
 * count and "show the words", so the same request again resumes it (the words are not drawn or
 * shown again, the seed stays in main's memory meanwhile). Another request, a rejection in the
 * approval window, a failed final check or success drops it and zeroes the seed.
 */
import type { KeycardNewWalletProgressView, KeycardNewWalletRequest, KeycardNewWalletView } from '../../../preload/contract.ts';
import { BridgeError } from '../../../preload/contract.ts';
import { type ApprovalBroker, ApprovalError, isApprovalError } from '../approvals/broker.ts';
import { seedWordsDisplay } from '../approvals/displays/seed.ts';
import type { CardPrompt, CardSlots } from '../backup/card-presence.ts';
import { isBackupError } from '../backup/errors.ts';
import type { KeycardNewWallet, NewWalletResult, NewWalletRole, NewWalletStep } from '../backup/keycard-new-wallet.ts';
import type { PairingStore } from './pairings.ts';

export interface KeycardWalletServiceOptions {
  readonly slots: CardSlots;
  readonly approvals: Pick<ApprovalBroker, 'approval'>;
  /** The pairing store (the app's keycardPairings()), asked on first use. */
  readonly pairings: () => PairingStore;
  /** How long to wait for a card to be presented (default: the flow's 5 minutes). */
  readonly presentTimeoutMs?: number;
  /**
   * Reads the card on a reader again once a request is over (the app's ReaderService.identify):
   * a card set up or loaded meanwhile then shows as it is now, not as it was when inserted.
   */
  readonly reidentify?: (reader: string) => Promise<unknown>;
}

type ProgressListener = (progress: KeycardNewWalletProgressView) => void;

interface Pending {
  readonly key: string;
  readonly flow: KeycardNewWallet;
  /** The latest request for this flow: its PINs and "replace" are read from here, so a retry can correct them. */
  request: KeycardNewWalletRequest;
}

const TITLES: Record<NewWalletRole, string> = { first: 'first Keycard', backup: 'backup Keycard' };

export class KeycardWalletService {
  private readonly listeners = new Set<ProgressListener>();
  private pending: Pending | null = null;
  private running = false;

  constructor(private readonly options: KeycardWalletServiceOptions) {}

  onProgress(listener: ProgressListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** True while a failed flow waits to be resumed (its seed is held in memory). */
  get resumable(): boolean {
    return this.pending !== null;
  }

  async newWallet(request: KeycardNewWalletRequest): Promise<KeycardNewWalletView> {
    if (this.running) throw new BridgeError('INVALID_INPUT', 'a new Keycard wallet is already being made: finish it (or let it time out) first');
    this.running = true;
    try {
      return await this.run(request);
    } finally {
      this.running = false;
      for (const reader of new Set([request.first, request.backup])) void this.options.reidentify?.(reader).catch(() => undefined);
    }
  }

  /** Drops a kept flow and zeroes its seed (app closing). */
  discard(): void {
    this.pending?.flow.wipe();
    this.pending = null;
  }

  private async run(request: KeycardNewWalletRequest): Promise<KeycardNewWalletView> {
    const key = JSON.stringify([request.first, request.backup, request.words, request.showWords]);
    if (this.pending && this.pending.key !== key) this.discard();
    const resumed = this.pending !== null;
    const entry = this.pending ?? (this.pending = await this.start(key, request));
    entry.request = request;
    this.emit(
      resumed
        ? { kind: 'resumed', message: 'Resumed where it stopped: the same words, nothing is drawn again.' }
        : { kind: 'started', message: `Starting: the first Keycard on ${request.first} draws ${request.words} words.` },
    );
    try {
      const result = await entry.flow.run();
      this.pending = null;
      return view(result);
    } catch (error) {
      const final = isApprovalError(error) || isBackupError(error, 'VERIFY_FAILED');
      if (final) this.discard();
      this.emit({
        kind: 'stopped',
        message: final ? 'Stopped. The words are forgotten; a new start draws new ones.' : 'Stopped. Start again with the same readers to resume where it stopped.',
      });
      throw error;
    }
  }

  private async start(key: string, request: KeycardNewWalletRequest): Promise<Pending> {
    const { KeycardNewWallet } = await import('../backup/keycard-new-wallet.ts');
    const pending: Pending = {
      key,
      request,
      flow: new KeycardNewWallet({
        slots: this.options.slots,
        readers: { first: request.first, backup: request.backup },
        pin: async (role) => (role === 'first' ? pending.request.firstPin : pending.request.backupPin),
        // A card in factory state is set up with its PIN and the PUK the person chose for it.
        setup: async (role) => {
          const { firstPin, backupPin, firstPuk, backupPuk } = pending.request;
          const puk = role === 'first' ? firstPuk : backupPuk;
          if (puk === undefined) {
            throw new BridgeError('CARD_ERROR', `the ${TITLES[role]} is new (factory state): it has no PIN yet`, 'Tick "Set up new Keycards", choose its PUK and start again: it resumes where it stopped.');
          }
          return { pin: role === 'first' ? firstPin : backupPin, puk };
        },
        pairings: this.options.pairings(),
        words: request.words,
        get replaceExistingKeys() {
          return pending.request.replaceExisting;
        },
        ...(request.showWords ? { showMnemonic: (words: readonly string[]) => this.showWords(words, request.first) } : {}),
        onPrompt: (prompt) => this.emit(promptView(prompt)),
        onStep: (step) => this.emit(stepView(step)),
        ...(this.options.presentTimeoutMs === undefined ? {} : { presentTimeoutMs: this.options.presentTimeoutMs }),
      }),
    };
    return pending;
  }

  /** The words go to the approval window only; resolves once the person confirmed writing them down. */
  private async showWords(words: readonly string[], reader: string): Promise<void> {
    this.emit({ kind: 'waiting-words', message: 'Write the words down in the Tapdesk approval window, then confirm there (Esc stops).' });
    try {
      await this.options.approvals.approval('seed-display', seedWordsDisplay(words, `Drawn by the first Keycard on ${reader}`), false);
    } catch (error) {
      if (!isApprovalError(error)) throw error;
      const reason = error.info.reason ?? 'rejected';
      throw new ApprovalError('APPROVAL_REJECTED', `the words were not confirmed in the approval window (${reason}); nothing was loaded onto the cards`, { ...error.info, reason });
    }
  }

  private emit(progress: KeycardNewWalletProgressView): void {
    for (const listener of this.listeners) listener(progress);
  }
}

function role(value: string): NewWalletRole | undefined {
  return value === 'first' || value === 'backup' ? value : undefined;
}

function promptView(prompt: CardPrompt): KeycardNewWalletProgressView {
  const r = role(prompt.role);
  return { kind: prompt.kind, ...(r ? { role: r } : {}), reader: prompt.reader, message: prompt.message.replace(/^./, (c) => c.toUpperCase()) };
}

function stepView(step: NewWalletStep): KeycardNewWalletProgressView {
  switch (step.kind) {
    case 'mnemonic-generated':
      return { kind: 'mnemonic-generated', role: 'first', message: `The first Keycard drew ${step.words} words.` };
    case 'mnemonic-shown':
      return { kind: 'mnemonic-shown', message: 'Words written down. Loading the wallet onto the cards.' };
    case 'loaded':
      return { kind: 'loaded', role: step.role, message: `The ${TITLES[step.role]} holds the wallet (key UID ${step.keyUid.slice(0, 16)}...).` };
    case 'verified':
      return { kind: 'verified', message: 'Both Keycards derive the same key: the backup is good.' };
  }
}

function view(result: NewWalletResult): KeycardNewWalletView {
  const card = (c: NewWalletResult['cards']['first']) => ({ instanceUid: c.instanceUid, keyUid: c.keyUid, publicKey: c.publicKey });
  return {
    keyUid: result.keyUid,
    checkPath: result.checkPath,
    publicKey: result.publicKey,
    cards: { first: card(result.cards.first), backup: card(result.cards.backup) },
    mnemonicShown: result.mnemonicShown,
  };
}
