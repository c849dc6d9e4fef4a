/**
 * Test harness for tier 2 and 3: makes sure a real pcscd with the vpcd driver is running, and
 * plugs emulators into its two virtual readers. Used by *.pcsc.test.ts, e2e and the benchmarks.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { probePcscd, pcscdSocketPath } from '../pcsc/service-probe.ts';
import type { CardEmulator } from './emulator.ts';
import { VpcdCard, VPCD_PORTS } from './vpcd.ts';

export const VPCD_DRIVER = '/usr/lib/pcsc/drivers/serial/libifdvpcd.so';

export interface PcscdStatus {
  readonly running: boolean;
  /** Why it cannot be used, with the package to install. */
  readonly problem?: string;
}

/** Start pcscd if it is not running (needs root); resolves when its socket answers. */
export async function ensurePcscd(timeoutMs = 10_000): Promise<PcscdStatus> {
  if (await probePcscd(pcscdSocketPath())) return { running: true };
  if (!existsSync('/usr/sbin/pcscd')) return { running: false, problem: 'pcscd is not installed (apt-get install pcscd)' };
  if (!existsSync(VPCD_DRIVER)) return { running: false, problem: 'the vpcd driver is not installed (apt-get install vsmartcard-vpcd)' };
  if (process.getuid?.() !== 0) return { running: false, problem: 'pcscd is not running and only root can start it (sudo pcscd)' };
  const child = spawn('/usr/sbin/pcscd', [], { stdio: 'ignore', detached: true });
  child.unref();
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probePcscd(pcscdSocketPath())) return { running: true };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { running: false, problem: 'pcscd did not come up' };
}

/** Is vpcd listening on its port (pcscd loaded the vpcd driver)? */
export function vpcdListening(port: number): boolean {
  try {
    const out = execFileSync('ss', ['-ltnH', `sport = :${port}`], { encoding: 'utf8' });
    return out.trim().length > 0;
  } catch {
    return true; // without ss, let the attach attempt tell
  }
}

/** Insert `card` into virtual reader 0 or 1. */
export function insertVirtualCard(card: CardEmulator, slot: 0 | 1 = 0): Promise<VpcdCard> {
  return VpcdCard.attach(card, { port: VPCD_PORTS[slot], connectTimeoutMs: 10_000 });
}

/** Stop pcscd (root only), waiting until its socket no longer answers. */
export async function stopPcscd(timeoutMs = 10_000): Promise<void> {
  execFileSync('pkill', ['-x', 'pcscd']);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!(await probePcscd(pcscdSocketPath(), 200))) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('pcscd did not stop');
}

export const canControlPcscd = process.getuid?.() === 0;
