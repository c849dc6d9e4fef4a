import { describe, expect, it } from 'vitest';
import { type OpenApproval, ApprovalBroker } from '../core/approvals/broker.ts';
import { ApprovalWindowBindings } from './approval-guard.ts';
import { APP_APPROVAL_URL, APP_INDEX_URL } from './window-settings.ts';

describe('approval window bindings (Electron)', () => {
  it('answers only the bound approval window, on the approval page, in its main frame', async () => {
    const opened: OpenApproval<unknown>[] = [];
    const broker = new ApprovalBroker({ open: (a) => opened.push(a) });
    const bindings = new ApprovalWindowBindings();
    const { id, decision } = broker.request('eth-personal-sign', { title: 't' }, true);
    bindings.bind(7, { id, token: opened[0]!.token });
    const from = (webContentsId: number, frameUrl = APP_APPROVAL_URL, isMainFrame = true) => ({ webContentsId, frameUrl, isMainFrame });
    expect(bindings.dispatch(broker, from(1), 'approval.approve', { pin: '1234' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } }); // the main window
    expect(bindings.dispatch(broker, from(7, APP_INDEX_URL), 'approval.approve', { pin: '1234' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(bindings.dispatch(broker, from(7, APP_APPROVAL_URL, false), 'approval.approve', { pin: '1234' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(bindings.dispatch(broker, null, 'approval.get', {})).toMatchObject({ ok: false });
    expect(bindings.dispatch(broker, from(7), 'approval.get', {})).toMatchObject({ ok: true, result: { id, kind: 'eth-personal-sign' } });
    expect(bindings.contentsOf(id)).toBe(7);
    expect(bindings.dispatch(broker, from(7), 'approval.approve', { pin: '1234' })).toEqual({ ok: true, result: { done: true } });
    expect(await decision).toEqual({ approved: true, pin: '1234' });
    expect(bindings.unbind(7)).toEqual({ id, token: opened[0]!.token });
    expect(bindings.dispatch(broker, from(7), 'approval.get', {})).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
  });
});
