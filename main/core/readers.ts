/**
 * Reader state for every front end: the PC/SC readers (and the built-in demo reader when no real
 * reader is there), the card on each, identified as soon as it is inserted. Produces the
 * ReadersSnapshot the renderer shows and pushes a new one on every change.
 */
import { waitForState } from '../../drivers/wait-for-state.ts';
import type { CardView, ReadersSnapshot, ReaderView, ServiceState } from '../../preload/contract.ts';
import { type CardDriver, identifyCard } from '../../drivers/card.ts';
import { DriverError, FIX_HINTS, isDriverError } from '../../drivers/errors.ts';
import { ApduRingLog } from '../../drivers/pcsc/apdu-log.ts';
import { fromHex } from '../../drivers/pcsc/apdu.ts';
import { PcscReaderManager, type ReaderManagerOptions } from '../../drivers/pcsc/reader-manager.ts';
import type { PcscReaderState, PcscState } from '../../drivers/pcsc/reader-state.ts';
import type { RawChannel } from '../../drivers/pcsc/transport.ts';
import { CARD_DRIVERS } from '../../drivers/registry.ts';
import type { CardEmulator } from '../../drivers/virtual/emulator.ts';
import { InProcessChannel } from '../../drivers/virtual/in-process.ts';
import { TestCard } from '../../drivers/virtual/test-card.ts';
import { toBridgeError } from '../ipc/errors.ts';
import { type CardSession, type SessionOptions, SessionManager } from './sessions.ts';

export const DEMO_READER_NAME = 'Tapdesk demo reader';

export type DemoPolicy = 'auto' | 'on' | 'off';

export interface ReaderServiceOptions {
  /** Use PC/SC (default true). */
  readonly pcsc?: boolean;
  /** `auto`: show the demo reader only while no PC/SC reader is available. */
  readonly demo?: DemoPolicy;
  readonly demoCard?: () => CardEmulator;
  readonly drivers?: readonly CardDriver[];
  readonly pcscOptions?: ReaderManagerOptions;
}

/** A reader as the service sees it: PC/SC state plus which source it comes from. */
type ReaderRow = PcscReaderState & { readonly kind: ReaderView['kind'] };

interface CardRecord {
  /** Which insertion this record describes. */
  readonly cardSeq: number;
  view: CardView;
}

export class ReaderService {
  private readonly pcsc: PcscReaderManager | null;
  private pcscState: PcscState;
  private readonly demoChannel: InProcessChannel;
  private readonly cards = new Map<string, CardRecord>();
  private readonly listeners = new Set<(snapshot: ReadersSnapshot) => void>();
  private revision = 0;
  private last: ReadersSnapshot;
  private readonly drivers: readonly CardDriver[];
  readonly apduLog = new ApduRingLog();
  readonly sessions: SessionManager;

  constructor(private readonly options: ReaderServiceOptions = {}) {
    this.drivers = options.drivers ?? CARD_DRIVERS;
    this.pcsc = options.pcsc === false ? null : new PcscReaderManager(options.pcscOptions);
    this.pcscState = this.pcsc
      ? this.pcsc.state()
      : { service: 'unavailable', readers: [], detail: 'PC/SC is switched off for this run' };
    this.demoChannel = new InProcessChannel(DEMO_READER_NAME, (options.demoCard ?? (() => new TestCard({ serial: 'demo' })))());
    this.sessions = new SessionManager((reader) => this.openChannel(reader), this.apduLog.sink);
    this.last = this.build();
  }

  async start(): Promise<void> {
    if (this.pcsc) {
      this.pcsc.onChange((state) => {
        this.pcscState = state;
        this.refresh();
      });
      await this.pcsc.start();
      this.pcscState = this.pcsc.state();
    }
    this.refresh();
  }

  async close(): Promise<void> {
    this.listeners.clear();
    await this.pcsc?.close();
  }

  snapshot(): ReadersSnapshot {
    return this.last;
  }

  onChange(listener: (snapshot: ReadersSnapshot) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Plain-language notices for the app's info strip. */
  notices(): string[] {
    if (this.pcscState.service === 'unavailable' && this.pcscState.detail) {
      return [`PC/SC is unavailable: ${this.pcscState.detail}. Real readers will not be seen.`];
    }
    return [];
  }

  /** Wait until `predicate` holds (tests and the CLI waiting for readers to enumerate). */
  waitFor(predicate: (snapshot: ReadersSnapshot) => boolean, timeoutMs: number): Promise<ReadersSnapshot> {
    return waitForState({ current: () => this.last, subscribe: (l) => this.onChange(l) }, predicate, timeoutMs, 'readers');
  }


  /** Run card work in a session on `reader` (one at a time per reader). */
  withSession<T>(reader: string, work: (session: CardSession) => Promise<T>, options?: SessionOptions): Promise<T> {
    return this.sessions.withSession(reader, work, options);
  }

  /** Identify the card in `reader` again and return what it is. */
  async identify(reader: string): Promise<CardView> {
    const view = this.last.readers.find((r) => r.name === reader);
    if (!view) throw new DriverError('NO_READER', 'no such reader', { reader });
    if (!view.card) throw new DriverError('NO_CARD', 'no card in the reader', { reader });
    const record = this.cards.get(reader);
    if (!record) throw new DriverError('NO_CARD', 'no card in the reader', { reader });
    await this.runIdentification(reader, record.cardSeq, view.card.atr);
    return this.cards.get(reader)?.view ?? view.card;
  }

  // ------------------------------------------------------------------------------------------

  private demoActive(): boolean {
    const policy = this.options.demo ?? 'auto';
    if (policy === 'on') return true;
    if (policy === 'off') return false;
    return this.pcscState.service !== 'running' || this.pcscState.readers.length === 0;
  }

  private readerRows(): ReaderRow[] {
    const list: ReaderRow[] = this.pcscState.readers.map((r) => ({ ...r, kind: 'pcsc' as const }));
    if (this.demoActive()) {
      list.push({
        name: DEMO_READER_NAME,
        atr: this.demoChannel.present ? this.demoAtr() : null,
        // The demo card is inserted once, for the whole run.
        cardSeq: 1,
        kind: 'demo',
      });
    }
    return list;
  }

  private demoAtr(): string {
    const atr = this.demoChannel.atr;
    return atr ? Buffer.from(atr).toString('hex') : '';
  }

  private openChannel(reader: string): RawChannel {
    if (reader === DEMO_READER_NAME && this.demoActive()) return this.demoChannel;
    if (!this.pcsc) throw new DriverError('PCSC_UNAVAILABLE', 'PC/SC is not in use', { reader });
    return this.pcsc.channel(reader);
  }

  /** Recompute the snapshot; start identification for newly inserted cards. */
  private refresh(): void {
    const readers = this.readerRows();
    const present = new Set(readers.map((r) => r.name));
    for (const name of [...this.cards.keys()]) if (!present.has(name)) this.cards.delete(name);
    for (const reader of readers) {
      const record = this.cards.get(reader.name);
      if (reader.atr === null) {
        this.cards.delete(reader.name);
        continue;
      }
      if (record && record.cardSeq === reader.cardSeq) continue;
      if (reader.connectFailed) {
        const error = toBridgeError(new DriverError('CONNECT_FAILED', 'the reader could not talk to this card', { reader: reader.name })).toView();
        this.cards.set(reader.name, { cardSeq: reader.cardSeq, view: { status: 'error', atr: reader.atr, error } });
        continue;
      }
      this.cards.set(reader.name, { cardSeq: reader.cardSeq, view: { status: 'identifying', atr: reader.atr } });
      void this.runIdentification(reader.name, reader.cardSeq, reader.atr);
    }
    this.publish();
  }

  private async runIdentification(reader: string, cardSeq: number, atrHex: string): Promise<void> {
    let view: CardView;
    try {
      const result = await this.sessions.withSession(
        reader,
        (session) => identifyCard(session.transport, fromHex(atrHex), this.drivers, { signal: session.signal }),
        { timeoutMs: 20_000 },
      );
      view =
        result.kind === 'identified'
          ? {
              status: 'identified',
              atr: atrHex,
              family: result.identity.family,
              product: result.identity.product,
              aid: result.identity.aid,
              details: result.identity.details,
              capabilities: result.identity.capabilities,
            }
          : { status: 'unknown', atr: atrHex };
    } catch (error) {
      // A card pulled during identification is simply gone; the removal event updates the view.
      if (isDriverError(error, 'CARD_REMOVED') || isDriverError(error, 'NO_CARD')) return;
      view = { status: 'error', atr: atrHex, error: toBridgeError(error).toView() };
    }
    const record = this.cards.get(reader);
    if (!record || record.cardSeq !== cardSeq) return;
    record.view = view;
    this.publish();
  }

  private build(): ReadersSnapshot {
    const readers: ReaderView[] = this.readerRows().map((r) => ({
      name: r.name,
      kind: r.kind,
      card: r.atr === null ? null : (this.cards.get(r.name)?.view ?? { status: 'identifying', atr: r.atr }),
    }));
    const service: ServiceState = this.pcscState.service;
    const hint =
      service === 'not-running'
        ? FIX_HINTS.NO_PCSC
        : service === 'unavailable'
          ? `${this.pcscState.detail ?? 'PC/SC is unavailable'}. ${FIX_HINTS.PCSC_UNAVAILABLE}`
          : service === 'running' && this.pcscState.readers.length === 0
            ? FIX_HINTS.NO_READER
            : undefined;
    return { service, ...(hint ? { hint } : {}), readers, revision: this.revision };
  }

  private publish(): void {
    const next = this.build();
    if (JSON.stringify({ ...next, revision: 0 }) === JSON.stringify({ ...this.last, revision: 0 })) return;
    this.revision += 1;
    this.last = { ...next, revision: this.revision };
    for (const listener of [...this.listeners]) listener(this.last);
  }
}
