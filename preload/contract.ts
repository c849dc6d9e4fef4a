/**
 * The bridge contract: the single source of truth for what crosses between the renderer and main.
 * Request/result types, event types, the closed error-code list, and the validators main runs on
 * every payload. Imported by main (validation), the Electron preload and the browser-mode bridge;
 * it must stay free of Node and Electron imports.
 */

// ---------------------------------------------------------------------------------------------
// Views (plain data; no secrets ever)

export type ServiceState =
  /** Looking for the PC/SC service. */
  | 'starting'
  /** pcscd answers; readers are listed. */
  | 'running'
  /** pcscd is not running or not reachable. */
  | 'not-running'
  /** The PC/SC library or its Node binding is not installed. */
  | 'unavailable';

// Card facts are defined once, by the driver layer (types only: nothing of it is bundled here).
import type { CardCapabilities, CardFamily } from '../drivers/card.ts';
export type { CardFamily };
export type CardCapabilitiesView = CardCapabilities;

export type CardStatus = 'identifying' | 'identified' | 'unknown' | 'error';

export interface CardView {
  readonly status: CardStatus;
  /** Answer-to-reset, hex. */
  readonly atr: string;
  readonly family?: CardFamily;
  /** Human name of the product, e.g. "Satochip", "TAPSIGNER". */
  readonly product?: string;
  /** AID that answered SELECT, hex. */
  readonly aid?: string;
  /** Short facts from the card's SELECT answer (version, initialised, ...). */
  readonly details?: Readonly<Record<string, string>>;
  readonly capabilities?: CardCapabilitiesView;
  readonly error?: BridgeErrorView;
}

export interface ReaderView {
  readonly name: string;
  /** `pcsc`: a reader pcscd lists (USB or vpcd); `demo`: the built-in demo reader with an emulated card. */
  readonly kind: 'pcsc' | 'demo';
  readonly card: CardView | null;
}

export interface ReadersSnapshot {
  readonly service: ServiceState;
  /** What to do about the service state, e.g. "sudo systemctl start pcscd". */
  readonly hint?: string;
  readonly readers: readonly ReaderView[];
  /** Increases with every change, so a client can drop stale snapshots. */
  readonly revision: number;
}

export interface AppInfo {
  readonly name: string;
  readonly version: string;
  readonly mode: 'electron' | 'browser';
  /** Plain-language notices about missing parts ("Electron is not installed: running in browser mode"). */
  readonly notices: readonly string[];
}

// ---------------------------------------------------------------------------------------------
// Errors crossing the bridge: one closed list.

export type BridgeErrorCode =
  | 'INVALID_REQUEST'
  | 'UNKNOWN_METHOD'
  | 'FORBIDDEN'
  | 'NO_PCSC'
  | 'PCSC_UNAVAILABLE'
  | 'NO_READER'
  | 'NO_CARD'
  | 'CARD_REMOVED'
  | 'TIMEOUT'
  | 'CANCELLED'
  | 'TRANSMIT_FAILED'
  | 'BAD_RESPONSE'
  | 'CONNECT_FAILED'
  /** A wrong PIN: the message says how many tries are left. Never retried. */
  | 'PIN_INVALID'
  /** The PIN is blocked (the PUK unblocks it). */
  | 'PIN_BLOCKED'
  /** The card refused or answered badly (its message says what). */
  | 'CARD_ERROR'
  /** The approval window rejected the request, or it expired / was cancelled: nothing was signed. */
  | 'REJECTED'
  /** The request itself is wrong (address, amount, network, transaction): refused before any card command. */
  | 'INVALID_INPUT'
  /** The chain backend could not be reached or refused (timeout, HTTP error, broadcast rejected). */
  | 'BACKEND_ERROR'
  /** The card has not been unlocked in this app session: unlock it (PIN) first. */
  | 'CARD_LOCKED'
  | 'INTERNAL';

export const BRIDGE_ERROR_CODES: readonly BridgeErrorCode[] = [
  'INVALID_REQUEST',
  'UNKNOWN_METHOD',
  'FORBIDDEN',
  'NO_PCSC',
  'PCSC_UNAVAILABLE',
  'NO_READER',
  'NO_CARD',
  'CARD_REMOVED',
  'TIMEOUT',
  'CANCELLED',
  'TRANSMIT_FAILED',
  'BAD_RESPONSE',
  'CONNECT_FAILED',
  'PIN_INVALID',
  'PIN_BLOCKED',
  'CARD_ERROR',
  'REJECTED',
  'INVALID_INPUT',
  'BACKEND_ERROR',
  'CARD_LOCKED',
  'INTERNAL',
];

export interface BridgeErrorView {
  readonly code: BridgeErrorCode;
  readonly message: string;
  readonly hint?: string;
}

export class BridgeError extends Error {
  readonly code: BridgeErrorCode;
  readonly hint: string | undefined;
  constructor(code: BridgeErrorCode, message: string, hint?: string) {
    super(message);
    this.name = 'BridgeError';
    this.code = code;
    this.hint = hint;
  }
  toView(): BridgeErrorView {
    return this.hint ? { code: this.code, message: this.message, hint: this.hint } : { code: this.code, message: this.message };
  }
}

export function isBridgeErrorCode(value: unknown): value is BridgeErrorCode {
  return typeof value === 'string' && (BRIDGE_ERROR_CODES as readonly string[]).includes(value);
}

export function isBridgeError(error: unknown, code?: BridgeErrorCode): error is BridgeError {
  return error instanceof BridgeError && (code === undefined || error.code === code);
}

// ---------------------------------------------------------------------------------------------
// Methods: name -> request and result. Every request is validated in main before use.

export interface Methods {
  'app.info': { request: Record<string, never>; result: AppInfo };
  'readers.list': { request: Record<string, never>; result: ReadersSnapshot };
  'card.identify': { request: { reader: string }; result: CardView };
  /** personal_sign (EIP-191) of a text with the card on `reader`, after the approval window approves it. */
  'eth.signMessage': { request: { reader: string; text: string }; result: EthMessageSignatureView };
  /** Verify the card's PIN once and read its public wallet data (addresses); the PIN is not kept. */
  'wallet.unlock': { request: { reader: string; pin: string }; result: WalletView };
  /** Balances and addresses of the card on `reader` (no PIN: the card is recognised); `locked` if never unlocked. */
  'wallet.overview': { request: { reader: string }; result: WalletView };
  /** Send ETH: built by main, approved in the approval window (PIN there), signed, broadcast, confirmed. */
  'eth.send': { request: { reader: string; to: string; value: string }; result: EthSendView };
  /** Send bitcoin: PSBT built by main, approved in the approval window (PIN there), signed, broadcast. */
  'btc.send': { request: { reader: string; to: string; amount: string; feeRate?: number }; result: BtcSendView };
  /** Sign an imported PSBT (base64 or hex): approved in the approval window, the card's inputs signed; optionally finalized and broadcast. */
  'btc.signPsbt': { request: { reader: string; psbt: string; finalize: boolean; broadcast: boolean }; result: PsbtSignView };
  /** The card re-derives the shown receive addresses (PIN once, never retried); each is returned only when it matches. */
  'wallet.verifyAddresses': { request: { reader: string; pin: string }; result: AddressCheckView };
  /** EIP-712 typed data (JSON) signed with the card after the approval window approves it; checked against the Ethereum network in use. */
  'eth.signTypedData': { request: { reader: string; json: string }; result: EthTypedDataSignatureView };
  /** Sign an unsigned Ethereum transaction built elsewhere (hex or JSON) after the approval window; optionally broadcast it. */
  'eth.signTransaction': { request: { reader: string; tx: string; broadcast: boolean }; result: RawTransactionView };
  /** Recent transactions of the card's accounts (Bitcoin from the backend; Ethereum: sent from this app session), with explorer links main built. */
  'wallet.history': { request: { reader: string }; result: HistoryView };
  'settings.get': { request: Record<string, never>; result: ChainSettingsView };
  /** Change the chains and their backends (main only talks to them; URLs are http(s) only). */
  'settings.set': { request: ChainSettingsRequest; result: ChainSettingsView };
  /**
   * A new Keycard wallet born on two cards at once (the first and its backup): the first card draws
   * the words, they are shown once in the approval window (never here), both cards load the seed and
   * must derive the same key. Same readers again after a failure (card pulled, wrong PIN) resumes.
   */
  'keycard.newWallet': { request: KeycardNewWalletRequest; result: KeycardNewWalletView };
}

export interface KeycardNewWalletRequest {
  /** Reader of the first card; the same as `backup` means the person swaps cards on one reader. */
  readonly first: string;
  readonly backup: string;
  readonly words: 12 | 24;
  /** Each card's PIN (6 digits), used once for VERIFY PIN, never kept or retried. */
  readonly firstPin: string;
  readonly backupPin: string;
  /** Load even onto a card that already holds a wallet (that wallet is replaced). */
  readonly replaceExisting: boolean;
  /** Show the words in the approval window (off: no paper backup, the two cards are the only copies). */
  readonly showWords: boolean;
  /**
   * Each card's PUK (12 digits) for a Keycard in factory state, which is then set up (INIT) with
   * its PIN above and this PUK. Without it such a card is refused. Unused for a card already set up.
   */
  readonly firstPuk?: string;
  readonly backupPuk?: string;
}

export interface KeycardCardResultView {
  readonly instanceUid: string;
  readonly keyUid: string;
  /** The card's key on `checkPath`, 65 bytes hex. */
  readonly publicKey: string;
}

export interface KeycardNewWalletView {
  readonly keyUid: string;
  /** The path both cards were checked on (m/44'/60'/0'/0/0). */
  readonly checkPath: string;
  readonly publicKey: string;
  readonly cards: { readonly first: KeycardCardResultView; readonly backup: KeycardCardResultView };
  /** False when the words were never shown (no paper backup). */
  readonly mnemonicShown: boolean;
}

/** Where a new Keycard wallet is: what to do with which card, and the flow's steps. Never the words. */
export interface KeycardNewWalletProgressView {
  readonly kind:
    | 'started'
    | 'resumed'
    | 'present'
    | 'remove'
    | 'opened'
    | 'mnemonic-generated'
    | 'waiting-words'
    | 'mnemonic-shown'
    | 'loaded'
    | 'verified'
    | 'stopped';
  readonly role?: 'first' | 'backup';
  readonly reader?: string;
  /** A sentence for the screen, e.g. "Present the backup Keycard on Virtual PCD 00 01." */
  readonly message: string;
}

export type BtcNetworkId = 'mainnet' | 'testnet' | 'signet' | 'regtest' | 'litecoin-regtest';
export const BTC_NETWORK_IDS: readonly BtcNetworkId[] = ['mainnet', 'testnet', 'signet', 'regtest', 'litecoin-regtest'];

export interface ChainSettingsRequest {
  readonly eth: { readonly rpcUrl: string; readonly chainId: number; readonly name: string };
  readonly btc: { readonly network: BtcNetworkId; readonly esploraUrl: string };
}

export interface ChainSettingsView {
  readonly eth: { readonly rpcUrl: string; readonly chainId: number; readonly name: string; readonly demo: boolean };
  readonly btc: { readonly network: BtcNetworkId; readonly esploraUrl: string; readonly demo: boolean };
}

export interface AddressCheckView {
  readonly btc: { readonly address: string; readonly path: string; readonly verified: true };
  readonly eth: { readonly address: string; readonly path: string; readonly verified: true };
}

export interface PsbtSignView {
  /** The PSBT with the card's signatures, base64 (before finalizing). */
  readonly psbtBase64: string;
  readonly signedInputs: number;
  readonly txid: string | null;
  readonly txHex: string | null;
  readonly broadcast: boolean;
}

export interface BtcSendView {
  readonly txid: string;
  /** Satoshis. */
  readonly fee: number;
  readonly signedInputs: number;
}

export interface ChainBalanceView {
  /** Decimal, in the chain's unit (ETH, BTC); null when the backend could not be asked. */
  readonly balance: string | null;
  /** Why there is no balance (backend unreachable, timeout, ...). */
  readonly backendError?: string;
}

export interface WalletView {
  readonly reader: string;
  readonly locked: boolean;
  /** The demo card / demo chains: never real funds. */
  readonly demo: boolean;
  readonly eth?: ChainBalanceView & {
    readonly network: string;
    readonly chainId: number;
    readonly address: string;
    readonly path: string;
  };
  readonly btc?: ChainBalanceView & {
    readonly network: string;
    /** The coin's unit on this network: BTC, tBTC, or LTC on the Litecoin regtest demo chain. */
    readonly unit: string;
    /** The first receive address of the BIP84 account, and its path. */
    readonly receiveAddress: string;
    readonly receivePath: string;
    /** SVG of the receive address as a QR code, for an <img> data URL. */
    readonly receiveQrSvg: string;
  };
}

export interface EthSendView {
  readonly hash: string;
  readonly from: string;
  readonly blockNumber: number;
}

export interface RawTransactionView {
  /** The signed serialized transaction, 0x-hex. */
  readonly raw: string;
  readonly hash: string;
  readonly from: string;
  readonly broadcast: boolean;
}

export interface HistoryItemView {
  readonly id: string;
  /** Net effect on the account, decimal in the chain's unit, signed ("-0.5"). */
  readonly amount: string;
  readonly confirmed: boolean;
  readonly height?: number;
  /** A public explorer's page for it, or none (local and custom chains). */
  readonly explorerUrl: string | null;
}

export interface HistoryView {
  readonly btc: { readonly unit: string; readonly items: readonly HistoryItemView[]; readonly backendError?: string };
  /** JSON-RPC has no account history: the transactions sent from this app session. */
  readonly eth: { readonly items: readonly HistoryItemView[] };
}

export interface EthTypedDataSignatureView {
  readonly address: string;
  readonly signature: string;
  /** The EIP-712 digest the card signed. */
  readonly digest: string;
}

export interface EthMessageSignatureView {
  /** The card's address (m/44'/60'/0'/0/0), EIP-55. */
  readonly address: string;
  /** 65 bytes r || s || v, 0x-hex. */
  readonly signature: string;
  /** The EIP-191 hash the card signed. */
  readonly hash: string;
}

export type MethodName = keyof Methods;
export type RequestOf<M extends MethodName> = Methods[M]['request'];
export type ResultOf<M extends MethodName> = Methods[M]['result'];

export interface Events {
  'readers.changed': ReadersSnapshot;
  /** Where a signing request is: waiting for the approval window, signing on the card (i of n), broadcasting, done. */
  'signing.progress': SigningProgressView;
  /** The new-Keycard-wallet flow's prompts (present / remove / opened) and steps. */
  'keycard.newWallet.progress': KeycardNewWalletProgressView;
}
export type EventName = keyof Events;

export const METHOD_NAMES: readonly MethodName[] = ['app.info', 'readers.list', 'card.identify', 'eth.signMessage', 'wallet.unlock', 'wallet.overview', 'eth.send', 'btc.send', 'btc.signPsbt', 'wallet.verifyAddresses', 'eth.signTypedData', 'eth.signTransaction', 'wallet.history', 'settings.get', 'settings.set', 'keycard.newWallet'];
export const EVENT_NAMES: readonly EventName[] = ['readers.changed', 'signing.progress', 'keycard.newWallet.progress'];

export interface SigningProgressView {
  readonly reader: string;
  readonly step: 'preparing' | 'waiting-approval' | 'signing' | 'broadcasting' | 'confirming' | 'done';
  /** While signing several inputs: how many are signed, of how many. */
  readonly signed?: number;
  readonly total?: number;
}

export function isMethodName(value: unknown): value is MethodName {
  return typeof value === 'string' && (METHOD_NAMES as readonly string[]).includes(value);
}

// ---------------------------------------------------------------------------------------------
// Validators. Small and explicit: unknown keys, wrong types and oversized strings are refused.

const MAX_READER_NAME = 256;
/** personal_sign messages: the wallet layer's own limit is 64 KiB of UTF-8. */
const MAX_MESSAGE_CHARS = 64 * 1024;
/** PSBT text (base64 or hex) crossing the bridge; the WebSocket frame limit is 64 KiB too. */
const MAX_PSBT_CHARS = 60 * 1024;

function invalid(method: string, why: string): BridgeError {
  return new BridgeError('INVALID_REQUEST', `invalid request for ${method}: ${why}`);
}

function plainObject(method: string, payload: unknown): Record<string, unknown> {
  if (payload === undefined || payload === null) return {};
  if (typeof payload !== 'object' || Array.isArray(payload) || Object.getPrototypeOf(payload) !== Object.prototype) {
    throw invalid(method, 'payload must be a plain object');
  }
  return payload as Record<string, unknown>;
}

function onlyKeys(method: string, payload: Record<string, unknown>, allowed: readonly string[]): void {
  for (const key of Object.keys(payload)) {
    if (!allowed.includes(key)) throw invalid(method, `unexpected field "${key}"`);
  }
}

function readerName(method: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_READER_NAME) {
    throw invalid(method, `reader must be a non-empty string of at most ${MAX_READER_NAME} characters`);
  }
  if (/[\u0000-\u001f]/.test(value)) throw invalid(method, 'reader contains control characters');
  return value;
}

type Validators = { [M in MethodName]: (payload: unknown) => RequestOf<M> };

export const validators: Validators = {
  'app.info': (payload) => {
    onlyKeys('app.info', plainObject('app.info', payload), []);
    return {};
  },
  'readers.list': (payload) => {
    onlyKeys('readers.list', plainObject('readers.list', payload), []);
    return {};
  },
  'card.identify': (payload) => {
    const body = plainObject('card.identify', payload);
    onlyKeys('card.identify', body, ['reader']);
    return { reader: readerName('card.identify', body.reader) };
  },
  'eth.signMessage': (payload) => {
    const body = plainObject('eth.signMessage', payload);
    onlyKeys('eth.signMessage', body, ['reader', 'text']);
    if (typeof body.text !== 'string' || body.text.length === 0 || body.text.length > MAX_MESSAGE_CHARS) {
      throw invalid('eth.signMessage', `text must be a non-empty string of at most ${MAX_MESSAGE_CHARS} characters`);
    }
    return { reader: readerName('eth.signMessage', body.reader), text: body.text };
  },
  'wallet.unlock': (payload) => {
    const body = plainObject('wallet.unlock', payload);
    onlyKeys('wallet.unlock', body, ['reader', 'pin']);
    if (typeof body.pin !== 'string' || !/^[\x20-\x7e]{4,16}$/.test(body.pin)) throw invalid('wallet.unlock', 'pin must be 4 to 16 printable characters');
    return { reader: readerName('wallet.unlock', body.reader), pin: body.pin };
  },
  'wallet.overview': (payload) => {
    const body = plainObject('wallet.overview', payload);
    onlyKeys('wallet.overview', body, ['reader']);
    return { reader: readerName('wallet.overview', body.reader) };
  },
  'eth.send': (payload) => {
    const body = plainObject('eth.send', payload);
    onlyKeys('eth.send', body, ['reader', 'to', 'value']);
    if (typeof body.to !== 'string' || body.to.length > 64) throw invalid('eth.send', 'to must be an address string');
    if (typeof body.value !== 'string' || body.value.length > 96) throw invalid('eth.send', 'value must be a decimal string');
    return { reader: readerName('eth.send', body.reader), to: body.to, value: body.value };
  },
  'btc.send': (payload) => {
    const body = plainObject('btc.send', payload);
    onlyKeys('btc.send', body, ['reader', 'to', 'amount', 'feeRate']);
    if (typeof body.to !== 'string' || body.to.length > 128) throw invalid('btc.send', 'to must be an address string');
    if (typeof body.amount !== 'string' || body.amount.length > 32) throw invalid('btc.send', 'amount must be a decimal string');
    if (body.feeRate !== undefined && (typeof body.feeRate !== 'number' || !Number.isFinite(body.feeRate))) throw invalid('btc.send', 'feeRate must be a number (sat/vB)');
    const request = { reader: readerName('btc.send', body.reader), to: body.to, amount: body.amount };
    return body.feeRate === undefined ? request : { ...request, feeRate: body.feeRate };
  },
  'btc.signPsbt': (payload) => {
    const body = plainObject('btc.signPsbt', payload);
    onlyKeys('btc.signPsbt', body, ['reader', 'psbt', 'finalize', 'broadcast']);
    if (typeof body.psbt !== 'string' || body.psbt.length === 0 || body.psbt.length > MAX_PSBT_CHARS) {
      throw invalid('btc.signPsbt', `psbt must be base64 or hex text of at most ${MAX_PSBT_CHARS} characters`);
    }
    if (typeof body.finalize !== 'boolean' || typeof body.broadcast !== 'boolean') throw invalid('btc.signPsbt', 'finalize and broadcast must be booleans');
    return { reader: readerName('btc.signPsbt', body.reader), psbt: body.psbt, finalize: body.finalize, broadcast: body.broadcast };
  },
  'wallet.verifyAddresses': (payload) => {
    const body = plainObject('wallet.verifyAddresses', payload);
    onlyKeys('wallet.verifyAddresses', body, ['reader', 'pin']);
    if (typeof body.pin !== 'string' || !/^[\x20-\x7e]{4,16}$/.test(body.pin)) throw invalid('wallet.verifyAddresses', 'pin must be 4 to 16 printable characters');
    return { reader: readerName('wallet.verifyAddresses', body.reader), pin: body.pin };
  },
  'eth.signTypedData': (payload) => {
    const body = plainObject('eth.signTypedData', payload);
    onlyKeys('eth.signTypedData', body, ['reader', 'json']);
    if (typeof body.json !== 'string' || body.json.length === 0 || body.json.length > MAX_MESSAGE_CHARS) {
      throw invalid('eth.signTypedData', `json must be a non-empty string of at most ${MAX_MESSAGE_CHARS} characters`);
    }
    return { reader: readerName('eth.signTypedData', body.reader), json: body.json };
  },
  'eth.signTransaction': (payload) => {
    const body = plainObject('eth.signTransaction', payload);
    onlyKeys('eth.signTransaction', body, ['reader', 'tx', 'broadcast']);
    if (typeof body.tx !== 'string' || body.tx.length === 0 || body.tx.length > MAX_MESSAGE_CHARS) throw invalid('eth.signTransaction', 'tx must be hex or JSON text');
    if (typeof body.broadcast !== 'boolean') throw invalid('eth.signTransaction', 'broadcast must be a boolean');
    return { reader: readerName('eth.signTransaction', body.reader), tx: body.tx, broadcast: body.broadcast };
  },
  'wallet.history': (payload) => {
    const body = plainObject('wallet.history', payload);
    onlyKeys('wallet.history', body, ['reader']);
    return { reader: readerName('wallet.history', body.reader) };
  },
  'settings.get': (payload) => {
    onlyKeys('settings.get', plainObject('settings.get', payload), []);
    return {};
  },
  'settings.set': (payload) => {
    const body = plainObject('settings.set', payload);
    onlyKeys('settings.set', body, ['eth', 'btc']);
    const eth = plainObject('settings.set', body.eth);
    const btc = plainObject('settings.set', body.btc);
    onlyKeys('settings.set', eth, ['rpcUrl', 'chainId', 'name']);
    onlyKeys('settings.set', btc, ['network', 'esploraUrl']);
    const chainId = eth.chainId;
    if (typeof chainId !== 'number' || !Number.isSafeInteger(chainId) || chainId < 1 || chainId > 0xffffffff) throw invalid('settings.set', 'eth.chainId must be an integer from 1 to 2^32 - 1');
    if (typeof eth.name !== 'string' || eth.name.length > 64 || /[\u0000-\u001f]/.test(eth.name)) throw invalid('settings.set', 'eth.name must be a short name');
    if (typeof btc.network !== 'string' || !(BTC_NETWORK_IDS as readonly string[]).includes(btc.network)) throw invalid('settings.set', `btc.network must be one of ${BTC_NETWORK_IDS.join(', ')}`);
    return {
      eth: { rpcUrl: backendUrl('settings.set', eth.rpcUrl, 'eth.rpcUrl'), chainId, name: eth.name },
      btc: { network: btc.network as BtcNetworkId, esploraUrl: backendUrl('settings.set', btc.esploraUrl, 'btc.esploraUrl') },
    };
  },
  'keycard.newWallet': (payload) => {
    const method = 'keycard.newWallet';
    const body = plainObject(method, payload);
    onlyKeys(method, body, ['first', 'backup', 'words', 'firstPin', 'backupPin', 'replaceExisting', 'showWords', 'firstPuk', 'backupPuk']);
    if (body.words !== 12 && body.words !== 24) throw invalid(method, 'words must be 12 or 24');
    for (const field of ['firstPin', 'backupPin'] as const) {
      if (typeof body[field] !== 'string' || !/^[0-9]{6}$/.test(body[field])) throw invalid(method, `${field} must be exactly 6 digits`);
    }
    const puks: { firstPuk?: string; backupPuk?: string } = {};
    for (const field of ['firstPuk', 'backupPuk'] as const) {
      const puk = body[field];
      if (puk === undefined) continue;
      if (typeof puk !== 'string' || !/^[0-9]{12}$/.test(puk)) throw invalid(method, `${field} must be exactly 12 digits`);
      puks[field] = puk;
    }
    for (const field of ['replaceExisting', 'showWords'] as const) {
      if (typeof body[field] !== 'boolean') throw invalid(method, `${field} must be a boolean`);
    }
    return {
      first: readerName(method, body.first),
      backup: readerName(method, body.backup),
      words: body.words,
      firstPin: body.firstPin as string,
      backupPin: body.backupPin as string,
      replaceExisting: body.replaceExisting as boolean,
      showWords: body.showWords as boolean,
      ...puks,
    };
  },
};

/** A backend address: http(s) only, no fragments, at most 512 characters. */
function backendUrl(method: string, value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 512) throw invalid(method, `${field} must be a URL`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid(method, `${field} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalid(method, `${field} must be http or https`);
  if (url.hash) throw invalid(method, `${field} must not have a fragment`);
  return value.replace(/\/+$/, '');
}

export function validateRequest<M extends MethodName>(method: M, payload: unknown): RequestOf<M> {
  return validators[method](payload) as RequestOf<M>;
}

// ---------------------------------------------------------------------------------------------
// The API object the renderer sees as `window.tapdesk`, built from a transport by `createTapdeskApi`.

export interface TapdeskApi {
  appInfo(): Promise<AppInfo>;
  listReaders(): Promise<ReadersSnapshot>;
  identifyCard(reader: string): Promise<CardView>;
  /** Sign a text with the card (Ethereum personal_sign); resolves once the approval window approved and the card signed. */
  signEthMessage(reader: string, text: string): Promise<EthMessageSignatureView>;
  unlockWallet(reader: string, pin: string): Promise<WalletView>;
  walletOverview(reader: string): Promise<WalletView>;
  sendEth(reader: string, to: string, value: string): Promise<EthSendView>;
  sendBtc(reader: string, to: string, amount: string, feeRate?: number): Promise<BtcSendView>;
  signPsbt(reader: string, psbt: string, options: { finalize: boolean; broadcast: boolean }): Promise<PsbtSignView>;
  verifyAddresses(reader: string, pin: string): Promise<AddressCheckView>;
  signEthTypedData(reader: string, json: string): Promise<EthTypedDataSignatureView>;
  walletHistory(reader: string): Promise<HistoryView>;
  signEthTransaction(reader: string, tx: string, broadcast: boolean): Promise<RawTransactionView>;
  chainSettings(): Promise<ChainSettingsView>;
  setChainSettings(settings: ChainSettingsRequest): Promise<ChainSettingsView>;
  /** Make a new wallet on two Keycards (words shown once in the approval window); resolves with both cards' key. */
  newKeycardWallet(request: KeycardNewWalletRequest): Promise<KeycardNewWalletView>;
  /** Prompts and steps of the new-Keycard-wallet flow; returns the unsubscribe function. */
  onKeycardWalletProgress(listener: (progress: KeycardNewWalletProgressView) => void): () => void;
  /** Progress of signing requests (approval, card, broadcast); returns the unsubscribe function. */
  onSigningProgress(listener: (progress: SigningProgressView) => void): () => void;
  /** Subscribe to reader/card changes; returns the unsubscribe function. */
  onReadersChanged(listener: (snapshot: ReadersSnapshot) => void): () => void;
}

/** What a bridge implementation (Electron IPC or browser-mode WebSocket) provides. */
export interface BridgeTransport {
  invoke(method: MethodName, payload: unknown): Promise<unknown>;
  subscribe(event: EventName, listener: (payload: unknown) => void): () => void;
}

/** Results cross as `{ ok: true, result }` or `{ ok: false, error: { code, message, hint? } }`. */
export type Envelope<T> = { readonly ok: true; readonly result: T } | { readonly ok: false; readonly error: BridgeErrorView };

export function unwrapEnvelope<T>(envelope: unknown): T {
  if (typeof envelope !== 'object' || envelope === null || !('ok' in envelope)) {
    throw new BridgeError('INTERNAL', 'malformed answer from main');
  }
  const e = envelope as Envelope<T>;
  if (e.ok) return e.result;
  const code = isBridgeErrorCode(e.error?.code) ? e.error.code : 'INTERNAL';
  throw new BridgeError(code, String(e.error?.message ?? 'unknown error'), e.error?.hint);
}

export function createTapdeskApi(transport: BridgeTransport): TapdeskApi {
  const call = async <M extends MethodName>(method: M, payload: RequestOf<M>): Promise<ResultOf<M>> =>
    unwrapEnvelope<ResultOf<M>>(await transport.invoke(method, payload));
  return Object.freeze({
    appInfo: () => call('app.info', {}),
    listReaders: () => call('readers.list', {}),
    identifyCard: (reader: string) => call('card.identify', { reader }),
    signEthMessage: (reader: string, text: string) => call('eth.signMessage', { reader, text }),
    unlockWallet: (reader: string, pin: string) => call('wallet.unlock', { reader, pin }),
    walletOverview: (reader: string) => call('wallet.overview', { reader }),
    sendEth: (reader: string, to: string, value: string) => call('eth.send', { reader, to, value }),
    verifyAddresses: (reader: string, pin: string) => call('wallet.verifyAddresses', { reader, pin }),
    signEthTypedData: (reader: string, json: string) => call('eth.signTypedData', { reader, json }),
    walletHistory: (reader: string) => call('wallet.history', { reader }),
    signEthTransaction: (reader: string, tx: string, broadcast: boolean) => call('eth.signTransaction', { reader, tx, broadcast }),
    chainSettings: () => call('settings.get', {}),
    setChainSettings: (settings: ChainSettingsRequest) => call('settings.set', settings),
    signPsbt: (reader: string, psbt: string, options: { finalize: boolean; broadcast: boolean }) =>
      call('btc.signPsbt', { reader, psbt, finalize: options.finalize, broadcast: options.broadcast }),
    sendBtc: (reader: string, to: string, amount: string, feeRate?: number) => call('btc.send', feeRate === undefined ? { reader, to, amount } : { reader, to, amount, feeRate }),
    newKeycardWallet: (request: KeycardNewWalletRequest) =>
      call('keycard.newWallet', {
        first: request.first,
        backup: request.backup,
        words: request.words,
        firstPin: request.firstPin,
        backupPin: request.backupPin,
        replaceExisting: request.replaceExisting,
        showWords: request.showWords,
        ...(request.firstPuk === undefined ? {} : { firstPuk: request.firstPuk }),
        ...(request.backupPuk === undefined ? {} : { backupPuk: request.backupPuk }),
      }),
    onKeycardWalletProgress: (listener: (progress: KeycardNewWalletProgressView) => void) =>
      transport.subscribe('keycard.newWallet.progress', (payload) => listener(payload as KeycardNewWalletProgressView)),
    onReadersChanged: (listener: (snapshot: ReadersSnapshot) => void) =>
      transport.subscribe('readers.changed', (payload) => listener(payload as ReadersSnapshot)),
    onSigningProgress: (listener: (progress: SigningProgressView) => void) =>
      transport.subscribe('signing.progress', (payload) => listener(payload as SigningProgressView)),
  });
}
