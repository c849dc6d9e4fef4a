/**
 * Which chains the app talks to, and through which backends (main only: the renderer has no network).
 * Defaults are the public networks with public backends; demo mode and tests point them at the
 * local chains the project's scripts start (Anvil, the regtest node behind its Esplora server).
 * Every backend is labelled so the UI can say which chain a balance is on, and demo chains say so.
 */
import type { ChainSettingsRequest, ChainSettingsView } from '../../preload/contract.ts';
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

export function settingsView(config: ChainsConfig): ChainSettingsView {
  return {
    eth: { rpcUrl: config.eth.rpcUrl, chainId: config.eth.network.chainId, name: config.eth.network.name, demo: config.eth.demo },
    btc: { network: config.btc.network, esploraUrl: config.btc.esploraUrl, demo: config.btc.demo },
  };
}

/** What the Settings screen shows and edits. */
export type { ChainSettingsView } from '../../preload/contract.ts';

/**
 * New settings from the Settings screen: the chain id picks the built-in network (mainnet,
 * Sepolia) or a custom one named by the person; a backend URL on the same host as a demo chain
 * stays marked as demo only if it is unchanged.
 */
export function applySettings(current: ChainsConfig, next: ChainSettingsRequest): ChainsConfig {
  const ethDemo = current.eth.demo && next.eth.rpcUrl === current.eth.rpcUrl && next.eth.chainId === current.eth.network.chainId;
  const btcDemo = current.btc.demo && next.btc.esploraUrl === current.btc.esploraUrl && next.btc.network === current.btc.network;
  return {
    eth: { network: builtInNetwork(next.eth.chainId) ?? customNetwork(next.eth.chainId, next.eth.name || `Chain ${next.eth.chainId}`, { testnet: true }), rpcUrl: next.eth.rpcUrl, demo: ethDemo },
    btc: { network: next.btc.network, esploraUrl: next.btc.esploraUrl, demo: btcDemo },
  };
}
