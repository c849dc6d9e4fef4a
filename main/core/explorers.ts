/**
 * Block-explorer links, built by main only, from fixed templates per network; the id is checked
 * first (64 hex digits, 0x-prefixed for Ethereum). Local and custom chains have no explorer.
 * Front ends open a link only when `isExplorerUrl` says it is one of these.
 */
import type { BtcNetworkName } from './wallets/btc/networks.ts';

const BTC_TEMPLATES: Partial<Record<BtcNetworkName, string>> = {
  mainnet: 'https://mempool.space/tx/',
  testnet: 'https://mempool.space/testnet/tx/',
  signet: 'https://mempool.space/signet/tx/',
};

const ETH_TEMPLATES: Readonly<Record<number, string>> = {
  1: 'https://etherscan.io/tx/',
  11155111: 'https://sepolia.etherscan.io/tx/',
};

export function btcExplorerUrl(network: BtcNetworkName, txid: string): string | null {
  const base = BTC_TEMPLATES[network];
  return base && /^[0-9a-f]{64}$/.test(txid) ? base + txid : null;
}

export function ethExplorerUrl(chainId: number, hash: string): string | null {
  const base = ETH_TEMPLATES[chainId];
  return base && /^0x[0-9a-f]{64}$/.test(hash) ? base + hash : null;
}

/** True only for a link these templates make (what a front end may open outside the app). */
export function isExplorerUrl(url: string): boolean {
  const bases = [...Object.values(BTC_TEMPLATES), ...Object.values(ETH_TEMPLATES)];
  return bases.some((base) => url.startsWith(base!) && /^(0x)?[0-9a-f]{64}$/.test(url.slice(base!.length)));
}
