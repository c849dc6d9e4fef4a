import { describe, expect, it } from 'vitest';
import { balanceOf, discoverAccount, listUtxos } from './discovery.ts';
import { isBtcError } from './errors.ts';
import { fakeBackend, fakeTxid, testAccount } from './test-fixtures.ts';

const account = testAccount('regtest');

describe('discoverAccount', () => {
  it('stops after 20 unused addresses on each chain: an empty wallet costs one window of lookups per chain', async () => {
    const { backend, calls } = fakeBackend({});
    const scan = await discoverAccount(account, backend);
    expect(scan.receive).toEqual({ used: [], nextIndex: 0, scanned: 20, truncated: false });
    expect(scan.change).toEqual({ used: [], nextIndex: 0, scanned: 20, truncated: false });
    expect(calls.history).toHaveLength(40);
    expect(new Set(calls.history).size).toBe(40);
  });

  it('finds used addresses across gaps shorter than the limit, and the next fresh index', async () => {
    const history = {
      [account.address(0, 0)]: 2,
      [account.address(0, 19)]: 1,
      [account.address(0, 38)]: 1,
      // 20 unused after 38, so 59 is never looked at.
      [account.address(0, 59)]: 1,
      [account.address(1, 3)]: 4,
    };
    const { backend, calls } = fakeBackend(history);
    const scan = await discoverAccount(account, backend);
    expect(scan.receive.used.map((u) => [u.index, u.txCount])).toEqual([
      [0, 2],
      [19, 1],
      [38, 1],
    ]);
    expect(scan.receive.nextIndex).toBe(39);
    expect(scan.receive.scanned).toBe(59);
    expect(scan.change.used.map((u) => u.path)).toEqual(["m/84'/1'/0'/1/3"]);
    expect(scan.change.nextIndex).toBe(4);
    expect(calls.history).not.toContain(account.address(0, 59));
  });

  it('takes a gap limit, and refuses a silly one', async () => {
    const { backend } = fakeBackend({ [account.address(0, 5)]: 1 });
    expect((await discoverAccount(account, backend, { gapLimit: 5 })).receive.used).toEqual([]);
    expect((await discoverAccount(account, backend, { gapLimit: 6 })).receive.nextIndex).toBe(6);
    await expect(discoverAccount(account, backend, { gapLimit: 0 })).rejects.toSatisfy((e) => isBtcError(e, 'INVALID_ARGUMENT'));
  });

  it('stops when cancelled, and lets backend errors through unchanged', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(discoverAccount(account, fakeBackend({}).backend, { signal: controller.signal })).rejects.toSatisfy((e) => isBtcError(e, 'CANCELLED'));
    const down = new Error('backend unreachable');
    const failing = { addressHistory: async () => Promise.reject(down), utxos: async () => [] };
    await expect(discoverAccount(account, failing)).rejects.toBe(down);
  });
});

describe('listUtxos and balanceOf', () => {
  it('lists the coins of used addresses with their place in the account, once each, and sums them', async () => {
    const a = account.describe(0, 0);
    const b = account.describe(1, 2);
    const { backend } = fakeBackend({}, {
      [a.address]: [
        { txid: fakeTxid('x'), vout: 0, value: 10_000, confirmed: true, height: 101 },
        { txid: fakeTxid('y'), vout: 1, value: 2_000, confirmed: false },
      ],
      [b.address]: [{ txid: fakeTxid('x'), vout: 0, value: 10_000, confirmed: true, height: 101 }],
    });
    const utxos = await listUtxos(backend, [a, b]);
    expect(utxos.map((u) => [u.path, u.value, u.confirmed])).toEqual([
      ["m/84'/1'/0'/0/0", 10_000, true],
      ["m/84'/1'/0'/0/0", 2_000, false],
    ]);
    expect(balanceOf(utxos)).toEqual({ confirmed: 10_000, unconfirmed: 2_000, total: 12_000 });
  });

  it('refuses malformed backend data', async () => {
    const a = account.describe(0, 0);
    for (const bad of [{ txid: 'zz', vout: 0, value: 1, confirmed: true }, { txid: fakeTxid('q'), vout: -1, value: 1, confirmed: true }, { txid: fakeTxid('q'), vout: 0, value: 0.5, confirmed: true }]) {
      const { backend } = fakeBackend({}, { [a.address]: [bad] });
      await expect(listUtxos(backend, [a])).rejects.toSatisfy((e) => isBtcError(e));
    }
  });
});
