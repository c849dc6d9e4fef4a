/** Facts about this installation that decide how the app starts (Node only, no Electron import). */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ElectronStatus {
  readonly available: boolean;
  /** The binary's path, when available. */
  readonly binary?: string;
  /** Why not, in words for the person. */
  readonly reason?: string;
}

/** In plain Node, `require('electron')` is the path of the Electron binary, or throws if missing. */
export function electronStatus(): ElectronStatus {
  try {
    const load = typeof require === 'function' ? require : createRequire(import.meta.url);
    const binary = load('electron') as unknown;
    if (typeof binary === 'string' && existsSync(binary)) return { available: true, binary };
    return { available: false, reason: 'Electron is not installed' };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return {
      available: false,
      reason: /failed to install correctly/.test(message)
        ? "Electron's binary is not installed (its download is skipped on this machine)"
        : 'Electron is not installed',
    };
  }
}

/** The project root (where package.json and dist/ live), from a built or source file. */
export function projectRoot(fromUrl: string = import.meta.url): string {
  let dir = path.dirname(fileURLToPath(fromUrl));
  for (let i = 0; i < 6; i += 1) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    dir = path.dirname(dir);
  }
  return process.cwd();
}

export const CHROMIUM_CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

export function findChromium(): string | null {
  const fromEnv = process.env.TAPDESK_CHROMIUM;
  if (fromEnv && existsSync(fromEnv)) return fromEnv;
  return CHROMIUM_CANDIDATES.find((candidate) => existsSync(candidate)) ?? null;
}

/** Flags for a Chromium app window on a machine with no network but loopback. */
export function chromiumAppArgs(url: string, userDataDir: string): string[] {
  const args = [
    `--app=${url}`,
    `--user-data-dir=${userDataDir}`,
    '--no-first-run',
    '--no-default-browser-check',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-features=Translate,MediaRouter',
  ];
  if (process.getuid?.() === 0) args.push('--no-sandbox');
  return args;
}
