import { afterEach, describe, expect, it, vi } from 'vitest';
import { type OpenApproval, ApprovalBroker, isApprovalError } from './broker.ts';

function broker(ttlMs = 60_000) {
  const opened: OpenApproval<unknown>[] = [];
  const closed: string[] = [];
  const b = new ApprovalBroker({ ttlMs, open: (a) => opened.push(a), close: (id) => closed.push(id) });
  return { b, opened, closed };
}

const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return isApprovalError(error) ? error.code : String(error);
  }
  return 'no error';
};

describe('ApprovalBroker', () => {
  afterEach(() => vi.useRealTimers());

  it('opens the window with a one-time token; only that token reads, approves once, with the PIN', async () => {
    const { b, opened, closed } = broker();
    const { id, decision } = b.request('eth-transaction', { to: '0xabc', value: '1' }, true);
    expect(opened).toHaveLength(1);
    const { token, request } = opened[0]!;
    expect(request).toMatchObject({ id, kind: 'eth-transaction', view: { to: '0xabc' }, needsPin: true });
    expect(b.get(id, token).view).toEqual({ to: '0xabc', value: '1' });
    expect(codeOf(() => b.get(id, '00'.repeat(32)))).toBe('APPROVAL_FORBIDDEN');
    expect(codeOf(() => b.approve(id, 'not a token', '1234'))).toBe('APPROVAL_FORBIDDEN');
    expect(codeOf(() => b.approve(id, token, '12'))).toBe('INVALID_PIN');
    b.approve(id, token, '1234');
    expect(await decision).toEqual({ approved: true, pin: '1234' });
    expect(closed).toEqual([id]);
    expect(codeOf(() => b.approve(id, token, '1234'))).toBe('APPROVAL_ALREADY_DECIDED');
    expect(codeOf(() => b.get('f'.repeat(32), token))).toBe('UNKNOWN_APPROVAL');
  });

  it('tokens are per request: one window cannot decide another request', () => {
    const { b, opened } = broker();
    const first = b.request('btc-psbt', {}, true);
    const second = b.request('btc-psbt', {}, true);
    expect(opened[0]!.token).not.toBe(opened[1]!.token);
    expect(codeOf(() => b.approve(second.id, opened[0]!.token, '1234'))).toBe('APPROVAL_FORBIDDEN');
    expect(b.waiting().map((r) => r.id).sort()).toEqual([first.id, second.id].sort());
  });

  it('rejects and cancels settle the decision once', async () => {
    const { b, opened } = broker();
    const a = b.request('eth-personal-sign', {}, true);
    b.reject(a.id, opened[0]!.token);
    expect(await a.decision).toEqual({ approved: false, reason: 'rejected' });
    const c = b.request('eth-typed-data', {}, true);
    b.cancel(c.id);
    expect(await c.decision).toEqual({ approved: false, reason: 'cancelled' });
    expect(codeOf(() => b.approve(c.id, opened[1]!.token, '1234'))).toBe('APPROVAL_ALREADY_DECIDED');
  });

  it('expires: the decision says so and a late approval is refused', async () => {
    vi.useFakeTimers();
    const { b, opened } = broker(1000);
    const a = b.request('btc-psbt', {}, false);
    vi.advanceTimersByTime(1001);
    expect(await a.decision).toEqual({ approved: false, reason: 'expired' });
    expect(codeOf(() => b.approve(a.id, opened[0]!.token, null))).toBe('APPROVAL_EXPIRED');
  });

  it('a request that needs no PIN approves without one and never carries one', async () => {
    const { b, opened } = broker();
    const a = b.request('seed-display', {}, false);
    b.approve(a.id, opened[0]!.token, 'ignored');
    expect(await a.decision).toEqual({ approved: true, pin: null });
  });
});

describe('ApprovalBroker without a front end', () => {
  it('cancels a request at once when no approval window can be shown (nothing can approve it)', async () => {
    const b = new ApprovalBroker();
    expect(await b.request('btc-psbt', {}, true).decision).toEqual({ approved: false, reason: 'cancelled' });
    const opened: string[] = [];
    b.attachWindows({ open: (a) => opened.push(a.request.id) });
    const later = b.request('btc-psbt', {}, true);
    expect(opened).toEqual([later.id]);
  });
});
