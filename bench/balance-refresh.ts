/**
 * Balance refresh for 20 addresses against the local backend (issue 4, "Benchmarks"): a real
 * litecoind regtest node behind our Esplora server, the 20 first receive addresses of an account
 * (10 funded). "Round trips" = the wall time of one refresh (EsploraClient.addresses: all 20 in
 * flight at once) divided by the time of a single address lookup. Target: under 2 (the lookups
 * overlap instead of queueing).
 *
 * A round trip is a network notion: on loopback a lookup costs about as much CPU as latency, so 20
 * lookups through one Node server take ~20x the CPU of one, however well they overlap. The target
 * is therefore judged with a simulated network between client and server (`LATENCY_MS` each way,
 * a relay that holds every request and answer that long, like a backend across the Internet); the
 * loopback figures are reported beside it. Our server syncs its index with the node in one RPC
 * round trip per request burst (a JSON-RPC batch: tip, mempool, tip), and answers "as of at least
 * the moment of the call", so a burst that arrives during a sync waits for one more.
 */
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HDKey } from '@scure/bip32';
import { EsploraClient } from '../main/core/chains/esplora.ts';
import { Bip84Account } from '../main/core/wallets/btc/account.ts';
import { RegtestNode } from '../main/core/chains/local/regtest-node.ts';
import { startRegtestEsplora } from '../main/core/chains/local/regtest-esplora.ts';
import { median, round } from './stats.ts';

/** One-way delay of the simulated network (a 50 ms round trip: a near public backend). */
export const LATENCY_MS = 25;

export interface RefreshTiming {
  readonly single_lookup_ms_median: number;
  readonly refresh_ms_median: number;
  readonly round_trips: number;
}

export interface BalanceRefreshResult {
  readonly addresses: number;
  /** Judged for the target: client and server LATENCY_MS apart each way. */
  readonly with_network_latency: RefreshTiming & { readonly one_way_latency_ms: number };
  /** The same on loopback (CPU-bound, see the module comment). */
  readonly loopback: RefreshTiming;
  readonly target_round_trips: number;
  readonly within_target: boolean;
  readonly runs: number;
  readonly method: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** An HTTP relay to `target` that delays each request and each answer by `delayMs`. */
async function startLatencyRelay(target: string, delayMs: number): Promise<{ url: string; close(): Promise<void> }> {
  const to = new URL(target);
  const server: Server = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', async () => {
      await sleep(delayMs);
      const forward = httpRequest({ host: to.hostname, port: to.port, path: incoming.url, method: incoming.method, headers: { ...incoming.headers, host: to.host } }, async (answer) => {
        const body: Buffer[] = [];
        for await (const chunk of answer) body.push(chunk as Buffer);
        await sleep(delayMs);
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        outgoing.end(Buffer.concat(body));
      });
      forward.on('error', () => outgoing.destroy());
      forward.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

async function measure(baseUrl: string, addresses: readonly string[], runs: number): Promise<RefreshTiming> {
  const esplora = new EsploraClient({ baseUrl });
  await esplora.addresses(addresses); // warm-up
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
  return { single_lookup_ms_median: round(median(single)), refresh_ms_median: round(median(refresh)), round_trips: round(median(refresh) / median(single), 2) };
}

export async function benchBalanceRefresh(runs = 15): Promise<BalanceRefreshResult> {
  const node = await RegtestNode.start();
  const server = await startRegtestEsplora({ rpcUrl: node.rpcUrl });
  const relay = await startLatencyRelay(server.url, LATENCY_MS);
  try {
    // An account the node's wallet does not own (its own coins would be spent by the next send).
    const root = HDKey.fromMasterSeed(new Uint8Array(32).fill(7), { private: 0x04358394, public: 0x043587cf });
    const account = Bip84Account.fromXpub(root.derive("m/84'/1'/0'").publicExtendedKey, { network: 'litecoin-regtest', masterFingerprint: new Uint8Array(4) });
    const addresses = account.addresses(0, 0, 20).map((a) => a.address);
    for (const address of addresses.slice(0, 10)) await node.send(address, 1_000_000);
    await node.mine(1);
    const withLatency = await measure(relay.url, addresses, runs);
    const loopback = await measure(server.url, addresses, runs);
    return {
      addresses: addresses.length,
      with_network_latency: { ...withLatency, one_way_latency_ms: LATENCY_MS },
      loopback,
      target_round_trips: 2,
      within_target: withLatency.round_trips < 2,
      runs,
      method:
        `refresh wall time / single GET /address/:a time, medians; EsploraClient.addresses runs the 20 lookups concurrently against our Esplora server over litecoind -regtest; ` +
        `judged through a relay adding ${LATENCY_MS} ms each way (a network round trip), loopback reported beside it`,
    };
  } finally {
    await relay.close();
    await server.close();
    await node.stop();
  }
}
