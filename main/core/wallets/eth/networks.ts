/**
 * Ethereum networks the wallet signs for: mainnet, Sepolia, and custom chains (Anvil, a devnet) given
 * by chain id and name. A network is plain data; the chain id in it is what every transaction and
 * EIP-712 domain is checked against.
 */
import { EthError } from './errors.ts';

export type EthNetworkKind = 'mainnet' | 'sepolia' | 'custom';

export interface EthNetwork {
  readonly kind: EthNetworkKind;
  /** A positive safe integer (EIP-155). */
  readonly chainId: number;
  readonly name: string;
  /** Coins on it have no value (shown on every approval). */
  readonly testnet: boolean;
}

export const MAINNET: EthNetwork = Object.freeze({ kind: 'mainnet', chainId: 1, name: 'Ethereum mainnet', testnet: false });
export const SEPOLIA: EthNetwork = Object.freeze({ kind: 'sepolia', chainId: 11155111, name: 'Sepolia', testnet: true });
export const ANVIL_CHAIN_ID = 31337;

const BUILT_IN: readonly EthNetwork[] = [MAINNET, SEPOLIA];
const MAX_NAME = 64;

/**
 * A custom network. Its chain id must not be a built-in one (use MAINNET / SEPOLIA), so that a custom
 * "mainnet" cannot be labelled as a test chain. Custom chains count as test chains unless said otherwise.
 */
export function customNetwork(chainId: number, name: string, options: { testnet?: boolean } = {}): EthNetwork {
  if (!Number.isSafeInteger(chainId) || chainId <= 0) {
    throw new EthError('INVALID_NETWORK', 'a chain id is a positive integer', { field: 'chainId', actual: String(chainId) });
  }
  const builtIn = BUILT_IN.find((network) => network.chainId === chainId);
  if (builtIn) {
    throw new EthError('INVALID_NETWORK', `chain id ${chainId} is ${builtIn.name}, not a custom network`, { field: 'chainId', actual: chainId });
  }
  const trimmed = typeof name === 'string' ? name.trim() : '';
  if (!trimmed || trimmed.length > MAX_NAME || /[\u0000-\u001f\u007f]/.test(trimmed)) {
    throw new EthError('INVALID_NETWORK', `a network name is 1 to ${MAX_NAME} printable characters`, { field: 'name' });
  }
  return Object.freeze({ kind: 'custom', chainId, name: trimmed, testnet: options.testnet ?? true });
}

/** The built-in network with this chain id, or undefined. */
export function builtInNetwork(chainId: number): EthNetwork | undefined {
  return BUILT_IN.find((network) => network.chainId === chainId);
}

/** The network `chainId` must be on, else CHAIN_ID_MISMATCH naming `field`. */
export function checkChainId(network: EthNetwork, chainId: bigint | number, field = 'chainId'): void {
  if (BigInt(chainId) !== BigInt(network.chainId)) {
    throw new EthError('CHAIN_ID_MISMATCH', `chain id ${chainId} is not ${network.name}'s (${network.chainId})`, {
      field,
      expected: network.chainId,
      actual: String(chainId),
    });
  }
}
