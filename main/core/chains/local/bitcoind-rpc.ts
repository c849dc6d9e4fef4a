/**
 * A Bitcoin Core style JSON-RPC client (litecoind speaks the same dialect) over the chain layer's HTTP
 * transport: Basic auth, a deadline per call, `/wallet/<name>` for wallet calls. The node answers an
 * error with HTTP 500 (or 404 for an unknown method or wallet) and `{"error":{"code","message"}}`:
 * that is RPC_ERROR with `info.rpcCode` and `info.rpcMessage`.
 *
 * Each call uses its own connection (`connection: close`): the node's shutdown waits for idle
 * keep-alive connections, so pooled ones would hold `stop` for fetch's 4 s idle timeout.
 */
import { ChainError } from '../errors.ts';
import { readParsedEnvelope, readRpcEnvelope } from '../json-rpc.ts';
import { httpExchange, parseEndpoint, type CallOptions, type Endpoint } from '../http.ts';

export interface BitcoindRpcOptions {
  /** http://user:password@127.0.0.1:port */
  readonly url: string;
  /** Wallet calls go to /wallet/<name>. */
  readonly wallet?: string;
  readonly timeoutMs?: number;
  /** Calls in flight at once; more wait their turn (default 8: the node serves -rpcthreads at a time). */
  readonly maxInFlight?: number;
}

export class BitcoindRpc {
  readonly endpoint: Endpoint;
  readonly wallet: string | undefined;
  readonly timeoutMs: number;
  private readonly rawUrl: string;
  private readonly slots: Slots;
  private nextId = 1;

  constructor(options: BitcoindRpcOptions, slots?: Slots) {
    this.rawUrl = options.url;
    this.endpoint = parseEndpoint(options.url, 'node RPC URL');
    this.wallet = options.wallet;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.slots = slots ?? new Slots(options.maxInFlight ?? 8);
  }

  /** The same node (sharing the in-flight limit), calls going to wallet `name`. */
  withWallet(name: string): BitcoindRpc {
    return new BitcoindRpc({ url: this.rawUrl, wallet: name, timeoutMs: this.timeoutMs }, this.slots);
  }

  /**
   * One call. The node queues at most -rpcworkqueue requests and answers HTTP 503 beyond that, so calls
   * past `maxInFlight` wait here instead.
   */
  async call<T = unknown>(method: string, params: readonly unknown[] = [], options?: CallOptions): Promise<T> {
    await this.slots.take();
    try {
      return await this.callNow<T>(method, params, options);
    } finally {
      this.slots.give();
    }
  }

  /**
   * Several calls in one HTTP request (a JSON-RPC batch: the node runs them in order and answers an
   * array). Each result is read like a single call's; the first error is thrown.
   */
  async batch(calls: readonly { readonly method: string; readonly params?: readonly unknown[] }[], options?: CallOptions): Promise<unknown[]> {
    await this.slots.take();
    try {
      const first = this.nextId;
      this.nextId += calls.length;
      const url = this.wallet === undefined ? this.endpoint.url : `${this.endpoint.url}/wallet/${encodeURIComponent(this.wallet)}`;
      const name = calls.map((c) => c.method).join('+');
      const answer = await httpExchange(
        url,
        {
          method: 'POST',
          headers: { ...this.endpoint.headers, 'content-type': 'text/plain', connection: 'close' },
          body: JSON.stringify(calls.map((c, i) => ({ jsonrpc: '1.0', id: first + i, method: c.method, params: c.params ?? [] }))),
        },
        { origin: this.endpoint.origin, call: name, timeoutMs: options?.timeoutMs ?? this.timeoutMs },
        options?.signal,
      );
      let parsed: unknown;
      try {
        parsed = JSON.parse(answer.body);
      } catch {
        parsed = undefined;
      }
      if (!Array.isArray(parsed) || parsed.length !== calls.length) {
        // Not a batch answer (an HTTP error, or a node without batches): read it as one envelope for its error.
        readRpcEnvelope(answer, { method: name, backend: this.endpoint.origin, who: 'node' });
        throw new ChainError('BAD_BACKEND_RESPONSE', 'the node did not answer the batch with one result per call', { backend: this.endpoint.origin, call: name });
      }
      const byId = new Map(parsed.map((item: unknown) => [typeof item === 'object' && item !== null ? (item as { id?: unknown }).id : undefined, item]));
      return calls.map((c, i) => readParsedEnvelope(byId.get(first + i), answer, { method: c.method, backend: this.endpoint.origin, id: first + i, who: 'node' }));
    } finally {
      this.slots.give();
    }
  }

  private async callNow<T>(method: string, params: readonly unknown[], options?: CallOptions): Promise<T> {
    const id = this.nextId++;
    const url = this.wallet === undefined ? this.endpoint.url : `${this.endpoint.url}/wallet/${encodeURIComponent(this.wallet)}`;
    const answer = await httpExchange(
      url,
      {
        method: 'POST',
        headers: { ...this.endpoint.headers, 'content-type': 'text/plain', connection: 'close' },
        body: JSON.stringify({ jsonrpc: '1.0', id, method, params }),
      },
      { origin: this.endpoint.origin, call: method, timeoutMs: options?.timeoutMs ?? this.timeoutMs },
      options?.signal,
    );
    return readRpcEnvelope(answer, { method, backend: this.endpoint.origin, who: 'node' }) as T;
  }
}

/** A counting semaphore. */
class Slots {
  private free: number;
  private readonly waiting: (() => void)[] = [];

  constructor(size: number) {
    this.free = Math.max(1, size);
  }

  take(): Promise<void> {
    if (this.free > 0) {
      this.free -= 1;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  give(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free += 1;
  }
}

/** "1.50000000" from 150000000 sat: amounts go to the node as exact decimal strings. */
export function satsToCoinString(sats: number): string {
  if (!Number.isSafeInteger(sats) || sats < 0) throw new ChainError('INVALID_ARGUMENT', 'an amount is a non-negative whole number of satoshis', { field: 'sats' });
  return `${Math.floor(sats / 1e8)}.${String(sats % 1e8).padStart(8, '0')}`;
}

/** Satoshis from the node's decimal coin amount (8 decimals at most; exact for every amount below 2^53 sat). */
export function coinToSats(amount: number): number {
  const sats = Math.round(amount * 1e8);
  if (!Number.isSafeInteger(sats) || sats < 0 || Math.abs(sats - amount * 1e8) > 0.01) {
    throw new ChainError('BAD_BACKEND_RESPONSE', 'the node gave an amount that is not a whole number of satoshis', { amount });
  }
  return sats;
}
