/**
 * End-to-end support: builds the app if needed, starts browser mode as a child process (exactly
 * what `npm start` runs without Electron), and drives Debian's Chromium through playwright-core.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type Page, chromium } from 'playwright-core';
import { findChromium } from '../../main/runtime.ts';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export function ensureBuilt(): void {
  const outputs = ['dist/main/web.js', 'dist/renderer/index.html', 'dist/renderer/approval.html'].map((f) => path.join(ROOT, f));
  if (!outputs.every((f) => existsSync(f))) {
    execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'build.mjs')], { cwd: ROOT, stdio: 'inherit' });
  }
}

export interface RunningApp {
  readonly url: string;
  readonly port: number;
  readonly output: string[];
  stop(): Promise<void>;
}

export async function startBrowserApp(args: readonly string[] = []): Promise<RunningApp> {
  ensureBuilt();
  const child: ChildProcess = spawn(process.execPath, [path.join(ROOT, 'dist', 'main', 'web.js'), '--no-open', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    // Each app gets its own config folder: saved Networks settings never leak between tests or from the developer's.
    env: { ...process.env, TAPDESK_CONFIG_DIR: tempDir('tapdesk-config-') },
  });
  const output: string[] = [];
  const ready = new Promise<{ url: string; port: number }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`app did not start:\n${output.join('')}`)), 20_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      output.push(chunk.toString());
      const line = output.join('').split('\n').find((l) => l.startsWith('TAPDESK_READY '));
      if (line) {
        clearTimeout(timer);
        resolve(JSON.parse(line.slice('TAPDESK_READY '.length)));
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`app exited with ${code}:\n${output.join('')}`));
    });
  });
  const { url, port } = await ready;
  return {
    url,
    port,
    output,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 3000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}

/** Chromium flags for this machine: no network beyond loopback, maybe root. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export async function launchChromium(): Promise<Browser> {
  const executablePath = findChromium();
  if (!executablePath) throw new Error('Chromium is not installed (apt-get install chromium)');
  return chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS });
}

/** The approval page at `url` in a new tab, once it shows its request. */
export async function openApprovalWindow(browser: Browser, url: string): Promise<Page> {
  const window = await browser.newPage();
  await window.goto(url);
  await window.getByTestId('approval-title').waitFor();
  return window;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

/**
 * The next approval window main asks for (browser mode prints `TAPDESK_APPROVAL {json}` for test
 * harnesses: the address of the approval page with its one-time token). `seen` counts the ones
 * already taken.
 */
export async function nextApproval(app: RunningApp, seen: number, timeoutMs = 10_000): Promise<{ id: string; kind: string; url: string }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const lines = app.output.join('').split('\n').filter((l) => l.startsWith('TAPDESK_APPROVAL '));
    if (lines.length > seen) return JSON.parse(lines[seen]!.slice('TAPDESK_APPROVAL '.length));
    if (Date.now() > deadline) throw new Error(`no approval window was asked for:\n${app.output.join('')}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
