/**
 * Card sessions: one at a time per reader (a mutex), with an overall timeout and cancellation.
 * A session talks through an ApduTransport bound to the card that was in the reader when it
 * started; if that card leaves, every later command fails with CARD_REMOVED.
 */
import { DriverError } from '../../drivers/errors.ts';
import type { CommandApdu, ResponseApdu } from '../../drivers/pcsc/apdu.ts';
import type { ApduLogSink } from '../../drivers/pcsc/apdu-log.ts';
import { Mutex } from '../../drivers/pcsc/mutex.ts';
import { ApduTransport, type RawChannel } from '../../drivers/pcsc/transport.ts';

export interface SessionOptions {
  /** Aborts the session (the person pressed Cancel). */
  readonly signal?: AbortSignal;
  /** Bound on the whole session, not just one command. */
  readonly timeoutMs?: number;
  /** Per-command timeout (default: the transport's 10 s). */
  readonly commandTimeoutMs?: number;
}

export interface CardSession {
  readonly reader: string;
  readonly transport: ApduTransport;
  readonly signal: AbortSignal;
  send(command: CommandApdu, options?: { timeoutMs?: number }): Promise<ResponseApdu>;
}

export const DEFAULT_SESSION_TIMEOUT_MS = 120_000;

export class SessionManager {
  private readonly locks = new Map<string, Mutex>();

  constructor(
    private readonly openChannel: (reader: string) => RawChannel,
    private readonly log?: ApduLogSink,
  ) {}

  isBusy(reader: string): boolean {
    return this.locks.get(reader)?.locked ?? false;
  }

  async withSession<T>(reader: string, work: (session: CardSession) => Promise<T>, options: SessionOptions = {}): Promise<T> {
    let lock = this.locks.get(reader);
    if (!lock) this.locks.set(reader, (lock = new Mutex()));
    const release = await lock.acquire(options.signal);
    const controller = new AbortController();
    const timeoutMs = options.timeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS;
    const timer = setTimeout(() => controller.abort(new DriverError('TIMEOUT', 'card session took too long', { reader, timeoutMs })), timeoutMs);
    const onAbort = () => controller.abort(options.signal?.reason);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const transport = new ApduTransport(this.openChannel(reader), { log: this.log, timeoutMs: options.commandTimeoutMs });
      const session: CardSession = {
        reader,
        transport,
        signal: controller.signal,
        send: (command, sendOptions) => transport.send(command, { signal: controller.signal, timeoutMs: sendOptions?.timeoutMs }),
      };
      return await work(session);
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      release();
    }
  }
}
