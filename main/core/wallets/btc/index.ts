/**
 * The Bitcoin wallet core: BIP84 accounts from a card's xpub, discovery over a chain backend, coin
 * selection, PSBT build/import/sign/finalize through a CardSigner, and the approval view. No Electron,
 * no network I/O. Errors are BtcError (one closed code list, errors.ts); card and backend errors pass
 * through unchanged.
 */
export { Bip84Account, DEFAULT_SCAN_DEPTH, type AccountAddress, type KeyLocation, type VerifiedAddress } from './account.ts';
export { addressNetworks, parseAddress, type ParsedAddress } from './addresses.ts';
export { MAX_MONEY, btcToSats, formatBtc, requireSats } from './amounts.ts';
export type { AddressHistory, BackendUtxo, BtcChainBackend } from './backend.ts';
export { checkRecipients, selectCoins, type Recipient, type Selection, type SpendableUtxo } from './coin-selection.ts';
export { decodePsbtForApproval, type ApprovalInput, type ApprovalOutput, type ApprovalWarning, type ApprovalWarningCode, type BtcApprovalView } from './decode.ts';
export { DEFAULT_GAP_LIMIT, balanceOf, discoverAccount, listUtxos, type AccountScan, type AccountUtxo, type Balance, type ChainScan } from './discovery.ts';
export { BTC_ERROR_CODES, BtcError, isBtcError, type BtcErrorCode } from './errors.ts';
export { ABSURD_FEE_RATE, MIN_FEE_RATE, requireFeeRate } from './fees.ts';
export { BTC_NETWORKS, BTC_NETWORK_NAMES, btcNetwork, isBtcNetworkName, type BtcNetwork, type BtcNetworkName } from './networks.ts';
export { CHANGE, RECEIVE, type AddressChain } from './paths.ts';
export { buildSendPsbt, type BuiltPsbt, type SendRequest } from './psbt-build.ts';
export { exportPsbtBase64, exportPsbtBytes, importPsbt } from './psbt-codec.ts';
export { extractTransaction, finalizePsbt, type ExtractedTransaction } from './psbt-finalize.ts';
export { planSigning, signPsbt, type SignOptions, type SignProgress, type SignResult } from './psbt-sign.ts';
export { classifyScript, dustThreshold, scriptAddress, type ScriptType } from './scripts.ts';
export { requireSchnorr, taprootAccount } from './taproot.ts';
