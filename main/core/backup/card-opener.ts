/**
 * Opens the card that plays a role in a card-to-card flow (master / backup Seedkeeper, Seedkeeper /
 * Satochip) on a reader, one reader per role or one reader for all (the person swaps cards):
 *
 *  1. waits for a card of the right product on the role's reader (asks the person to present it);
 *  2. SELECT, secure channel; the card's identity is its authentikey, checked BEFORE the PIN so a
 *     PIN is never tried on the wrong card: pinned when the flow knows it, else it must not be a
 *     card another role already is;
 *  3. VERIFY PIN (asked through `pin(role)`; a wrong PIN throws with the tries left, never retried);
 *  4. runs the work in that card session.
 *
 * With one reader a wrong card means "swap": the person is told and the opener waits for the card
 * to leave and the next to come. With a reader per role it is an error (WRONG_CARD).
 */
import { DriverError } from '../../../drivers/errors.ts';
import { SatochipClient } from '../../../drivers/satochip/client.ts';
import { bytesEqual } from '../../../drivers/satochip/bytes.ts';
import { isSatochipError } from '../../../drivers/satochip/errors.ts';
import type { SatochipApplet } from '../../../drivers/satochip/status.ts';
import type { CardSession } from '../sessions.ts';
import { type CardPrompt, type CardSlots, type PresenceOptions, DEFAULT_PRESENT_TIMEOUT_MS, waitForFamily, waitForRemoval } from './card-presence.ts';
import { BackupError } from './errors.ts';

export type { CardPrompt, CardSlots } from './card-presence.ts';

export interface RoleCard {
  readonly reader: string;
  readonly applet: SatochipApplet;
  /** How the person calls this card, e.g. "master Seedkeeper". */
  readonly title: string;
}

export interface CardOpenerOptions<Role extends string> {
  readonly roles: Readonly<Record<Role, RoleCard>>;
  /** The PIN for a role's card (asked once per flow by the caller; never retried on a wrong PIN). */
  readonly pin: (role: Role) => Promise<string>;
  readonly onPrompt?: (prompt: CardPrompt) => void;
  /** How long to wait for a card to be presented (default 5 minutes). */
  readonly presentTimeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** Openings across every opener of the process: a flow resumed with a new opener never sees an old number again. */
let openings = 0;

type Attempt<T> = { readonly kind: 'done'; readonly value: T } | { readonly kind: 'wrong'; readonly reason: string } | { readonly kind: 'stale' };

/** A card left open between steps (its own reader only): the client, and the session it talks through now. */
interface OpenCard {
  readonly client: SatochipClient;
  /** Increases with every full open (SELECT, channel, PIN) of any role. */
  readonly generation: number;
  session: CardSession | null;
  /** Answers with 9000 in the current piece of work. */
  answered: number;
}

/**
 * The first command to a kept card was refused by the card: its channel may be gone (power loss:
 * no applet selected, 6986/6D00; re-selected: 9C21; another card: 9C23, or PIN not verified).
 * Opening it again is always safe (a refused command changed nothing) and tells the real reason.
 */
function staleChannel(error: unknown): boolean {
  return isSatochipError(error);
}

export class CardOpener<Role extends string> {
  /** Authentikeys seen per role in this flow (to tell the cards apart before any PIN). */
  private readonly seen = new Map<Role, Uint8Array>();
  /**
   * With a reader per role, a card stays open between the flow's steps (section 10.2: "open both
   * cards once"): no SELECT, channel and PIN again. If the card went away meanwhile, its first
   * command fails on the channel (the card no longer has those keys) and the card is opened again.
   */
  private readonly open = new Map<Role, OpenCard>();

  constructor(
    private readonly slots: CardSlots,
    private readonly options: CardOpenerOptions<Role>,
  ) {}

  /** True when every role uses the same reader (the person swaps cards). */
  get swapping(): boolean {
    const readers = new Set(Object.values<RoleCard>(this.options.roles).map((r) => r.reader));
    return readers.size === 1 && Object.keys(this.options.roles).length > 1;
  }

  /**
   * Runs `work` with the role's card open. `generation` changes whenever the card had to be opened
   * again (what the work read in an earlier generation may be out of date). A kept card found stale
   * at the work's first command is opened again and the work run again: work must send a command
   * before it changes anything.
   */
  async withClient<T>(role: Role, expected: Uint8Array | null, work: (client: SatochipClient, generation: number) => Promise<T>): Promise<T> {
    const card = this.options.roles[role];
    const sessionOptions = this.options.signal ? { signal: this.options.signal } : {};
    for (;;) {
      const kept = this.open.get(role);
      if (kept) {
        const attempt = await this.slots.withSession<Attempt<T>>(
          card.reader,
          async (session) => {
            kept.session = session;
            kept.answered = 0;
            try {
              return { kind: 'done', value: await work(kept.client, kept.generation) };
            } catch (error) {
              this.open.delete(role);
              if (kept.answered === 0 && staleChannel(error)) return { kind: 'stale' };
              throw error;
            } finally {
              kept.session = null;
            }
          },
          sessionOptions,
        );
        if (attempt.kind === 'done') return attempt.value;
        continue; // open it again
      }
      await this.waitForProduct(role, card);
      const link: Pick<OpenCard, 'session' | 'answered'> = { session: null, answered: 0 };
      const client = new SatochipClient({
        send: async (command) => {
          if (!link.session) throw new DriverError('CANCELLED', 'no card session is open', { reader: card.reader });
          const response = await link.session.send(command);
          if (response.sw === 0x9000) link.answered += 1;
          return response;
        },
      });
      const entry: OpenCard = Object.assign(link, { client, generation: ++openings });
      const attempt = await this.slots.withSession<Attempt<T>>(
        card.reader,
        async (session) => {
          entry.session = session;
          try {
            const identity = await this.identify(client, role, card, expected);
            if (identity) return { kind: 'wrong', reason: identity };
            await client.verifyPin(await this.options.pin(role));
            this.prompt({ kind: 'opened', role, reader: card.reader, message: `${card.title} ready` });
            if (!this.swapping) this.open.set(role, entry);
            try {
              return { kind: 'done', value: await work(client, entry.generation) };
            } catch (error) {
              this.open.delete(role);
              throw error;
            }
          } finally {
            entry.session = null;
          }
        },
        sessionOptions,
      );
      if (attempt.kind === 'done') return attempt.value;
      if (attempt.kind === 'stale') continue;
      if (!this.swapping) throw new BackupError('WRONG_CARD', `the card on ${card.reader} is not the ${card.title}`, { role, reader: card.reader, reason: attempt.reason });
      await this.waitForRemoval(role, card, `This is not the ${card.title} (${attempt.reason}). Take it off the reader.`);
    }
  }

  /** SELECT + channel; null when this is the card for the role, else why not. */
  private async identify(client: SatochipClient, role: Role, card: RoleCard, expected: Uint8Array | null): Promise<string | null> {
    const status = await client.select(card.applet);
    const known = status ?? (await client.getStatus());
    if (!known.setupDone) {
      throw new BackupError('CARD_NOT_SET_UP', `the ${card.title} is not set up: give it a PIN first`, { role, reader: card.reader });
    }
    let channel;
    try {
      channel = await client.initSecureChannel(expected ? { authentikey: expected } : {});
    } catch (error) {
      if (isSatochipError(error, 'AUTHENTIKEY_MISMATCH')) return 'another card than the one started with';
      throw error;
    }
    const keys = channel.authentikey ? [channel.authentikey] : channel.authentikeyCandidates;
    for (const [otherRole, key] of this.seen) {
      if (otherRole !== role && keys.some((k) => bytesEqual(k, key))) return `it is the ${this.options.roles[otherRole].title}`;
    }
    if (channel.authentikey) this.seen.set(role, channel.authentikey);
    return null;
  }

  /** Remember a role's authentikey learnt later (a Satochip states it only on request). */
  remember(role: Role, authentikey: Uint8Array): void {
    this.seen.set(role, authentikey);
  }

  private presence(role: Role, card: RoleCard): PresenceOptions {
    return {
      role,
      reader: card.reader,
      family: card.applet,
      title: card.title,
      product: card.applet === 'seedkeeper' ? 'Seedkeeper' : 'Satochip',
      swapping: this.swapping,
      timeoutMs: this.options.presentTimeoutMs ?? DEFAULT_PRESENT_TIMEOUT_MS,
      ...(this.options.onPrompt ? { onPrompt: this.options.onPrompt } : {}),
    };
  }

  private waitForProduct(role: Role, card: RoleCard): Promise<void> {
    return waitForFamily(this.slots, this.presence(role, card));
  }

  private waitForRemoval(role: Role, card: RoleCard, message: string): Promise<void> {
    return waitForRemoval(this.slots, this.presence(role, card), message);
  }

  private prompt(prompt: CardPrompt): void {
    this.options.onPrompt?.(prompt);
  }
}
