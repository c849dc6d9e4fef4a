import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createCore } from './app-core.ts';
import { SettingsStore, configDir } from './settings-store.ts';

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tapdesk-settings-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  while (dirs.length) rmSync(dirs.pop()!, { recursive: true, force: true });
});

const SAVED = { eth: { rpcUrl: 'https://rpc.example', chainId: 11155111, name: 'Sepolia' }, btc: { network: 'signet' as const, esploraUrl: 'https://mempool.space/signet/api' } };

describe('Networks settings across restarts', () => {
  it('the config folder follows TAPDESK_CONFIG_DIR, then XDG_CONFIG_HOME', () => {
    expect(configDir({ TAPDESK_CONFIG_DIR: '/x' })).toBe('/x');
    expect(configDir({ XDG_CONFIG_HOME: '/y' })).toBe('/y/tapdesk');
  });

  it('what is saved on the Networks screen is what the next start uses', async () => {
    const dir = tempDir();
    const first = await createCore({ mode: 'browser', pcsc: false, demo: 'off', settings: new SettingsStore(dir) });
    first.setChainSettings(SAVED);
    await first.close();
    const second = await createCore({ mode: 'browser', pcsc: false, demo: 'off', settings: new SettingsStore(dir) });
    expect(second.chainSettings()).toMatchObject({ eth: { chainId: 11155111, rpcUrl: 'https://rpc.example' }, btc: { network: 'signet' } });
    await second.close();
  });

  it('chains given at start (the demo chains) win over saved settings, and a broken file is ignored with a notice', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'networks.json'), '{"eth": {"rpcUrl": "file:///etc/passwd"}}');
    const store = new SettingsStore(dir);
    expect(store.load().settings).toBeNull();
    const core = await createCore({ mode: 'browser', pcsc: false, demo: 'off', settings: store });
    expect(core.chainSettings().eth.chainId).toBe(1);
    expect(core.appInfo().notices.some((n) => n.includes('networks.json'))).toBe(true);
    await core.close();
  });
});
