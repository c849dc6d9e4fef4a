/**
 * Security settings for Tapdesk's Electron windows, as plain data and pure functions so that unit
 * tests can check every one of them without an Electron binary. `main/electron.ts` only wires these
 * into Electron; any decision about what is trusted, allowed or served is made here.
 *
 * Only type imports from 'electron' (erased at build time): this module runs under plain Node.
 */
import path from 'node:path';
import type { CustomScheme, WebPreferences } from 'electron';

// ---------------------------------------------------------------------------------------------
// Content Security Policy: the renderer loads only its own scripts and styles, no network at all.

export const CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:";

// ---------------------------------------------------------------------------------------------
// The app protocol: the renderer is served from app://tapdesk/, never from file:// or http://.

export const APP_SCHEME = 'app';
export const APP_HOST = 'tapdesk';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_INDEX_URL = `${APP_ORIGIN}/index.html`;
/** The approval window's page (its own window and preload, bound to one request). */
export const APP_APPROVAL_URL = `${APP_ORIGIN}/approval.html`;

/**
 * Privileges for `protocol.registerSchemesAsPrivileged`: a standard, secure origin (so 'self' in
 * the CSP, relative URLs and module scripts work) that can use fetch. Deliberately without
 * bypassCSP, corsEnabled, allowServiceWorkers, stream and codeCache.
 */
export const APP_SCHEME_PRIVILEGES: Readonly<CustomScheme> = Object.freeze({
  scheme: APP_SCHEME,
  privileges: Object.freeze({
    standard: true,
    secure: true,
    supportFetchAPI: true,
    bypassCSP: false,
    corsEnabled: false,
    allowServiceWorkers: false,
    stream: false,
    codeCache: false,
  }),
});

// ---------------------------------------------------------------------------------------------
// BrowserWindow webPreferences.

export interface WebPreferencesOptions {
  /** Absolute path of the bundled preload (dist/preload/index.cjs). */
  readonly preloadPath: string;
  /** Packaged or NODE_ENV=production: no DevTools. */
  readonly production: boolean;
}

export function hardenedWebPreferences(options: WebPreferencesOptions): WebPreferences {
  if (!path.isAbsolute(options.preloadPath)) throw new Error('the preload path must be absolute');
  const preferences = {
    preload: options.preloadPath,
    sandbox: true,
    contextIsolation: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    webviewTag: false,
    allowRunningInsecureContent: false,
    experimentalFeatures: false,
    devTools: !options.production,
    spellcheck: false,
    navigateOnDragDrop: false,
    safeDialogs: true,
  } satisfies WebPreferences;
  return Object.freeze(preferences);
}

/** Production unless running unpackaged without NODE_ENV=production. */
export function isProduction(isPackaged: boolean, nodeEnv: string | undefined): boolean {
  return isPackaged || nodeEnv === 'production';
}

// ---------------------------------------------------------------------------------------------
// Trust and navigation.

/**
 * Whether an IPC message may be acted on: only from the main frame of a page on app://tapdesk/.
 * Subframes, other schemes (file:, http:, https:, data:, about:) and other hosts are refused.
 */
export function isTrustedSender(frameUrl: string | null | undefined, isMainFrame: boolean): boolean {
  if (!isMainFrame || typeof frameUrl !== 'string' || frameUrl.length === 0) return false;
  let url: URL;
  try {
    url = new URL(frameUrl);
  } catch {
    return false;
  }
  return url.protocol === `${APP_SCHEME}:` && url.host === APP_HOST && url.username === '' && url.password === '' && url.port === '';
}

/** Navigation away from the loaded page is never allowed (the renderer is a single page). */
export function isAllowedNavigation(_url: string): boolean {
  return false;
}

// ---------------------------------------------------------------------------------------------
// The protocol handler: request URL -> file under dist/renderer.

const MIME_TYPES: Readonly<Record<string, string>> = Object.freeze({
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
});

export const DEFAULT_MIME_TYPE = 'application/octet-stream';

export function mimeTypeFor(filePath: string): string {
  return MIME_TYPES[path.extname(filePath).toLowerCase()] ?? DEFAULT_MIME_TYPE;
}

export type ResolvedRequest =
  | { readonly ok: true; readonly filePath: string; readonly mimeType: string }
  | { readonly ok: false; readonly status: 400 | 403 | 404 | 405; readonly reason: string };

const MAX_URL_LENGTH = 2048;

function refuse(status: 400 | 403 | 404 | 405, reason: string): ResolvedRequest {
  return { ok: false, status, reason };
}

/**
 * Map an app://tapdesk/... request to a file under `rendererRoot` (absolute). Works on the raw URL
 * text, before any normalisation could hide a traversal: `..` (plain or percent-encoded), backslashes,
 * NUL and other control characters, absolute paths (`//x`, `/%2Fx`, drive letters) are refused rather
 * than normalised. The result is checked once more to lie inside `rendererRoot`.
 */
export function resolveAppRequest(requestUrl: string, rendererRoot: string, method = 'GET'): ResolvedRequest {
  if (method !== 'GET' && method !== 'HEAD') return refuse(405, 'method not allowed');
  if (!path.isAbsolute(rendererRoot)) throw new Error('the renderer root must be absolute');
  if (typeof requestUrl !== 'string' || requestUrl.length > MAX_URL_LENGTH) return refuse(400, 'bad url');

  const prefix = `${APP_ORIGIN}/`;
  if (!requestUrl.toLowerCase().startsWith(prefix)) {
    // Also covers app://tapdesk:80/, app://user@tapdesk/, app://evil/ and every other scheme.
    return refuse(403, 'not an app://tapdesk/ url');
  }
  // Path text only: drop query and fragment.
  const rawPath = requestUrl.slice(prefix.length).split(/[?#]/, 1)[0] ?? '';

  if (/[\u0000-\u001f\u007f\\]/.test(rawPath)) return refuse(400, 'control character or backslash in path');
  if (/%(?:00|5c)/i.test(rawPath)) return refuse(400, 'encoded NUL or backslash in path');

  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    return refuse(400, 'bad percent-encoding');
  }
  // Double encoding (%252e) would survive one decode; refuse anything that still contains '%'.
  if (decoded.includes('%')) return refuse(400, 'percent sign in decoded path');
  if (/[\u0000-\u001f\u007f\\]/.test(decoded)) return refuse(400, 'control character or backslash in path');

  const segments = decoded.split('/');
  for (const segment of segments) {
    if (segment === '..' || segment === '.') return refuse(403, 'dot segment in path');
  }
  if (decoded.includes('..')) return refuse(403, 'path traversal');
  if (decoded.startsWith('/')) return refuse(403, 'absolute path');
  if (/^[a-zA-Z]:/.test(decoded)) return refuse(403, 'absolute path');
  if (segments.slice(0, -1).some((segment) => segment === '')) return refuse(400, 'empty path segment');

  const relative = decoded === '' || decoded.endsWith('/') ? `${decoded}index.html` : decoded;
  const root = path.resolve(rendererRoot);
  const filePath = path.resolve(root, relative);
  if (filePath !== root && !filePath.startsWith(root + path.sep)) return refuse(403, 'outside the renderer folder');
  if (filePath === root) return refuse(404, 'not a file');

  return { ok: true, filePath, mimeType: mimeTypeFor(filePath) };
}

/** Headers on every response the app protocol serves. */
export function appResponseHeaders(mimeType: string): Record<string, string> {
  return {
    'Content-Type': mimeType,
    'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cache-Control': 'no-cache',
  };
}

/** Headers on refusals (404, 403, ...): still under the CSP and nosniff. */
export function appErrorHeaders(): Record<string, string> {
  return appResponseHeaders('text/plain; charset=utf-8');
}

/**
 * For `session.webRequest.onHeadersReceived`: the same response headers with our CSP in place of
 * any Content-Security-Policy the response carried (matched case-insensitively), and nosniff added.
 */
export function withSecurityHeaders(
  responseHeaders: Readonly<Record<string, string | readonly string[]>> | undefined,
): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(responseHeaders ?? {})) {
    const lower = name.toLowerCase();
    if (lower === 'content-security-policy' || lower === 'content-security-policy-report-only' || lower === 'x-content-type-options') continue;
    out[name] = typeof value === 'string' ? [value] : [...value];
  }
  out['Content-Security-Policy'] = [CONTENT_SECURITY_POLICY];
  out['X-Content-Type-Options'] = ['nosniff'];
  return out;
}

/** Electron's built-in DevTools pages must keep their own headers. */
export function shouldRewriteHeaders(url: string): boolean {
  return !url.startsWith('devtools://');
}

/**
 * For `session.webRequest.onBeforeRequest` on requests made by a renderer: the renderer has no
 * network access (main does all network I/O), so only our own origin, data: images and Electron's
 * DevTools pages may load. Requests without a WebContents (main's own `net`) are not filtered here.
 */
export function isAllowedRendererRequest(url: string): boolean {
  return url.startsWith(`${APP_ORIGIN}/`) || url.startsWith('data:') || url.startsWith('devtools://');
}
