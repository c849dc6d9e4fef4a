/** Resolve when an observable state satisfies `predicate`, or fail with TIMEOUT. */
import { DriverError } from './errors.ts';

export interface Observable<S> {
  readonly current: () => S;
  readonly subscribe: (listener: (state: S) => void) => () => void;
}

export function waitForState<S>(source: Observable<S>, predicate: (state: S) => boolean, timeoutMs: number, what: string): Promise<S> {
  const now = source.current();
  if (predicate(now)) return Promise.resolve(now);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new DriverError('TIMEOUT', `${what} did not reach the expected state`, { timeoutMs }));
    }, timeoutMs);
    const off = source.subscribe((state) => {
      if (!predicate(state)) return;
      clearTimeout(timer);
      off();
      resolve(state);
    });
  });
}
