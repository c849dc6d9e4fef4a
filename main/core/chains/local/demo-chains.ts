/**
 * Demo mode's local chains, both at once: Anvil (Ethereum, chain id 31337) and a litecoind -regtest node
 * behind our Esplora server (one Bitcoin backend type everywhere). Started, funded and stopped by the
 * app's own scripts (scripts/chains.mjs) or in-process by whoever needs them. Coins on them are worth
 * nothing; the chains are labelled as demo chains wherever they are named.
 */
import { AnvilNode } from './anvil.ts';
import { RegtestNode } from './regtest-node.ts';
import { startRegtestEsplora, type RegtestEsplora } from './regtest-esplora.ts';

export const DEMO_ETHEREUM_LABEL = 'Demo chain: local Anvil (Ethereum, chain id 31337)';
export const DEMO_BITCOIN_LABEL = 'Demo chain: local regtest (litecoind 0.21, rltc addresses)';

export interface DemoChainsOptions {
  /** Addresses to fund at start: wei on Anvil (a mined transfer from a dev account). */
  readonly fundEth?: readonly { readonly address: string; readonly wei: bigint }[];
  /** Addresses to fund at start: satoshis on regtest (one confirmed payment each). */
  readonly fundBtc?: readonly { readonly address: string; readonly sats: number }[];
  /** Mine a regtest block this long after each accepted broadcast (default 3 s; 0 turns it off). */
  readonly confirmAfterMs?: number;
}

export interface DemoChains {
  readonly ethereum: { readonly label: string; readonly rpcUrl: string; readonly chainId: number; readonly anvil: AnvilNode };
  readonly bitcoin: {
    readonly label: string;
    /** The Esplora base URL (EsploraClient). */
    readonly esploraUrl: string;
    /** The network's encodings: bech32 `rltc` (wallets/btc/networks.ts `litecoin-regtest`). */
    readonly network: 'litecoin-regtest';
    readonly node: RegtestNode;
    readonly esplora: RegtestEsplora;
  };
  stop(): Promise<void>;
}

export async function startDemoChains(options: DemoChainsOptions = {}): Promise<DemoChains> {
  const [anvil, node] = await Promise.allSettled([AnvilNode.start(), RegtestNode.start()]);
  if (anvil.status === 'rejected' || node.status === 'rejected') {
    if (anvil.status === 'fulfilled') await anvil.value.stop();
    if (node.status === 'fulfilled') await node.value.stop();
    throw anvil.status === 'rejected' ? anvil.reason : (node as PromiseRejectedResult).reason;
  }
  const confirmAfterMs = options.confirmAfterMs ?? 3_000;
  let esplora: RegtestEsplora | undefined;
  try {
    esplora = await startRegtestEsplora({
      rpcUrl: node.value.rpcUrl,
      ...(confirmAfterMs > 0 ? { autoMine: { delayMs: confirmAfterMs, address: node.value.miningAddress } } : {}),
    });
    for (const { address, wei } of options.fundEth ?? []) await anvil.value.fund(address, wei);
    for (const { address, sats } of options.fundBtc ?? []) await node.value.send(address, sats);
    if (options.fundBtc?.length) await node.value.mine(1);
  } catch (error) {
    await esplora?.close();
    await Promise.all([anvil.value.stop(), node.value.stop()]);
    throw error;
  }
  const server = esplora;
  let stopped: Promise<void> | undefined;
  return {
    ethereum: { label: DEMO_ETHEREUM_LABEL, rpcUrl: anvil.value.url, chainId: anvil.value.chainId, anvil: anvil.value },
    bitcoin: { label: DEMO_BITCOIN_LABEL, esploraUrl: server.url, network: 'litecoin-regtest', node: node.value, esplora: server },
    stop: () =>
      (stopped ??= (async () => {
        await server.close();
        await Promise.all([anvil.value.stop(), node.value.stop()]);
      })()),
  };
}
