/**
 * An Esplora REST client: the subset of the API (github.com/Blockstream/esplora/blob/master/API.md) a
 * wallet needs. One Bitcoin backend type everywhere: a public server (blockstream.info, mempool.space),
 * a self-hosted Esplora/electrs, or our regtest server over a local node (local/regtest-esplora.ts).
 *
 * Every call has a deadline and ends in a checked result or a ChainError; answers are checked against
 * the documented shape before anything reads them. Amounts are satoshis as safe integers. Calls are
 * independent, so many can run at once (`addresses` refreshes a list concurrently).
 */
import { Transaction } from 'bitcoinjs-lib';
import { ChainError } from './errors.ts';
import { excerpt, httpExchange, mapConcurrent, parseEndpoint, type CallOptions, type Endpoint, type HttpAnswer } from './http.ts';
import { arr, bool, finite, hash32, hex, int, obj, optional, parseJson, parseShape, str, ShapeMismatch } from './shape.ts';

/** Public Esplora servers per network, first one the default. Any Esplora URL can be configured instead. */
export const DEFAULT_ESPLORA_URLS = {
  mainnet: ['https://blockstream.info/api', 'https://mempool.space/api'],
  testnet: ['https://blockstream.info/testnet/api', 'https://mempool.space/testnet/api'],
  signet: ['https://mempool.space/signet/api', 'https://blockstream.info/signet/api'],
} as const satisfies Record<string, readonly string[]>;

export const DEFAULT_ESPLORA_TIMEOUT_MS = 10_000;
export const DEFAULT_ESPLORA_CONCURRENCY = 20;

// ---------------------------------------------------------------------------------------------
// The wire format (Esplora's JSON, snake_case). Our regtest server writes these types.

export interface EsploraWireTxoStats {
  funded_txo_count: number;
  funded_txo_sum: number;
  spent_txo_count: number;
  spent_txo_sum: number;
  tx_count: number;
}

export interface EsploraWireAddress {
  address: string;
  chain_stats: EsploraWireTxoStats;
  mempool_stats: EsploraWireTxoStats;
}

export interface EsploraWireStatus {
  confirmed: boolean;
  block_height?: number;
  block_hash?: string;
  block_time?: number;
}

export interface EsploraWireUtxo {
  txid: string;
  vout: number;
  value: number;
  status: EsploraWireStatus;
}

export interface EsploraWireTxOut {
  scriptpubkey: string;
  scriptpubkey_asm: string;
  scriptpubkey_type: string;
  scriptpubkey_address?: string;
  value: number;
}

export interface EsploraWireTxIn {
  txid: string;
  vout: number;
  prevout: EsploraWireTxOut | null;
  scriptsig: string;
  scriptsig_asm: string;
  witness?: string[];
  is_coinbase: boolean;
  sequence: number;
}

export interface EsploraWireTx {
  txid: string;
  version: number;
  locktime: number;
  vin: EsploraWireTxIn[];
  vout: EsploraWireTxOut[];
  size: number;
  weight: number;
  fee: number;
  status: EsploraWireStatus;
}

/** `POST /tx` refusals read `sendrawtransaction RPC error: {"code":-26,"message":"..."}` (HTTP 400). */
export function broadcastRejectionBody(rpcCode: number, message: string): string {
  return `sendrawtransaction RPC error: ${JSON.stringify({ code: rpcCode, message })}`;
}

// ---------------------------------------------------------------------------------------------
// What the client returns.

export interface TxoStats {
  readonly fundedTxoCount: number;
  readonly fundedTxoSum: number;
  readonly spentTxoCount: number;
  readonly spentTxoSum: number;
  readonly txCount: number;
}

export interface AddressSummary {
  readonly address: string;
  readonly chain: TxoStats;
  readonly mempool: TxoStats;
  /** Confirmed funded minus confirmed spent (sat). */
  readonly confirmedBalance: number;
  /** The mempool's change to it (sat): negative when the mempool spends confirmed coins. */
  readonly unconfirmedDelta: number;
  /** confirmedBalance + unconfirmedDelta (sat). */
  readonly balance: number;
  /** Confirmed and mempool transactions touching the address. */
  readonly txCount: number;
}

export interface TxStatus {
  readonly confirmed: boolean;
  readonly blockHeight?: number;
  readonly blockHash?: string;
  readonly blockTime?: number;
}

export interface Utxo {
  readonly txid: string;
  readonly vout: number;
  readonly value: number;
  readonly status: TxStatus;
}

export interface TxOut {
  readonly scriptPubKey: string;
  /** Esplora's names: p2pkh, p2sh, v0_p2wpkh, v0_p2wsh, v1_p2tr, op_return, p2pk, multisig, unknown, ... */
  readonly type: string;
  readonly address?: string;
  readonly value: number;
}

export interface TxIn {
  readonly txid: string;
  readonly vout: number;
  /** The output this input spends; null for a coinbase input. */
  readonly prevout: TxOut | null;
  readonly scriptSig: string;
  readonly witness: readonly string[];
  readonly isCoinbase: boolean;
  readonly sequence: number;
}

export interface EsploraTx {
  readonly txid: string;
  readonly version: number;
  readonly locktime: number;
  readonly vin: readonly TxIn[];
  readonly vout: readonly TxOut[];
  readonly size: number;
  readonly weight: number;
  readonly fee: number;
  readonly status: TxStatus;
}

export interface FeeEstimates {
  /** Confirmation target in blocks -> fee rate in sat/vB, ascending by target. */
  readonly rates: ReadonlyArray<{ readonly target: number; readonly satPerVb: number }>;
  /** Set when the backend labels its table (our regtest server: "regtest-fixed-table"). */
  readonly source?: string;
}

/** The header our regtest server labels its fixed fee table with. */
export const FEE_SOURCE_HEADER = 'x-tapdesk-fee-source';

/** The fee rate for a confirmation target: the table's entry for the largest target <= `target`, else its fastest. */
export function feeRateForTarget(estimates: FeeEstimates, target: number): number | undefined {
  let chosen: number | undefined;
  for (const { target: t, satPerVb } of estimates.rates) if (t <= target) chosen = satPerVb;
  return chosen ?? estimates.rates[0]?.satPerVb;
}

// ---------------------------------------------------------------------------------------------
// Argument checks: nothing unchecked goes into a URL path.

const ADDRESS_CHARS = /^[A-Za-z0-9]{14,120}$/;
const TXID = /^[0-9a-fA-F]{64}$/;

function requireAddress(address: string): string {
  if (typeof address !== 'string' || !ADDRESS_CHARS.test(address)) {
    throw new ChainError('INVALID_ARGUMENT', 'not an address', { field: 'address' });
  }
  return address;
}

function requireTxid(txid: string, field = 'txid'): string {
  if (typeof txid !== 'string' || !TXID.test(txid)) throw new ChainError('INVALID_ARGUMENT', 'not a transaction id (64 hex digits)', { field });
  return txid.toLowerCase();
}

// ---------------------------------------------------------------------------------------------
// Readers for each answer.

function readStats(value: unknown, path: string): TxoStats {
  const o = obj(value, path);
  return {
    fundedTxoCount: int(o.funded_txo_count, `${path}.funded_txo_count`),
    fundedTxoSum: int(o.funded_txo_sum, `${path}.funded_txo_sum`),
    spentTxoCount: int(o.spent_txo_count, `${path}.spent_txo_count`),
    spentTxoSum: int(o.spent_txo_sum, `${path}.spent_txo_sum`),
    txCount: int(o.tx_count, `${path}.tx_count`),
  };
}

export function readAddressSummary(value: unknown, expectedAddress?: string): AddressSummary {
  const o = obj(value, 'answer');
  const address = str(o.address, 'address');
  if (expectedAddress !== undefined && address !== expectedAddress) throw new ShapeMismatch('address', `the address asked for (${expectedAddress})`);
  const chain = readStats(o.chain_stats, 'chain_stats');
  const mempool = readStats(o.mempool_stats, 'mempool_stats');
  if (chain.spentTxoSum > chain.fundedTxoSum) throw new ShapeMismatch('chain_stats.spent_txo_sum', 'at most funded_txo_sum');
  const confirmedBalance = chain.fundedTxoSum - chain.spentTxoSum;
  const unconfirmedDelta = mempool.fundedTxoSum - mempool.spentTxoSum;
  if (confirmedBalance + unconfirmedDelta < 0) throw new ShapeMismatch('mempool_stats.spent_txo_sum', 'at most what the address holds');
  return {
    address,
    chain,
    mempool,
    confirmedBalance,
    unconfirmedDelta,
    balance: confirmedBalance + unconfirmedDelta,
    txCount: chain.txCount + mempool.txCount,
  };
}

export function readStatus(value: unknown, path = 'status'): TxStatus {
  const o = obj(value, path);
  const confirmed = bool(o.confirmed, `${path}.confirmed`);
  if (!confirmed) return { confirmed };
  return {
    confirmed,
    blockHeight: int(o.block_height, `${path}.block_height`),
    blockHash: hash32(o.block_hash, `${path}.block_hash`),
    blockTime: int(o.block_time, `${path}.block_time`),
  };
}

export function readUtxos(value: unknown): Utxo[] {
  return arr(value, 'answer').map((entry, i) => {
    const o = obj(entry, `[${i}]`);
    return {
      txid: hash32(o.txid, `[${i}].txid`),
      vout: int(o.vout, `[${i}].vout`),
      value: int(o.value, `[${i}].value`),
      status: readStatus(o.status, `[${i}].status`),
    };
  });
}

function readTxOut(value: unknown, path: string): TxOut {
  const o = obj(value, path);
  const address = optional(o.scriptpubkey_address, (v) => str(v, `${path}.scriptpubkey_address`));
  return {
    scriptPubKey: hex(o.scriptpubkey, `${path}.scriptpubkey`),
    type: str(o.scriptpubkey_type, `${path}.scriptpubkey_type`),
    ...(address !== undefined ? { address } : {}),
    value: int(o.value, `${path}.value`),
  };
}

export function readTx(value: unknown, path = 'answer'): EsploraTx {
  const o = obj(value, path);
  const vin = arr(o.vin, `${path}.vin`).map((entry, i): TxIn => {
    const p = `${path}.vin[${i}]`;
    const input = obj(entry, p);
    const isCoinbase = bool(input.is_coinbase, `${p}.is_coinbase`);
    const witness = optional(input.witness, (v) => arr(v, `${p}.witness`).map((w, j) => hex(w, `${p}.witness[${j}]`))) ?? [];
    return {
      txid: hash32(input.txid, `${p}.txid`),
      vout: int(input.vout, `${p}.vout`),
      prevout: isCoinbase ? null : readTxOut(input.prevout, `${p}.prevout`),
      scriptSig: hex(input.scriptsig, `${p}.scriptsig`),
      witness,
      isCoinbase,
      sequence: int(input.sequence, `${p}.sequence`),
    };
  });
  return {
    txid: hash32(o.txid, `${path}.txid`),
    version: int(o.version, `${path}.version`, -0x80000000),
    locktime: int(o.locktime, `${path}.locktime`),
    vin,
    vout: arr(o.vout, `${path}.vout`).map((entry, i) => readTxOut(entry, `${path}.vout[${i}]`)),
    size: int(o.size, `${path}.size`),
    weight: int(o.weight, `${path}.weight`),
    fee: int(o.fee, `${path}.fee`),
    status: readStatus(o.status, `${path}.status`),
  };
}

export function readFeeEstimates(value: unknown, source?: string): FeeEstimates {
  const o = obj(value, 'answer');
  const rates = Object.entries(o).map(([key, rate]) => {
    if (!/^[1-9]\d{0,4}$/.test(key)) throw new ShapeMismatch(key, 'a confirmation target in blocks');
    return { target: Number(key), satPerVb: finite(rate, key) };
  });
  rates.sort((a, b) => a.target - b.target);
  return { rates, ...(source ? { source } : {}) };
}

/** The node's reason from a 400 answer to POST /tx (see broadcastRejectionBody), or the body itself. */
export function readBroadcastRejection(body: string): { reason: string; rpcCode?: number } {
  const match = /RPC error:?\s*(\{[\s\S]*\})\s*$/.exec(body);
  if (match?.[1]) {
    try {
      const parsed = JSON.parse(match[1]) as { code?: unknown; message?: unknown };
      if (typeof parsed.message === 'string') {
        return { reason: parsed.message, ...(typeof parsed.code === 'number' ? { rpcCode: parsed.code } : {}) };
      }
    } catch {
      // not JSON after all: the body is the reason
    }
  }
  return { reason: excerpt(body) || 'no reason given' };
}

// ---------------------------------------------------------------------------------------------

export interface EsploraClientOptions {
  /** E.g. https://blockstream.info/api, https://mempool.space/signet/api, http://127.0.0.1:3002. */
  readonly baseUrl: string;
  /** Per-call deadline (default 10 s). */
  readonly timeoutMs?: number;
  /** Calls in flight at once for list refreshes (default 20). */
  readonly concurrency?: number;
}

export class EsploraClient {
  readonly endpoint: Endpoint;
  readonly timeoutMs: number;
  readonly concurrency: number;

  constructor(options: EsploraClientOptions) {
    this.endpoint = parseEndpoint(options.baseUrl, 'Esplora URL');
    this.timeoutMs = options.timeoutMs ?? DEFAULT_ESPLORA_TIMEOUT_MS;
    this.concurrency = options.concurrency ?? DEFAULT_ESPLORA_CONCURRENCY;
  }

  /** GET /address/:address: tx counts and funded/spent sums, confirmed and in the mempool. */
  async address(address: string, options?: CallOptions): Promise<AddressSummary> {
    requireAddress(address);
    const answer = await this.get(`/address/${address}`, 'GET /address/:address', options);
    return this.json(answer, 'GET /address/:address', (v) => readAddressSummary(v, address));
  }

  /** Summaries for many addresses, `concurrency` requests in flight at once; order kept. */
  async addresses(addresses: readonly string[], options?: CallOptions): Promise<AddressSummary[]> {
    addresses.forEach(requireAddress);
    return mapConcurrent(addresses, this.concurrency, (address) => this.address(address, options));
  }

  /** GET /address/:address/utxo: unspent outputs, mempool ones included, mempool-spent ones left out. */
  async addressUtxos(address: string, options?: CallOptions): Promise<Utxo[]> {
    requireAddress(address);
    const answer = await this.get(`/address/${address}/utxo`, 'GET /address/:address/utxo', options);
    return this.json(answer, 'GET /address/:address/utxo', readUtxos);
  }

  /**
   * GET /address/:address/txs: mempool transactions then confirmed ones, newest first (Esplora: up to 50
   * mempool and the first 25 confirmed). With `lastSeenTxid`, the next 25 confirmed after that one.
   */
  async addressTxs(address: string, options?: CallOptions & { readonly lastSeenTxid?: string }): Promise<EsploraTx[]> {
    requireAddress(address);
    const path = options?.lastSeenTxid
      ? `/address/${address}/txs/chain/${requireTxid(options.lastSeenTxid, 'lastSeenTxid')}`
      : `/address/${address}/txs`;
    const answer = await this.get(path, 'GET /address/:address/txs', options);
    return this.json(answer, 'GET /address/:address/txs', (v) => arr(v, 'answer').map((tx, i) => readTx(tx, `[${i}]`)));
  }

  /** GET /tx/:txid. */
  async tx(txid: string, options?: CallOptions): Promise<EsploraTx> {
    const id = requireTxid(txid);
    const answer = await this.get(`/tx/${id}`, 'GET /tx/:txid', options);
    const tx = await this.json(answer, 'GET /tx/:txid', (v) => readTx(v));
    if (tx.txid !== id) throw this.mismatch('GET /tx/:txid', 'txid', id);
    return tx;
  }

  /** GET /tx/:txid/hex: the raw transaction, checked to hash to `txid`. */
  async txHex(txid: string, options?: CallOptions): Promise<string> {
    const id = requireTxid(txid);
    const answer = await this.get(`/tx/${id}/hex`, 'GET /tx/:txid/hex', options);
    const raw = parseShape(this.context('GET /tx/:txid/hex'), () => hex(answer.body.trim(), 'answer'));
    if (txidOf(raw) !== id) throw this.mismatch('GET /tx/:txid/hex', 'answer', `a transaction hashing to ${id}`);
    return raw;
  }

  /**
   * GET /tx/:txid/status. Esplora answers `{confirmed:false}` for a txid it has never seen too: tell an
   * unknown or dropped transaction from a pending one with `tx()` (404 for unknown).
   */
  async txStatus(txid: string, options?: CallOptions): Promise<TxStatus> {
    const id = requireTxid(txid);
    const answer = await this.get(`/tx/${id}/status`, 'GET /tx/:txid/status', options);
    return this.json(answer, 'GET /tx/:txid/status', (v) => readStatus(v, 'answer'));
  }

  /**
   * POST /tx: broadcasts a raw transaction, returns its txid. A refusal by the node (HTTP 400) is
   * BROADCAST_REJECTED with the node's own reason in `info.reason`.
   */
  async broadcast(rawHex: string, options?: CallOptions): Promise<string> {
    if (typeof rawHex !== 'string' || rawHex.length === 0 || !/^(?:[0-9a-fA-F]{2})+$/.test(rawHex)) {
      throw new ChainError('INVALID_ARGUMENT', 'a raw transaction is non-empty hex', { field: 'rawHex' });
    }
    const call = 'POST /tx';
    const answer = await httpExchange(
      `${this.endpoint.url}/tx`,
      { method: 'POST', headers: { ...this.endpoint.headers, 'content-type': 'text/plain' }, body: rawHex.toLowerCase() },
      { origin: this.endpoint.origin, call, timeoutMs: options?.timeoutMs ?? this.timeoutMs },
      options?.signal,
    );
    if (answer.status === 400) {
      const { reason, rpcCode } = readBroadcastRejection(answer.body);
      throw new ChainError('BROADCAST_REJECTED', 'the node refused the transaction', { backend: this.endpoint.origin, reason, rpcCode });
    }
    this.requireOk(answer, call);
    const txid = parseShape(this.context(call), () => hash32(answer.body.trim(), 'answer'));
    const expected = txidOf(rawHex);
    if (expected !== undefined && expected !== txid) throw this.mismatch(call, 'answer', `the transaction's own txid ${expected}`);
    return txid;
  }

  /** GET /fee-estimates: sat/vB per confirmation target. */
  async feeEstimates(options?: CallOptions): Promise<FeeEstimates> {
    const answer = await this.get('/fee-estimates', 'GET /fee-estimates', options);
    const source = answer.headers.get(FEE_SOURCE_HEADER) ?? undefined;
    return this.json(answer, 'GET /fee-estimates', (v) => readFeeEstimates(v, source));
  }

  /** GET /blocks/tip/height. */
  async tipHeight(options?: CallOptions): Promise<number> {
    const answer = await this.get('/blocks/tip/height', 'GET /blocks/tip/height', options);
    return parseShape(this.context('GET /blocks/tip/height'), () => {
      const text = answer.body.trim();
      if (!/^\d{1,10}$/.test(text)) throw new ShapeMismatch('answer', 'a block height');
      return Number(text);
    });
  }

  // -------------------------------------------------------------------------------------------

  private context(call: string): { backend: string; call: string } {
    return { backend: this.endpoint.origin, call };
  }

  private async get(path: string, call: string, options?: CallOptions): Promise<HttpAnswer> {
    const answer = await httpExchange(
      `${this.endpoint.url}${path}`,
      { method: 'GET', headers: this.endpoint.headers },
      { origin: this.endpoint.origin, call, timeoutMs: options?.timeoutMs ?? this.timeoutMs },
      options?.signal,
    );
    this.requireOk(answer, call);
    return answer;
  }

  private requireOk(answer: HttpAnswer, call: string): void {
    if (answer.status < 200 || answer.status > 299) {
      throw new ChainError('BACKEND_HTTP_ERROR', `the backend answered HTTP ${answer.status}`, {
        ...this.context(call),
        status: answer.status,
        body: excerpt(answer.body),
      });
    }
  }

  private json<T>(answer: HttpAnswer, call: string, read: (value: unknown) => T): T {
    return parseShape(this.context(call), () => read(parseJson(answer.body)));
  }

  private mismatch(call: string, at: string, expected: string): ChainError {
    return new ChainError('BAD_BACKEND_RESPONSE', 'the backend answered about another transaction', { ...this.context(call), at, expected });
  }
}

/** The txid of a raw transaction, or undefined when bitcoinjs-lib cannot parse it (the node will judge it). */
function txidOf(rawHex: string): string | undefined {
  try {
    return Transaction.fromHex(rawHex).getId();
  } catch {
    return undefined;
  }
}

