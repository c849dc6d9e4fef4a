/**
 * Approval window entry: the Electron approval preload's `window.tapdeskApproval`, or in browser
 * mode the bridge keyed by this page's `#id=...&token=...` fragment. It can only read its one
 * request, approve it or reject it.
 */
import { mount } from 'svelte';
import type { ApprovalApi } from '../../../preload/approval-contract.ts';
import { createBrowserApprovalApi } from '../../../preload/approval-web-bridge.ts';
import { errorText } from '../lib/reader-status.ts';
import Approval from './Approval.svelte';
import '../app.css';

declare global {
  interface Window {
    /** Exposed by the Electron approval preload; absent in browser mode. */
    readonly tapdeskApproval?: ApprovalApi;
  }
}

function connect(): { api: ApprovalApi; bootError: null } | { api: null; bootError: { message: string; hint?: string } } {
  if (window.tapdeskApproval) return { api: window.tapdeskApproval, bootError: null };
  try {
    return { api: createBrowserApprovalApi(window.location, window.history), bootError: null };
  } catch (error) {
    return { api: null, bootError: errorText(error) };
  }
}

const target = document.getElementById('approval');
if (!target) throw new Error('Tapdesk: #approval element missing from approval.html');
const { api, bootError } = connect();
mount(Approval, { target, props: { api, bootError } });
