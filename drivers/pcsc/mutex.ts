/** A FIFO async mutex: one card session at a time per reader. */
import { DriverError } from '../errors.ts';

export class Mutex {
  private tail: Promise<void> = Promise.resolve();
  private held = false;

  get locked(): boolean {
    return this.held;
  }

  /** Wait for the lock (or until `signal` aborts); returns the release function. */
  async acquire(signal?: AbortSignal): Promise<() => void> {
    // Already cancelled: refuse before taking a place in the queue (a free lock would otherwise win the race).
    if (signal?.aborted) throw new DriverError('CANCELLED', 'cancelled while waiting for the reader');
    let release!: () => void;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    const before = this.tail;
    this.tail = before.then(() => mine);
    if (signal) {
      let onAbort: (() => void) | undefined;
      const aborted = new Promise<never>((_, reject) => {
        onAbort = () => reject(new DriverError('CANCELLED', 'cancelled while waiting for the reader'));
        if (signal.aborted) onAbort();
        else signal.addEventListener('abort', onAbort, { once: true });
      });
      try {
        await Promise.race([before, aborted]);
      } catch (error) {
        // Give our slot up once our turn comes, so later waiters are not blocked.
        void before.then(release);
        throw error;
      } finally {
        if (onAbort) signal.removeEventListener('abort', onAbort);
      }
    } else {
      await before;
    }
    this.held = true;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.held = false;
      release();
    };
  }

  async run<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const release = await this.acquire(signal);
    try {
      return await fn();
    } finally {
      release();
    }
  }
}
