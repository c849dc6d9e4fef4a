/**
 * The approval views: what the approval window shows, built from main's own decoding of the request
 * (never from what the asking renderer says it is). Plain JSON-serialisable data: wei amounts as
 * decimal strings next to their ETH / gwei text, addresses checksummed, hashes as 0x-hex, and warnings
 * from one closed list.
 */
import { type Transaction, ZeroAddress, formatEther, formatUnits, hashMessage, hexlify } from 'ethers';
import type { EthAccount } from './account.ts';
import { type EthCall, decodeCall } from './calldata.ts';
import { parseUnsignedTransaction } from './import.ts';
import { type PersonalMessage, personalMessageBytes } from './messages.ts';
import type { EthNetwork } from './networks.ts';
import { type TypedDataLeaf, parseTypedData } from './typed-data.ts';
import { checkTransaction } from './validate.ts';

export type EthWarningCode =
  /** Calldata we do not decode: the contract may do anything. */
  | 'UNKNOWN_CONTRACT_CALL'
  /** ERC-20 approve: the spender may move the card's tokens later, without asking. */
  | 'TOKEN_APPROVAL'
  /** An approval (or permit) of an unlimited or practically unlimited amount. */
  | 'UNLIMITED_APPROVAL'
  /** ERC-20 transfer to the token contract itself: such tokens are usually lost. */
  | 'TOKEN_TO_ITSELF'
  /** ETH value sent along with a token call. */
  | 'VALUE_WITH_TOKEN_CALL'
  /** No `to`: the calldata deploys a new contract. */
  | 'CONTRACT_DEPLOYMENT'
  /** To the zero address: whatever is sent is burnt. */
  | 'BURN_ADDRESS'
  /** The maximum fee is above 10% of the value sent. */
  | 'HIGH_FEE'
  /** EIP-712 domain without a chain id: the signature is valid on every chain. */
  | 'NO_DOMAIN_CHAIN_ID'
  /** EIP-712 permit: a signature that lets a spender move tokens (no transaction needed). */
  | 'TOKEN_PERMIT'
  /** A personal_sign message that is not plain text: what it authorises cannot be read. */
  | 'BLIND_MESSAGE'
  /** The network's coins have no value. */
  | 'TEST_NETWORK';

export interface EthWarning {
  readonly code: EthWarningCode;
  readonly message: string;
}

export interface EthNetworkView {
  readonly chainId: number;
  readonly name: string;
  readonly testnet: boolean;
}

export interface EthAmountView {
  readonly wei: string;
  readonly eth: string;
}

export interface GasPriceView {
  readonly wei: string;
  readonly gwei: string;
}

/** How many of a token's smallest units, with the symbol and decimals when the caller knows the token. */
export interface TokenAmountView {
  readonly units: string;
  readonly formatted: string | null;
  readonly symbol: string | null;
}

export type EthCallView =
  | Exclude<EthCall, { kind: 'erc20-transfer' | 'erc20-approve' }>
  | (Extract<EthCall, { kind: 'erc20-transfer' }> & { readonly tokenAmount: TokenAmountView })
  | (Extract<EthCall, { kind: 'erc20-approve' }> & { readonly tokenAmount: TokenAmountView });

export interface EthTransactionView {
  readonly kind: 'eth-transaction';
  readonly network: EthNetworkView;
  readonly txType: 'eip1559' | 'eip2930' | 'legacy-eip155';
  /** The card account that will sign, when known. */
  readonly from: string | null;
  /** null: contract deployment. */
  readonly to: string | null;
  readonly value: EthAmountView;
  readonly nonce: number;
  readonly gasLimit: string;
  readonly maxFeePerGas: GasPriceView | null;
  readonly maxPriorityFeePerGas: GasPriceView | null;
  readonly gasPrice: GasPriceView | null;
  /** gas limit * max fee per gas (or gas price): the most this transaction can cost in fees. */
  readonly maxFee: EthAmountView;
  /** value + max fee. */
  readonly maxTotal: EthAmountView;
  readonly call: EthCallView;
  readonly accessList: readonly { readonly address: string; readonly storageKeys: number }[];
  /** The digest the card will sign (keccak256 of the unsigned serialization). */
  readonly signingHash: string;
  /** The unsigned serialization: what an approval is bound to and what is signed. */
  readonly unsigned: string;
  readonly warnings: readonly EthWarning[];
}

export interface EthTypedDataView {
  readonly kind: 'eth-typed-data';
  readonly network: EthNetworkView;
  readonly from: string | null;
  readonly primaryType: string;
  readonly domain: readonly TypedDataLeaf[];
  readonly fields: readonly TypedDataLeaf[];
  readonly domainSeparator: string;
  /** hashStruct of the message (its primary type). */
  readonly messageHash: string;
  /** keccak256(0x1901 || domainSeparator || messageHash): what the card signs. */
  readonly digest: string;
  readonly warnings: readonly EthWarning[];
}

export interface EthPersonalMessageView {
  readonly kind: 'eth-personal-message';
  readonly from: string | null;
  /** utf8: `text` is the message; hex: it is not plain text, read `hex`. */
  readonly encoding: 'utf8' | 'hex';
  readonly text: string | null;
  readonly hex: string;
  readonly bytes: number;
  /** EIP-191 hash: what the card signs. */
  readonly hash: string;
  readonly warnings: readonly EthWarning[];
}

export interface KnownToken {
  readonly symbol: string;
  readonly decimals: number;
}

export interface DescribeOptions {
  readonly account?: EthAccount;
  /** Tokens the caller knows, by checksummed contract address (for amounts in token units). */
  readonly tokens?: ReadonlyMap<string, KnownToken>;
}

const PRACTICALLY_UNLIMITED = 1n << 128n;

export function describeTransaction(input: Transaction | string, network: EthNetwork, options: DescribeOptions = {}): EthTransactionView {
  let tx: Transaction;
  if (typeof input === 'string') tx = parseUnsignedTransaction(input, network, options.account ? { account: options.account } : {});
  else {
    checkTransaction(input, network);
    tx = input;
  }
  const type = tx.type ?? 2;
  const feePerGas = type === 2 ? tx.maxFeePerGas! : tx.gasPrice!;
  const maxFee = tx.gasLimit * feePerGas;
  const call = callView(decodeCall(tx.to, tx.data), options.tokens);
  const warnings: EthWarning[] = [];
  if (network.testnet) warnings.push({ code: 'TEST_NETWORK', message: `${network.name} is a test network: its coins have no value` });
  if (tx.to === ZeroAddress) warnings.push({ code: 'BURN_ADDRESS', message: 'this sends to the zero address: it is burnt' });
  warnings.push(...callWarnings(call, tx.value));
  if (tx.value > 0n && maxFee * 10n > tx.value) {
    warnings.push({ code: 'HIGH_FEE', message: `the maximum fee (${formatEther(maxFee)} ETH) is above 10% of the value sent` });
  }
  return {
    kind: 'eth-transaction',
    network: networkView(network),
    txType: type === 2 ? 'eip1559' : type === 1 ? 'eip2930' : 'legacy-eip155',
    from: options.account?.address ?? null,
    to: tx.to,
    value: ether(tx.value),
    nonce: tx.nonce,
    gasLimit: tx.gasLimit.toString(),
    maxFeePerGas: type === 2 ? gwei(tx.maxFeePerGas!) : null,
    maxPriorityFeePerGas: type === 2 ? gwei(tx.maxPriorityFeePerGas!) : null,
    gasPrice: type === 2 ? null : gwei(tx.gasPrice!),
    maxFee: ether(maxFee),
    maxTotal: ether(tx.value + maxFee),
    call,
    accessList: (tx.accessList ?? []).map((entry) => ({ address: entry.address, storageKeys: entry.storageKeys.length })),
    signingHash: tx.unsignedHash,
    unsigned: tx.unsignedSerialized,
    warnings,
  };
}

function callView(call: EthCall, tokens: ReadonlyMap<string, KnownToken> | undefined): EthCallView {
  if (call.kind !== 'erc20-transfer' && call.kind !== 'erc20-approve') return call;
  const token = tokens?.get(call.token);
  const tokenAmount: TokenAmountView = {
    units: call.amount,
    formatted: token && !(call.kind === 'erc20-approve' && call.unlimited) ? formatUnits(BigInt(call.amount), token.decimals) : null,
    symbol: token?.symbol ?? null,
  };
  return { ...call, tokenAmount };
}

function callWarnings(call: EthCallView, value: bigint): EthWarning[] {
  switch (call.kind) {
    case 'unknown':
      return [{ code: 'UNKNOWN_CONTRACT_CALL', message: `unknown contract call${call.selector ? ` (selector ${call.selector})` : ''}: the contract may do anything with this call` }];
    case 'deploy':
      return [{ code: 'CONTRACT_DEPLOYMENT', message: `this deploys a new contract (${call.bytes} bytes of code)` }];
    case 'erc20-transfer':
      return [
        ...(call.recipient === call.token ? [{ code: 'TOKEN_TO_ITSELF' as const, message: 'the tokens are sent to the token contract itself: they are usually lost' }] : []),
        ...(value > 0n ? [{ code: 'VALUE_WITH_TOKEN_CALL' as const, message: `${formatEther(value)} ETH is sent along with the token transfer` }] : []),
      ];
    case 'erc20-approve': {
      const amount = BigInt(call.amount);
      return [
        {
          code: 'TOKEN_APPROVAL',
          message: amount === 0n ? `this revokes ${call.spender}'s allowance on token ${call.token}` : `${call.spender} may spend the card's tokens of contract ${call.token} later, without asking`,
        },
        ...(amount >= PRACTICALLY_UNLIMITED
          ? [{ code: 'UNLIMITED_APPROVAL' as const, message: `${call.unlimited ? 'unlimited' : 'practically unlimited'} approval: ${call.spender} may take every token of this kind the account ever holds` }]
          : []),
        ...(value > 0n ? [{ code: 'VALUE_WITH_TOKEN_CALL' as const, message: `${formatEther(value)} ETH is sent along with the approval` }] : []),
      ];
    }
    case 'none':
      return [];
  }
}

export function describeTypedData(input: unknown, network: EthNetwork, options: { account?: EthAccount } = {}): EthTypedDataView {
  const parsed = parseTypedData(input, network);
  const warnings: EthWarning[] = [];
  if (network.testnet) warnings.push({ code: 'TEST_NETWORK', message: `${network.name} is a test network` });
  if (parsed.domain.chainId === undefined) warnings.push({ code: 'NO_DOMAIN_CHAIN_ID', message: 'the domain has no chain id: this signature is valid on every chain' });
  if (/^permit/i.test(parsed.primaryType)) {
    warnings.push({ code: 'TOKEN_PERMIT', message: `a ${parsed.primaryType} signature lets a spender move tokens without any further transaction from this account` });
    const huge = parsed.leaves.some((leaf) => /^uint/.test(leaf.type) && /(^|\.)(value|amount)$/i.test(leaf.path) && BigInt(leaf.value as string) >= PRACTICALLY_UNLIMITED);
    if (huge) warnings.push({ code: 'UNLIMITED_APPROVAL', message: 'the permitted amount is unlimited or practically unlimited' });
  }
  return {
    kind: 'eth-typed-data',
    network: networkView(network),
    from: options.account?.address ?? null,
    primaryType: parsed.primaryType,
    domain: parsed.domainLeaves,
    fields: parsed.leaves,
    domainSeparator: parsed.domainSeparator,
    messageHash: parsed.messageHash,
    digest: parsed.digest,
    warnings,
  };
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
/** Control characters (but tab and newlines), bidi overrides and zero-width characters make text read as something it is not. */
const MISLEADING = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb]/;

export function describePersonalMessage(message: PersonalMessage, options: { account?: EthAccount } = {}): EthPersonalMessageView {
  const bytes = personalMessageBytes(message);
  let text: string | null = null;
  try {
    const decoded = utf8.decode(bytes);
    if (!MISLEADING.test(decoded)) text = decoded;
  } catch {
    text = null;
  }
  const warnings: EthWarning[] = [];
  if (text === null) {
    warnings.push({
      code: 'BLIND_MESSAGE',
      message:
        bytes.length === 32
          ? 'the message is 32 raw bytes, likely a hash: signing it may authorise anything (a transaction, a permit)'
          : 'the message is not plain text: what it authorises cannot be read',
    });
  }
  return {
    kind: 'eth-personal-message',
    from: options.account?.address ?? null,
    encoding: text === null ? 'hex' : 'utf8',
    text,
    hex: hexlify(bytes),
    bytes: bytes.length,
    hash: hashMessage(bytes),
    warnings,
  };
}

function networkView(network: EthNetwork): EthNetworkView {
  return { chainId: network.chainId, name: network.name, testnet: network.testnet };
}

function ether(wei: bigint): EthAmountView {
  return { wei: wei.toString(), eth: formatEther(wei) };
}

function gwei(wei: bigint): GasPriceView {
  return { wei: wei.toString(), gwei: formatUnits(wei, 'gwei') };
}
