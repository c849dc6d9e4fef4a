/**
 * The check every Electron IPC call goes through before the handler table: the sender frame must be
 * the main frame of our page on app://tapdesk/ (and, when given, belong to our own window).
 * Electron-free so it can be unit-tested; `main/electron.ts` adapts `IpcMainInvokeEvent` to `SenderInfo`.
 */
import type { Envelope } from '../../preload/contract.ts';
import { type HandlerTable, dispatch } from '../ipc/handlers.ts';
import { isTrustedSender } from './window-settings.ts';

export interface SenderInfo {
  /** URL of the sending frame, or null when the frame is gone (navigated or destroyed). */
  readonly frameUrl: string | null;
  readonly isMainFrame: boolean;
  /** Whether the message came from a WebContents this app created for the renderer. */
  readonly fromOwnWindow: boolean;
}

export const FORBIDDEN_ENVELOPE: Envelope<never> = Object.freeze({
  ok: false,
  error: Object.freeze({ code: 'FORBIDDEN', message: 'this frame may not call Tapdesk' }),
}) as Envelope<never>;

export function isAllowedSender(sender: SenderInfo | null): boolean {
  return sender !== null && sender.fromOwnWindow && isTrustedSender(sender.frameUrl, sender.isMainFrame);
}

/** Refuse untrusted senders with FORBIDDEN; otherwise validate and dispatch. Never throws. */
export async function guardedDispatch(
  handlers: HandlerTable,
  method: string,
  sender: SenderInfo | null,
  payload: unknown,
): Promise<Envelope<unknown>> {
  if (!isAllowedSender(sender)) return FORBIDDEN_ENVELOPE;
  return dispatch(handlers, method, payload);
}
