import { afterEach, describe, expect, it } from 'vitest';
import { isChainError, type ChainError } from './errors.ts';
import {
  EsploraClient,
  feeRateForTarget,
  readAddressSummary,
  readBroadcastRejection,
  readTx,
  broadcastRejectionBody,
  FEE_SOURCE_HEADER,
} from './esplora.ts';
import { mapConcurrent, parseEndpoint } from './http.ts';
import { closedPort, fakeBackend, failureOf, type FakeAnswer, type FakeBackend, type FakeRequest } from './test-support/fake-backend.ts';

const ADDRESS = 'rltc1qycal8ls46cvuyxwh47we5v2lpc04sgu2eekjl6';
const TXID = 'a'.repeat(64);
// A real regtest transaction (P2WPKH spend) and its txid.
const RAW =
  '02000000000101c65d0526f185bfba5db8f850fa7903ced7654f928c5217765e09b23bf96ab7f90000000000feffffff02fe1a152101000000160014263bf3fe15d619c219d7af9d9a315f0e1f58238a80d1f008000000001600143be189aaeef6a9ea35221ada3d7041b01493674802473044022033c4431828662ff2b4896e4a871725e44b1702c31bf4a116ebf1183d9f42900e022063c9b0e709bf6d1ca0490ba106470f1cc56da4c711608dc4b681e106218a1a1d012103bad959e0223e295166291ecdce1032c9ba3db5ce1e5a4eecf4dff4aaa40dda7965000000';
const RAW_TXID = '588b8cdc23d07e6a630da3da02633317df1b7ad947f7ffdf5ea5aa08bc8a05b9';

const stats = (funded: number, spent: number, txs = 1) => ({
  funded_txo_count: 1,
  funded_txo_sum: funded,
  spent_txo_count: spent ? 1 : 0,
  spent_txo_sum: spent,
  tx_count: txs,
});

let backend: FakeBackend | undefined;
afterEach(async () => {
  await backend?.close();
  backend = undefined;
});

async function serve(answer: (request: FakeRequest) => FakeAnswer, timeoutMs = 2_000): Promise<EsploraClient> {
  backend = await fakeBackend(answer);
  return new EsploraClient({ baseUrl: backend.url, timeoutMs });
}

async function chainError(promise: Promise<unknown>): Promise<ChainError> {
  const error = await failureOf(promise);
  if (!isChainError(error)) throw new Error(`expected a ChainError, got ${String(error)}`);
  return error;
}

describe('Esplora answers are checked before use', () => {
  it('reads an address summary and computes the balances', () => {
    const summary = readAddressSummary({ address: ADDRESS, chain_stats: stats(150, 50, 2), mempool_stats: stats(20, 30) }, ADDRESS);
    expect(summary).toMatchObject({ confirmedBalance: 100, unconfirmedDelta: -10, balance: 90, txCount: 3 });
  });

  it.each([
    ['a missing field', { address: ADDRESS, chain_stats: { ...stats(1, 0), funded_txo_sum: undefined }, mempool_stats: stats(0, 0) }, 'chain_stats.funded_txo_sum'],
    ['a negative sum', { address: ADDRESS, chain_stats: stats(-5, 0), mempool_stats: stats(0, 0) }, 'chain_stats.funded_txo_sum'],
    ['a fractional count', { address: ADDRESS, chain_stats: { ...stats(1, 0), tx_count: 1.5 }, mempool_stats: stats(0, 0) }, 'chain_stats.tx_count'],
    ['more spent than funded', { address: ADDRESS, chain_stats: stats(1, 2), mempool_stats: stats(0, 0) }, 'chain_stats.spent_txo_sum'],
    ['another address', { address: 'rltc1qsomethingelse0000000000000', chain_stats: stats(1, 0), mempool_stats: stats(0, 0) }, 'address'],
    ['an array', [], 'answer'],
  ])('refuses %s with BAD_BACKEND_RESPONSE naming where', async (_name, body, at) => {
    const client = await serve(() => ({ body }));
    const error = await chainError(client.address(ADDRESS));
    expect(error.code).toBe('BAD_BACKEND_RESPONSE');
    expect(error.info).toMatchObject({ at, call: 'GET /address/:address' });
  });

  it('refuses non-JSON and HTML error pages', async () => {
    const client = await serve(() => ({ body: '<html>oops</html>' }));
    expect((await chainError(client.address(ADDRESS))).code).toBe('BAD_BACKEND_RESPONSE');
  });

  it('checks UTXOs: txid hex, integer value, confirmed status with its block', async () => {
    const good = { txid: TXID, vout: 0, value: 1000, status: { confirmed: true, block_height: 5, block_hash: 'b'.repeat(64), block_time: 1 } };
    let body: unknown = [good, { txid: TXID, vout: 1, value: 7, status: { confirmed: false } }];
    const client = await serve(() => ({ body: body as object }));
    expect(await client.addressUtxos(ADDRESS)).toEqual([
      { txid: TXID, vout: 0, value: 1000, status: { confirmed: true, blockHeight: 5, blockHash: 'b'.repeat(64), blockTime: 1 } },
      { txid: TXID, vout: 1, value: 7, status: { confirmed: false } },
    ]);
    for (const [bad, at] of [
      [{ ...good, txid: 'xyz' }, '[0].txid'],
      [{ ...good, value: '1000' }, '[0].value'],
      [{ ...good, value: 0.5 }, '[0].value'],
      [{ ...good, status: { confirmed: true } }, '[0].status.block_height'],
    ] as const) {
      body = [bad];
      expect((await chainError(client.addressUtxos(ADDRESS))).info.at).toBe(at);
    }
  });

  it('reads a transaction; a coinbase input has no prevout, any other must have one', () => {
    const tx = {
      txid: TXID,
      version: 2,
      locktime: 0,
      vin: [{ txid: '0'.repeat(64), vout: 4294967295, prevout: null, scriptsig: '51', scriptsig_asm: '', is_coinbase: true, sequence: 4294967295 }],
      vout: [{ scriptpubkey: '0014' + '00'.repeat(20), scriptpubkey_asm: '', scriptpubkey_type: 'v0_p2wpkh', scriptpubkey_address: ADDRESS, value: 5 }],
      size: 100,
      weight: 400,
      fee: 0,
      status: { confirmed: false },
    };
    expect(readTx(tx)).toMatchObject({ txid: TXID, vin: [{ isCoinbase: true, prevout: null, witness: [] }], vout: [{ address: ADDRESS, type: 'v0_p2wpkh', value: 5 }] });
    const spend = { ...tx, vin: [{ ...tx.vin[0], is_coinbase: false }] };
    expect(() => readTx(spend)).toThrow(/answer\.vin\[0\]\.prevout/);
  });

  it('checks that /tx/:txid/hex hashes to the txid asked for', async () => {
    let body = RAW;
    const client = await serve(() => ({ body }));
    expect(await client.txHex(RAW_TXID)).toBe(RAW);
    body = RAW.replace('80d1f008', '80d1f009'); // another amount: another txid
    expect((await chainError(client.txHex(RAW_TXID))).code).toBe('BAD_BACKEND_RESPONSE');
  });

  it('reads the fee table sorted by target, with its label; picks the rate for a target', async () => {
    const client = await serve(() => ({ body: { '6': 5.5, '1': 20, '144': 1.2, '3': 10 }, headers: { [FEE_SOURCE_HEADER]: 'regtest-fixed-table' } }));
    const fees = await client.feeEstimates();
    expect(fees).toEqual({
      rates: [
        { target: 1, satPerVb: 20 },
        { target: 3, satPerVb: 10 },
        { target: 6, satPerVb: 5.5 },
        { target: 144, satPerVb: 1.2 },
      ],
      source: 'regtest-fixed-table',
    });
    expect(feeRateForTarget(fees, 1)).toBe(20);
    expect(feeRateForTarget(fees, 2)).toBe(20);
    expect(feeRateForTarget(fees, 6)).toBe(5.5);
    expect(feeRateForTarget(fees, 1000)).toBe(1.2);
    expect(feeRateForTarget({ rates: [] }, 3)).toBeUndefined();
  });

  it('refuses a fee table with a non-numeric rate or target', async () => {
    let body: object = { '1': 'fast' };
    const client = await serve(() => ({ body }));
    expect((await chainError(client.feeEstimates())).code).toBe('BAD_BACKEND_RESPONSE');
    body = { soon: 3 };
    expect((await chainError(client.feeEstimates())).code).toBe('BAD_BACKEND_RESPONSE');
  });

  it('reads the tip height as a plain integer', async () => {
    let body = '812345\n';
    const client = await serve(() => ({ body }));
    expect(await client.tipHeight()).toBe(812345);
    body = '{"height":5}';
    expect((await chainError(client.tipHeight())).code).toBe('BAD_BACKEND_RESPONSE');
  });
});

describe('Esplora broadcast', () => {
  it('posts the raw hex as text and returns the txid, checked against the transaction', async () => {
    let answerTxid = RAW_TXID;
    const client = await serve(() => ({ body: answerTxid }));
    expect(await client.broadcast(RAW)).toBe(RAW_TXID);
    expect(backend?.requests[0]).toMatchObject({ method: 'POST', path: '/tx', body: RAW });
    answerTxid = TXID;
    expect((await chainError(client.broadcast(RAW))).code).toBe('BAD_BACKEND_RESPONSE');
  });

  it('turns a 400 into BROADCAST_REJECTED with the node’s reason and code', async () => {
    const client = await serve(() => ({ status: 400, body: broadcastRejectionBody(-26, 'min relay fee not met, 100 < 141') }));
    const error = await chainError(client.broadcast(RAW));
    expect(error.code).toBe('BROADCAST_REJECTED');
    expect(error.info).toMatchObject({ reason: 'min relay fee not met, 100 < 141', rpcCode: -26 });
  });

  it('reads rejection bodies in the shapes servers use', () => {
    expect(readBroadcastRejection('sendrawtransaction RPC error: {"code":-25,"message":"bad-txns-inputs-missingorspent"}')).toEqual({
      reason: 'bad-txns-inputs-missingorspent',
      rpcCode: -25,
    });
    expect(readBroadcastRejection('Invalid hex string')).toEqual({ reason: 'Invalid hex string' });
    expect(readBroadcastRejection('RPC error: {not json}')).toEqual({ reason: 'RPC error: {not json}' });
    expect(readBroadcastRejection('')).toEqual({ reason: 'no reason given' });
  });

  it('keeps a 5xx as BACKEND_HTTP_ERROR (the transaction may or may not have gone out)', async () => {
    const client = await serve(() => ({ status: 502, body: 'Bad gateway' }));
    const error = await chainError(client.broadcast(RAW));
    expect(error.code).toBe('BACKEND_HTTP_ERROR');
    expect(error.info).toMatchObject({ status: 502, body: 'Bad gateway' });
  });

  it('refuses to send what is not hex', async () => {
    const client = new EsploraClient({ baseUrl: 'http://127.0.0.1:9' });
    for (const bad of ['', 'abc', 'zz', '0x00']) expect((await chainError(client.broadcast(bad))).code).toBe('INVALID_ARGUMENT');
  });
});

describe('Esplora calls never hang and never send unchecked arguments', () => {
  it('is BACKEND_UNREACHABLE, fast, on a closed port', async () => {
    const client = new EsploraClient({ baseUrl: `http://127.0.0.1:${await closedPort()}`, timeoutMs: 5_000 });
    const started = Date.now();
    const error = await chainError(client.tipHeight());
    expect(error.code).toBe('BACKEND_UNREACHABLE');
    expect(error.info.reason).toBe('ECONNREFUSED');
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('is BACKEND_TIMEOUT when the server never answers', async () => {
    const client = await serve(() => 'hang', 300);
    const started = Date.now();
    const error = await chainError(client.address(ADDRESS));
    expect(error.code).toBe('BACKEND_TIMEOUT');
    expect(error.info.timeoutMs).toBe(300);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it('is ABORTED when the caller cancels', async () => {
    const client = await serve(() => 'hang', 5_000);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    expect((await chainError(client.address(ADDRESS, { signal: controller.signal }))).code).toBe('ABORTED');
    expect((await chainError(client.address(ADDRESS, { signal: AbortSignal.abort() }))).code).toBe('ABORTED');
  });

  it('is BACKEND_HTTP_ERROR with the status and an excerpt on 4xx/5xx and redirects', async () => {
    let answer: FakeAnswer = { status: 429, body: 'Too Many Requests' };
    const client = await serve(() => answer);
    expect((await chainError(client.address(ADDRESS))).info).toMatchObject({ status: 429, body: 'Too Many Requests' });
    answer = { status: 301, body: '', headers: { location: 'https://elsewhere.example/' } };
    expect((await chainError(client.tipHeight())).info).toMatchObject({ status: 301 });
  });

  it('refuses oversized answers', async () => {
    const client = await serve(() => ({ body: 'x'.repeat(17 * 1024 * 1024) }));
    const error = await chainError(client.tipHeight());
    expect(error.code).toBe('BAD_BACKEND_RESPONSE');
    expect(error.message).toMatch(/too large/);
  });

  it('refuses arguments that are not an address or a txid before any request', async () => {
    const client = await serve(() => ({ body: {} }));
    for (const bad of ['../../blocks', 'abc', 'rltc1q/../x', `${ADDRESS}?x=1`]) {
      expect((await chainError(client.address(bad))).code).toBe('INVALID_ARGUMENT');
    }
    expect((await chainError(client.txStatus('1234'))).code).toBe('INVALID_ARGUMENT');
    expect((await chainError(client.addressTxs(ADDRESS, { lastSeenTxid: 'nope' }))).code).toBe('INVALID_ARGUMENT');
    expect(backend?.requests).toHaveLength(0);
  });

  it('uses the paths of the Esplora API under the base URL', async () => {
    const client = await serve((request) => {
      if (request.path.endsWith('/utxo') || request.path.includes('/txs')) return { body: [] };
      if (request.path.endsWith('/status')) return { body: { confirmed: false } };
      return { body: '1' };
    });
    await client.addressUtxos(ADDRESS);
    await client.addressTxs(ADDRESS);
    await client.addressTxs(ADDRESS, { lastSeenTxid: TXID.toUpperCase() });
    await client.txStatus(TXID);
    await client.tipHeight();
    expect(backend?.requests.map((r) => r.path)).toEqual([
      `/address/${ADDRESS}/utxo`,
      `/address/${ADDRESS}/txs`,
      `/address/${ADDRESS}/txs/chain/${TXID}`,
      `/tx/${TXID}/status`,
      '/blocks/tip/height',
    ]);
  });

  it('refreshes 20 addresses in one round trip: all requests in flight at once', async () => {
    const client = await serve((request) => {
      const address = request.path.split('/')[2] as string;
      return { body: { address, chain_stats: stats(1000, 0), mempool_stats: stats(0, 0, 0) }, delayMs: 200 };
    });
    const addresses = Array.from({ length: 20 }, (_, i) => `rltc1q${String(i).padStart(2, '0')}${'q'.repeat(36)}`);
    const started = Date.now();
    const summaries = await client.addresses(addresses);
    const elapsed = Date.now() - started;
    expect(summaries.map((s) => s.address)).toEqual(addresses);
    expect(backend?.maxInFlight).toBe(20);
    expect(elapsed).toBeLessThan(2 * 200);
  });
});

describe('the HTTP transport', () => {
  it('moves URL credentials into a Basic header and names only the origin', () => {
    const endpoint = parseEndpoint('https://user:p%40ss@node.example:8332/v3/SECRETKEY/');
    expect(endpoint.url).toBe('https://node.example:8332/v3/SECRETKEY');
    expect(endpoint.origin).toBe('https://node.example:8332');
    expect(endpoint.headers.authorization).toBe(`Basic ${Buffer.from('user:p@ss').toString('base64')}`);
  });

  it('refuses URLs that are not plain http(s) bases', () => {
    for (const bad of ['not a url', 'ftp://x.example', 'file:///etc/passwd', 'https://x.example/api?key=1', 'https://x.example/#a']) {
      expect(() => parseEndpoint(bad)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    }
  });

  it('never names the path (it may hold an API key) in errors', async () => {
    const client = new EsploraClient({ baseUrl: `http://127.0.0.1:${await closedPort()}/SECRETKEY/api` });
    const error = await chainError(client.tipHeight());
    expect(error.message).not.toContain('SECRETKEY');
  });

  it('maps with a concurrency limit and keeps the order', async () => {
    let inFlight = 0;
    let most = 0;
    const out = await mapConcurrent([5, 1, 4, 2, 3], 2, async (n) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, n * 5));
      inFlight -= 1;
      return n * 10;
    });
    expect(out).toEqual([50, 10, 40, 20, 30]);
    expect(most).toBe(2);
    expect(await mapConcurrent([], 4, async () => 1)).toEqual([]);
  });
});
