/**
 * Approvals (../shared/DESIGN.md "Approvals"): nothing is signed until the approval window approves
 * that exact request. Main registers a request with the view it decoded itself; the broker gives
 * the request an id and a one-time token that only the approval window receives (its URL or its
 * preload argument); the window can then read that one request and approve it (with the PIN) or
 * reject it, once, before it expires. The renderer that asked never holds the token, so it cannot
 * approve; the bridge of the main window has no approve method at all.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { CodedError, codedErrorGuard } from '../../../drivers/errors.ts';

export type ApprovalKind = 'btc-psbt' | 'eth-transaction' | 'eth-personal-sign' | 'eth-typed-data' | 'seed-display';

export type ApprovalErrorCode =
  /** No such request (never made, or already decided and forgotten). */
  | 'UNKNOWN_APPROVAL'
  /** The request expired before a decision. */
  | 'APPROVAL_EXPIRED'
  /** The request was already approved, rejected or cancelled: single use. */
  | 'APPROVAL_ALREADY_DECIDED'
  /** The caller does not hold this request's approval token (not its approval window). */
  | 'APPROVAL_FORBIDDEN'
  /** The PIN given with an approval is not a PIN (length, characters). */
  | 'INVALID_PIN'
  /** For the requester: the request was rejected, expired or cancelled; nothing was signed. */
  | 'APPROVAL_REJECTED';

export class ApprovalError extends CodedError<ApprovalErrorCode, { readonly id?: string; readonly kind?: ApprovalKind; readonly reason?: string }> {
  constructor(code: ApprovalErrorCode, message: string, info: { readonly id?: string; readonly kind?: ApprovalKind; readonly reason?: string } = {}) {
    super('ApprovalError', code, message, info);
  }
}

export const isApprovalError = codedErrorGuard(ApprovalError);

/** What the approval window shows: the request as main decoded it. Plain data only. */
export interface ApprovalRequest<View = unknown> {
  readonly id: string;
  readonly kind: ApprovalKind;
  readonly view: View;
  /** Whether approving needs the card PIN (entered in the approval window). */
  readonly needsPin: boolean;
  readonly createdAt: number;
  readonly expiresAt: number;
}

export type ApprovalDecision =
  | { readonly approved: true; readonly pin: string | null }
  | { readonly approved: false; readonly reason: 'rejected' | 'expired' | 'cancelled' };

export interface OpenApproval<View> {
  readonly request: ApprovalRequest<View>;
  /** The one-time token for the approval window only. */
  readonly token: string;
}

/** The front end's side: show and close approval windows. */
export interface ApprovalWindows {
  /** Show the approval window for this request (main opens it with the token). */
  open(approval: OpenApproval<unknown>): void;
  /** The request ended (decided, expired, cancelled): close its window. */
  close?(id: string): void;
}

export interface ApprovalBrokerOptions extends Partial<ApprovalWindows> {
  /** Default 5 minutes. */
  readonly ttlMs?: number;
  readonly now?: () => number;
}

interface Pending {
  readonly request: ApprovalRequest;
  readonly token: Buffer;
  readonly settle: (decision: ApprovalDecision) => void;
  readonly timer: ReturnType<typeof setTimeout>;
}

const DEFAULT_TTL_MS = 5 * 60_000;
/** Ids of ended requests kept to tell "already decided" from "unknown". */
const REMEMBERED_ENDED = 256;
const PIN_PATTERN = /^[\x20-\x7e]{4,16}$/;

export class ApprovalBroker {
  private readonly pending = new Map<string, Pending>();
  private readonly ended = new Map<string, ApprovalDecision>();

  private windows: ApprovalWindows | null;

  constructor(private readonly options: ApprovalBrokerOptions = {}) {
    this.windows = options.open ? { open: options.open, ...(options.close ? { close: options.close } : {}) } : null;
  }

  /** The front end that shows approval windows (Electron windows, browser-mode pages). */
  attachWindows(windows: ApprovalWindows): void {
    this.windows = windows;
  }

  /**
   * Registers a request and opens its approval window. `decision` settles once: approved (with
   * the PIN when `needsPin`), rejected, expired, or cancelled.
   */
  request<View>(kind: ApprovalKind, view: View, needsPin: boolean): { readonly id: string; readonly decision: Promise<ApprovalDecision> } {
    const now = this.now();
    const id = randomBytes(16).toString('hex');
    const token = randomBytes(32);
    const request: ApprovalRequest<View> = { id, kind, view, needsPin, createdAt: now, expiresAt: now + (this.options.ttlMs ?? DEFAULT_TTL_MS) };
    let settle!: (decision: ApprovalDecision) => void;
    const decision = new Promise<ApprovalDecision>((resolve) => (settle = resolve));
    const timer = setTimeout(() => this.end(id, { approved: false, reason: 'expired' }), request.expiresAt - now);
    timer.unref?.();
    this.pending.set(id, { request, token, settle, timer });
    if (!this.windows) {
      this.end(id, { approved: false, reason: 'cancelled' });
      return { id, decision };
    }
    this.windows.open({ request, token: token.toString('hex') });
    return { id, decision };
  }

  /** The approval window reads its request (with its token). */
  get(id: string, token: string): ApprovalRequest {
    return this.authorised(id, token).request;
  }

  /** Approve, once, from the approval window. The PIN goes into the decision, never anywhere else. */
  approve(id: string, token: string, pin: string | null): void {
    const pending = this.authorised(id, token);
    if (pending.request.needsPin) {
      if (typeof pin !== 'string' || !PIN_PATTERN.test(pin)) throw new ApprovalError('INVALID_PIN', 'the PIN must be 4 to 16 printable characters', { id });
    }
    this.end(id, { approved: true, pin: pending.request.needsPin ? pin : null });
  }

  /** Reject from the approval window (Esc, the Reject button, the window closed). */
  reject(id: string, token: string): void {
    this.authorised(id, token);
    this.end(id, { approved: false, reason: 'rejected' });
  }

  /**
   * Registers a request and waits for its decision; resolves with the PIN (null when none is needed)
   * when approved, throws APPROVAL_REJECTED (reason: rejected / expired / cancelled) otherwise.
   */
  async approval<View>(kind: ApprovalKind, view: View, needsPin: boolean): Promise<string | null> {
    const { id, decision } = this.request(kind, view, needsPin);
    const outcome = await decision;
    if (outcome.approved) return outcome.pin;
    const said = outcome.reason === 'rejected' ? 'the request was rejected in the approval window' : outcome.reason === 'expired' ? 'the request expired before it was approved' : 'the request was cancelled';
    throw new ApprovalError('APPROVAL_REJECTED', `${said}; nothing was signed`, { id, kind, reason: outcome.reason });
  }

  /** The requester gave up (card pulled, app closing). */
  cancel(id: string): void {
    if (this.pending.has(id)) this.end(id, { approved: false, reason: 'cancelled' });
  }

  /** Requests waiting for a decision (for the app to show "waiting for approval"). */
  waiting(): ApprovalRequest[] {
    return [...this.pending.values()].map((p) => p.request);
  }

  private authorised(id: string, token: string): Pending {
    const pending = this.pending.get(id);
    if (!pending) {
      const ended = this.ended.get(id);
      if (!ended) throw new ApprovalError('UNKNOWN_APPROVAL', 'no such approval request', { id });
      if (!ended.approved && ended.reason === 'expired') throw new ApprovalError('APPROVAL_EXPIRED', 'the approval request expired', { id });
      throw new ApprovalError('APPROVAL_ALREADY_DECIDED', 'the approval request was already decided', { id });
    }
    if (this.now() >= pending.request.expiresAt) {
      this.end(id, { approved: false, reason: 'expired' });
      throw new ApprovalError('APPROVAL_EXPIRED', 'the approval request expired', { id });
    }
    const given = typeof token === 'string' && /^[0-9a-f]{64}$/.test(token) ? Buffer.from(token, 'hex') : Buffer.alloc(0);
    if (given.length !== pending.token.length || !timingSafeEqual(given, pending.token)) {
      throw new ApprovalError('APPROVAL_FORBIDDEN', 'only the approval window of this request can decide it', { id });
    }
    return pending;
  }

  private end(id: string, decision: ApprovalDecision): void {
    const pending = this.pending.get(id);
    if (!pending) return;
    clearTimeout(pending.timer);
    this.pending.delete(id);
    this.ended.set(id, decision.approved ? { approved: true, pin: null } : decision); // never keep a PIN
    if (this.ended.size > REMEMBERED_ENDED) this.ended.delete(this.ended.keys().next().value!);
    pending.settle(decision);
    this.windows?.close?.(id);
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }
}
