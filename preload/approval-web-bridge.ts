/**
 * Browser mode's approval bridge: the approval page lives on its own loopback origin (a second
 * port), learns its request id and one-time token from the URL fragment main handed out
 * (`#id=...&token=...`, never sent to a server), removes them from the address bar, and offers
 * them as WebSocket subprotocols. Main checks Host, Origin, and id + token with the broker.
 */
import { type ApprovalApi, createApprovalApi } from './approval-contract.ts';
import { BridgeError } from './contract.ts';
import { createWebSocketTransport } from './web-bridge.ts';

export const APPROVAL_WS_PATH = '/approval-bridge';
export const APPROVAL_WS_PROTOCOL = 'tapdesk-approval.v1';
export const APPROVAL_ID_PREFIX = 'id.';
export const APPROVAL_TOKEN_PREFIX = 'token.';

export function readApprovalFragment(hash: string): { id: string; token: string } | null {
  const id = /(?:^#|&)id=([0-9a-f]{32})(?:&|$)/.exec(hash)?.[1];
  const token = /(?:^#|&)token=([0-9a-f]{64})(?:&|$)/.exec(hash)?.[1];
  return id && token ? { id, token } : null;
}

export function createBrowserApprovalApi(location: Location, history: History): ApprovalApi {
  const credentials = readApprovalFragment(location.hash);
  if (!credentials) throw new BridgeError('FORBIDDEN', 'this approval page was opened without its request; Tapdesk opens it for you');
  history.replaceState(null, '', location.pathname + location.search);
  const transport = createWebSocketTransport(`ws://${location.host}${APPROVAL_WS_PATH}`, [
    APPROVAL_WS_PROTOCOL,
    APPROVAL_ID_PREFIX + credentials.id,
    APPROVAL_TOKEN_PREFIX + credentials.token,
  ]);
  return createApprovalApi({ invoke: (method, payload) => transport.invoke(method, payload) });
}
