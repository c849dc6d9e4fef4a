/**
 * Which WebContents is the approval window of which request (Electron). Main opens one window per
 * request, binds its WebContents id to the request's (id, token), and answers the approval
 * channels only from the main frame of that window showing app://tapdesk/approval.html.
 * Electron-free so it can be unit-tested.
 */
import type { Envelope } from '../../preload/contract.ts';
import type { ApprovalBroker } from '../core/approvals/broker.ts';
import { type ApprovalBinding, approvalDispatch } from '../ipc/approval-handlers.ts';
import { FORBIDDEN_ENVELOPE } from './ipc-guard.ts';
import { APP_APPROVAL_URL } from './window-settings.ts';

export interface ApprovalSender {
  readonly webContentsId: number;
  readonly frameUrl: string | null;
  readonly isMainFrame: boolean;
}

export class ApprovalWindowBindings {
  private readonly byContents = new Map<number, ApprovalBinding>();

  bind(webContentsId: number, binding: ApprovalBinding): void {
    this.byContents.set(webContentsId, binding);
  }

  unbind(webContentsId: number): ApprovalBinding | undefined {
    const binding = this.byContents.get(webContentsId);
    this.byContents.delete(webContentsId);
    return binding;
  }

  contentsOf(requestId: string): number | undefined {
    for (const [contents, binding] of this.byContents) if (binding.id === requestId) return contents;
    return undefined;
  }

  dispatch(broker: ApprovalBroker, sender: ApprovalSender | null, method: string, payload: unknown): Envelope<unknown> {
    if (!sender || !sender.isMainFrame || sender.frameUrl !== APP_APPROVAL_URL) return FORBIDDEN_ENVELOPE;
    const binding = this.byContents.get(sender.webContentsId);
    if (!binding) return FORBIDDEN_ENVELOPE;
    return approvalDispatch(broker, binding, method, payload);
  }
}
