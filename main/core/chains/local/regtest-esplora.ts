/**
 * An Esplora-compatible REST server over a regtest node's RPC, so the wallet and demo mode use one
 * Bitcoin backend type everywhere (esplora.ts). Loopback only; it serves the subset EsploraClient uses:
 *
 *   GET  /address/:a                  chain_stats / mempool_stats
 *   GET  /address/:a/utxo             confirmed and mempool outputs, minus those the mempool spends
 *   GET  /address/:a/txs              up to 50 mempool txs (newest first), then 25 confirmed (newest first)
 *   GET  /address/:a/txs/chain/:last  the next 25 confirmed after :last
 *   GET  /tx/:txid, /tx/:txid/hex, /tx/:txid/status
 *   POST /tx                          sendrawtransaction; a refusal is HTTP 400 with the node's message,
 *                                     `sendrawtransaction RPC error: {"code":-26,"message":"..."}`, as Esplora
 *   GET  /fee-estimates               a FIXED table (regtest has no fee market), labelled with the header
 *                                     `x-tapdesk-fee-source: regtest-fixed-table`
 *   GET  /blocks/tip/height, /blocks/tip/hash
 *
 * How address history is found: our own index, built from the node. Every request first syncs it: new
 * blocks are read with `getblock <hash> 2` (decoded transactions; prevouts come from the index itself,
 * since it holds every output from genesis on), and the mempool is read with `getrawmempool true` plus
 * `getrawtransaction` for transactions not seen before. A reorg (our tip hash no longer on the chain)
 * drops the index and reads the chain again. Why not the node's own tools: `scantxoutset` sees only
 * confirmed unspent outputs (no history, no mempool), and a watch-only wallet needs every address
 * imported (and a rescan) before it is asked about. A regtest chain is a few hundred small blocks, so
 * a full index is both the simplest and the exact answer, mempool included, as Esplora gives it.
 * (The node runs with -txindex so /tx/:txid/hex serves any transaction.)
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isChainError } from '../errors.ts';
import {
  broadcastRejectionBody,
  FEE_SOURCE_HEADER,
  type EsploraWireAddress,
  type EsploraWireStatus,
  type EsploraWireTx,
  type EsploraWireTxOut,
  type EsploraWireTxoStats,
  type EsploraWireUtxo,
} from '../esplora.ts';
import { arr, finite, hash32, hex, int, obj, optional, str } from '../shape.ts';
import { BitcoindRpc, coinToSats } from './bitcoind-rpc.ts';

/** Regtest has no fee market: a fixed table (sat/vB by confirmation target), at or above the 1 sat/vB relay minimum. */
export const REGTEST_FEE_TABLE: Readonly<Record<number, number>> = Object.freeze({
  1: 20,
  2: 15,
  3: 12,
  4: 10,
  6: 8,
  10: 5,
  25: 3,
  144: 2,
  504: 1,
  1008: 1,
});
export const REGTEST_FEE_SOURCE = 'regtest-fixed-table';

const MEMPOOL_TXS_PER_PAGE = 50;
const CHAIN_TXS_PER_PAGE = 25;
const MAX_POST_BYTES = 10 * 1024 * 1024;

export interface RegtestEsploraOptions {
  /** The node's RPC URL with credentials (RegtestNode.rpcUrl). */
  readonly rpcUrl: string;
  /** Port on 127.0.0.1 (default: one the OS picks). */
  readonly port?: number;
  /** Demo mode: mine a block to `address` this long after each accepted broadcast. Off by default. */
  readonly autoMine?: { readonly delayMs: number; readonly address: string };
}

export interface RegtestEsplora {
  /** http://127.0.0.1:port: the Esplora base URL. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// The index.

interface Out {
  readonly script: string;
  readonly asm: string;
  readonly type: string;
  readonly address: string | undefined;
  readonly value: number;
}

interface In {
  readonly txid: string;
  readonly vout: number;
  readonly scriptsig: string;
  readonly scriptsigAsm: string;
  readonly witness: readonly string[] | undefined;
  readonly sequence: number;
  readonly coinbase: boolean;
}

interface Tx {
  readonly txid: string;
  readonly version: number;
  readonly locktime: number;
  readonly size: number;
  readonly weight: number;
  readonly vin: readonly In[];
  readonly vout: readonly Out[];
  /** Confirmed: where. */
  block?: { readonly height: number; readonly hash: string; readonly time: number };
  /** Mempool: when the node first saw it (seconds). */
  seen?: number;
}

interface Overlay {
  readonly txs: Map<string, Tx>;
  readonly funding: Map<string, string[]>;
  readonly spentBy: Map<string, string>;
  readonly spent: Map<string, { count: number; sum: number }>;
  readonly touching: Map<string, Set<string>>;
}

const outpoint = (txid: string, vout: number): string => `${txid}:${vout}`;

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function touch(map: Map<string, Set<string>>, script: string, txid: string): void {
  const set = map.get(script);
  if (set) set.add(txid);
  else map.set(script, new Set([txid]));
}

/** Esplora's scriptpubkey_type names from the node's. */
function esploraType(nodeType: string, script: string): string {
  switch (nodeType) {
    case 'pubkeyhash':
      return 'p2pkh';
    case 'scripthash':
      return 'p2sh';
    case 'witness_v0_keyhash':
      return 'v0_p2wpkh';
    case 'witness_v0_scripthash':
      return 'v0_p2wsh';
    case 'witness_v1_taproot':
      return 'v1_p2tr';
    case 'nulldata':
      return 'op_return';
    case 'pubkey':
      return 'p2pk';
    case 'multisig':
      return 'multisig';
    default:
      return /^5120[0-9a-f]{64}$/.test(script) ? 'v1_p2tr' : 'unknown';
  }
}

const SINGLE_ADDRESS_TYPES = new Set(['p2pkh', 'p2sh', 'v0_p2wpkh', 'v0_p2wsh', 'v1_p2tr', 'unknown']);

/** One decoded transaction from the node (getblock verbosity 2, getrawtransaction verbose). */
export function decodeNodeTx(value: unknown, path = 'tx'): Tx {
  const o = obj(value, path);
  const vin = arr(o.vin, `${path}.vin`).map((entry, i): In => {
    const p = `${path}.vin[${i}]`;
    const input = obj(entry, p);
    const witness = optional(input.txinwitness, (w) => arr(w, `${p}.txinwitness`).map((item, j) => hex(item, `${p}.txinwitness[${j}]`)));
    if (input.coinbase !== undefined) {
      return {
        txid: '0'.repeat(64),
        vout: 0xffffffff,
        scriptsig: hex(input.coinbase, `${p}.coinbase`),
        scriptsigAsm: '',
        witness,
        sequence: int(input.sequence, `${p}.sequence`),
        coinbase: true,
      };
    }
    const scriptSig = obj(input.scriptSig, `${p}.scriptSig`);
    return {
      txid: hash32(input.txid, `${p}.txid`),
      vout: int(input.vout, `${p}.vout`),
      scriptsig: hex(scriptSig.hex, `${p}.scriptSig.hex`),
      scriptsigAsm: str(scriptSig.asm, `${p}.scriptSig.asm`),
      witness,
      sequence: int(input.sequence, `${p}.sequence`),
      coinbase: false,
    };
  });
  const vout = arr(o.vout, `${path}.vout`).map((entry, i): Out => {
    const p = `${path}.vout[${i}]`;
    const output = obj(entry, p);
    const spk = obj(output.scriptPubKey, `${p}.scriptPubKey`);
    const script = hex(spk.hex, `${p}.scriptPubKey.hex`);
    const type = esploraType(str(spk.type, `${p}.scriptPubKey.type`), script);
    // Litecoin 0.21 (like Bitcoin Core 0.21) gives `addresses: [..]`; Bitcoin Core 22+ gives `address`.
    const addresses = optional(spk.addresses, (a) => arr(a, `${p}.scriptPubKey.addresses`).map((x) => str(x, `${p}.scriptPubKey.addresses[]`))) ?? [];
    const single = optional(spk.address, (a) => str(a, `${p}.scriptPubKey.address`)) ?? (addresses.length === 1 ? addresses[0] : undefined);
    return {
      script,
      asm: str(spk.asm, `${p}.scriptPubKey.asm`),
      type,
      address: SINGLE_ADDRESS_TYPES.has(type) ? single : undefined,
      value: coinToSats(finite(output.value, `${p}.value`)),
    };
  });
  return {
    txid: hash32(o.txid, `${path}.txid`),
    version: int(o.version, `${path}.version`, -0x80000000),
    locktime: int(o.locktime, `${path}.locktime`),
    size: int(o.size, `${path}.size`),
    weight: int(o.weight, `${path}.weight`),
    vin,
    vout,
  };
}

export class RegtestIndex {
  // Confirmed chain.
  private blocks: { hash: string; time: number }[] = [];
  private txs = new Map<string, Tx>();
  private funding = new Map<string, string[]>();
  private spentBy = new Map<string, string>();
  private touching = new Map<string, Set<string>>();
  /** Outputs of transactions outside the index (looked up once by RPC). */
  private loose = new Map<string, Out>();
  // Mempool.
  private mempoolCache = new Map<string, Tx>();
  private overlay: Overlay = emptyOverlay();
  // Syncs run one at a time; callers arriving while one runs share the next one.
  private last: Promise<void> = Promise.resolve();
  private pending: Promise<void> | undefined;

  constructor(private readonly rpc: BitcoindRpc) {}

  /** Brings the index up to the node's chain and mempool as of (at least) the moment of the call. */
  sync(): Promise<void> {
    if (this.pending) return this.pending;
    const next = this.last
      .catch(() => undefined)
      .then(() => {
        this.pending = undefined;
        return this.syncNow();
      });
    this.pending = next;
    this.last = next;
    return next;
  }

  get tipHeight(): number {
    return this.blocks.length - 1;
  }

  get tipHash(): string | undefined {
    return this.blocks[this.blocks.length - 1]?.hash;
  }

  private async syncNow(): Promise<void> {
    // The common case in one round trip: tip, mempool and tip again in one batch (the node runs
    // them in order); the same tip before and after, and ours, means the mempool read is current.
    const [best, mempool, bestAfter] = await this.rpc.batch([{ method: 'getbestblockhash' }, { method: 'getrawmempool', params: [true] }, { method: 'getbestblockhash' }]);
    if (best === this.tipHash && bestAfter === best) {
      await this.syncMempool(obj(mempool, 'getrawmempool'));
      return;
    }
    for (let attempt = 0; attempt < 3; attempt++) {
      const best = await this.rpc.call<string>('getbestblockhash');
      if (best !== this.tipHash) await this.syncBlocks();
      const mempool = obj(await this.rpc.call('getrawmempool', [true]), 'getrawmempool');
      await this.syncMempool(mempool);
      // A block mined meanwhile may hold transactions that left the mempool before we read it: again.
      if ((await this.rpc.call<string>('getbestblockhash')) === this.tipHash) return;
    }
  }

  private async syncBlocks(): Promise<void> {
    const height = await this.rpc.call<number>('getblockcount');
    const ours = this.blocks.length - 1;
    if (ours >= 0) {
      const stillThere = ours <= height && (await this.rpc.call<string>('getblockhash', [ours])) === this.tipHash;
      if (!stillThere) this.reset();
    }
    const CHUNK = 16;
    for (let start = this.blocks.length; start <= height; start += CHUNK) {
      const heights = Array.from({ length: Math.min(CHUNK, height - start + 1) }, (_, i) => start + i);
      const hashes = await Promise.all(heights.map((h) => this.rpc.call<string>('getblockhash', [h])));
      const blocks = await Promise.all(hashes.map((hash) => this.rpc.call('getblock', [hash, 2])));
      blocks.forEach((block, i) => this.indexBlock(heights[i] as number, block));
    }
  }

  private reset(): void {
    this.blocks = [];
    this.txs = new Map();
    this.funding = new Map();
    this.spentBy = new Map();
    this.touching = new Map();
    this.loose = new Map();
  }

  private indexBlock(height: number, value: unknown): void {
    const block = obj(value, 'block');
    const hash = hash32(block.hash, 'block.hash');
    const time = int(block.time, 'block.time');
    if (int(block.height, 'block.height') !== height) throw new Error(`block at ${height} says height ${String(block.height)}`);
    const txs = arr(block.tx, 'block.tx').map((t, i) => decodeNodeTx(t, `block.tx[${i}]`));
    this.blocks[height] = { hash, time };
    for (const tx of txs) {
      tx.block = { height, hash, time };
      this.txs.set(tx.txid, tx);
      tx.vout.forEach((out, n) => {
        push(this.funding, out.script, outpoint(tx.txid, n));
        touch(this.touching, out.script, tx.txid);
      });
      for (const input of tx.vin) {
        if (input.coinbase) continue;
        const op = outpoint(input.txid, input.vout);
        this.spentBy.set(op, tx.txid);
        const prev = this.output(input.txid, input.vout);
        if (prev) touch(this.touching, prev.script, tx.txid);
      }
    }
  }

  private async syncMempool(entries: Readonly<Record<string, unknown>>): Promise<void> {
    const ids = Object.keys(entries);
    const fresh = ids.filter((id) => !this.mempoolCache.has(id) && !this.txs.has(id));
    const fetched = await Promise.all(
      fresh.map((id) =>
        this.rpc.call('getrawtransaction', [id, true]).then(
          (t) => decodeNodeTx(t),
          (error: unknown) => {
            if (isChainError(error, 'RPC_ERROR') && error.info.rpcCode === -5) return undefined; // left the mempool meanwhile
            throw error;
          },
        ),
      ),
    );
    for (const tx of fetched) if (tx) this.mempoolCache.set(tx.txid, tx);
    const live = new Set(ids);
    for (const id of [...this.mempoolCache.keys()]) if (!live.has(id) || this.txs.has(id)) this.mempoolCache.delete(id);
    for (const [id, tx] of this.mempoolCache) {
      const entry = entries[id];
      const time = typeof entry === 'object' && entry !== null ? (entry as { time?: unknown }).time : undefined;
      tx.seen = typeof time === 'number' ? time : 0;
    }
    // Prevouts the index does not hold (none, normally): look them up once.
    const missing = new Set<string>();
    for (const tx of this.mempoolCache.values()) {
      for (const input of tx.vin) {
        if (!input.coinbase && !this.output(input.txid, input.vout) && !this.mempoolCache.has(input.txid)) missing.add(input.txid);
      }
    }
    await Promise.all([...missing].map((id) => this.loadLoose(id)));
    this.overlay = this.buildOverlay();
  }

  private async loadLoose(txid: string): Promise<void> {
    const tx = decodeNodeTx(await this.rpc.call('getrawtransaction', [txid, true]));
    tx.vout.forEach((out, n) => this.loose.set(outpoint(txid, n), out));
  }

  private buildOverlay(): Overlay {
    const overlay = emptyOverlay();
    for (const tx of this.mempoolCache.values()) {
      overlay.txs.set(tx.txid, tx);
      tx.vout.forEach((out, n) => {
        push(overlay.funding, out.script, outpoint(tx.txid, n));
        touch(overlay.touching, out.script, tx.txid);
      });
    }
    for (const tx of this.mempoolCache.values()) {
      for (const input of tx.vin) {
        if (input.coinbase) continue;
        overlay.spentBy.set(outpoint(input.txid, input.vout), tx.txid);
        const prev = this.output(input.txid, input.vout) ?? overlay.txs.get(input.txid)?.vout[input.vout];
        if (!prev) continue;
        touch(overlay.touching, prev.script, tx.txid);
        const spent = overlay.spent.get(prev.script) ?? { count: 0, sum: 0 };
        spent.count += 1;
        spent.sum += prev.value;
        overlay.spent.set(prev.script, spent);
      }
    }
    return overlay;
  }

  private output(txid: string, vout: number): Out | undefined {
    return this.txs.get(txid)?.vout[vout] ?? this.mempoolCache.get(txid)?.vout[vout] ?? this.loose.get(outpoint(txid, vout));
  }

  // -------------------------------------------------------------------------------------------
  // Reads (synchronous: call right after sync()).

  stats(script: string, address: string): EsploraWireAddress {
    const chain: EsploraWireTxoStats = { funded_txo_count: 0, funded_txo_sum: 0, spent_txo_count: 0, spent_txo_sum: 0, tx_count: 0 };
    for (const op of this.funding.get(script) ?? []) {
      const value = this.valueOf(op);
      chain.funded_txo_count += 1;
      chain.funded_txo_sum += value;
      if (this.spentBy.has(op)) {
        chain.spent_txo_count += 1;
        chain.spent_txo_sum += value;
      }
    }
    chain.tx_count = this.touching.get(script)?.size ?? 0;
    const mempool: EsploraWireTxoStats = { funded_txo_count: 0, funded_txo_sum: 0, spent_txo_count: 0, spent_txo_sum: 0, tx_count: 0 };
    for (const op of this.overlay.funding.get(script) ?? []) {
      mempool.funded_txo_count += 1;
      mempool.funded_txo_sum += this.valueOf(op);
    }
    const spent = this.overlay.spent.get(script);
    mempool.spent_txo_count = spent?.count ?? 0;
    mempool.spent_txo_sum = spent?.sum ?? 0;
    mempool.tx_count = this.overlay.touching.get(script)?.size ?? 0;
    return { address, chain_stats: chain, mempool_stats: mempool };
  }

  utxos(script: string): EsploraWireUtxo[] {
    const result: EsploraWireUtxo[] = [];
    for (const op of this.funding.get(script) ?? []) {
      if (this.spentBy.has(op) || this.overlay.spentBy.has(op)) continue;
      const [txid, vout] = splitOutpoint(op);
      result.push({ txid, vout, value: this.valueOf(op), status: this.status(txid) });
    }
    for (const op of this.overlay.funding.get(script) ?? []) {
      if (this.overlay.spentBy.has(op)) continue;
      const [txid, vout] = splitOutpoint(op);
      result.push({ txid, vout, value: this.valueOf(op), status: { confirmed: false } });
    }
    return result;
  }

  addressTxs(script: string, lastSeen?: string): EsploraWireTx[] {
    const chain = [...(this.touching.get(script) ?? [])].reverse();
    if (lastSeen !== undefined) {
      const at = chain.indexOf(lastSeen);
      return at < 0 ? [] : chain.slice(at + 1, at + 1 + CHAIN_TXS_PER_PAGE).map((id) => this.wireTx(id) as EsploraWireTx);
    }
    const mempool = [...(this.overlay.touching.get(script) ?? [])]
      .map((id) => this.overlay.txs.get(id) as Tx)
      .sort((a, b) => (b.seen ?? 0) - (a.seen ?? 0) || (a.txid < b.txid ? -1 : 1))
      .slice(0, MEMPOOL_TXS_PER_PAGE)
      .map((tx) => tx.txid);
    return [...mempool, ...chain.slice(0, CHAIN_TXS_PER_PAGE)].map((id) => this.wireTx(id) as EsploraWireTx);
  }

  /** Esplora answers `{confirmed:false}` for a txid it does not know, too. */
  status(txid: string): EsploraWireStatus {
    const block = this.txs.get(txid)?.block;
    return block ? { confirmed: true, block_height: block.height, block_hash: block.hash, block_time: block.time } : { confirmed: false };
  }

  wireTx(txid: string): EsploraWireTx | undefined {
    const tx = this.txs.get(txid) ?? this.overlay.txs.get(txid);
    if (!tx) return undefined;
    const wireOut = (out: Out): EsploraWireTxOut => ({
      scriptpubkey: out.script,
      scriptpubkey_asm: out.asm,
      scriptpubkey_type: out.type,
      ...(out.address !== undefined ? { scriptpubkey_address: out.address } : {}),
      value: out.value,
    });
    let inputs = 0;
    const vin = tx.vin.map((input) => {
      const prev = input.coinbase ? undefined : this.output(input.txid, input.vout);
      if (prev) inputs += prev.value;
      return {
        txid: input.txid,
        vout: input.vout,
        prevout: prev ? wireOut(prev) : null,
        scriptsig: input.scriptsig,
        scriptsig_asm: input.scriptsigAsm,
        ...(input.witness ? { witness: [...input.witness] } : {}),
        is_coinbase: input.coinbase,
        sequence: input.sequence,
      };
    });
    const outputs = tx.vout.reduce((sum, out) => sum + out.value, 0);
    const coinbase = tx.vin.some((input) => input.coinbase);
    return {
      txid: tx.txid,
      version: tx.version,
      locktime: tx.locktime,
      vin,
      vout: tx.vout.map(wireOut),
      size: tx.size,
      weight: tx.weight,
      fee: coinbase ? 0 : Math.max(0, inputs - outputs),
      status: this.status(tx.txid),
    };
  }

  private valueOf(op: string): number {
    const [txid, vout] = splitOutpoint(op);
    return this.output(txid, vout)?.value ?? 0;
  }
}

function emptyOverlay(): Overlay {
  return { txs: new Map(), funding: new Map(), spentBy: new Map(), spent: new Map(), touching: new Map() };
}

function splitOutpoint(op: string): [string, number] {
  const at = op.lastIndexOf(':');
  return [op.slice(0, at), Number(op.slice(at + 1))];
}

// ---------------------------------------------------------------------------------------------
// The HTTP server.

class HttpFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function startRegtestEsplora(options: RegtestEsploraOptions): Promise<RegtestEsplora> {
  const rpc = new BitcoindRpc({ url: options.rpcUrl, timeoutMs: 30_000 });
  const index = new RegtestIndex(rpc);
  const scripts = new Map<string, string>();
  let port = 0;
  let mineTimer: NodeJS.Timeout | undefined;

  const scriptOf = async (address: string): Promise<string> => {
    const known = scripts.get(address);
    if (known) return known;
    if (!/^[A-Za-z0-9]{14,120}$/.test(address)) throw new HttpFailure(400, 'Invalid Bitcoin address');
    const answer = obj(await rpc.call('validateaddress', [address]), 'validateaddress');
    if (answer.isvalid !== true) throw new HttpFailure(400, 'Invalid Bitcoin address');
    const script = hex(answer.scriptPubKey, 'validateaddress.scriptPubKey');
    scripts.set(address, script);
    return script;
  };
  const txidParam = (value: string | undefined): string => {
    if (!value || !/^[0-9a-fA-F]{64}$/.test(value)) throw new HttpFailure(400, 'Invalid hex string');
    return value.toLowerCase();
  };
  const scheduleMine = (): void => {
    const auto = options.autoMine;
    if (!auto || mineTimer) return;
    mineTimer = setTimeout(() => {
      mineTimer = undefined;
      rpc.call('generatetoaddress', [1, auto.address]).catch(() => undefined);
    }, auto.delayMs);
    mineTimer.unref();
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const allowed = [`127.0.0.1:${port}`, `localhost:${port}`];
    if (!allowed.includes(request.headers.host ?? '')) throw new HttpFailure(403, 'Forbidden host');
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const parts = url.pathname.split('/').filter(Boolean);
    const [head, a, b, c, d] = parts;
    if (request.method === 'POST' && head === 'tx' && parts.length === 1) {
      const body = (await readBody(request)).trim();
      if (!/^(?:[0-9a-fA-F]{2})+$/.test(body)) throw new HttpFailure(400, broadcastRejectionBody(-22, 'TX decode failed'));
      try {
        const txid = await rpc.call<string>('sendrawtransaction', [body]);
        scheduleMine();
        return send(response, 200, txid, 'text/plain');
      } catch (error) {
        if (isChainError(error, 'RPC_ERROR')) {
          throw new HttpFailure(400, broadcastRejectionBody(Number(error.info.rpcCode), String(error.info.rpcMessage)));
        }
        throw error;
      }
    }
    if (request.method !== 'GET') throw new HttpFailure(405, 'Method not allowed');
    if (head === 'address' && a) {
      const script = await scriptOf(a);
      await index.sync();
      if (parts.length === 2) return sendJson(response, index.stats(script, a));
      if (b === 'utxo' && parts.length === 3) return sendJson(response, index.utxos(script));
      if (b === 'txs' && parts.length === 3) return sendJson(response, index.addressTxs(script));
      if (b === 'txs' && c === 'chain' && parts.length === 5) return sendJson(response, index.addressTxs(script, txidParam(d)));
    }
    if (head === 'tx' && a) {
      const txid = txidParam(a);
      if (b === 'hex' && parts.length === 3) {
        try {
          return send(response, 200, hex(await rpc.call('getrawtransaction', [txid, false]), 'getrawtransaction'), 'text/plain');
        } catch (error) {
          if (isChainError(error, 'RPC_ERROR') && error.info.rpcCode === -5) throw new HttpFailure(404, 'Transaction not found');
          throw error;
        }
      }
      await index.sync();
      if (parts.length === 2) {
        const tx = index.wireTx(txid);
        if (!tx) throw new HttpFailure(404, 'Transaction not found');
        return sendJson(response, tx);
      }
      if (b === 'status' && parts.length === 3) return sendJson(response, index.status(txid));
    }
    if (head === 'fee-estimates' && parts.length === 1) {
      return send(response, 200, JSON.stringify(REGTEST_FEE_TABLE), 'application/json', { [FEE_SOURCE_HEADER]: REGTEST_FEE_SOURCE });
    }
    if (head === 'blocks' && a === 'tip' && parts.length === 3 && (b === 'height' || b === 'hash')) {
      await index.sync();
      return send(response, 200, b === 'height' ? String(index.tipHeight) : (index.tipHash ?? ''), 'text/plain');
    }
    throw new HttpFailure(404, 'Not found');
  };

  const server: Server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (error instanceof HttpFailure) return send(response, error.status, error.message, 'text/plain');
      const message = error instanceof Error ? error.message : String(error);
      send(response, 502, `regtest node: ${message}`, 'text/plain');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  await index.sync(); // index the chain before the first request
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        if (mineTimer) clearTimeout(mineTimer);
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function send(response: ServerResponse, status: number, body: string, type: string, headers: Record<string, string> = {}): void {
  if (response.headersSent) return void response.end();
  response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', ...headers });
  response.end(body);
}

function sendJson(response: ServerResponse, value: unknown): void {
  send(response, 200, JSON.stringify(value), 'application/json');
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    request.on('data', (chunk: Buffer) => {
      total += chunk.length;
      if (total > MAX_POST_BYTES) {
        reject(new HttpFailure(413, 'Payload too large'));
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}
