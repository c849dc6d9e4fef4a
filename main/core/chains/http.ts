/**
 * The one HTTP transport of the chain layer: fetch with a deadline that covers the whole call (connect,
 * headers and body), the caller's AbortSignal, a cap on the answer's size, and every failure turned
 * into a ChainError. Nothing here retries; nothing here can hang.
 */
import { ChainError } from './errors.ts';

export interface CallOptions {
  /** The whole call's deadline in milliseconds (connect, headers and body). */
  readonly timeoutMs?: number;
  /** Cancels the call; it then fails with ABORTED. */
  readonly signal?: AbortSignal;
}

export interface HttpRequest {
  readonly method: 'GET' | 'POST';
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
}

export interface HttpAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: string;
}

/** Answers above this are refused (BAD_BACKEND_RESPONSE): no Esplora or JSON-RPC answer we use comes near. */
export const DEFAULT_MAX_ANSWER_BYTES = 16 * 1024 * 1024;

/** A backend's base URL, checked: http(s) only, no query or fragment; user:password moves to a Basic header. */
export interface Endpoint {
  /** The URL without credentials and without a trailing slash. */
  readonly url: string;
  /** Only the origin: what errors and logs name (a path may hold an API key, as Infura's does). */
  readonly origin: string;
  readonly headers: Readonly<Record<string, string>>;
}

export function parseEndpoint(raw: string, what = 'backend URL'): Endpoint {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ChainError('INVALID_ARGUMENT', `the ${what} is not a URL`, { field: 'url' });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ChainError('INVALID_ARGUMENT', `the ${what} must be http or https`, { field: 'url', protocol: url.protocol });
  }
  if (url.search || url.hash) throw new ChainError('INVALID_ARGUMENT', `the ${what} must not have a query or fragment`, { field: 'url' });
  const headers: Record<string, string> = {};
  if (url.username || url.password) {
    const user = decodeURIComponent(url.username);
    const password = decodeURIComponent(url.password);
    headers['authorization'] = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    url.username = '';
    url.password = '';
  }
  return { url: url.toString().replace(/\/+$/, ''), origin: url.origin, headers };
}

interface CallContext {
  readonly origin: string;
  /** What the call is, for messages: "GET /address/:a", "eth_getBalance". */
  readonly call: string;
  readonly timeoutMs: number;
  readonly maxBytes?: number;
}

/**
 * One HTTP exchange. Any HTTP status is returned (the caller decides what a 400 means); a failure to
 * exchange at all is BACKEND_UNREACHABLE, the deadline BACKEND_TIMEOUT, the caller's signal ABORTED.
 */
export async function httpExchange(url: string, request: HttpRequest, context: CallContext, signal?: AbortSignal): Promise<HttpAnswer> {
  const info = { backend: context.origin, call: context.call };
  if (signal?.aborted) throw new ChainError('ABORTED', 'the call was cancelled', info);
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, context.timeoutMs);
  const onAbort = (): void => controller.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const response = await fetch(url, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      signal: controller.signal,
      redirect: 'manual', // a redirect is answered as its 3xx status (BACKEND_HTTP_ERROR), never followed
    });
    const body = await readCapped(response, context.maxBytes ?? DEFAULT_MAX_ANSWER_BYTES, info);
    return { status: response.status, headers: response.headers, body };
  } catch (error) {
    if (error instanceof ChainError) throw error;
    if (timedOut) {
      throw new ChainError('BACKEND_TIMEOUT', `the backend did not answer within ${context.timeoutMs} ms`, { ...info, timeoutMs: context.timeoutMs });
    }
    if (signal?.aborted) throw new ChainError('ABORTED', 'the call was cancelled', info);
    throw new ChainError('BACKEND_UNREACHABLE', 'the backend cannot be reached', { ...info, reason: networkReason(error) }, { cause: error });
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}

async function readCapped(response: Response, maxBytes: number, info: { backend: string; call: string }): Promise<string> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw new ChainError('BAD_BACKEND_RESPONSE', 'the answer is too large', { ...info, bytes: declared, maxBytes });
  }
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new ChainError('BAD_BACKEND_RESPONSE', 'the answer is too large', { ...info, maxBytes });
    }
    chunks.push(value);
  }
  return new TextDecoder().decode(Buffer.concat(chunks));
}

/** "ECONNREFUSED", "ENOTFOUND", "UND_ERR_SOCKET", ...: the innermost code fetch gives. */
function networkReason(error: unknown): string {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current; depth++) {
    if (typeof current === 'object' && current !== null) {
      const code = (current as { code?: unknown }).code;
      if (typeof code === 'string') return code;
      current = (current as { cause?: unknown }).cause;
    } else break;
  }
  return error instanceof Error ? error.message : String(error);
}

/** A short, single-line excerpt of an answer body for error info. */
export function excerpt(body: string, max = 300): string {
  const line = body.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max)}…` : line;
}

/** Runs `fn` over `items` with at most `limit` calls in flight; results keep the input order. */
export async function mapConcurrent<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}
