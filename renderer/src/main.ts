/**
 * Renderer entry. Finds the bridge (`window.tapdesk` from the Electron preload, or the browser-mode
 * WebSocket bridge keyed by the `#token=` fragment) and mounts the app. Without a bridge the page
 * says why instead of staying blank.
 */
import { mount } from 'svelte';
import type { TapdeskApi } from '../../preload/contract.ts';
import { createBrowserModeApi } from '../../preload/web-bridge.ts';
import App from './App.svelte';
import { errorText } from './lib/reader-status.ts';
import './app.css';
import './wallet.css';

function connect(): { api: TapdeskApi; bootError: null } | { api: null; bootError: { message: string; hint?: string } } {
  if (window.tapdesk) return { api: window.tapdesk, bootError: null };
  try {
    return { api: createBrowserModeApi(window.location, window.history, window.sessionStorage), bootError: null };
  } catch (error) {
    return { api: null, bootError: errorText(error) };
  }
}

const target = document.getElementById('app');
if (!target) throw new Error('Tapdesk: #app element missing from index.html');

const { api, bootError } = connect();
mount(App, { target, props: { api, bootError } });
