/**
 * The Networks settings kept across restarts: one JSON file in the user's config folder
 * ($TAPDESK_CONFIG_DIR, else $XDG_CONFIG_HOME/tapdesk, else ~/.config/tapdesk). Only what the
 * person saved on the Networks screen is written; a file that does not read back as valid
 * settings is ignored (and said so), never trusted half-way.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ChainSettingsRequest } from '../../preload/contract.ts';
import { validateRequest } from '../../preload/contract.ts';

export function configDir(env: Readonly<Record<string, string | undefined>> = process.env): string {
  if (env.TAPDESK_CONFIG_DIR) return env.TAPDESK_CONFIG_DIR;
  const base = env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config');
  return path.join(base, 'tapdesk');
}

export class SettingsStore {
  readonly file: string;

  constructor(dir: string = configDir()) {
    this.file = path.join(dir, 'networks.json');
  }

  /** The saved settings, or null (none saved, or a file that is not valid settings: `problem` says why). */
  load(): { readonly settings: ChainSettingsRequest | null; readonly problem?: string } {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch {
      return { settings: null };
    }
    try {
      return { settings: validateRequest('settings.set', JSON.parse(text)) };
    } catch (error) {
      return { settings: null, problem: `ignored ${this.file}: ${error instanceof Error ? error.message : String(error)}` };
    }
  }

  /** Written whole (temp file + rename), owner-readable only. */
  save(settings: ChainSettingsRequest): void {
    mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
    const temp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(temp, JSON.stringify(settings, null, 2) + '\n', { mode: 0o600 });
    renameSync(temp, this.file);
  }
}
