/**
 * Electron front end: windows, security settings, the app:// protocol and ipcMain wiring. Thin on
 * purpose; every decision lives in ./electron/window-settings.ts and ./electron/ipc-guard.ts (unit
 * tested without Electron), and all behaviour in main/core through the one handler table.
 *
 * Built by scripts/build.mjs into dist/main/electron.cjs (CommonJS, so `__dirname` is dist/main).
 */
import { app, BrowserWindow, ipcMain, protocol, session, shell, type IpcMainInvokeEvent } from 'electron';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { METHOD_NAMES, type ReadersSnapshot } from '../preload/contract.ts';
import { APPROVAL_METHOD_NAMES } from '../preload/approval-contract.ts';
import { approvalChannel } from '../preload/approval-expose.ts';
import { eventChannel, methodChannel } from '../preload/expose.ts';
import { createCore, type TapdeskCore } from './core/app-core.ts';
import { demoChains } from './core/chains-config.ts';
import { type DemoCardFamily, demoCardFamily } from './core/demo/demo-card.ts';

/** TAPDESK_DEMO_CARD=keycard puts a Keycard in the demo reader; a bad value is said and ignored. */
function demoCardFromEnv(): DemoCardFamily {
  try {
    return demoCardFamily(process.env.TAPDESK_DEMO_CARD);
  } catch (error) {
    console.error(`TAPDESK_DEMO_CARD: ${(error as Error).message}; using the demo Satochip`);
    return 'satochip';
  }
}
import { isExplorerUrl } from './core/explorers.ts';
import { SettingsStore } from './core/settings-store.ts';
import { createHandlers } from './ipc/handlers.ts';
import { ApprovalWindowBindings } from './electron/approval-guard.ts';
import { type SenderInfo, guardedDispatch } from './electron/ipc-guard.ts';
import {
  APP_APPROVAL_URL,
  APP_INDEX_URL,
  APP_SCHEME,
  APP_SCHEME_PRIVILEGES,
  appErrorHeaders,
  appResponseHeaders,
  hardenedWebPreferences,
  isAllowedNavigation,
  isAllowedRendererRequest,
  isProduction,
  isTrustedSender,
  resolveAppRequest,
  shouldRewriteHeaders,
  withSecurityHeaders,
} from './electron/window-settings.ts';

const DIST = path.resolve(__dirname, '..');
const RENDERER_ROOT = path.join(DIST, 'renderer');
const PRELOAD_PATH = path.join(DIST, 'preload', 'index.cjs');
const APPROVAL_PRELOAD_PATH = path.join(DIST, 'preload', 'approval.cjs');
/** How long the approval window stays after a decision, so the person sees it taken. */
const APPROVAL_CLOSE_DELAY_MS = 1500;
const CLOSE_TIMEOUT_MS = 3000;

// Before `ready`: every renderer sandboxed, and app:// registered as a standard secure scheme.
app.enableSandbox();
protocol.registerSchemesAsPrivileged([APP_SCHEME_PRIVILEGES]);

let mainWindow: BrowserWindow | null = null;
let core: TapdeskCore | null = null;
let stopForwarding: (() => void) | null = null;
let quitState: 'running' | 'closing' | 'closed' = 'running';
const approvalWindows = new ApprovalWindowBindings();

// Every WebContents (windows, DevTools, anything a page might try to create): no navigation, no new
// windows, no <webview>.
app.on('web-contents-created', (_event, contents) => {
  contents.on('will-navigate', (event) => {
    if (!isAllowedNavigation(event.url)) event.preventDefault();
  });
  contents.on('will-frame-navigate', (event) => {
    if (!isAllowedNavigation(event.url)) event.preventDefault();
  });
  contents.on('will-redirect', (event) => {
    if (!isAllowedNavigation(event.url)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  // No new windows. A block-explorer link main built (fixed templates) opens in the system browser.
  contents.setWindowOpenHandler(({ url }) => {
    if (isExplorerUrl(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
});

function serveAppProtocol(): void {
  protocol.handle(APP_SCHEME, async (request) => {
    const resolved = resolveAppRequest(request.url, RENDERER_ROOT, request.method);
    if (!resolved.ok) return new Response(resolved.reason, { status: resolved.status, headers: appErrorHeaders() });
    try {
      const body = await readFile(resolved.filePath);
      return new Response(request.method === 'HEAD' ? null : new Uint8Array(body), {
        status: 200,
        headers: appResponseHeaders(resolved.mimeType),
      });
    } catch {
      return new Response('not found', { status: 404, headers: appErrorHeaders() });
    }
  });
}

function lockDownSession(): void {
  const ses = session.defaultSession;
  ses.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
  ses.setDevicePermissionHandler(() => false);
  ses.webRequest.onBeforeRequest((details, callback) => {
    const fromRenderer = details.webContentsId !== undefined;
    callback({ cancel: fromRenderer && !isAllowedRendererRequest(details.url) });
  });
  ses.webRequest.onHeadersReceived((details, callback) => {
    if (!shouldRewriteHeaders(details.url)) return callback({});
    callback({ responseHeaders: withSecurityHeaders(details.responseHeaders) });
  });
}

function senderInfo(event: IpcMainInvokeEvent): SenderInfo | null {
  try {
    const frame = event.senderFrame;
    if (!frame) return null;
    return {
      frameUrl: frame.url,
      isMainFrame: frame.parent === null,
      fromOwnWindow: mainWindow !== null && !mainWindow.isDestroyed() && event.sender === mainWindow.webContents,
    };
  } catch {
    return null; // the frame went away while we looked at it
  }
}

function registerIpc(current: TapdeskCore): void {
  const handlers = createHandlers(current);
  for (const method of METHOD_NAMES) {
    ipcMain.handle(methodChannel(method), (event, payload: unknown) => guardedDispatch(handlers, method, senderInfo(event), payload));
  }
}

/**
 * Approval windows: one per request, its own preload (read / approve / reject only), bound to the
 * request by its WebContents. Closing it rejects the request.
 */
function registerApprovals(current: TapdeskCore): void {
  for (const method of APPROVAL_METHOD_NAMES) {
    ipcMain.handle(approvalChannel(method), (event, payload: unknown) => {
      let sender = null;
      try {
        const frame = event.senderFrame;
        sender = frame ? { webContentsId: event.sender.id, frameUrl: frame.url, isMainFrame: frame.parent === null } : null;
      } catch {
        sender = null;
      }
      return approvalWindows.dispatch(current.approvals, sender, method, payload);
    });
  }
  current.approvals.attachWindows({
    open: ({ request, token }) => {
      const window = new BrowserWindow({
        width: 720,
        height: 760,
        title: 'Tapdesk - approve',
        show: false,
        autoHideMenuBar: true,
        alwaysOnTop: true,
        ...(mainWindow && !mainWindow.isDestroyed() ? { parent: mainWindow } : {}),
        webPreferences: hardenedWebPreferences({
          preloadPath: APPROVAL_PRELOAD_PATH,
          production: isProduction(app.isPackaged, process.env.NODE_ENV),
        }),
      });
      const contentsId = window.webContents.id;
      approvalWindows.bind(contentsId, { id: request.id, token });
      window.once('ready-to-show', () => window.show());
      window.on('closed', () => {
        const binding = approvalWindows.unbind(contentsId);
        if (binding) {
          try {
            current.approvals.reject(binding.id, binding.token);
          } catch {
            // Already decided or expired.
          }
        }
      });
      void window.loadURL(APP_APPROVAL_URL);
    },
    close: (id) => {
      const contentsId = approvalWindows.contentsOf(id);
      if (contentsId === undefined) return;
      approvalWindows.unbind(contentsId);
      const window = BrowserWindow.getAllWindows().find((w) => !w.isDestroyed() && w.webContents.id === contentsId);
      if (window) setTimeout(() => !window.isDestroyed() && window.close(), APPROVAL_CLOSE_DELAY_MS);
    },
  });
}

function sendReadersChanged(snapshot: ReadersSnapshot): void {
  const contents = mainWindow && !mainWindow.isDestroyed() ? mainWindow.webContents : null;
  if (!contents || contents.isDestroyed() || !isTrustedSender(contents.getURL(), true)) return;
  contents.send(eventChannel('readers.changed'), snapshot);
}

function createWindow(): void {
  const window = new BrowserWindow({
    width: 1100,
    height: 760,
    minWidth: 640,
    minHeight: 480,
    title: 'Tapdesk',
    show: false,
    autoHideMenuBar: true,
    webPreferences: hardenedWebPreferences({
      preloadPath: PRELOAD_PATH,
      production: isProduction(app.isPackaged, process.env.NODE_ENV),
    }),
  });
  window.once('ready-to-show', () => window.show());
  window.on('closed', () => {
    if (mainWindow === window) mainWindow = null;
  });
  mainWindow = window;
  void window.loadURL(APP_INDEX_URL);
}

async function start(): Promise<void> {
  await app.whenReady();
  serveAppProtocol();
  lockDownSession();
  // Demo chains from `npm start` (scripts/chains.mjs), else the public networks.
  const { TAPDESK_ETH_RPC: ethRpc, TAPDESK_ESPLORA: esplora, TAPDESK_ETH_CHAIN_ID: chainId } = process.env;
  core = await createCore({ mode: 'electron', settings: new SettingsStore(), demoCardFamily: demoCardFromEnv(), ...(ethRpc && esplora ? { chains: demoChains(ethRpc, esplora, Number(chainId ?? 31337)) } : {}) });
  registerIpc(core);
  registerApprovals(core);
  const offReaders = core.readers.onChange(sendReadersChanged);
  const offProgress = core.wallets.onProgress((progress) => {
    const contents = mainWindow && !mainWindow.isDestroyed() ? mainWindow.webContents : null;
    if (contents && !contents.isDestroyed() && isTrustedSender(contents.getURL(), true)) contents.send(eventChannel('signing.progress'), progress);
  });
  const offKeycard = core.keycard.onProgress((progress) => {
    const contents = mainWindow && !mainWindow.isDestroyed() ? mainWindow.webContents : null;
    if (contents && !contents.isDestroyed() && isTrustedSender(contents.getURL(), true)) contents.send(eventChannel('keycard.newWallet.progress'), progress);
  });
  stopForwarding = () => {
    offReaders();
    offProgress();
    offKeycard();
  };
  createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0 && quitState === 'running') createWindow();
  });
}

app.on('window-all-closed', () => app.quit());

// Close core (readers, PC/SC contexts) before the process exits; give up after a few seconds.
app.on('will-quit', (event) => {
  if (quitState === 'closed' || core === null) return;
  event.preventDefault();
  if (quitState === 'closing') return;
  quitState = 'closing';
  stopForwarding?.();
  stopForwarding = null;
  const closing = core.close().catch((error: unknown) => console.error('tapdesk: error while closing:', error));
  const timeout = new Promise<void>((resolve) => setTimeout(resolve, CLOSE_TIMEOUT_MS).unref());
  void Promise.race([closing, timeout]).finally(() => {
    quitState = 'closed';
    app.quit();
  });
});

start().catch((error: unknown) => {
  console.error('tapdesk: failed to start:', error);
  app.exit(1);
});
