/**
 * A card swapped between two status reads: pcsc-lite then reports "present" twice with its event
 * counter (upper 16 bits of the state) moved on, and nfc-pcsc, which only compares the PRESENT and
 * EMPTY bits, keeps its connection to the card that left. The manager must give whatever used the
 * old card CARD_REMOVED and connect to the new one.
 *
 * vpcd cannot produce this (pcscd polls it: a swap inside one poll is not seen at all), so nfc-pcsc
 * is stood in for here by a small event emitter with its API (binding.ts NfcPcscReader) and the
 * pcsc-lite state bits; pcscd's socket is a real listening socket for the manager's probe. The
 * pcsc tier (reader-manager.pcsc.test.ts) covers the real pcscd + vpcd path.
 */
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isDriverError } from '../errors.ts';
import type { NfcPcscContext, NfcPcscModule } from './binding.ts';
import { PcscReaderManager } from './reader-manager.ts';

// pcsc-lite's SCARD_STATE_* bits (PCSC/pcsclite.h).
const CHANGED = 0x0002;
const EMPTY = 0x0010;
const PRESENT = 0x0020;
const INUSE = 0x0100;
const events = (count: number) => count << 16;

const ATR_A = Buffer.from('3b8a80010102030405060708090a0b', 'hex');
const ATR_B = Buffer.from('3b8f8001804f0ca000000306030001000000006a', 'hex');

class StandInCardReader extends EventEmitter {
  readonly SCARD_STATE_PRESENT = PRESENT;
  readonly SCARD_STATE_EMPTY = EMPTY;
  readonly SCARD_STATE_MUTE = 0x0200;
  state = 0;
  constructor(readonly name: string) {
    super();
  }
  /** What pcsclite does on each SCardGetStatusChange answer: emit, then remember the state. */
  status(state: number, atr?: Buffer): void {
    this.emit('status', atr ? { state, atr } : { state });
    this.state = state;
  }
  close(): void {}
}

class StandInReader extends EventEmitter {
  autoProcessing = true;
  card: { atr?: Buffer } | null = null;
  connection: { protocol: number } | null = null;
  readonly reader: StandInCardReader;
  connects = 0;
  disconnects = 0;
  /** The handle is to a card that left: transmit fails as pcsc-lite does (SCARD_W_REMOVED_CARD). */
  stale = false;
  /** When set, connect() waits for it (a slow reconnect). */
  connectGate: Promise<void> | null = null;
  failConnect = false;
  constructor(readonly name: string) {
    super();
    this.reader = new StandInCardReader(name);
  }
  /** nfc-pcsc on an EMPTY -> PRESENT status: connect, then emit 'card'. */
  inserted(count: number, atr: Buffer): void {
    this.reader.status(PRESENT | CHANGED | events(count), atr);
    this.connection = { protocol: 2 };
    this.card = { atr };
    this.emit('card', { atr });
  }
  async connect(): Promise<unknown> {
    this.connects += 1;
    if (this.connectGate) await this.connectGate;
    if (this.failConnect) throw new Error('SCardConnect error: Card is unresponsive.(0x80100066)');
    this.stale = false;
    this.connection = { protocol: 2 };
    return this.connection;
  }
  async disconnect(): Promise<unknown> {
    this.disconnects += 1;
    this.connection = null;
    return true;
  }
  async transmit(): Promise<Buffer> {
    if (this.stale) throw new Error('SCardTransmit error: Card was removed.(0x80100069)');
    return Buffer.from([0x90, 0x00]);
  }
}

class StandInContext extends EventEmitter {
  static last: StandInContext | null = null;
  constructor() {
    super();
    StandInContext.last = this;
  }
  close(): void {}
}

describe('PcscReaderManager: a card swapped between two status reads', () => {
  let dir: string;
  let server: net.Server;
  let manager: PcscReaderManager;
  let reader: StandInReader;
  const NAME = 'Stand-in reader 00';
  const SELECT = { cla: 0, ins: 0xa4, p1: 4, p2: 0 };
  const cardOf = () => manager.state().readers.find((r) => r.name === NAME)!;
  const send = (channel: ReturnType<PcscReaderManager['channel']>) => channel.transmit(Uint8Array.of(SELECT.cla, SELECT.ins, SELECT.p1, SELECT.p2), 258);

  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'tapdesk-swap-'));
    const socketPath = path.join(dir, 'pcscd.comm');
    server = net.createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    const module: NfcPcscModule = { NFC: StandInContext as unknown as new () => NfcPcscContext };
    manager = new PcscReaderManager({ socketPath, loadBinding: () => ({ ok: true, module }), probeIntervalMs: 60_000 });
    await manager.start();
    reader = new StandInReader(NAME);
    StandInContext.last!.emit('reader', reader);
    reader.inserted(1, ATR_A);
    expect(cardOf()).toMatchObject({ atr: ATR_A.toString('hex'), cardSeq: 1 });
  });

  afterEach(async () => {
    await manager.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('the old card\'s users get CARD_REMOVED; the manager reconnects to the new card, which then answers', async () => {
    const before = manager.channel(NAME);
    expect(await send(before)).toEqual(Uint8Array.of(0x90, 0x00));
    reader.stale = true;
    // Removed and another inserted between two reads: PRESENT both times, two events later.
    reader.reader.status(PRESENT | CHANGED | events(3), ATR_B);
    await manager.waitFor(() => cardOf().cardSeq === 2 && cardOf().atr === ATR_B.toString('hex'), 2000);
    expect(reader.disconnects).toBe(1);
    expect(reader.connects).toBe(1);
    const error = await send(before).catch((e: unknown) => e);
    expect(isDriverError(error, 'CARD_REMOVED')).toBe(true);
    expect(await send(manager.channel(NAME))).toEqual(Uint8Array.of(0x90, 0x00));
  });

  it('other status changes of the same card (in use, same event count) change nothing', async () => {
    reader.reader.status(PRESENT | INUSE | CHANGED | events(1), ATR_A);
    reader.reader.status(PRESENT | CHANGED | events(1), ATR_A);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(reader.connects).toBe(0);
    expect(cardOf()).toMatchObject({ atr: ATR_A.toString('hex'), cardSeq: 1 });
  });

  it('a card gone while reconnecting stays gone (no card shown); a card that cannot be connected is shown as such', async () => {
    let open!: () => void;
    reader.connectGate = new Promise<void>((resolve) => (open = resolve));
    reader.failConnect = true;
    reader.reader.status(PRESENT | CHANGED | events(3), ATR_B);
    await manager.waitFor(() => cardOf().atr === null, 2000);
    // nfc-pcsc sees the EMPTY state and says the card is off.
    reader.reader.status(EMPTY | CHANGED | events(4));
    reader.emit('card.off', { atr: ATR_B });
    open();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(cardOf().atr).toBeNull();

    // Put back (nfc-pcsc connects), then swapped for a card that does not answer the connect.
    reader.connectGate = null;
    reader.inserted(5, ATR_A);
    reader.reader.status(PRESENT | CHANGED | events(7), ATR_B);
    await manager.waitFor(() => cardOf().connectFailed === true, 2000);
    expect(cardOf()).toMatchObject({ atr: ATR_B.toString('hex'), connectFailed: true });
  });
});
