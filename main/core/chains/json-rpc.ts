/**
 * The JSON-RPC answer envelope, read the same way for every node we talk to (Ethereum JSON-RPC,
 * the regtest node's RPC): an error object becomes RPC_ERROR with the node's code and message, a
 * non-2xx status BACKEND_HTTP_ERROR, and a result must be there (with our request id when asked).
 */
import { ChainError } from './errors.ts';
import { excerpt } from './http.ts';
import { ShapeMismatch, obj, parseShape, str } from './shape.ts';

export interface RpcAnswer {
  readonly status: number;
  readonly body: string;
}

export function readRpcEnvelope(
  answer: RpcAnswer,
  call: { readonly method: string; readonly backend: string; readonly id?: number; readonly who: 'backend' | 'node' },
): unknown {
  let envelope: unknown;
  try {
    envelope = JSON.parse(answer.body);
  } catch {
    envelope = undefined;
  }
  return readParsedEnvelope(envelope, answer, call);
}

/** readRpcEnvelope for an envelope already parsed (one element of a batch answer). */
export function readParsedEnvelope(
  envelope: unknown,
  answer: RpcAnswer,
  call: { readonly method: string; readonly backend: string; readonly id?: number; readonly who: 'backend' | 'node' },
): unknown {
  const context = { backend: call.backend, call: call.method };
  const errorObject = typeof envelope === 'object' && envelope !== null ? (envelope as { error?: unknown }).error : undefined;
  if (errorObject !== undefined && errorObject !== null) {
    const e = parseShape(context, () => {
      const o = obj(errorObject, 'error');
      const code = o.code;
      if (typeof code !== 'number' || !Number.isInteger(code)) throw new ShapeMismatch('error.code', 'an integer');
      return { code, message: str(o.message, 'error.message'), data: o.data };
    });
    const dataText = e.data === undefined ? undefined : excerpt(typeof e.data === 'string' ? e.data : JSON.stringify(e.data), 200);
    throw new ChainError('RPC_ERROR', `the node refused ${call.method}: ${e.message}`, {
      ...context,
      rpcCode: e.code,
      rpcMessage: e.message,
      rpcData: dataText,
      status: answer.status === 200 ? undefined : answer.status,
    });
  }
  if (answer.status < 200 || answer.status > 299) {
    throw new ChainError('BACKEND_HTTP_ERROR', `the ${call.who} answered HTTP ${answer.status}`, { ...context, status: answer.status, body: excerpt(answer.body) });
  }
  return parseShape(context, () => {
    if (envelope === undefined) throw new ShapeMismatch('answer', 'JSON');
    const o = obj(envelope, 'answer');
    if (call.id !== undefined && o.id !== call.id) throw new ShapeMismatch('id', `the request's id ${call.id}`);
    if (!('result' in o)) throw new ShapeMismatch('result', 'a result or an error');
    return o.result;
  });
}
