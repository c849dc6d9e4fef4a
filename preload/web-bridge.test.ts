import { describe, expect, it } from 'vitest';
import { BridgeError } from './contract.ts';
import { TOKEN_STORAGE_KEY, createBrowserModeApi, readTokenFromFragment } from './web-bridge.ts';

const TOKEN = 'ab'.repeat(32);

function fakes(hash: string, stored: string | null = null) {
  const store = new Map<string, string>(stored ? [[TOKEN_STORAGE_KEY, stored]] : []);
  const replaced: string[] = [];
  const location = { hash, host: '127.0.0.1:5000', pathname: '/', search: '' } as Location;
  const history = { replaceState: (_s: unknown, _t: string, url: string) => replaced.push(url) } as unknown as History;
  const storage = { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => void store.set(k, v) } as unknown as Storage;
  return { location, history, storage, store, replaced };
}

describe('browser-mode token handling', () => {
  it('reads only a hex token of sane length from the fragment', () => {
    expect(readTokenFromFragment(`#token=${TOKEN}`)).toBe(TOKEN);
    expect(readTokenFromFragment(`#x=1&token=${TOKEN}`)).toBe(TOKEN);
    expect(readTokenFromFragment('#token=xyz')).toBeNull();
    expect(readTokenFromFragment('#token=abcd')).toBeNull();
    expect(readTokenFromFragment('')).toBeNull();
  });

  it('moves the token from the address bar into this tab’s storage', () => {
    const f = fakes(`#token=${TOKEN}`);
    const api = createBrowserModeApi(f.location, f.history, f.storage);
    expect(Object.isFrozen(api)).toBe(true);
    expect(f.replaced).toEqual(['/']);
    expect(f.store.get(TOKEN_STORAGE_KEY)).toBe(TOKEN);
  });

  it('uses the stored token after a reload, and refuses without any', () => {
    const reload = fakes('', TOKEN);
    expect(() => createBrowserModeApi(reload.location, reload.history, reload.storage)).not.toThrow();
    expect(reload.replaced).toEqual([]);
    const none = fakes('');
    expect(() => createBrowserModeApi(none.location, none.history, none.storage)).toThrow(BridgeError);
    const junk = fakes('', 'not-a-token');
    expect(() => createBrowserModeApi(junk.location, junk.history, junk.storage)).toThrow(/launch token/);
  });
});
