/**
 * Builds `window.tapdeskApproval` for the approval window's own preload: read, approve, reject -
 * nothing else. Main binds the window to its one request by the window itself (its WebContents),
 * so the page carries no credentials. Pure (no 'electron' import) for unit tests.
 */
import { type ApprovalApi, type ApprovalMethodName, createApprovalApi } from './approval-contract.ts';
import type { ContextBridgeLike, IpcRendererLike } from './expose.ts';

export const APPROVAL_API_KEY = 'tapdeskApproval';
export const APPROVAL_CHANNEL_PREFIX = 'tapdesk-approval:';

export function approvalChannel(method: ApprovalMethodName): string {
  return `${APPROVAL_CHANNEL_PREFIX}${method}`;
}

export function exposeApproval(contextBridge: ContextBridgeLike, ipcRenderer: Pick<IpcRendererLike, 'invoke'>): ApprovalApi {
  const api = createApprovalApi({ invoke: (method, payload) => ipcRenderer.invoke(approvalChannel(method), payload) });
  contextBridge.exposeInMainWorld(APPROVAL_API_KEY, api);
  return api;
}
