/**
 * Attaches a card emulator to a real pcscd through the vsmartcard vpcd reader driver.
 *
 * vpcd (the driver loaded by pcscd) listens on TCP; a virtual card ("vicc") connects to it, and
 * while the connection is open the reader has a card in it. Every frame in both directions is a
 * 2-byte big-endian length followed by that many bytes. A 1-byte frame from vpcd is a control
 * code: 00 power off, 01 power on, 02 reset, 04 "send your ATR" (answered with the ATR as a
 * frame). Any longer frame is a command APDU, answered with the response APDU.
 * The Debian package configures one vpcd instance on port 35963 (reader "Virtual PCD 00 00")
 * and a second slot on 35964 ("Virtual PCD 00 01").
 */
import net from 'node:net';
import type { CardEmulator } from './emulator.ts';

export const VPCD_PORTS = [35963, 35964] as const;
export const VPCD_READER_NAMES = ['Virtual PCD 00 00', 'Virtual PCD 00 01'] as const;

const CTRL_OFF = 0x00;
const CTRL_ON = 0x01;
const CTRL_RESET = 0x02;
const CTRL_ATR = 0x04;

export interface VpcdAttachOptions {
  readonly host?: string;
  readonly port?: number;
  /** How long to keep retrying while vpcd is not listening yet (pcscd starting). */
  readonly connectTimeoutMs?: number;
}

/** A card inserted into a vpcd reader. `remove()` pulls it out. */
export class VpcdCard {
  private buffer: Buffer = Buffer.alloc(0);
  private queue: Promise<void> = Promise.resolve();
  private closed = false;
  /** Counts APDUs processed (tests, benchmarks). */
  apdus = 0;
  readonly closedPromise: Promise<void>;

  private constructor(
    private readonly socket: net.Socket,
    private readonly card: CardEmulator,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk) => this.onData(chunk));
    this.closedPromise = new Promise((resolve) => {
      socket.once('close', () => {
        this.closed = true;
        resolve();
      });
    });
    socket.on('error', () => undefined);
  }

  static async attach(card: CardEmulator, options: VpcdAttachOptions = {}): Promise<VpcdCard> {
    const host = options.host ?? '127.0.0.1';
    const port = options.port ?? VPCD_PORTS[0];
    const deadline = Date.now() + (options.connectTimeoutMs ?? 5000);
    for (;;) {
      try {
        const socket = await connect(host, port);
        return new VpcdCard(socket, card);
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }

  get attached(): boolean {
    return !this.closed;
  }

  /** Pull the card out of the reader (closes the vpcd connection). */
  async remove(): Promise<void> {
    if (!this.closed) this.socket.destroy();
    await this.closedPromise;
  }

  private onData(chunk: Buffer): void {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    while (this.buffer.length >= 2) {
      const length = this.buffer.readUInt16BE(0);
      if (this.buffer.length < 2 + length) break;
      const frame = this.buffer.subarray(2, 2 + length);
      this.buffer = this.buffer.subarray(2 + length);
      const copy = Uint8Array.from(frame);
      // Frames are handled strictly in order; an APDU's answer may be asynchronous.
      this.queue = this.queue.then(() => this.handle(copy)).catch(() => {
        this.socket.destroy();
      });
    }
  }

  private async handle(frame: Uint8Array): Promise<void> {
    if (this.closed) return;
    if (frame.length === 1) {
      switch (frame[0]) {
        case CTRL_OFF:
        case CTRL_ON:
        case CTRL_RESET:
          this.card.reset?.();
          return;
        case CTRL_ATR:
          this.send(this.card.atr);
          return;
        default:
          return;
      }
    }
    this.apdus += 1;
    const response = await this.card.process(frame);
    this.send(response);
  }

  private send(payload: Uint8Array): void {
    if (this.closed) return;
    const header = Buffer.alloc(2);
    header.writeUInt16BE(payload.length, 0);
    // One write per frame (header and body together) so Nagle/delayed ACK cannot split it.
    this.socket.write(Buffer.concat([header, Buffer.from(payload)]));
  }
}

function connect(host: string, port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    socket.once('connect', () => {
      socket.removeListener('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}
