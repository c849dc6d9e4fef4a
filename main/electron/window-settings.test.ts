import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  APP_HOST,
  APP_INDEX_URL,
  APP_ORIGIN,
  APP_SCHEME,
  APP_SCHEME_PRIVILEGES,
  CONTENT_SECURITY_POLICY,
  DEFAULT_MIME_TYPE,
  appErrorHeaders,
  appResponseHeaders,
  hardenedWebPreferences,
  isAllowedNavigation,
  isAllowedRendererRequest,
  isProduction,
  isTrustedSender,
  mimeTypeFor,
  resolveAppRequest,
  shouldRewriteHeaders,
  withSecurityHeaders,
} from './window-settings.ts';

const ROOT = path.resolve('/opt/tapdesk/dist/renderer');
const PRELOAD = path.resolve('/opt/tapdesk/dist/preload/index.cjs');

describe('content security policy', () => {
  it('is exactly the policy from DESIGN.md', () => {
    expect(CONTENT_SECURITY_POLICY).toBe("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:");
  });
  it('has no unsafe-inline, unsafe-eval or network sources', () => {
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe|\*|http|ws:|connect-src/);
  });
});

describe('webPreferences', () => {
  const dev = hardenedWebPreferences({ preloadPath: PRELOAD, production: false });
  const prod = hardenedWebPreferences({ preloadPath: PRELOAD, production: true });

  it.each([
    ['sandbox', true],
    ['contextIsolation', true],
    ['nodeIntegration', false],
    ['nodeIntegrationInWorker', false],
    ['nodeIntegrationInSubFrames', false],
    ['webSecurity', true],
    ['webviewTag', false],
    ['allowRunningInsecureContent', false],
    ['experimentalFeatures', false],
    ['spellcheck', false],
    ['navigateOnDragDrop', false],
  ] as const)('%s is %s in development and production', (key, value) => {
    expect(dev[key]).toBe(value);
    expect(prod[key]).toBe(value);
  });

  it('enables DevTools only outside production', () => {
    expect(dev.devTools).toBe(true);
    expect(prod.devTools).toBe(false);
  });

  it('sets the preload path and nothing unexpected', () => {
    expect(prod.preload).toBe(PRELOAD);
    expect(Object.keys(prod).sort()).toEqual(
      [
        'allowRunningInsecureContent',
        'contextIsolation',
        'devTools',
        'experimentalFeatures',
        'navigateOnDragDrop',
        'nodeIntegration',
        'nodeIntegrationInSubFrames',
        'nodeIntegrationInWorker',
        'preload',
        'safeDialogs',
        'sandbox',
        'spellcheck',
        'webSecurity',
        'webviewTag',
      ].sort(),
    );
    // Settings that would weaken the window are absent.
    expect(prod).not.toHaveProperty('enableBlinkFeatures');
    expect(prod).not.toHaveProperty('additionalArguments');
    expect(prod).not.toHaveProperty('partition');
  });

  it('is frozen and refuses a relative preload path', () => {
    expect(Object.isFrozen(prod)).toBe(true);
    expect(() => hardenedWebPreferences({ preloadPath: 'dist/preload/index.cjs', production: true })).toThrow(/absolute/);
  });

  it('treats packaged apps and NODE_ENV=production as production', () => {
    expect(isProduction(true, undefined)).toBe(true);
    expect(isProduction(false, 'production')).toBe(true);
    expect(isProduction(false, 'development')).toBe(false);
    expect(isProduction(false, undefined)).toBe(false);
  });
});

describe('app protocol', () => {
  it('is app://tapdesk with index.html as the entry', () => {
    expect(APP_SCHEME).toBe('app');
    expect(APP_HOST).toBe('tapdesk');
    expect(APP_ORIGIN).toBe('app://tapdesk');
    expect(APP_INDEX_URL).toBe('app://tapdesk/index.html');
  });

  it('is standard, secure and fetch-capable, but does not bypass CSP nor enable CORS', () => {
    expect(APP_SCHEME_PRIVILEGES.scheme).toBe('app');
    const p = APP_SCHEME_PRIVILEGES.privileges!;
    expect(p.standard).toBe(true);
    expect(p.secure).toBe(true);
    expect(p.supportFetchAPI).toBe(true);
    expect(p.bypassCSP).not.toBe(true);
    expect(p.corsEnabled).not.toBe(true);
    expect(p.allowServiceWorkers).not.toBe(true);
    expect(p.stream).not.toBe(true);
  });
});

describe('isTrustedSender', () => {
  it('accepts only the main frame on app://tapdesk/', () => {
    expect(isTrustedSender('app://tapdesk/index.html', true)).toBe(true);
    expect(isTrustedSender('app://tapdesk/', true)).toBe(true);
    expect(isTrustedSender('app://tapdesk/index.html?x=1#y', true)).toBe(true);
  });

  it('rejects subframes, even on app://tapdesk/', () => {
    expect(isTrustedSender('app://tapdesk/index.html', false)).toBe(false);
  });

  it.each([
    'file:///opt/tapdesk/dist/renderer/index.html',
    'http://127.0.0.1:5173/index.html',
    'http://localhost/index.html',
    'https://tapdesk/index.html',
    'app://evil/index.html',
    'app://tapdesk.evil.com/index.html',
    'app://evil.tapdesk/index.html',
    'app://user@tapdesk/index.html',
    'app://tapdesk:8080/index.html',
    'data:text/html,<p>hi</p>',
    'about:blank',
    'devtools://devtools/bundled/inspector.html',
    'not a url',
    '',
  ])('rejects %s', (url) => {
    expect(isTrustedSender(url, true)).toBe(false);
  });

  it('rejects a missing frame url', () => {
    expect(isTrustedSender(null, true)).toBe(false);
    expect(isTrustedSender(undefined, true)).toBe(false);
  });
});

describe('navigation and renderer requests', () => {
  it('denies every navigation, including to our own origin', () => {
    for (const url of ['app://tapdesk/index.html', 'https://example.com/', 'file:///etc/passwd', 'http://127.0.0.1/', 'about:blank']) {
      expect(isAllowedNavigation(url)).toBe(false);
    }
  });

  it('lets the renderer load only its own origin, data: and DevTools', () => {
    expect(isAllowedRendererRequest('app://tapdesk/assets/index.js')).toBe(true);
    expect(isAllowedRendererRequest('data:image/png;base64,AAAA')).toBe(true);
    expect(isAllowedRendererRequest('devtools://devtools/bundled/inspector.html')).toBe(true);
    expect(isAllowedRendererRequest('https://mempool.space/api/')).toBe(false);
    expect(isAllowedRendererRequest('http://127.0.0.1:8545/')).toBe(false);
    expect(isAllowedRendererRequest('ws://127.0.0.1:1234/bridge')).toBe(false);
    expect(isAllowedRendererRequest('file:///etc/passwd')).toBe(false);
    expect(isAllowedRendererRequest('app://tapdeskx/a.js')).toBe(false);
  });
});

describe('resolveAppRequest', () => {
  const ok = (url: string) => {
    const r = resolveAppRequest(url, ROOT);
    if (!r.ok) throw new Error(`refused ${url}: ${r.reason}`);
    return r;
  };

  it('serves index.html for / and for the explicit path', () => {
    expect(ok('app://tapdesk/').filePath).toBe(path.join(ROOT, 'index.html'));
    expect(ok('app://tapdesk/index.html')).toEqual({ ok: true, filePath: path.join(ROOT, 'index.html'), mimeType: 'text/html; charset=utf-8' });
  });

  it('serves nested assets with their MIME type and ignores query and fragment', () => {
    expect(ok('app://tapdesk/assets/index-abc123.js?v=1#x')).toEqual({
      ok: true,
      filePath: path.join(ROOT, 'assets', 'index-abc123.js'),
      mimeType: 'text/javascript; charset=utf-8',
    });
    expect(ok('app://tapdesk/assets/index.css').mimeType).toBe('text/css; charset=utf-8');
    expect(ok('app://tapdesk/icon.svg').mimeType).toBe('image/svg+xml');
    expect(ok('app://tapdesk/assets/my%20font.woff2')).toMatchObject({ filePath: path.join(ROOT, 'assets', 'my font.woff2'), mimeType: 'font/woff2' });
  });

  it.each([
    'app://tapdesk/../secret.txt',
    'app://tapdesk/assets/../../secret.txt',
    'app://tapdesk/%2e%2e/secret.txt',
    'app://tapdesk/%2E%2E/secret.txt',
    'app://tapdesk/.%2e/secret.txt',
    'app://tapdesk/%2e%2e%2fsecret.txt',
    'app://tapdesk/assets/..%2f..%2fsecret.txt',
    'app://tapdesk/assets/%2e%2e%2f%2e%2e%2fetc%2fpasswd',
    'app://tapdesk/%252e%252e/secret.txt',
    'app://tapdesk/..\\secret.txt',
    'app://tapdesk/..%5csecret.txt',
    'app://tapdesk/./index.html',
  ])('refuses traversal %s', (url) => {
    const r = resolveAppRequest(url, ROOT);
    expect(r.ok).toBe(false);
  });

  it.each([
    'app://tapdesk//etc/passwd',
    'app://tapdesk/%2Fetc%2Fpasswd',
    'app://tapdesk/%2fetc/passwd',
    'app://tapdesk/C:/Windows/win.ini',
    'app://tapdesk/c%3A%5Cwin.ini',
  ])('refuses absolute path %s', (url) => {
    expect(resolveAppRequest(url, ROOT).ok).toBe(false);
  });

  it.each(['app://tapdesk/index.html%00.js', 'app://tapdesk/index.html\u0000.js', 'app://tapdesk/a%0a.js', 'app://tapdesk/%E0%A4%A'])(
    'refuses NUL, control characters and bad encoding in %j',
    (url) => {
      const r = resolveAppRequest(url, ROOT);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.status).toBe(400);
    },
  );

  it.each(['app://evil/index.html', 'file:///opt/tapdesk/dist/renderer/index.html', 'http://tapdesk/index.html', 'app://tapdesk.evil/index.html', 'app://tapdesk:81/index.html'])(
    'refuses other origins: %s',
    (url) => {
      const r = resolveAppRequest(url, ROOT);
      expect(r).toMatchObject({ ok: false, status: 403 });
    },
  );

  it('never returns a file outside the root', () => {
    const tricky = ['a/b/../../..', '...', '..../x', 'a/.../b', 'assets//x.js', '%2e', '%2e%2e', '.%2E'];
    for (const t of tricky) {
      const r = resolveAppRequest(`app://tapdesk/${t}`, ROOT);
      if (r.ok) expect(r.filePath.startsWith(ROOT + path.sep)).toBe(true);
    }
  });

  it('allows only GET and HEAD', () => {
    expect(resolveAppRequest('app://tapdesk/index.html', ROOT, 'HEAD').ok).toBe(true);
    expect(resolveAppRequest('app://tapdesk/index.html', ROOT, 'POST')).toMatchObject({ ok: false, status: 405 });
  });

  it('needs an absolute root', () => {
    expect(() => resolveAppRequest('app://tapdesk/index.html', 'dist/renderer')).toThrow(/absolute/);
  });

  it('falls back to application/octet-stream for unknown extensions', () => {
    expect(mimeTypeFor('/x/file.bin')).toBe(DEFAULT_MIME_TYPE);
    expect(mimeTypeFor('/x/INDEX.HTML')).toBe('text/html; charset=utf-8');
  });
});

describe('response headers', () => {
  it('carry the CSP, nosniff and the content type', () => {
    const h = appResponseHeaders('text/html; charset=utf-8');
    expect(h['Content-Type']).toBe('text/html; charset=utf-8');
    expect(h['Content-Security-Policy']).toBe(CONTENT_SECURITY_POLICY);
    expect(h['X-Content-Type-Options']).toBe('nosniff');
    expect(h['Referrer-Policy']).toBe('no-referrer');
    expect(appErrorHeaders()['Content-Security-Policy']).toBe(CONTENT_SECURITY_POLICY);
    expect(appErrorHeaders()['X-Content-Type-Options']).toBe('nosniff');
  });

  it('webRequest rewrite replaces any CSP (any case) with ours and keeps other headers', () => {
    const out = withSecurityHeaders({
      'content-security-policy': ["default-src *; script-src 'unsafe-inline'"],
      'Content-Security-Policy-Report-Only': 'default-src *',
      'x-content-type-options': 'sniff',
      'Content-Type': ['text/html'],
      'X-Other': 'kept',
    });
    expect(out).toEqual({
      'Content-Type': ['text/html'],
      'X-Other': ['kept'],
      'Content-Security-Policy': [CONTENT_SECURITY_POLICY],
      'X-Content-Type-Options': ['nosniff'],
    });
    expect(withSecurityHeaders(undefined)).toEqual({
      'Content-Security-Policy': [CONTENT_SECURITY_POLICY],
      'X-Content-Type-Options': ['nosniff'],
    });
  });

  it('leaves DevTools pages alone and rewrites everything else', () => {
    expect(shouldRewriteHeaders('devtools://devtools/bundled/inspector.html')).toBe(false);
    expect(shouldRewriteHeaders('app://tapdesk/index.html')).toBe(true);
    expect(shouldRewriteHeaders('https://example.com/')).toBe(true);
  });
});
