/**
 * Ethereum accounts on the card: m/44'/60'/0'/0/N (the path MetaMask, Ledger Live "legacy" excepted,
 * and most wallets use), the address computed from the card's public key (keccak256 of the
 * uncompressed point, EIP-55 checksum).
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { SigningKey, computeAddress, hexlify } from 'ethers';
import type { CardSigner } from '../signer.ts';
import { EthError } from './errors.ts';

export interface EthAccount {
  readonly index: number;
  readonly path: string;
  /** EIP-55 checksummed. */
  readonly address: string;
  /** The card's key on `path`, 33 bytes compressed, 0x-hex. */
  readonly publicKey: string;
}

const MAX_INDEX = 0x7fffffff;

export function ethPath(index: number): string {
  if (!Number.isSafeInteger(index) || index < 0 || index > MAX_INDEX) {
    throw new EthError('INVALID_ARGUMENT', `an account index is an integer from 0 to ${MAX_INDEX}`, { field: 'index', actual: String(index) });
  }
  return `m/44'/60'/0'/0/${index}`;
}

/** The address of a 33-byte compressed secp256k1 key (BAD_CARD_KEY if it is not one). */
export function addressOfKey(publicKey: Uint8Array): string {
  if (publicKey.length !== 33 || (publicKey[0] !== 0x02 && publicKey[0] !== 0x03)) {
    throw new EthError('BAD_CARD_KEY', 'the card key is not a 33-byte compressed point', { actual: publicKey.length });
  }
  try {
    secp256k1.Point.fromBytes(publicKey);
  } catch {
    throw new EthError('BAD_CARD_KEY', 'the card key is not on secp256k1');
  }
  return computeAddress(SigningKey.computePublicKey(publicKey, false));
}

/** Reads the card's key on account `index` (one card command) and returns the account. */
export async function ethAccount(signer: CardSigner, index = 0): Promise<EthAccount> {
  const path = ethPath(index);
  const node = await signer.node(path);
  return { index, path, address: addressOfKey(node.publicKey), publicKey: hexlify(node.publicKey) };
}

/** An account given back to us (e.g. across IPC) must be self-consistent before we sign for it. */
export function checkAccount(account: EthAccount): void {
  if (ethPath(account.index) !== account.path) {
    throw new EthError('INVALID_ARGUMENT', 'the account path is not its index', { field: 'account.path', path: account.path });
  }
  const key = /^0x[0-9a-f]{66}$/.test(account.publicKey) ? Uint8Array.from(Buffer.from(account.publicKey.slice(2), 'hex')) : new Uint8Array();
  if (addressOfKey(key) !== account.address) {
    throw new EthError('INVALID_ARGUMENT', 'the account address is not its public key', { field: 'account.address', address: account.address });
  }
}
