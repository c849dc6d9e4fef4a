import { describe, expect, it } from 'vitest';
import { APPROVAL_API_KEY, approvalChannel, exposeApproval } from './approval-expose.ts';

describe('approval preload', () => {
  it('exposes a frozen object with get/approve/reject only, each on its own channel', async () => {
    const exposed: Record<string, unknown> = {};
    const calls: [string, unknown][] = [];
    const api = exposeApproval(
      { exposeInMainWorld: (key, value) => (exposed[key] = value) },
      {
        invoke: async (channel: string, payload: unknown) => {
          calls.push([channel, payload]);
          return channel.endsWith('approval.get') ? { ok: true, result: { id: 'x' } } : { ok: true, result: { done: true } };
        },
      },
    );
    expect(exposed[APPROVAL_API_KEY]).toBe(api);
    expect(Object.isFrozen(api)).toBe(true);
    expect(Object.keys(api).sort()).toEqual(['approve', 'get', 'reject']);
    expect(await api.get()).toEqual({ id: 'x' });
    await api.approve('1234');
    await api.reject();
    expect(calls).toEqual([
      [approvalChannel('approval.get'), {}],
      [approvalChannel('approval.approve'), { pin: '1234' }],
      [approvalChannel('approval.reject'), {}],
    ]);
  });

  it('turns an error envelope into a BridgeError', async () => {
    const api = exposeApproval({ exposeInMainWorld: () => undefined }, { invoke: async () => ({ ok: false, error: { code: 'FORBIDDEN', message: 'no' } }) });
    await expect(api.approve('1234')).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });
});
