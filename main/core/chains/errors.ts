/**
 * The one closed list of error codes the chain-backend layer (Esplora REST, Ethereum JSON-RPC, the
 * local regtest node's RPC) can raise. Same shape as the other layers: a `code` from a closed union,
 * named facts in `info`, `isChainError` to narrow. No call into this layer hangs: every request has
 * a timeout and ends in a result or one of these.
 */
import { CodedError, codedErrorGuard } from '../../../drivers/errors.ts';

export type ChainErrorCode =
  /** The backend could not be reached at all: connection refused, DNS failure, TLS failure, reset. */
  | 'BACKEND_UNREACHABLE'
  /** The backend did not answer within the call's timeout. */
  | 'BACKEND_TIMEOUT'
  /** The backend answered with an HTTP error status (`info.status`, `info.body` a short excerpt). */
  | 'BACKEND_HTTP_ERROR'
  /** The backend answered 2xx with something that is not the documented shape. */
  | 'BAD_BACKEND_RESPONSE'
  /** The node refused a transaction (`info.reason` is the node's own words). */
  | 'BROADCAST_REJECTED'
  /** A JSON-RPC call answered with an error object (`info.rpcCode`, `info.rpcMessage`). */
  | 'RPC_ERROR'
  /** A transaction was not mined (no receipt / not confirmed) within the time given. */
  | 'CONFIRMATION_TIMEOUT'
  /** The caller cancelled the call (its AbortSignal fired). */
  | 'ABORTED'
  /** An argument cannot be sent as is (not a txid, not hex, not an address's characters, bad URL). */
  | 'INVALID_ARGUMENT';

export const CHAIN_ERROR_CODES: readonly ChainErrorCode[] = [
  'BACKEND_UNREACHABLE',
  'BACKEND_TIMEOUT',
  'BACKEND_HTTP_ERROR',
  'BAD_BACKEND_RESPONSE',
  'BROADCAST_REJECTED',
  'RPC_ERROR',
  'CONFIRMATION_TIMEOUT',
  'ABORTED',
  'INVALID_ARGUMENT',
];

export type ChainErrorInfo = Readonly<Record<string, string | number | boolean | undefined>>;

/** Fix hints shown to a person next to the error. */
export const CHAIN_FIX_HINTS: Partial<Record<ChainErrorCode, string>> = {
  BACKEND_UNREACHABLE: 'Check the network connection and the backend URL in Settings (a self-hosted server must be running).',
  BACKEND_TIMEOUT: 'The backend is slow or stuck: try again, or choose another backend in Settings.',
  BAD_BACKEND_RESPONSE: 'The backend URL does not point at an Esplora (Bitcoin) or JSON-RPC (Ethereum) API of the expected network.',
};

export class ChainError extends CodedError<ChainErrorCode, ChainErrorInfo> {
  readonly hint: string | undefined;

  constructor(code: ChainErrorCode, message: string, info: ChainErrorInfo = {}, options?: { cause?: unknown }) {
    super('ChainError', code, message, info, options);
    this.hint = CHAIN_FIX_HINTS[code];
  }
}

export const isChainError = codedErrorGuard(ChainError);
