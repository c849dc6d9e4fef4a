import { describe, expect, it } from 'vitest';
import { DriverError, isDriverError } from '../errors.ts';
import { Mutex } from './mutex.ts';

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Mutex', () => {
  it('is free at first and locked while held', async () => {
    const mutex = new Mutex();
    expect(mutex.locked).toBe(false);
    const release = await mutex.acquire();
    expect(mutex.locked).toBe(true);
    release();
    expect(mutex.locked).toBe(false);
  });

  it('hands the lock out in FIFO order', async () => {
    const mutex = new Mutex();
    const order: number[] = [];
    const first = await mutex.acquire();
    const waiters = [1, 2, 3, 4, 5].map((n) =>
      mutex.acquire().then((release) => {
        order.push(n);
        return release;
      }),
    );
    await tick();
    expect(order).toEqual([]); // nobody gets in while the first holder has it
    first();
    for (const waiter of waiters) (await waiter)();
    expect(order).toEqual([1, 2, 3, 4, 5]);
  });

  it('run() excludes concurrent critical sections and keeps call order', async () => {
    const mutex = new Mutex();
    let inside = 0;
    let maxInside = 0;
    const entered: number[] = [];
    const jobs = Array.from({ length: 20 }, (_, n) =>
      mutex.run(async () => {
        inside += 1;
        maxInside = Math.max(maxInside, inside);
        entered.push(n);
        await sleep(n % 3);
        await tick();
        inside -= 1;
        return n * 2;
      }),
    );
    expect(await Promise.all(jobs)).toEqual(Array.from({ length: 20 }, (_, n) => n * 2));
    expect(maxInside).toBe(1);
    expect(entered).toEqual(Array.from({ length: 20 }, (_, n) => n));
    expect(mutex.locked).toBe(false);
  });

  it('release is idempotent: a second call does not release someone else\'s turn', async () => {
    const mutex = new Mutex();
    const releaseA = await mutex.acquire();
    let bHas = false;
    let cHas = false;
    const b = mutex.acquire().then((release) => {
      bHas = true;
      return release;
    });
    const c = mutex.acquire().then((release) => {
      cHas = true;
      return release;
    });
    releaseA();
    const releaseB = await b;
    releaseA(); // again: must not let C in while B holds the lock
    releaseA();
    await tick();
    expect(bHas).toBe(true);
    expect(cHas).toBe(false);
    expect(mutex.locked).toBe(true);
    releaseB();
    (await c)();
    expect(cHas).toBe(true);
    expect(mutex.locked).toBe(false);
  });

  it('aborting while waiting rejects with CANCELLED and does not block later waiters', async () => {
    const mutex = new Mutex();
    const releaseA = await mutex.acquire();
    const controller = new AbortController();
    const b = mutex.acquire(controller.signal);
    let cHas = false;
    const c = mutex.acquire().then((release) => {
      cHas = true;
      return release;
    });
    await tick();
    controller.abort();
    const error = await b.then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DriverError);
    expect(isDriverError(error, 'CANCELLED')).toBe(true);
    await tick();
    expect(cHas).toBe(false); // A still holds it
    releaseA();
    const releaseC = await c;
    expect(cHas).toBe(true);
    expect(mutex.locked).toBe(true);
    releaseC();
    // And the mutex keeps working afterwards.
    const again = await mutex.acquire();
    again();
    expect(mutex.locked).toBe(false);
  });

  it('a signal that never aborts does not get in the way', async () => {
    const mutex = new Mutex();
    const controller = new AbortController();
    const releaseA = await mutex.acquire(controller.signal);
    const b = mutex.acquire(controller.signal);
    releaseA();
    (await b)();
    expect(mutex.locked).toBe(false);
  });

  it('an already aborted signal is refused with CANCELLED, even when the lock is free', async () => {
    const fresh = new Mutex();
    const refused = await fresh.acquire(AbortSignal.abort()).then(
      () => null,
      (e: unknown) => e,
    );
    expect(isDriverError(refused, 'CANCELLED')).toBe(true);
    expect(fresh.locked).toBe(false);
    await expect(fresh.run(async () => 'ran', AbortSignal.abort())).rejects.toMatchObject({ code: 'CANCELLED' });
    (await fresh.acquire())();

    const mutex = new Mutex();
    const held = await mutex.acquire();
    const busy = await mutex.acquire(AbortSignal.abort()).then(
      () => null,
      (e: unknown) => e,
    );
    expect(isDriverError(busy, 'CANCELLED')).toBe(true);
    held();

    const free = await mutex.acquire(AbortSignal.abort()).then(
      (release) => {
        release();
        return null;
      },
      (e: unknown) => e,
    );
    expect(isDriverError(free, 'CANCELLED')).toBe(true);
    expect(mutex.locked).toBe(false);
    (await mutex.acquire())();
  });

  it('run() releases the lock when the work throws, and passes the error on', async () => {
    const mutex = new Mutex();
    const boom = new Error('work failed');
    await expect(
      mutex.run(async () => {
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(mutex.locked).toBe(false);
    await expect(mutex.run(async () => 'next')).resolves.toBe('next');
  });

  it('run() with an aborted signal does not run the work', async () => {
    const mutex = new Mutex();
    const hold = await mutex.acquire();
    const controller = new AbortController();
    let ran = false;
    const job = mutex.run(async () => {
      ran = true;
    }, controller.signal);
    controller.abort();
    await expect(job).rejects.toMatchObject({ code: 'CANCELLED' });
    hold();
    await tick();
    expect(ran).toBe(false);
    expect(mutex.locked).toBe(false);
  });
});
