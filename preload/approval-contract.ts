/**
 * The approval window's whole contract (../shared/DESIGN.md "Approvals"): it can read its one
 * request, approve it (with the PIN) or reject it. Nothing else crosses. The window is bound to one
 * request by a one-time token main hands only to it (Electron: its preload argument; browser mode:
 * the URL fragment of a page on a second loopback origin).
 */
import { BridgeError, type BridgeErrorView, type Envelope, unwrapEnvelope } from './contract.ts';

export type ApprovalKindView = 'btc-psbt' | 'eth-transaction' | 'eth-personal-sign' | 'eth-typed-data' | 'seed-display';

/**
 * What the approval window shows, built by main from its own decoding of the request (the window
 * renders it as given, it decodes nothing): title, warnings first, then sections of label/value rows.
 */
export interface ApprovalDisplay {
  /** e.g. "Send bitcoin (regtest)". */
  readonly title: string;
  /** e.g. "Satochip on ACS ACR1252 - demo card". */
  readonly subtitle?: string;
  readonly warnings: readonly { readonly severity: 'caution' | 'danger'; readonly text: string }[];
  readonly sections: readonly {
    readonly heading: string;
    readonly rows: readonly {
      readonly label: string;
      readonly value: string;
      /** Addresses, hashes, hex: monospace and wrapped anywhere. */
      readonly mono?: boolean;
      /** `change`: proved to come back to this card; `warning`: look twice. */
      readonly tone?: 'normal' | 'change' | 'warning';
    }[];
  }[];
  /** The approve button's words, e.g. "Sign and broadcast". */
  readonly action: string;
  /** What to do with the card, e.g. "Keep the card on the reader until signing finishes." */
  readonly cardHint: string;
}

/** The request as main decoded it. */
export interface ApprovalRequestView {
  readonly id: string;
  readonly kind: ApprovalKindView;
  readonly view: ApprovalDisplay;
  readonly needsPin: boolean;
  /** Milliseconds since the epoch. */
  readonly expiresAt: number;
}

export interface ApprovalMethods {
  'approval.get': { request: Record<string, never>; result: ApprovalRequestView };
  'approval.approve': { request: { pin: string | null }; result: { done: true } };
  'approval.reject': { request: Record<string, never>; result: { done: true } };
}
export type ApprovalMethodName = keyof ApprovalMethods;
export const APPROVAL_METHOD_NAMES: readonly ApprovalMethodName[] = ['approval.get', 'approval.approve', 'approval.reject'];

export function isApprovalMethodName(value: unknown): value is ApprovalMethodName {
  return typeof value === 'string' && (APPROVAL_METHOD_NAMES as readonly string[]).includes(value);
}

const invalid = (method: string, why: string) => new BridgeError('INVALID_REQUEST', `invalid request for ${method}: ${why}`);

function plainObject(method: string, payload: unknown, allowed: readonly string[]): Record<string, unknown> {
  if (payload === undefined || payload === null) return {};
  if (typeof payload !== 'object' || Array.isArray(payload) || Object.getPrototypeOf(payload) !== Object.prototype) throw invalid(method, 'payload must be a plain object');
  for (const key of Object.keys(payload)) if (!allowed.includes(key)) throw invalid(method, `unexpected field "${key}"`);
  return payload as Record<string, unknown>;
}

export const approvalValidators: { [M in ApprovalMethodName]: (payload: unknown) => ApprovalMethods[M]['request'] } = {
  'approval.get': (payload) => (plainObject('approval.get', payload, []), {}),
  'approval.reject': (payload) => (plainObject('approval.reject', payload, []), {}),
  'approval.approve': (payload) => {
    const body = plainObject('approval.approve', payload, ['pin']);
    const pin = body.pin ?? null;
    if (pin !== null && (typeof pin !== 'string' || pin.length > 64)) throw invalid('approval.approve', 'pin must be a string (at most 64 characters) or null');
    return { pin };
  },
};

/** What the approval page sees as its API. */
export interface ApprovalApi {
  get(): Promise<ApprovalRequestView>;
  approve(pin: string | null): Promise<void>;
  reject(): Promise<void>;
}

export interface ApprovalTransport {
  invoke(method: ApprovalMethodName, payload: unknown): Promise<unknown>;
}

export function createApprovalApi(transport: ApprovalTransport): ApprovalApi {
  const call = async <M extends ApprovalMethodName>(method: M, payload: ApprovalMethods[M]['request']) =>
    unwrapEnvelope<ApprovalMethods[M]['result']>(await transport.invoke(method, payload));
  return Object.freeze({
    get: () => call('approval.get', {}),
    approve: async (pin: string | null) => void (await call('approval.approve', { pin })),
    reject: async () => void (await call('approval.reject', {})),
  });
}

export type { BridgeErrorView, Envelope };
