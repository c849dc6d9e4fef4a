/**
 * The one closed list of errors the Ethereum wallet layer raises (modelled on ethers v6 ErrorCode /
 * isError, in the message format of every layer: `message (code=X, field=...)`). Every refusal of a
 * bad input is raised before any card command; card and reader failures stay the driver's errors,
 * chain-backend failures stay the chain client's.
 */
import { CodedError, codedErrorGuard } from '../../../../drivers/errors.ts';

export type EthErrorCode =
  /** Not an address: not `0x` + 40 hex digits (ICAP and bare hex are refused too). */
  | 'INVALID_ADDRESS'
  /** A mixed-case address whose EIP-55 checksum is wrong (a typo, most likely). */
  | 'BAD_CHECKSUM'
  /** A quantity or ETH amount that does not parse (not an integer, too many decimals, unsafe number). */
  | 'INVALID_AMOUNT'
  /** Zero where only a positive value makes sense: an ETH send without calldata, a max fee, a gas limit. */
  | 'ZERO_VALUE'
  | 'NEGATIVE_VALUE'
  /** Above the field's range: uint256 for value and fees, uint64 for nonce and gas limit. */
  | 'VALUE_OVERFLOW'
  /** A field outside its rules: calldata not hex, gas limit below the intrinsic gas, priority fee above max fee, ... */
  | 'INVALID_ARGUMENT'
  /** A network that cannot be: chain id out of range, a built-in chain id given as custom, an empty name. */
  | 'INVALID_NETWORK'
  /** The request's (or the backend's, or the EIP-712 domain's) chain id is not the network's. */
  | 'CHAIN_ID_MISMATCH'
  /** Hex or JSON that is not an unsigned transaction we can read exactly. */
  | 'MALFORMED_TRANSACTION'
  /** The transaction given to sign already carries a signature. */
  | 'ALREADY_SIGNED'
  /** A transaction kind we do not sign: legacy without chain id (replayable), blob (type 3), set-code (type 4). */
  | 'UNSUPPORTED_TRANSACTION'
  /** A personal_sign message that is empty, too large, or not text/bytes. */
  | 'INVALID_MESSAGE'
  /** EIP-712 typed data that is malformed or whose values do not match their types. */
  | 'INVALID_TYPED_DATA'
  /** The account's balance does not cover value + gas limit * max fee per gas. */
  | 'INSUFFICIENT_FUNDS'
  /** The card gave a public key that is not a compressed secp256k1 point. */
  | 'BAD_CARD_KEY'
  /** The card's signature is malformed: length, high S, recovery id not 0/1. */
  | 'BAD_SIGNATURE'
  /** The signature recovers to another address than the card's account: nothing is returned or sent. */
  | 'SIGNER_MISMATCH'
  /** The chain backend answered something impossible (negative fee, another hash for our transaction). */
  | 'BAD_CHAIN_DATA'
  /** The transaction was mined but reverted (receipt status 0). */
  | 'TRANSACTION_REVERTED';

export const ETH_ERROR_CODES: readonly EthErrorCode[] = [
  'INVALID_ADDRESS',
  'BAD_CHECKSUM',
  'INVALID_AMOUNT',
  'ZERO_VALUE',
  'NEGATIVE_VALUE',
  'VALUE_OVERFLOW',
  'INVALID_ARGUMENT',
  'INVALID_NETWORK',
  'CHAIN_ID_MISMATCH',
  'MALFORMED_TRANSACTION',
  'ALREADY_SIGNED',
  'UNSUPPORTED_TRANSACTION',
  'INVALID_MESSAGE',
  'INVALID_TYPED_DATA',
  'INSUFFICIENT_FUNDS',
  'BAD_CARD_KEY',
  'BAD_SIGNATURE',
  'SIGNER_MISMATCH',
  'BAD_CHAIN_DATA',
  'TRANSACTION_REVERTED',
];

/** Named facts about an error (JSON-safe: bigints go in as decimal strings). Never a secret. */
export interface EthErrorInfo {
  /** The request field at fault, e.g. "to", "value", "maxFeePerGas", "message.from.wallet". */
  readonly field?: string;
  readonly expected?: string | number;
  readonly actual?: string | number;
  readonly reason?: string;
  readonly path?: string;
  readonly address?: string;
  readonly txType?: number;
  readonly hash?: string;
}

export class EthError extends CodedError<EthErrorCode, EthErrorInfo> {
  constructor(code: EthErrorCode, message: string, info: EthErrorInfo = {}, options?: { cause?: unknown }) {
    super('EthError', code, message, info, options);
  }
}

export const isEthError = codedErrorGuard(EthError);

/** Runs `fn` (usually an ethers call on untrusted input) and turns anything it throws into `code`. */
export function wrapEthers<T>(code: EthErrorCode, message: string, info: EthErrorInfo, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (isEthError(error)) throw error;
    const reason = error instanceof Error ? ((error as { shortMessage?: string }).shortMessage ?? error.message) : String(error);
    throw new EthError(code, message, { ...info, reason: reason.slice(0, 200) }, { cause: error });
  }
}
