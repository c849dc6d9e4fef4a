/**
 * EIP-1559 transactions: built from a request (every field checked), and signed with the card.
 * Signing: digest = keccak256 of the unsigned serialization (Transaction.unsignedHash), the card's
 * verified low-S signature, yParity from its recovery id, then the sender recovered from the signed
 * transaction must be the card's address before the raw transaction is returned. Every check on the
 * input runs before the card is asked for anything.
 */
import { Transaction, getBytes } from 'ethers';
import type { CardSigner } from '../signer.ts';
import { type EthAccount, checkAccount } from './account.ts';
import { EthError } from './errors.ts';
import { MAX_UINT256, MAX_UINT64, type Quantity, parseAddress, parseHexData, parseQuantity } from './fields.ts';
import { parseUnsignedTransaction } from './import.ts';
import { type EthNetwork, checkChainId } from './networks.ts';
import { checkSignature, checkSigner, ethSignature } from './signature.ts';
import { checkTransaction } from './validate.ts';

/** What a send form (or a caller that filled nonce and fees from the chain) asks for. Quantities in wei. */
export interface EthTxRequest {
  readonly to: string;
  readonly value: Quantity;
  /** Calldata, 0x-hex (default none). */
  readonly data?: string;
  readonly nonce: Quantity;
  readonly gasLimit: Quantity;
  readonly maxFeePerGas: Quantity;
  readonly maxPriorityFeePerGas: Quantity;
  /** When given, must be the network's. */
  readonly chainId?: Quantity;
}

/** A checked, unsigned EIP-1559 transaction on `network`. */
export function buildTransaction(request: EthTxRequest, network: EthNetwork): Transaction {
  if (typeof request !== 'object' || request === null) throw new EthError('INVALID_ARGUMENT', 'a transaction request is an object');
  const to = parseAddress(request.to, 'to');
  const value = parseQuantity(request.value, { field: 'value', max: MAX_UINT256 });
  const data = request.data === undefined ? '0x' : parseHexData(request.data, 'data');
  const nonce = parseQuantity(request.nonce, { field: 'nonce', max: MAX_UINT64 - 1n });
  const gasLimit = parseQuantity(request.gasLimit, { field: 'gasLimit', max: MAX_UINT64, positive: true });
  const maxFeePerGas = parseQuantity(request.maxFeePerGas, { field: 'maxFeePerGas', max: MAX_UINT256, positive: true });
  const maxPriorityFeePerGas = parseQuantity(request.maxPriorityFeePerGas, { field: 'maxPriorityFeePerGas', max: MAX_UINT256 });
  if (request.chainId !== undefined) checkChainId(network, parseQuantity(request.chainId, { field: 'chainId', max: MAX_UINT256 }));
  if (nonce > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new EthError('VALUE_OVERFLOW', 'a nonce above 2^53 - 1 is not supported', { field: 'nonce', actual: nonce.toString() });
  }
  const tx = Transaction.from({
    type: 2,
    chainId: BigInt(network.chainId),
    to,
    value,
    data,
    nonce: Number(nonce),
    gasLimit,
    maxFeePerGas,
    maxPriorityFeePerGas,
    accessList: [],
  });
  checkTransaction(tx, network);
  return tx;
}

export interface SignedEthTx {
  /** The signed serialized transaction, ready for eth_sendRawTransaction. */
  readonly raw: string;
  readonly hash: string;
  /** The recovered sender: the card's address. */
  readonly from: string;
  readonly chainId: number;
  readonly nonce: number;
}

/**
 * Signs `unsigned` (a Transaction, or its unsigned serialization / JSON as accepted by
 * parseUnsignedTransaction) with the card key of `account`. The input is re-read and re-checked
 * here, so what is signed is exactly what the unsigned serialization says.
 */
export async function signTransaction(signer: CardSigner, account: EthAccount, unsigned: Transaction | string, network: EthNetwork): Promise<SignedEthTx> {
  checkAccount(account);
  if (typeof unsigned !== 'string') {
    if (unsigned.signature) throw new EthError('ALREADY_SIGNED', 'the transaction is already signed', { hash: unsigned.hash ?? undefined });
    checkTransaction(unsigned, network);
  }
  const tx = parseUnsignedTransaction(typeof unsigned === 'string' ? unsigned : unsigned.unsignedSerialized, network, { account });
  const digest = tx.unsignedHash;

  const signed = await signer.signDigest(account.path, getBytes(digest));
  const signature = ethSignature(signed, account);
  checkSignature(signature, digest, account);
  const result = tx.clone();
  result.signature = signature;
  const raw = result.serialized;
  // Read back what will be broadcast: the sender a node will see must be the card.
  const broadcast = Transaction.from(raw);
  checkSignature(broadcast.signature, broadcast.unsignedHash, account);
  checkSigner(broadcast.from, account);
  if (broadcast.unsignedHash !== digest) throw new EthError('BAD_SIGNATURE', 'the signed transaction is not the one approved');
  return { raw, hash: broadcast.hash!, from: broadcast.from!, chainId: network.chainId, nonce: broadcast.nonce };
}
