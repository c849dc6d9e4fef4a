/**
 * The APDU transport: one logical exchange of a command with a card, on top of a raw channel
 * (a PC/SC reader, a vpcd-attached emulator, or an in-process emulator).
 *
 * - 61xx: the card has more bytes; fetch them with GET RESPONSE (00 C0 00 00 xx) and concatenate
 *   (ISO/IEC 7816-4 5.1.3, T=0 case 2/4 handling).
 * - 6Cxx: wrong Le; re-send the same command with Le = xx.
 * - A per-command timeout and cancellation through AbortSignal. A raw transmit that is abandoned
 *   (timeout, cancel) is still awaited before the next command is sent, so two transmits never
 *   overlap on a reader.
 */
import { DriverError, isDriverError } from '../errors.ts';
import {
  type CommandApdu,
  type ResponseApdu,
  decodeResponse,
  encodeCommand,
  responseBufferSize,
} from './apdu.ts';
import { type ApduLogSink, redactCommand, redactResponse } from './apdu-log.ts';

/** The lowest layer: send bytes, get bytes. Implementations map their failures to DriverError. */
export interface RawChannel {
  readonly readerName: string;
  transmit(apdu: Uint8Array, maxResponseLength: number): Promise<Uint8Array>;
}

export interface SendOptions {
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

export interface TransportOptions {
  /** Default per-command timeout. Long card operations (key generation) pass their own. */
  readonly timeoutMs?: number;
  readonly log?: ApduLogSink;
  /** Upper bound on GET RESPONSE rounds for one command (a broken card must not loop forever). */
  readonly maxResponseChunks?: number;
}

export const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_CHUNKS = 300;

export class ApduTransport {
  private previous: Promise<unknown> = Promise.resolve();
  private readonly timeoutMs: number;
  private readonly maxChunks: number;
  /** Number of raw exchanges made (for benchmarks and tests). */
  exchanges = 0;

  constructor(
    private readonly channel: RawChannel,
    private readonly options: TransportOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.maxChunks = options.maxResponseChunks ?? DEFAULT_MAX_CHUNKS;
  }

  get readerName(): string {
    return this.channel.readerName;
  }

  /** Send a command; resolves with the complete response (after 61xx/6Cxx handling), any SW. */
  async send(command: CommandApdu, options: SendOptions = {}): Promise<ResponseApdu> {
    let current: CommandApdu = command;
    let response = await this.exchange(current, options);
    let leRetries = 0;
    while ((response.sw & 0xff00) === 0x6c00 && leRetries < 2) {
      // 6Cxx: wrong length, xx is the exact Ne (00 = 256).
      current = { ...current, le: (response.sw & 0xff) || 256, extended: false };
      response = await this.exchange(current, options);
      leRetries += 1;
    }
    if ((response.sw & 0xff00) !== 0x6100) return response;

    const parts: Uint8Array[] = [response.data];
    let total = response.data.length;
    for (let chunk = 0; (response.sw & 0xff00) === 0x6100; chunk += 1) {
      if (chunk >= this.maxChunks) {
        throw new DriverError('BAD_RESPONSE', 'card kept answering 61xx', {
          reader: this.readerName,
          chunks: chunk,
        });
      }
      let getResponse: CommandApdu = {
        cla: 0x00,
        ins: 0xc0,
        p1: 0x00,
        p2: 0x00,
        le: (response.sw & 0xff) || 256,
        name: 'GET RESPONSE',
        sensitiveResponse: command.sensitiveResponse,
      };
      response = await this.exchange(getResponse, options);
      if ((response.sw & 0xff00) === 0x6c00) {
        getResponse = { ...getResponse, le: (response.sw & 0xff) || 256 };
        response = await this.exchange(getResponse, options);
      }
      parts.push(response.data);
      total += response.data.length;
    }
    const data = new Uint8Array(total);
    let offset = 0;
    for (const part of parts) {
      data.set(part, offset);
      offset += part.length;
    }
    return { data, sw: response.sw };
  }

  /** One raw round trip, serialised after any earlier one, bounded by timeout and signal. */
  private async exchange(command: CommandApdu, options: SendOptions): Promise<ResponseApdu> {
    const encoded = encodeCommand(command);
    const signal = options.signal;
    if (signal?.aborted) throw cancelled(this.readerName, signal);
    // Take our turn before awaiting, so concurrent callers queue behind us instead of all
    // waking on the same earlier transmit.
    const before = this.previous;
    let endTurn!: () => void;
    this.previous = new Promise<void>((resolve) => (endTurn = resolve));
    await before;
    if (signal?.aborted) {
      endTurn();
      throw cancelled(this.readerName, signal);
    }

    const log = this.options.log;
    log?.({ reader: this.readerName, direction: 'command', name: command.name, text: redactCommand(command, encoded) });
    const started = performance.now();
    const raw = new Promise<Uint8Array>((resolve) =>
      resolve(this.channel.transmit(encoded, responseBufferSize(command))),
    );
    raw.then(endTurn, endTurn);
    this.exchanges += 1;

    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let onAbort: (() => void) | undefined;
    const guards = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new DriverError('TIMEOUT', 'card did not answer in time', { reader: this.readerName, timeoutMs })),
        timeoutMs,
      );
      if (signal) {
        onAbort = () => reject(cancelled(this.readerName, signal));
        signal.addEventListener('abort', onAbort, { once: true });
      }
    });
    try {
      const bytes = await Promise.race([raw, guards]);
      const response = decodeResponse(bytes);
      log?.({
        reader: this.readerName,
        direction: 'response',
        name: command.name,
        text: redactResponse(command, response.data, response.sw),
        sw: response.sw.toString(16).padStart(4, '0'),
        elapsedMs: Math.round((performance.now() - started) * 1000) / 1000,
      });
      return response;
    } catch (error) {
      if (isDriverError(error)) throw error;
      throw new DriverError('TRANSMIT_FAILED', 'APDU exchange failed', { reader: this.readerName }, { cause: error });
    } finally {
      clearTimeout(timer);
      if (signal && onAbort) signal.removeEventListener('abort', onAbort);
    }
  }
}

/** The abort's own reason when it is one of ours (a session TIMEOUT), else CANCELLED. */
function cancelled(reader: string, signal: AbortSignal | undefined): DriverError {
  const reason: unknown = signal?.reason;
  if (reason instanceof DriverError) return reason;
  return new DriverError('CANCELLED', 'operation cancelled', { reader });
}
