/**
 * The Esplora client against our regtest Esplora server over a real litecoind -regtest: funding,
 * balances and UTXOs (mempool then confirmed), a raw P2WPKH spend signed with bitcoinjs-lib broadcast
 * and confirmed, the node's refusals as BROADCAST_REJECTED with its reasons, and a reorg.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isChainError, type ChainError } from './errors.ts';
import { EsploraClient, feeRateForTarget } from './esplora.ts';
import { RegtestNode } from './local/regtest-node.ts';
import { REGTEST_FEE_SOURCE, startRegtestEsplora, type RegtestEsplora } from './local/regtest-esplora.ts';
import { buildSpend, highS, p2wpkhWallet, tamperSignature, testKey } from './test-support/btc-spend.ts';

let node: RegtestNode;
let server: RegtestEsplora;
let client: EsploraClient;

beforeAll(async () => {
  node = await RegtestNode.start();
  server = await startRegtestEsplora({ rpcUrl: node.rpcUrl });
  client = new EsploraClient({ baseUrl: server.url, timeoutMs: 10_000 });
});

afterAll(async () => {
  await server?.close();
  await node?.stop();
});

async function rejection(promise: Promise<unknown>): Promise<ChainError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isChainError(error)) throw new Error(`expected a ChainError, got ${String(error)}`);
  return error;
}

describe('Esplora client on a regtest node', () => {
  it('reads the tip height and the labelled fixed fee table', async () => {
    expect(await client.tipHeight()).toBe(await node.tipHeight());
    expect(await client.tipHeight()).toBeGreaterThanOrEqual(101);
    const fees = await client.feeEstimates();
    expect(fees.source).toBe(REGTEST_FEE_SOURCE);
    expect(fees.rates.map((r) => r.target)).toEqual([1, 2, 3, 4, 6, 10, 25, 144, 504, 1008]);
    expect(feeRateForTarget(fees, 6)).toBe(8);
    expect(feeRateForTarget(fees, 5)).toBe(10);
  });

  it('sees a funded address in the mempool, then confirmed: stats, balance, UTXO, history, status', async () => {
    const wallet = p2wpkhWallet(testKey('esplora chain: funded'));
    expect((await client.address(wallet.address)).txCount).toBe(0);

    const txid = await node.send(wallet.address, 150_000_000);
    const pending = await client.address(wallet.address);
    expect(pending.mempool).toMatchObject({ fundedTxoCount: 1, fundedTxoSum: 150_000_000, txCount: 1 });
    expect(pending.confirmedBalance).toBe(0);
    expect(pending.balance).toBe(150_000_000);
    const [utxo] = await client.addressUtxos(wallet.address);
    expect(utxo).toMatchObject({ txid, value: 150_000_000, status: { confirmed: false } });
    expect(await client.txStatus(txid)).toEqual({ confirmed: false });

    const [blockHash] = await node.mine(1);
    const height = await node.tipHeight();
    const confirmed = await client.address(wallet.address);
    expect(confirmed.chain).toMatchObject({ fundedTxoCount: 1, fundedTxoSum: 150_000_000, spentTxoCount: 0, txCount: 1 });
    expect(confirmed.mempool.txCount).toBe(0);
    expect(confirmed.balance).toBe(150_000_000);
    expect(await client.addressUtxos(wallet.address)).toEqual([
      { txid, vout: utxo!.vout, value: 150_000_000, status: { confirmed: true, blockHeight: height, blockHash, blockTime: expect.any(Number) } },
    ]);
    expect(await client.txStatus(txid)).toMatchObject({ confirmed: true, blockHeight: height, blockHash });
    const [tx] = await client.addressTxs(wallet.address);
    expect(tx?.txid).toBe(txid);
    expect(tx?.vout[utxo!.vout]).toMatchObject({ address: wallet.address, type: 'v0_p2wpkh', value: 150_000_000 });
    expect(tx?.fee).toBeGreaterThan(0);
    expect(tx?.vin.every((input) => input.prevout !== null && !input.isCoinbase)).toBe(true);
  });

  it('broadcasts a P2WPKH spend signed with bitcoinjs-lib: mempool, then confirmed', async () => {
    const wallet = p2wpkhWallet(testKey('esplora chain: spender'));
    await node.fund(wallet.address, 100_000_000);
    const utxos = await client.addressUtxos(wallet.address);
    const recipient = await node.newAddress();
    const spend = buildSpend(wallet, utxos, recipient, 30_000_000, 10);

    expect(await client.broadcast(spend.hex)).toBe(spend.txid);
    expect(await client.txStatus(spend.txid)).toEqual({ confirmed: false });
    expect(await client.txHex(spend.txid)).toBe(spend.hex);
    const mempool = await client.tx(spend.txid);
    expect(mempool.fee).toBe(spend.fee);
    expect(mempool.vin[0]?.prevout).toMatchObject({ address: wallet.address, value: 100_000_000 });
    expect(mempool.vin[0]?.witness).toHaveLength(2);
    const pending = await client.address(wallet.address);
    expect(pending.mempool).toMatchObject({ spentTxoCount: 1, spentTxoSum: 100_000_000, fundedTxoCount: 1, fundedTxoSum: spend.change });
    expect(pending.balance).toBe(spend.change);
    // The spent output is gone from the UTXOs; the change is there, unconfirmed.
    expect(await client.addressUtxos(wallet.address)).toEqual([{ txid: spend.txid, vout: 1, value: spend.change, status: { confirmed: false } }]);
    expect((await client.addressTxs(wallet.address)).map((t) => t.txid)[0]).toBe(spend.txid);

    await node.mine(1);
    expect(await client.txStatus(spend.txid)).toMatchObject({ confirmed: true, blockHeight: await node.tipHeight() });
    const after = await client.address(wallet.address);
    expect(after.chain).toMatchObject({ fundedTxoCount: 2, spentTxoCount: 1, txCount: 2 });
    expect(after.balance).toBe(spend.change);
    const received = await client.address(recipient);
    expect(received.confirmedBalance).toBe(30_000_000);
  });

  it('refuses a tampered signature with BROADCAST_REJECTED and the node’s reason', async () => {
    const wallet = p2wpkhWallet(testKey('esplora chain: tampered'));
    await node.fund(wallet.address, 10_000_000);
    const utxos = await client.addressUtxos(wallet.address);
    const spend = buildSpend(wallet, utxos, await node.newAddress(), 1_000_000);

    const tampered = await rejection(client.broadcast(tamperSignature(spend.hex)));
    expect(tampered.code).toBe('BROADCAST_REJECTED');
    expect(tampered.info.rpcCode).toBe(-26);
    expect(tampered.info.reason).toBe('non-mandatory-script-verify-flag (Signature must be zero for failed CHECK(MULTI)SIG operation)');

    // A high-S signature is the same signature to ECDSA but not standard: refused too.
    const high = await rejection(client.broadcast(highS(spend.hex)));
    expect(high.code).toBe('BROADCAST_REJECTED');
    expect(high.info.reason).toBe('non-mandatory-script-verify-flag (Non-canonical signature: S value is unnecessarily high)');

    // The untampered one goes through; sending a conflicting spend of the same coin is refused.
    expect(await client.broadcast(spend.hex)).toBe(spend.txid);
    const conflict = buildSpend(wallet, utxos, await node.newAddress(), 2_000_000);
    const doubleSpend = await rejection(client.broadcast(conflict.hex));
    expect(doubleSpend.code).toBe('BROADCAST_REJECTED');
    expect(doubleSpend.info.reason).toBe('txn-mempool-conflict');
    await node.mine(1);
  });

  it('answers unknown transactions like Esplora: 404 for the tx, unconfirmed for its status', async () => {
    const unknown = 'ab'.repeat(32);
    const error = await rejection(client.tx(unknown));
    expect(error.code).toBe('BACKEND_HTTP_ERROR');
    expect(error.info.status).toBe(404);
    expect((await rejection(client.txHex(unknown))).info.status).toBe(404);
    expect(await client.txStatus(unknown)).toEqual({ confirmed: false });
    const bad = await rejection(client.address('rltc1qnotanaddressatallxxxxxxxxxxxxxxxxxx'));
    expect(bad.code).toBe('BACKEND_HTTP_ERROR');
    expect(bad.info.status).toBe(400);
  });

  it('refreshes 20 addresses concurrently', async () => {
    const wallets = Array.from({ length: 20 }, (_, i) => p2wpkhWallet(testKey(`esplora chain: many ${i}`)));
    await node.wallet.call('sendmany', ['', Object.fromEntries(wallets.map((w, i) => [w.address, (0.01 * (i + 1)).toFixed(8)]))]);
    await node.mine(1);
    const summaries = await client.addresses(wallets.map((w) => w.address));
    expect(summaries.map((s) => s.address)).toEqual(wallets.map((w) => w.address));
    expect(summaries.map((s) => s.confirmedBalance)).toEqual(wallets.map((_, i) => 1_000_000 * (i + 1)));
  });

  it('follows a reorg: an invalidated block’s transaction is back in the mempool', async () => {
    const wallet = p2wpkhWallet(testKey('esplora chain: reorg'));
    const txid = await node.send(wallet.address, 5_000_000);
    const [blockHash] = await node.mine(1);
    expect((await client.txStatus(txid)).confirmed).toBe(true);
    await node.rpc.call('invalidateblock', [blockHash]);
    expect(await client.txStatus(txid)).toEqual({ confirmed: false });
    expect((await client.address(wallet.address)).mempool.fundedTxoSum).toBe(5_000_000);
    await node.rpc.call('reconsiderblock', [blockHash]);
    expect(await client.txStatus(txid)).toMatchObject({ confirmed: true, blockHash });
    expect((await client.address(wallet.address)).confirmedBalance).toBe(5_000_000);
  });
});
