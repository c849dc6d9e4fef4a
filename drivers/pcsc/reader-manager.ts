/**
 * The PC/SC reader manager over nfc-pcsc, with autoProcessing off: every reader pcscd lists
 * (never "the first one"), hot-plug in and out, card present/removed with the ATR, and the
 * service itself as a state ("not running", "library missing") rather than a crash.
 */
import { waitForState } from '../wait-for-state.ts';
import { DriverError } from '../errors.ts';
import type { RawChannel } from './transport.ts';
import { type BindingResult, type NfcPcscContext, type NfcPcscReader, loadPcscBinding } from './binding.ts';
import { type PcscEvent, type PcscState, INITIAL_PCSC_STATE, reducePcsc } from './reader-state.ts';
import { pcscdSocketPath, probePcscd } from './service-probe.ts';

export interface ReaderManagerOptions {
  /** How often to look for pcscd while it is not running. */
  readonly probeIntervalMs?: number;
  readonly socketPath?: string;
  /** Injected for tests of the "library missing" path. */
  readonly loadBinding?: () => BindingResult;
  /** How long a present card may stay unconnected before it is reported as connect-failed. */
  readonly connectGraceMs?: number;
}

const NOT_RUNNING_DETAIL = 'The PC/SC service (pcscd) is not running.';

/**
 * pcsc-lite counts card insertions and removals in the upper 16 bits of a reader's event state
 * (SCardGetStatusChange, dwEventState). Two "present" states with different counts mean the card
 * went and came (or another came) between two status reads.
 */
const eventCount = (state: number): number => state >>> 16;

export class PcscReaderManager {
  private current: PcscState = INITIAL_PCSC_STATE;
  private readonly listeners = new Set<(state: PcscState) => void>();
  private context: NfcPcscContext | null = null;
  private readonly readers = new Map<string, NfcPcscReader>();
  private probeTimer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;
  private readonly socketPath: string;

  constructor(private readonly options: ReaderManagerOptions = {}) {
    this.socketPath = options.socketPath ?? pcscdSocketPath();
  }

  state(): PcscState {
    return this.current;
  }

  onChange(listener: (state: PcscState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Starts watching; resolves once the first service state is known. */
  async start(): Promise<void> {
    const binding = (this.options.loadBinding ?? loadPcscBinding)();
    if (!binding.ok) {
      this.apply({ type: 'library-missing', detail: binding.reason });
      return;
    }
    await this.probe(binding.module);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.probeTimer);
    this.dropContext();
    this.listeners.clear();
  }

  /** Resolves when `predicate` holds for the state (tests, CLI waiting for readers). */
  waitFor(predicate: (state: PcscState) => boolean, timeoutMs: number): Promise<PcscState> {
    return waitForState({ current: () => this.current, subscribe: (l) => this.onChange(l) }, predicate, timeoutMs, 'PC/SC reader state');
  }


  /**
   * A raw channel to the card now in `readerName`. It is bound to this card: once the card leaves
   * (even if it comes back) every transmit fails with CARD_REMOVED.
   */
  channel(readerName: string): RawChannel {
    const reader = this.current.readers.find((r) => r.name === readerName);
    if (this.current.service === 'not-running') throw new DriverError('NO_PCSC', NOT_RUNNING_DETAIL, { reader: readerName });
    if (this.current.service === 'unavailable') {
      throw new DriverError('PCSC_UNAVAILABLE', this.current.detail ?? 'PC/SC is unavailable', { reader: readerName });
    }
    if (!reader) throw new DriverError('NO_READER', 'no such reader', { reader: readerName });
    if (reader.atr === null) throw new DriverError('NO_CARD', 'no card in the reader', { reader: readerName });
    const cardSeq = reader.cardSeq;
    return {
      readerName,
      transmit: (apdu, maxResponseLength) => this.transmit(readerName, cardSeq, apdu, maxResponseLength),
    };
  }

  private async transmit(name: string, cardSeq: number, apdu: Uint8Array, maxResponseLength: number): Promise<Uint8Array> {
    this.assertSameCard(name, cardSeq);
    const reader = this.readers.get(name);
    if (!reader) throw new DriverError('NO_READER', 'reader was unplugged', { reader: name });
    if (!reader.connection) throw new DriverError('CONNECT_FAILED', 'not connected to the card', { reader: name });
    try {
      const response = await reader.transmit(Buffer.from(apdu), maxResponseLength);
      // A card pulled mid-command can also come back as an empty answer (vpcd, some readers).
      if (response.length < 2 && (await this.cardLeft(name, cardSeq, 300))) {
        throw new DriverError('CARD_REMOVED', 'card removed during the command', { reader: name });
      }
      this.assertSameCard(name, cardSeq);
      return Uint8Array.from(response);
    } catch (error) {
      if (error instanceof DriverError) throw error;
      // A pulled card surfaces as a transmit error first and a status event a moment later.
      if (await this.cardLeft(name, cardSeq, 300)) {
        throw new DriverError('CARD_REMOVED', 'card removed during the command', { reader: name }, { cause: error });
      }
      throw new DriverError('TRANSMIT_FAILED', 'the reader failed to exchange the APDU', { reader: name }, { cause: error });
    }
  }

  private assertSameCard(name: string, cardSeq: number): void {
    const reader = this.current.readers.find((r) => r.name === name);
    if (!reader) throw new DriverError('NO_READER', 'reader was unplugged', { reader: name });
    if (reader.atr === null || reader.cardSeq !== cardSeq) {
      throw new DriverError('CARD_REMOVED', 'the card left the reader', { reader: name });
    }
  }

  private async cardLeft(name: string, cardSeq: number, withinMs: number): Promise<boolean> {
    const left = (state: PcscState) => {
      const r = state.readers.find((x) => x.name === name);
      return !r || r.atr === null || r.cardSeq !== cardSeq;
    };
    try {
      await this.waitFor(left, withinMs);
      return true;
    } catch {
      return false;
    }
  }

  private apply(event: PcscEvent): void {
    const next = reducePcsc(this.current, event);
    if (next === this.current) return;
    this.current = next;
    for (const listener of [...this.listeners]) listener(next);
  }

  private async probe(module: { NFC: new (logger?: unknown) => NfcPcscContext }): Promise<void> {
    if (this.closed) return;
    const up = await probePcscd(this.socketPath);
    if (this.closed) return;
    if (!up) {
      this.apply({ type: 'service-down', detail: NOT_RUNNING_DETAIL });
      this.probeTimer = setTimeout(() => void this.probe(module), this.options.probeIntervalMs ?? 1000);
      return;
    }
    this.apply({ type: 'service-up' });
    const context = new module.NFC();
    this.context = context;
    context.on('reader', (reader) => this.attachReader(reader));
    // pcscd went away (or the context broke): drop everything and look for the service again.
    context.on('error', () => this.serviceLost(module, context));
    this.watch(module, context);
  }

  /**
   * While running, keep probing the socket too: the binding does not always report a pcscd that
   * exits (its status thread may be between calls), and a stale "running" would hide the fix.
   */
  private watch(module: { NFC: new (logger?: unknown) => NfcPcscContext }, context: NfcPcscContext): void {
    this.probeTimer = setTimeout(async () => {
      if (this.closed || this.context !== context) return;
      if (await probePcscd(this.socketPath)) this.watch(module, context);
      else this.serviceLost(module, context);
    }, this.options.probeIntervalMs ?? 1000);
  }

  private serviceLost(module: { NFC: new (logger?: unknown) => NfcPcscContext }, context: NfcPcscContext): void {
    if (this.context !== context) return;
    clearTimeout(this.probeTimer);
    this.dropContext();
    this.apply({ type: 'service-down', detail: NOT_RUNNING_DETAIL });
    if (!this.closed) this.probeTimer = setTimeout(() => void this.probe(module), this.options.probeIntervalMs ?? 1000);
  }

  private attachReader(reader: NfcPcscReader): void {
    const name = reader.name;
    reader.autoProcessing = false;
    this.readers.set(name, reader);
    this.apply({ type: 'reader-added', name });
    let connectTimer: ReturnType<typeof setTimeout> | undefined;
    reader.on('card', (card) => {
      clearTimeout(connectTimer);
      this.apply({ type: 'card-inserted', name, atr: card.atr ? Buffer.from(card.atr).toString('hex') : '' });
    });
    reader.on('card.off', () => {
      clearTimeout(connectTimer);
      this.apply({ type: 'card-removed', name });
    });
    // nfc-pcsc connects on insertion and only then emits 'card'; if that connect fails it emits
    // nothing we can listen to, so watch the raw status and report a present-but-unusable card.
    // nfc-pcsc also misses a card swapped between two status reads ("present" both times): its
    // connection is then to a card that left, so we replace it (see cardSwapped).
    let presentEvents: number | null = null;
    reader.reader.on('status', (status) => {
      const present = (status.state & reader.reader.SCARD_STATE_PRESENT) !== 0;
      if (!present) {
        presentEvents = null;
        clearTimeout(connectTimer);
        return;
      }
      const swapped = presentEvents !== null && eventCount(status.state) !== presentEvents;
      presentEvents = eventCount(status.state);
      if (swapped) {
        clearTimeout(connectTimer);
        void this.cardSwapped(reader, status.atr ? Buffer.from(status.atr).toString('hex') : '', () => presentEvents !== null);
        return;
      }
      clearTimeout(connectTimer);
      connectTimer = setTimeout(() => {
        const known = this.current.readers.find((r) => r.name === name);
        if (!reader.connection && known && known.atr === null) {
          const atr = status.atr ? Buffer.from(status.atr).toString('hex') : '';
          this.apply({ type: 'card-inserted', name, atr, connectFailed: true });
        }
      }, this.options.connectGraceMs ?? 2000);
    });
    reader.on('error', () => undefined);
    reader.on('end', () => {
      clearTimeout(connectTimer);
      this.readers.delete(name);
      reader.removeAllListeners().on('error', () => undefined);
      this.apply({ type: 'reader-removed', name });
    });
  }

  /**
   * The card in `reader` was replaced without an empty state in between: whatever used the old one
   * gets CARD_REMOVED (a new cardSeq), and the connection is made again to the card now there.
   */
  private async cardSwapped(reader: NfcPcscReader, atr: string, stillPresent: () => boolean): Promise<void> {
    const name = reader.name;
    // Only while this reader is ours and a card is still there (it may leave while we reconnect).
    const current = () => this.readers.get(name) === reader && stillPresent();
    this.apply({ type: 'card-removed', name });
    try {
      if (reader.connection) await reader.disconnect();
    } catch {
      // the old handle is already invalid
    }
    try {
      await reader.connect();
    } catch {
      if (current()) this.apply({ type: 'card-inserted', name, atr, connectFailed: true });
      return;
    }
    if (current()) this.apply({ type: 'card-inserted', name, atr });
  }

  private dropContext(): void {
    const context = this.context;
    this.context = null;
    // Closing cancels pending status calls, which pcsclite reports as 'error': keep a sink.
    const ignore = () => undefined;
    // Readers are not closed one by one: @pokusew/pcsclite's CardReader.close() joins its status
    // thread on the main thread and can block forever once a card has come and gone (seen with
    // pcsc-lite 1.9.9). Closing the context ends the reader watches; a process that wants to exit
    // calls process.exit() (the native status handles keep the event loop alive).
    for (const reader of this.readers.values()) reader.removeAllListeners().on('error', ignore);
    this.readers.clear();
    if (context) {
      context.removeAllListeners().on('error', ignore);
      try {
        context.close();
      } catch {
        // already closed
      }
    }
  }
}
