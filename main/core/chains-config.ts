/**
 * Which chains the app talks to, and through which backends (main only: the renderer has no network).
 * Defaults are the public networks with public backends; demo mode and tests point them at the
 * local chains the project's scripts start (Anvil, the regtest node behind its Esplora server).
 * Every backend is labelled so the UI can say which chain a balance is on, and demo chains say so.
 */
import { EthereumRpcClient } from './chains/ethereum-rpc.ts';
import type { BtcNetworkName } from './wallets/btc/networks.ts';
import { type EthNetwork, MAINNET, builtInNetwork, customNetwork } from './wallets/eth/networks.ts';

export interface EthChainConfig {
  readonly network: EthNetwork;
  readonly rpcUrl: string;
  /** A local demo chain (labelled as such in the UI). */
  readonly demo: boolean;
}

export interface BtcChainConfig {
  readonly network: BtcNetworkName;
  readonly esploraUrl: string;
  readonly demo: boolean;
}

export interface ChainsConfig {
  readonly eth: EthChainConfig;
  readonly btc: BtcChainConfig;
}

export const DEFAULT_CHAINS: ChainsConfig = {
  eth: { network: MAINNET, rpcUrl: 'https://ethereum-rpc.publicnode.com', demo: false },
  btc: { network: 'mainnet', esploraUrl: 'https://blockstream.info/api', demo: false },
};

/** Local demo chains: Anvil (chain id 31337) and the Litecoin regtest node behind our Esplora server. */
export function demoChains(ethRpcUrl: string, esploraUrl: string, ethChainId = 31337): ChainsConfig {
  return {
    eth: { network: builtInNetwork(ethChainId) ?? customNetwork(ethChainId, 'Anvil (demo chain)', { testnet: true }), rpcUrl: ethRpcUrl, demo: true },
    btc: { network: 'litecoin-regtest', esploraUrl, demo: true },
  };
}

export function ethClient(config: EthChainConfig): EthereumRpcClient {
  return new EthereumRpcClient({ url: config.rpcUrl });
}
