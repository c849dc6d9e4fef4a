/**
 * The one closed list of errors the Bitcoin wallet layer raises (networks, accounts, coin selection,
 * PSBTs). Same shape as DriverError and SatochipError (modelled on ethers v6): a `code` from a closed
 * union, named fields in `info`, messages as `message (code=X, field=...)`, and `isBtcError` to narrow.
 *
 * Errors from the card (SatochipError, DriverError, ...) and from the chain backend pass through
 * unchanged: this list is only about what the wallet itself checks or refuses.
 */
import { CodedError, codedErrorGuard } from '../../../../drivers/errors.ts';

export type BtcErrorCode =
  /** An argument is out of range or of the wrong kind (account index, path, gap limit, option). */
  | 'INVALID_ARGUMENT'
  /** No network with that name. */
  | 'UNKNOWN_NETWORK'
  /** Not an address: bad checksum, bad length, unknown prefix, unsupported witness version. */
  | 'INVALID_ADDRESS'
  /** A valid address of another network (`info.network` expected, `info.addressNetworks` found). */
  | 'WRONG_NETWORK'
  /** An amount that is not a positive integer number of satoshis (`info.reason`). */
  | 'INVALID_AMOUNT'
  /** An amount (or a sum of amounts) above 21,000,000 BTC. */
  | 'AMOUNT_OVERFLOW'
  /** An output below the dust threshold of its script type (`info.threshold`). */
  | 'DUST_OUTPUT'
  /** The spendable coins do not cover the amount plus the fee (`info.needed`, `info.available`). */
  | 'INSUFFICIENT_FUNDS'
  /** A fee rate that is not a finite number at or above the minimum relay rate. */
  | 'INVALID_FEE_RATE'
  /** A fee rate above the absurd threshold (`info.maximum`, sat/vB). */
  | 'FEE_RATE_ABSURD'
  /** An extended public key that does not parse, or is not the account node it should be. */
  | 'INVALID_XPUB'
  /** A PSBT that does not parse (base64, hex or binary) or breaks a consensus rule (`info.reason`). */
  | 'INVALID_PSBT'
  /** An input the card should sign has neither witnessUtxo nor nonWitnessUtxo. */
  | 'MISSING_UTXO'
  /** An input's nonWitnessUtxo is not the transaction it spends, or contradicts its witnessUtxo. */
  | 'UTXO_MISMATCH'
  /** None of the PSBT's inputs belongs to the card's account (or all are signed already). */
  | 'NOTHING_TO_SIGN'
  /** An input of the card's account whose script type this wallet does not sign (`info.scriptType`). */
  | 'UNSUPPORTED_SCRIPT_TYPE'
  /** An input asks for a sighash type other than SIGHASH_ALL. */
  | 'UNSUPPORTED_SIGHASH'
  /** The card cannot make BIP340 Schnorr signatures, so it cannot sign taproot (BIP86) inputs. */
  | 'SCHNORR_UNSUPPORTED'
  /** The card's key is not the key the account derives (another card on the reader, or a forged PSBT key). */
  | 'KEY_MISMATCH'
  /** The address the card derives is not the one shown (verify on card). */
  | 'ADDRESS_MISMATCH'
  /** A signature from the card does not verify against the input's key and sighash. */
  | 'SIGNATURE_INVALID'
  /** The PSBT cannot be finalized (`info.input`: an input without its signature). */
  | 'PSBT_NOT_FINALIZABLE'
  /** The caller cancelled (AbortSignal) before the work finished. */
  | 'CANCELLED';

export const BTC_ERROR_CODES: readonly BtcErrorCode[] = [
  'INVALID_ARGUMENT',
  'UNKNOWN_NETWORK',
  'INVALID_ADDRESS',
  'WRONG_NETWORK',
  'INVALID_AMOUNT',
  'AMOUNT_OVERFLOW',
  'DUST_OUTPUT',
  'INSUFFICIENT_FUNDS',
  'INVALID_FEE_RATE',
  'FEE_RATE_ABSURD',
  'INVALID_XPUB',
  'INVALID_PSBT',
  'MISSING_UTXO',
  'UTXO_MISMATCH',
  'NOTHING_TO_SIGN',
  'UNSUPPORTED_SCRIPT_TYPE',
  'UNSUPPORTED_SIGHASH',
  'SCHNORR_UNSUPPORTED',
  'KEY_MISMATCH',
  'ADDRESS_MISMATCH',
  'SIGNATURE_INVALID',
  'PSBT_NOT_FINALIZABLE',
  'CANCELLED',
];

/** Named facts about an error: plain values only, never a key or a seed. */
export type BtcErrorInfo = Readonly<Record<string, string | number | boolean | readonly string[] | undefined>>;

export class BtcError extends CodedError<BtcErrorCode, BtcErrorInfo> {
  constructor(code: BtcErrorCode, message: string, info: BtcErrorInfo = {}, options?: { cause?: unknown }) {
    super('BtcError', code, message, info, options);
  }
}

export const isBtcError = codedErrorGuard(BtcError);

/** The message of a foreign error, for `info.reason`. */
export function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** CANCELLED when `signal` has been aborted. */
export function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new BtcError('CANCELLED', 'cancelled', { reason: signal.reason instanceof Error ? signal.reason.message : undefined });
}
