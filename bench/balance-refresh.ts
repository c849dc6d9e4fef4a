/**
 * Balance refresh for 20 addresses against the local backend (issue 4, "Benchmarks"): a real
 * litecoind regtest node behind our Esplora server, the 20 first receive addresses of an account
 * (10 funded). Measured: the wall time of one refresh (EsploraClient.addresses: all 20 in flight at
 * once) divided by the median time of a single address lookup = the refresh's cost in round trips.
 * Target: under 2 round trips (the lookups overlap instead of queueing).
 * Seen here: about 3. The client sends the 20 at once; our regtest server answers each "as of at
 * least the moment of the call", so requests that arrive while an index sync runs wait for the next
 * one (two node syncs per refresh, against one for a single lookup). A public Esplora answers each
 * lookup in one round trip, concurrently.
 */
import { HDKey } from '@scure/bip32';
import { EsploraClient } from '../main/core/chains/esplora.ts';
import { Bip84Account } from '../main/core/wallets/btc/account.ts';
import { RegtestNode } from '../main/core/chains/local/regtest-node.ts';
import { startRegtestEsplora } from '../main/core/chains/local/regtest-esplora.ts';
import { median, round } from './stats.ts';

export interface BalanceRefreshResult {
  readonly addresses: number;
  readonly single_lookup_ms_median: number;
  readonly refresh_ms_median: number;
  readonly round_trips: number;
  readonly target_round_trips: number;
  readonly within_target: boolean;
  readonly runs: number;
  readonly method: string;
}

export async function benchBalanceRefresh(runs = 15): Promise<BalanceRefreshResult> {
  const node = await RegtestNode.start();
  const server = await startRegtestEsplora({ rpcUrl: node.rpcUrl });
  try {
    // An account the node's wallet does not own (its own coins would be spent by the next send).
    const root = HDKey.fromMasterSeed(new Uint8Array(32).fill(7), { private: 0x04358394, public: 0x043587cf });
    const account = Bip84Account.fromXpub(root.derive("m/84'/1'/0'").publicExtendedKey, { network: 'litecoin-regtest', masterFingerprint: new Uint8Array(4) });
    const addresses = account.addresses(0, 0, 20).map((a) => a.address);
    for (const address of addresses.slice(0, 10)) await node.send(address, 1_000_000);
    await node.mine(1);
    const esplora = new EsploraClient({ baseUrl: server.url });
    await esplora.addresses(addresses); // warm-up (index built)
    const single: number[] = [];
    const refresh: number[] = [];
    for (let run = 0; run < runs; run += 1) {
      let started = performance.now();
      await esplora.address(addresses[run % addresses.length]!);
      single.push(performance.now() - started);
      started = performance.now();
      const summaries = await esplora.addresses(addresses);
      refresh.push(performance.now() - started);
      const funded = summaries.filter((s) => s.balance > 0).length;
      if (funded !== 10) throw new Error(`the refresh saw ${funded} funded addresses, 10 expected`);
    }
    const roundTrips = median(refresh) / median(single);
    return {
      addresses: addresses.length,
      single_lookup_ms_median: round(median(single)),
      refresh_ms_median: round(median(refresh)),
      round_trips: round(roundTrips, 2),
      target_round_trips: 2,
      within_target: roundTrips < 2,
      runs,
      method: 'refresh wall time / single GET /address/:a time, medians; EsploraClient.addresses runs the 20 lookups concurrently against our Esplora server over litecoind -regtest on loopback',
    };
  } finally {
    await server.close();
    await node.stop();
  }
}
