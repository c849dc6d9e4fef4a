/**
 * The approval window's three methods, for both front ends (Electron IPC from the bound approval
 * window, browser mode's approval socket): validate, then read / approve / reject the ONE request
 * the caller is bound to through the broker. Never throws: errors cross as envelopes.
 */
import { approvalValidators, isApprovalMethodName } from '../../preload/approval-contract.ts';
import { BridgeError, type BridgeErrorView, type Envelope } from '../../preload/contract.ts';
import { type ApprovalBroker, isApprovalError } from '../core/approvals/broker.ts';

export interface ApprovalBinding {
  readonly id: string;
  readonly token: string;
}

function errorView(error: unknown): BridgeErrorView {
  if (error instanceof BridgeError) return error.toView();
  if (isApprovalError(error)) {
    const code = error.code === 'APPROVAL_FORBIDDEN' ? 'FORBIDDEN' : error.code === 'INVALID_PIN' ? 'INVALID_REQUEST' : 'CANCELLED';
    return { code, message: error.message };
  }
  return { code: 'INTERNAL', message: 'internal error in the main process' };
}

export function approvalDispatch(broker: ApprovalBroker, binding: ApprovalBinding, method: unknown, payload: unknown): Envelope<unknown> {
  try {
    if (!isApprovalMethodName(method)) throw new BridgeError('UNKNOWN_METHOD', 'the approval window can only read, approve or reject its request');
    if (method === 'approval.get') {
      approvalValidators['approval.get'](payload);
      const request = broker.get(binding.id, binding.token);
      return { ok: true, result: { id: request.id, kind: request.kind, view: request.view, needsPin: request.needsPin, expiresAt: request.expiresAt } };
    }
    if (method === 'approval.approve') {
      const { pin } = approvalValidators['approval.approve'](payload);
      broker.approve(binding.id, binding.token, pin);
      return { ok: true, result: { done: true } };
    }
    approvalValidators['approval.reject'](payload);
    broker.reject(binding.id, binding.token);
    return { ok: true, result: { done: true } };
  } catch (error) {
    return { ok: false, error: errorView(error) };
  }
}
