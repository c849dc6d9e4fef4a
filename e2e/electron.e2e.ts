/**
 * The Electron app end to end, through Playwright's Electron support: the window shows the reader
 * list, and the page sees only the frozen `window.tapdesk` (no Node, no require, no process).
 *
 * Skipped, with one line saying why, where the Electron binary is not installed (its download
 * cannot run everywhere) or there is no display to open a window on.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ElectronApplication, type Page, _electron } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MAIN_ENTRY = path.join(ROOT, 'dist', 'main', 'electron.cjs');
const BUILD_OUTPUTS = [MAIN_ENTRY, path.join(ROOT, 'dist', 'preload', 'index.cjs'), path.join(ROOT, 'dist', 'renderer', 'index.html')];

function findElectron(): { path: string } | { skip: string } {
  let executable: unknown;
  try {
    // node_modules/electron/index.js returns the binary's path, or throws
    // "Electron failed to install correctly" when its install step did not download it.
    executable = createRequire(import.meta.url)('electron');
  } catch {
    return {
      skip: 'Electron binary not installed (node_modules/electron has no dist/); run node node_modules/electron/install.js where downloads work',
    };
  }
  if (typeof executable !== 'string' || !existsSync(executable)) {
    return { skip: `Electron binary not found at ${String(executable)}; run node node_modules/electron/install.js where downloads work` };
  }
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
    return { skip: 'no display (DISPLAY/WAYLAND_DISPLAY unset); run under xvfb-run' };
  }
  return { path: executable };
}

const electron = findElectron();
const available = 'path' in electron;
if (!available) console.log(`SKIP electron e2e: ${electron.skip}`);

describe.skipIf(!available)('Electron app', () => {
  let app: ElectronApplication;
  let page: Page;

  beforeAll(async () => {
    if (!('path' in electron)) return;
    if (!BUILD_OUTPUTS.every((file) => existsSync(file))) {
      execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'build.mjs')], { cwd: ROOT, stdio: 'inherit' });
    }
    const args = [MAIN_ENTRY];
    // Chromium refuses to start as root with its OS sandbox; the renderer stays sandboxed at the
    // Electron level (sandbox: true, contextIsolation, no Node) either way.
    if (process.getuid?.() === 0) args.unshift('--no-sandbox');
    app = await _electron.launch({
      executablePath: electron.path,
      args,
      cwd: ROOT,
      env: { ...(process.env as Record<string, string>), NODE_ENV: 'test', ELECTRON_ENABLE_LOGGING: '1' },
      timeout: 60_000,
    });
    page = await app.firstWindow();
    await page.waitForLoadState('domcontentloaded');
  });

  afterAll(async () => {
    await app?.close();
  });

  it('loads the renderer from app://tapdesk/', () => {
    expect(page.url()).toBe('app://tapdesk/index.html');
  });

  it('shows the reader list', async () => {
    await page.getByRole('heading', { name: 'Readers' }).waitFor({ state: 'visible', timeout: 30_000 });
    const readers = page.locator('[data-testid="reader"]');
    await readers.first().waitFor({ state: 'visible', timeout: 30_000 });
    expect(await readers.count()).toBeGreaterThan(0);
  });

  it('exposes only a frozen window.tapdesk with named functions, and no Node', async () => {
    const facts = await page.evaluate(() => {
      const w = window as unknown as Record<string, unknown>;
      const api = w.tapdesk as Record<string, unknown> | undefined;
      return {
        frozen: api !== undefined && Object.isFrozen(api),
        keys: api ? Object.keys(api).sort() : [],
        kinds: api ? Object.values(api).map((value) => typeof value) : [],
        require: typeof w.require,
        process: typeof w.process,
        module: typeof w.module,
        buffer: typeof w.Buffer,
        ipcRenderer: typeof w.ipcRenderer,
      };
    });
    expect(facts.frozen).toBe(true);
    expect(facts.keys).toEqual(['appInfo', 'identifyCard', 'listReaders', 'onReadersChanged']);
    expect(new Set(facts.kinds)).toEqual(new Set(['function']));
    expect(facts.require).toBe('undefined');
    expect(facts.process).toBe('undefined');
    expect(facts.module).toBe('undefined');
    expect(facts.buffer).toBe('undefined');
    expect(facts.ipcRenderer).toBe('undefined');
  });

  it('answers bridge calls from the trusted page', async () => {
    const info = await page.evaluate(() => (window as unknown as { tapdesk: { appInfo(): Promise<{ mode: string; name: string }> } }).tapdesk.appInfo());
    expect(info).toMatchObject({ name: 'Tapdesk', mode: 'electron' });
  });

  it('denies new windows and navigation away from the app', async () => {
    const opened = await page.evaluate(() => window.open('https://example.com/') === null);
    expect(opened).toBe(true);
    await page.evaluate(() => {
      window.location.href = 'https://example.com/';
    });
    await page.waitForTimeout(500);
    expect(page.url()).toBe('app://tapdesk/index.html');
    expect(app.windows()).toHaveLength(1);
  });
});
