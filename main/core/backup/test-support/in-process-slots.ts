/**
 * Test support: readers with emulated cards in-process (no pcscd), shaped like the ReaderService
 * the card opener runs on: snapshots with identified cards, change notifications, one session at a
 * time per reader. A card can be pulled after its Nth APDU (the card has processed it, the answer
 * is lost), the worst moment for a flow.
 */
import { waitForState } from '../../../../drivers/wait-for-state.ts';
import type { CardEmulator } from '../../../../drivers/virtual/emulator.ts';
import { InProcessChannel } from '../../../../drivers/virtual/in-process.ts';
import { SeedkeeperEmulator } from '../../../../drivers/satochip/emulator/index.ts';
import { KeycardEmulator } from '../../../../drivers/keycard/emulator/index.ts';
import { toHex } from '../../../../drivers/pcsc/apdu.ts';
import type { ReadersSnapshot, ReaderView } from '../../../../preload/contract.ts';
import { type CardSession, type SessionOptions, SessionManager } from '../../sessions.ts';
import type { CardSlots } from '../card-opener.ts';

type SlotFamily = 'seedkeeper' | 'satochip' | 'keycard';
const PRODUCTS: Record<SlotFamily, string> = { seedkeeper: 'SeedKeeper', satochip: 'Satochip', keycard: 'Keycard' };

export class InProcessSlots implements CardSlots {
  private readonly channels = new Map<string, InProcessChannel>();
  private readonly cards = new Map<string, CardEmulator>();
  private readonly families = new Map<string, SlotFamily>();
  private readonly listeners = new Set<(snapshot: ReadersSnapshot) => void>();
  private readonly sessions = new SessionManager((reader) => this.channel(reader));
  private last: ReadersSnapshot;
  private revision = 0;
  /** Names of the commands sent to each reader, in order. */
  readonly sent = new Map<string, string[]>();
  /** APDUs each reader's card processed, in order. */
  readonly apdus = new Map<string, number>();
  private pullAt: { reader: string; count: number } | null = null;

  constructor(readonly readerNames: readonly string[]) {
    for (const name of readerNames) this.channels.set(name, new InProcessChannel(name, null));
    this.last = this.build();
  }

  /** `family` defaults to what the emulator is (a wrapped one must say). */
  insert(reader: string, card: CardEmulator, family: SlotFamily = card instanceof SeedkeeperEmulator ? 'seedkeeper' : card instanceof KeycardEmulator ? 'keycard' : 'satochip'): void {
    this.families.set(reader, family);
    const slots = this;
    const counted: CardEmulator = {
      atr: card.atr,
      reset: () => card.reset?.(),
      async process(apdu) {
        const response = await card.process(apdu);
        const count = (slots.apdus.get(reader) ?? 0) + 1;
        slots.apdus.set(reader, count);
        if (slots.pullAt?.reader === reader && slots.pullAt.count === count) {
          slots.pullAt = null;
          slots.remove(reader);
        }
        return response;
      },
    };
    this.cards.set(reader, card);
    this.channel(reader).insert(counted);
    this.emit();
  }

  remove(reader: string): void {
    this.channel(reader).remove();
    this.cards.delete(reader);
    this.emit();
  }

  /** The card on `reader` goes away right after processing its `count`-th APDU (counted from now). */
  pullAfter(reader: string, count: number): void {
    this.pullAt = { reader, count: (this.apdus.get(reader) ?? 0) + count };
  }

  cardOn(reader: string): CardEmulator | null {
    return this.cards.get(reader) ?? null;
  }

  snapshot(): ReadersSnapshot {
    return this.last;
  }

  onChange(listener: (snapshot: ReadersSnapshot) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  waitFor(predicate: (snapshot: ReadersSnapshot) => boolean, timeoutMs: number): Promise<ReadersSnapshot> {
    return waitForState({ current: () => this.last, subscribe: (l) => this.onChange(l) }, predicate, timeoutMs, 'readers');
  }

  withSession<T>(reader: string, work: (session: CardSession) => Promise<T>, options?: SessionOptions): Promise<T> {
    return this.sessions.withSession(
      reader,
      (session) => {
        const names = this.sent.get(reader) ?? [];
        this.sent.set(reader, names);
        return work({ ...session, send: (command, sendOptions) => (names.push(command.name ?? '?'), session.send(command, sendOptions)) });
      },
      options,
    );
  }

  private channel(reader: string): InProcessChannel {
    const channel = this.channels.get(reader);
    if (!channel) throw new Error(`no reader ${reader}`);
    return channel;
  }

  private build(): ReadersSnapshot {
    const readers: ReaderView[] = this.readerNames.map((name) => {
      const card = this.cards.get(name);
      if (!card) return { name, kind: 'pcsc', card: null };
      const family = this.families.get(name) ?? 'satochip';
      return { name, kind: 'pcsc', card: { status: 'identified', atr: toHex(card.atr), family, product: PRODUCTS[family] } };
    });
    return { service: 'running', readers, revision: ++this.revision };
  }

  private emit(): void {
    this.last = this.build();
    for (const listener of this.listeners) listener(this.last);
  }
}
